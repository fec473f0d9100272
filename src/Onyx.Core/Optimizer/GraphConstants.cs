using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.Core.Optimizer;

/// <summary>Constant lookups and fresh names the rewrite passes share.</summary>
internal static class GraphConstants
{
    /// <summary>The initializer behind input <paramref name="i"/>, unless a graph input can override it.</summary>
    internal static Tensor? Const(Graph graph, Node node, int i) =>
        node.HasInput(i) && !graph.Inputs.Any(v => v.Name == node.Inputs[i]) && graph.Initializers.TryGetValue(node.Inputs[i], out var t) ? t : null;

    /// <summary>A value name not yet used in the graph, based on <paramref name="name"/>.</summary>
    internal static string Fresh(Graph graph, string name)
    {
        string n = name;
        for (int k = 1; graph.Initializers.ContainsKey(n) || graph.Nodes.Any(x => x.Outputs.Contains(n)); k++) n = $"{name}_{k}";
        return n;
    }
}
