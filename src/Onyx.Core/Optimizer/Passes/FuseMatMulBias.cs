using Onyx.Core.Execution;
using Onyx.Core.Ir;
using Onyx.Tensors;
using static Onyx.Core.Optimizer.PatternMatch;

namespace Onyx.Core.Optimizer.Passes;

/// <summary>
/// Act(Add(MatMul(A, B), bias)) → onyx.MatMulBias(A, B, bias) with any activation
/// <see cref="ActivationMatch"/> recognises (Relu, Gelu, FastGelu, Swish, ...; or none), for the transformer projections where A is [batch, seq, K] — the 2-D case
/// is FuseMatMulAddIntoGemm's. B must be a constant float [K, N] and bias a constant of N elements
/// whose leading dims are 1. The bias and activation land in the GEMM's store; the output is written once
/// instead of three times.
/// </summary>
internal sealed class FuseMatMulBias : IGraphPass
{
    public OptimizationLevel Level => OptimizationLevel.Extended;

    public bool Run(Graph graph, OptimizerContext context)
    {
        if (context.Evaluator is not KernelRegistry registry || !registry.Supports("onyx", "MatMulBias", 1)) return false;
        bool changed = false;
        var usage = new GraphUsage(graph);
        foreach (var mm in graph.Nodes.ToList())
        {
            if (Is(mm, "MatMul") is null || !mm.HasOutput(0) || mm.Inputs.Count != 2) continue;
            if (Float32(graph, mm.Inputs[0]) is not { Shape.Length: >= 3 } aType) continue;
            if (GraphConstants.Const(graph, mm, 1) is not { DType: DType.Float32, Rank: 2 } b || b.Length == 0) continue;
            if (Is(usage.SoleConsumer(mm.Outputs[0]), "Add") is not { } add || Other(add, mm.Outputs[0]) is not { } biasName) continue;
            int bi = add.Inputs.IndexOf(biasName);
            if (GraphConstants.Const(graph, add, bi) is not { DType: DType.Float32 } bias || !IsRowBias(bias, b.Shape[1], aType.Shape!.Length)) continue;

            var act = ActivationMatch.Find(graph, usage, add.Outputs[0], _ => true);
            var attrs = new NodeAttributes();
            act?.SetAttributes(attrs);
            var fused = new Node("MatMulBias", [mm.Inputs[0], mm.Inputs[1], biasName], [act?.Output ?? add.Outputs[0]], mm.Name + "/bias", "onyx", attrs) { OpsetVersion = 1 };
            graph.Nodes[graph.Nodes.IndexOf(add)] = fused;
            graph.Nodes.Remove(mm);
            if (act is not null) foreach (var n in act.Nodes) graph.Nodes.Remove(n);
            usage = new GraphUsage(graph);
            changed = true;
        }
        return changed;
    }

    /// <summary>True for a bias of <paramref name="n"/> elements shaped [1, ..., 1, n] that adds no rank to A·B.</summary>
    private static bool IsRowBias(Tensors.Tensor bias, int n, int rank)
    {
        if (bias.Length != n || bias.Rank == 0 || bias.Rank > rank || bias.Shape[^1] != n) return false;
        for (int i = 0; i < bias.Rank - 1; i++) if (bias.Shape[i] != 1) return false;
        return true;
    }
}
