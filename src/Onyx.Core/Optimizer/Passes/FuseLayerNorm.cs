using Onyx.Core.Execution;
using Onyx.Core.Ir;
using Onyx.Tensors;
using static Onyx.Core.Optimizer.PatternMatch;

namespace Onyx.Core.Optimizer.Passes;

/// <summary>
/// The layer normalization older exporters spell out (ONNX Runtime's LayerNormFusion):
/// d = x − ReduceMean(x); y = d / Sqrt(ReduceMean(Pow(d, 2) | d·d) + ε) · γ [+ β], means over the
/// trailing axes with keepdims → LayerNormalization(x, γ, β, axis, epsilon) (opset 17). Nine ops and
/// five passes over the tensor become one two-pass row kernel. γ and β must be constants no larger
/// than the normalized dimensions.
/// </summary>
internal sealed class FuseLayerNorm : IGraphPass
{
    public OptimizationLevel Level => OptimizationLevel.Extended;

    public bool Run(Graph graph, OptimizerContext context)
    {
        if (context.Evaluator is not KernelRegistry registry || !registry.Supports("", "LayerNormalization", 17)) return false;
        bool changed = false;
        var usage = new GraphUsage(graph);
        foreach (var mean in graph.Nodes.ToList())
        {
            if (!graph.Nodes.Contains(mean) || Is(mean, "ReduceMean") is null || !mean.HasOutput(0)) continue;
            if (Match(graph, usage, mean) is not var (x, axis, eps, gamma, beta, last)) continue;
            var attrs = new NodeAttributes();
            attrs.Set(new Ir.Attribute { Name = "axis", Kind = AttributeKind.Int, Int = axis });
            attrs.Set(new Ir.Attribute { Name = "epsilon", Kind = AttributeKind.Float, Float = eps });
            string[] inputs = beta is null ? [x, gamma] : [x, gamma, beta];
            var ln = new Node("LayerNormalization", inputs, [last.Outputs[0]], mean.Name + "/layernorm", "", attrs) { OpsetVersion = 17 };
            graph.Nodes[graph.Nodes.IndexOf(last)] = ln;
            RemoveDeadProducers(graph, last.Inputs);
            usage = new GraphUsage(graph);
            changed = true;
        }
        return changed;
    }

    private static (string X, long Axis, float Eps, string Gamma, string? Beta, Node Last)? Match(Graph graph, GraphUsage usage, Node mean)
    {
        string x = mean.Inputs[0];
        if (Float32(graph, x) is not { } xt) return null;
        int rank = xt.Shape!.Length;
        if (TrailingAxes(graph, mean, rank) is not { } k) return null;
        if (Is(usage.SoleConsumer(mean.Outputs[0]), "Sub") is not { } sub || sub.Inputs[0] != x || sub.Inputs[1] != mean.Outputs[0]) return null;
        string d = sub.Outputs[0];
        if (usage.IsGraphOutput(d) || usage.Consumers(d) is not { Count: 2 } users) return null;
        Node? square = users.FirstOrDefault(u => IsSquare(graph, u, d));
        Node? div = users.FirstOrDefault(u => u.OpType == "Div" && u.Domain.Length == 0 && u.Inputs[0] == d);
        if (square is null || div is null) return null;
        if (Is(usage.SoleConsumer(square.Outputs[0]), "ReduceMean") is not { } variance || TrailingAxes(graph, variance, rank) != k) return null;
        if (Is(usage.SoleConsumer(variance.Outputs[0]), "Add") is not { } addEps || ScalarOperand(graph, addEps, rank) is not (var _, var eps) || eps < 0) return null;
        if (Is(usage.SoleConsumer(addEps.Outputs[0]), "Sqrt") is not { } sqrt || usage.SoleConsumer(sqrt.Outputs[0]) != div || div.Inputs[1] != sqrt.Outputs[0]) return null;
        if (Is(usage.SoleConsumer(div.Outputs[0]), "Mul") is not { } mulGamma || Other(mulGamma, div.Outputs[0]) is not { } gamma) return null;
        // Loops, not LINQ over Dim/long (generic code over value types, JIT-compiled per process).
        var normShape = new long[k];
        for (int i = 0; i < k; i++)
            if (xt.Shape[rank - k + i].Value is { } v) normShape[i] = v; else return null;
        if (!Fits(graph, gamma, normShape)) return null;
        Node last = mulGamma;
        string? beta = null;
        if (Is(usage.SoleConsumer(mulGamma.Outputs[0]), "Add") is { } addBeta && Other(addBeta, mulGamma.Outputs[0]) is { } b && Fits(graph, b, normShape))
            (last, beta) = (addBeta, b);
        return (x, -k, eps, gamma, beta, last);
    }

    /// <summary>Pow(d, 2) or Mul(d, d).</summary>
    private static bool IsSquare(Graph graph, Node node, string d) =>
        node.Domain.Length == 0 && node.Inputs.Count == 2 && node.Inputs[0] == d &&
        (node.OpType == "Pow" && Scalar(graph, node, 1) == 2f || node.OpType == "Mul" && node.Inputs[1] == d);

    /// <summary>How many trailing axes a keepdims ReduceMean averages over (axes from the attribute or, from opset 18, input 1).</summary>
    private static int? TrailingAxes(Graph graph, Node reduce, int rank)
    {
        if (reduce.Attributes.GetInt("keepdims", 1) != 1) return null;
        long[]? axes = reduce.OpsetVersion >= 18 ? (reduce.HasInput(1) ? Ints(graph, reduce, 1) : null) : reduce.Attributes.GetInts("axes");
        if (axes is not { Length: > 0 }) return null;
        // The distinct normalized axes must be exactly the last ones: mark them, then check the mask is a suffix.
        var mask = new bool[rank];
        foreach (long a in axes)
        {
            long n = a < 0 ? a + rank : a;
            if (n < 0 || n >= rank) return null;
            mask[n] = true;
        }
        int count = 0;
        for (int i = rank - 1; i >= 0 && mask[i]; i--) count++;
        for (int i = 0; i < rank - count; i++) if (mask[i]) return null;
        return count;
    }

    /// <summary>A float constant whose shape right-aligns inside the normalized dims (so it broadcasts the same in both forms).</summary>
    private static bool Fits(Graph graph, string value, long[] normShape)
    {
        if (!graph.Initializers.TryGetValue(value, out var t) || graph.Inputs.Any(v => v.Name == value) || t.DType != DType.Float32) return false;
        if (t.Rank > normShape.Length) return false;
        for (int i = 0; i < t.Rank; i++)
        {
            long want = normShape[normShape.Length - t.Rank + i];
            if (t.Shape[i] != want && t.Shape[i] != 1) return false;
        }
        return true;
    }
}
