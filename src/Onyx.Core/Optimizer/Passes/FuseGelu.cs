using Onyx.Core.Execution;
using Onyx.Core.Ir;
using static Onyx.Core.Optimizer.PatternMatch;

namespace Onyx.Core.Optimizer.Passes;

/// <summary>
/// The GELU subgraphs exporters write, into one op (ONNX Runtime's GeluFusion / FastGeluFusion):
/// x·0.5·(1 + Erf(x/√2)) → com.microsoft Gelu, and x·0.5·(1 + Tanh(√(2/π)·(x + 0.044715·x³)))
/// → com.microsoft FastGelu. The two forms differ numerically, so each keeps its own op. Either
/// multiplication order of the 0.5 and x is accepted; x³ may be Pow(x, 3) or x·x·x. Five to eight
/// passes over the tensor become one. The matched nodes go at once, so
/// later fusions see the GELU as x's sole consumer.
/// </summary>
internal sealed class FuseGelu : IGraphPass
{
    private const float Sqrt2 = 1.41421356f, SqrtTwoOverPi = 0.79788456f;

    public OptimizationLevel Level => OptimizationLevel.Extended;

    public bool Run(Graph graph, OptimizerContext context)
    {
        if (context.Evaluator is not KernelRegistry registry || !registry.Supports("com.microsoft", "Gelu", 1) || !registry.Supports("com.microsoft", "FastGelu", 1)) return false;
        bool changed = false;
        var usage = new GraphUsage(graph);
        foreach (var node in graph.Nodes.ToList())
        {
            if (node.Domain.Length != 0 || node.Inputs.Count != 1 || !node.HasOutput(0)) continue;
            string? x = node.OpType switch
            {
                "Erf" => ErfArgument(graph, usage, node),
                "Tanh" => TanhArgument(graph, usage, node),
                _ => null,
            };
            if (x is null || Tail(graph, usage, node, x) is not { } output) continue;
            string op = node.OpType == "Erf" ? "Gelu" : "FastGelu";
            var gelu = new Node(op, [x], [output.Outputs[0]], node.Name + "/" + op.ToLowerInvariant(), "com.microsoft") { OpsetVersion = 1 };
            graph.Nodes[graph.Nodes.IndexOf(output)] = gelu;
            RemoveDeadProducers(graph, output.Inputs);
            usage = new GraphUsage(graph);
            changed = true;
        }
        return changed;
    }

    /// <summary>x for Erf(x/√2) or Erf(x·(1/√2)).</summary>
    private static string? ErfArgument(Graph graph, GraphUsage usage, Node erf)
    {
        if (usage.Producer(erf.Inputs[0]) is not { Domain: "" } scale || usage.SoleConsumer(scale.Outputs[0]) != erf) return null;
        if (Float32(graph, erf.Inputs[0]) is not { } type) return null;
        if (scale.OpType == "Div" && Scalar(graph, scale, 1) is { } d && Near(d, Sqrt2) && GraphConstants.Const(graph, scale, 0) is null && RankOk(graph, scale, 1, type)) return scale.Inputs[0];
        if (scale.OpType == "Mul" && ScalarOperand(graph, scale, type.Shape!.Length) is (var x, var m) && Near(m, 1 / Sqrt2)) return x;
        return null;
    }

    /// <summary>x for Tanh(√(2/π)·(x + 0.044715·x³)).</summary>
    private static string? TanhArgument(Graph graph, GraphUsage usage, Node tanh)
    {
        if (Float32(graph, tanh.Inputs[0]) is not { } type) return null;
        int rank = type.Shape!.Length;
        if (Is(usage.Producer(tanh.Inputs[0]), "Mul") is not { } scale || usage.SoleConsumer(scale.Outputs[0]) != tanh) return null;
        if (ScalarOperand(graph, scale, rank) is not (var inner, var k) || !Near(k, SqrtTwoOverPi)) return null;
        if (Is(usage.Producer(inner), "Add") is not { } add || usage.SoleConsumer(add.Outputs[0]) != scale) return null;
        for (int side = 0; side < 2; side++)
        {
            string x = add.Inputs[side];
            if (Is(usage.Producer(add.Inputs[1 - side]), "Mul") is not { } cubic || usage.SoleConsumer(cubic.Outputs[0]) != add) continue;
            if (ScalarOperand(graph, cubic, rank) is not (var cube, var c) || !Near(c, 0.044715f)) continue;
            if (IsCube(graph, usage, cube, x)) return x;
        }
        return null;
    }

    /// <summary>True when <paramref name="cube"/> is Pow(x, 3), x·(x·x) or (x·x)·x.</summary>
    private static bool IsCube(Graph graph, GraphUsage usage, string cube, string x)
    {
        if (usage.Producer(cube) is not { Domain: "" } p) return false;
        if (p.OpType == "Pow") return p.Inputs[0] == x && Scalar(graph, p, 1) == 3f;
        if (p.OpType != "Mul" || Other(p, x) is not { } sq) return false;
        return Is(usage.Producer(sq), "Mul") is { } s && s.Inputs[0] == x && s.Inputs[1] == x;
    }

    /// <summary>
    /// The node computing x·0.5·(1 + f) from f = <paramref name="f"/>'s output: Add 1, then either
    /// Mul x followed by Mul 0.5, or Mul by (x·0.5).
    /// </summary>
    private static Node? Tail(Graph graph, GraphUsage usage, Node f, string x)
    {
        if (Float32(graph, x) is not { } type) return null;
        int rank = type.Shape!.Length;
        if (Is(usage.SoleConsumer(f.Outputs[0]), "Add") is not { } one) return null;
        if (ScalarOperand(graph, one, rank) is not (_, var v) || v != 1f) return null;
        if (Is(usage.SoleConsumer(one.Outputs[0]), "Mul") is not { } m1 || Other(m1, one.Outputs[0]) is not { } other) return null;
        if (other == x)
            return Is(usage.SoleConsumer(m1.Outputs[0]), "Mul") is { } m2 && ScalarOperand(graph, m2, rank) is (_, var h) && h == 0.5f ? m2 : null;
        return Is(usage.Producer(other), "Mul") is { } half && ScalarOperand(graph, half, rank) is (var hx, var hv) && hx == x && hv == 0.5f ? m1 : null;
    }

    private static bool RankOk(Graph graph, Node node, int i, Tensors.TensorTypeInfo type) =>
        GraphConstants.Const(graph, node, i) is { } t && t.Rank <= type.Shape!.Length;
}
