using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.Core.Optimizer.Passes;

/// <summary>
/// Add(MatMul(A, B), C) → Gemm(A, B, C) when A is known to be 2-D, B is a constant 2-D float matrix
/// and C a constant of N or 1×N elements (Gemm's bias broadcast).
/// </summary>
internal sealed class FuseMatMulAddIntoGemm : IGraphPass
{
    public OptimizationLevel Level => OptimizationLevel.Extended;

    public bool Run(Graph graph, OptimizerContext context)
    {
        if (!graph.Opsets.TryGetValue("", out int opset) || opset < 11) return false;
        bool changed = false;
        var usage = new GraphUsage(graph);
        foreach (var mm in graph.Nodes.ToList())
        {
            if (mm.OpType != "MatMul" || mm.Domain.Length != 0 || !mm.HasOutput(0)) continue;
            if (graph.TypeOf(mm.Inputs[0]) is not TensorTypeInfo { ElementType: DType.Float32, Shape.Length: 2 }) continue;
            if (GraphConstants.Const(graph, mm, 1) is not { DType: DType.Float32, Rank: 2 } b) continue;
            if (usage.SoleConsumer(mm.Outputs[0]) is not { OpType: "Add", Domain: "" } add) continue;
            int other = add.Inputs[0] == mm.Outputs[0] ? 1 : 0;
            if (add.Inputs[1 - other] != mm.Outputs[0]) continue;
            var bias = GraphConstants.Const(graph, add, other);
            if (bias is not { DType: DType.Float32 } || bias.Length != b.Shape[1] || bias.Rank > 2) continue;
            var gemm = new Node("Gemm", [mm.Inputs[0], mm.Inputs[1], add.Inputs[other]], [add.Outputs[0]], mm.Name + "/gemm") { OpsetVersion = opset };
            int at = graph.Nodes.IndexOf(mm);
            graph.Nodes[at] = gemm;
            graph.Nodes.Remove(add);
            usage = new GraphUsage(graph);
            changed = true;
        }
        return changed;
    }
}
