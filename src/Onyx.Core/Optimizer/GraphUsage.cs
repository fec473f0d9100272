using System.Runtime.InteropServices;
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
        foreach (var n in graph.Nodes) Add(n);
    }

    /// <summary>
    /// Records a node added to the graph, or one changed in place after <see cref="Remove"/>: a fusion
    /// updates the usage it matched against instead of rebuilding it, which made each fusion pass
    /// O(nodes x fusions) (PP-OCR-det's HardSwish pass: ~10 ms).
    /// </summary>
    public void Add(Node n)
    {
        foreach (var o in n.Outputs) if (o.Length > 0) _producer[o] = n;
        foreach (var i in n.Inputs) if (i.Length > 0) AddConsumer(i, n);
        if (n.Attributes.Count > 0) foreach (var c in Captures(n)) AddConsumer(c, n);
    }

    /// <summary>Forgets a node: call before removing it from the graph or changing its inputs or outputs in place.</summary>
    public void Remove(Node n)
    {
        foreach (var o in n.Outputs) if (o.Length > 0 && _producer.TryGetValue(o, out var p) && p == n) _producer.Remove(o);
        foreach (var i in n.Inputs) if (i.Length > 0 && _consumers.TryGetValue(i, out var l)) l.Remove(n);
        if (n.Attributes.Count > 0)
            foreach (var c in Captures(n)) if (_consumers.TryGetValue(c, out var l)) l.Remove(n);
    }

    private void AddConsumer(string name, Node n)
    {
        ref var l = ref CollectionsMarshal.GetValueRefOrAddDefault(_consumers, name, out _);
        l ??= [];
        if (!l.Contains(n)) l.Add(n);
    }

    /// <summary>The outer values a node's subgraphs read.</summary>
    private static IEnumerable<string> Captures(Node n)
    {
        foreach (var a in n.Attributes.All)
        {
            if (a.Graph is not null) foreach (var c in Execution.ExecutionPlan.CapturedNames(a.Graph)) yield return c;
            if (a.Graphs is not null) foreach (var g in a.Graphs) foreach (var c in Execution.ExecutionPlan.CapturedNames(g)) yield return c;
        }
    }

    public IReadOnlyList<Node> Consumers(string name) => _consumers.TryGetValue(name, out var l) ? l : [];

    public Node? Producer(string name) => _producer.GetValueOrDefault(name);

    public bool IsGraphOutput(string name) => _graphOutputs.Contains(name);

    /// <summary>The only node reading <paramref name="name"/>, when it is not also a graph output.</summary>
    public Node? SoleConsumer(string name) =>
        !IsGraphOutput(name) && _consumers.TryGetValue(name, out var l) && l.Count == 1 ? l[0] : null;
}
