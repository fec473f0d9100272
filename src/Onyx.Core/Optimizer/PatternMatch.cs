using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.Core.Optimizer;

/// <summary>Small matchers the fusion passes share: scalar operands, commutative inputs, known types.</summary>
internal static class PatternMatch
{
    /// <summary>The value of a one-element float constant at input <paramref name="i"/>, or null.</summary>
    internal static float? Scalar(Graph graph, Node node, int i) =>
        GraphConstants.Const(graph, node, i) is { DType: DType.Float32, Length: 1 } t ? t.Span<float>()[0] : null;

    /// <summary>
    /// For a binary node with one one-element float constant operand: the other input and the
    /// constant. The constant's rank must not exceed <paramref name="maxRank"/> so broadcasting it
    /// leaves the other operand's shape unchanged.
    /// </summary>
    internal static (string Other, float Value)? ScalarOperand(Graph graph, Node node, int maxRank)
    {
        if (node.Inputs.Count != 2) return null;
        for (int k = 0; k < 2; k++)
            if (GraphConstants.Const(graph, node, k) is { DType: DType.Float32, Length: 1 } t && t.Rank <= maxRank && GraphConstants.Const(graph, node, 1 - k) is null)
                return (node.Inputs[1 - k], t.Span<float>()[0]);
        return null;
    }

    /// <summary>True when <paramref name="a"/> is within a relative 1e-3 of <paramref name="b"/> (exporters round constants).</summary>
    internal static bool Near(float a, float b) => MathF.Abs(a - b) <= 1e-3f * MathF.Abs(b);

    /// <summary>An ONNX-domain node of type <paramref name="op"/>, or null.</summary>
    internal static Node? Is(Node? node, string op) => node is not null && node.OpType == op && node.Domain.Length == 0 ? node : null;

    /// <summary>The input of a two-input node that is not <paramref name="known"/>; null when neither or both are.</summary>
    internal static string? Other(Node node, string known) =>
        node.Inputs.Count != 2 ? null : node.Inputs[0] == known && node.Inputs[1] != known ? node.Inputs[1] : node.Inputs[1] == known && node.Inputs[0] != known ? node.Inputs[0] : null;

    /// <summary>The static type of a value when it is a float32 tensor of known rank; null otherwise.</summary>
    internal static TensorTypeInfo? Float32(Graph graph, string value) =>
        graph.TypeOf(value) is TensorTypeInfo { ElementType: DType.Float32, Shape: not null } t ? t : null;

    /// <summary>The constant int64 values at input <paramref name="i"/>, or null.</summary>
    internal static long[]? Ints(Graph graph, Node node, int i) =>
        GraphConstants.Const(graph, node, i) is { DType: DType.Int64 } t ? t.Span<long>().ToArray() : null;

    /// <summary>
    /// Removes the producers of <paramref name="values"/> that nothing reads any more, and theirs in
    /// turn: the matched chain a fusion replaced, so later passes see sole consumers again.
    /// </summary>
    internal static void RemoveDeadProducers(Graph graph, IEnumerable<string> values)
    {
        var usage = new GraphUsage(graph);
        var work = new Stack<string>(values);
        while (work.Count > 0)
        {
            string v = work.Pop();
            if (v.Length == 0 || usage.Producer(v) is not { } p || !graph.Nodes.Contains(p)) continue;
            if (p.Outputs.Any(o => o.Length > 0 && (usage.IsGraphOutput(o) || usage.Consumers(o).Any(graph.Nodes.Contains)))) continue;
            graph.Nodes.Remove(p);
            foreach (var i in p.Inputs) work.Push(i);
        }
    }
}
