using Onyx.Core.Execution;
using Onyx.Core.Ir;

namespace Onyx.Core.Optimizer.Passes;

/// <summary>
/// Act(Conv(x, W, B)) → com.microsoft FusedConv(x, W, B) with the activation applied in the conv's
/// stores (ONNX Runtime's contrib op and attribute names): Relu, LeakyRelu, Clip with constant bounds,
/// Sigmoid, Tanh, HardSigmoid, and Onyx's HardSwish, Swish (x·Sigmoid(α·x)), Gelu and FastGelu, with a
/// scalar Mul/Add after them as <c>activation_affine</c> (see <see cref="ActivationMatch"/>). PP-OCRv4
/// writes Conv → HardSwish → Mul → Add about thirty times: four passes over the map become none.
/// </summary>
internal sealed class FuseConvActivation : IGraphPass
{
    public OptimizationLevel Level => OptimizationLevel.Extended;

    public bool Run(Graph graph, OptimizerContext context)
    {
        if (context.Evaluator is not KernelRegistry registry || !registry.Supports("com.microsoft", "FusedConv", 1)) return false;
        bool changed = false;
        var usage = new GraphUsage(graph);
        foreach (var conv in graph.Nodes.ToList())
        {
            if (conv.OpType != "Conv" || conv.Domain.Length != 0 || !conv.HasOutput(0)) continue;
            if (graph.TypeOf(conv.Inputs[0]) is Tensors.TensorTypeInfo { ElementType: not Tensors.DType.Float32 }) continue;
            if (ActivationMatch.Find(graph, usage, conv.Outputs[0], _ => true) is not { } act) continue;

            var attrs = new NodeAttributes(conv.Attributes.All);
            act.SetAttributes(attrs);
            var fused = new Node("FusedConv", conv.Inputs, [act.Output], conv.Name + "/fused_" + act.Name.ToLowerInvariant(), "com.microsoft", attrs)
            {
                OpsetVersion = 1,
            };
            graph.Nodes[graph.Nodes.IndexOf(conv)] = fused;
            foreach (var n in act.Nodes) graph.Nodes.Remove(n);
            usage.Remove(conv);
            foreach (var n in act.Nodes) usage.Remove(n);
            usage.Add(fused);
            changed = true;
        }
        return changed;
    }
}
