using Onyx.Core.Ir;

namespace Onyx.Core.Optimizer;

/// <summary>Who reads each value: consumers per name (including subgraph captures) and graph outputs.</summary>
public sealed class GraphUsage
{
    private readonly Dictionary<string, List<Node>> _consumers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Node> _producer = new(StringComparer.Ordinal);
    private readonly HashSet<string> _graphOutputs;

    public GraphUsage(Graph graph)
    {
        _graphOutputs = graph.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var n in graph.Nodes)
        {
            foreach (var o in n.Outputs) if (o.Length > 0) _producer[o] = n;
            foreach (var i in n.Inputs) if (i.Length > 0) Add(i, n);
            foreach (var a in n.Attributes.All)
            {
                if (a.Graph is not null) foreach (var c in Execution.ExecutionPlan.CapturedNames(a.Graph)) Add(c, n);
                if (a.Graphs is not null) foreach (var g in a.Graphs) foreach (var c in Execution.ExecutionPlan.CapturedNames(g)) Add(c, n);
            }
        }
    }

    private void Add(string name, Node n)
    {
        if (!_consumers.TryGetValue(name, out var l)) _consumers[name] = l = [];
        if (!l.Contains(n)) l.Add(n);
    }

    public IReadOnlyList<Node> Consumers(string name) => _consumers.TryGetValue(name, out var l) ? l : [];

    public Node? Producer(string name) => _producer.GetValueOrDefault(name);

    public bool IsGraphOutput(string name) => _graphOutputs.Contains(name);

    /// <summary>The only node reading <paramref name="name"/>, when it is not also a graph output.</summary>
    public Node? SoleConsumer(string name) =>
        !IsGraphOutput(name) && _consumers.TryGetValue(name, out var l) && l.Count == 1 ? l[0] : null;
}
