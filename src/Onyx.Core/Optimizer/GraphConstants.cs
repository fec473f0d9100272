using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.Core.Optimizer;

/// <summary>Constant lookups and fresh names the rewrite passes share.</summary>
internal static class GraphConstants
{
    /// <summary>The initializer behind input <paramref name="i"/>, unless a graph input can override it.</summary>
    internal static Tensor? Const(Graph graph, Node node, int i) =>
        node.HasInput(i) && graph.Initializers.TryGetValue(node.Inputs[i], out var t) && !IsGraphInput(graph, node.Inputs[i]) ? t : null;

    private static bool IsGraphInput(Graph graph, string name)
    {
        foreach (var v in graph.Inputs) if (v.Name == name) return true;
        return false;
    }

    /// <summary>A value name not yet used in the graph, based on <paramref name="name"/>.</summary>
    internal static string Fresh(Graph graph, string name)
    {
        string n = name;
        for (int k = 1; graph.Initializers.ContainsKey(n) || IsNodeOutput(graph, n); k++) n = $"{name}_{k}";
        return n;
    }

    /// <summary>A plain scan (passes call Fresh once or twice per fusion; the LINQ form cost ~10x more per node).</summary>
    private static bool IsNodeOutput(Graph graph, string name)
    {
        foreach (var node in graph.Nodes)
            foreach (var o in node.Outputs)
                if (o == name) return true;
        return false;
    }

    /// <summary>
    /// A Conv's filter W as a float32 constant and its bias B (null when absent), or null when W is not a
    /// float constant or B is present but not a float constant of one value per output channel.
    /// </summary>
    internal static (Tensor W, Tensor? B)? FloatConvWeights(Graph graph, Node conv)
    {
        if (Const(graph, conv, 1) is not { DType: DType.Float32, Rank: >= 1 } w) return null;
        if (!conv.HasInput(2)) return (w, null);
        return Const(graph, conv, 2) is { DType: DType.Float32 } b && b.Length == w.Shape[0] ? (w, b) : null;
    }
}
