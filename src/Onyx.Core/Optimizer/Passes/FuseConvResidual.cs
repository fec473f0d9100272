using Onyx.Core.Execution;
using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.Core.Optimizer.Passes;

/// <summary>
/// Act?(Add(Conv(x, W, B), z)) → com.microsoft FusedConv(x, W, B, Z = z) with the activation: the
/// residual of ResNet-style blocks is added in the conv's final store instead of a separate pass over
/// the output (ONNX Runtime's Conv+Add(+Relu) fusion). Only when z has exactly the conv output's shape
/// (equal fixed dims or the same symbol in every position), since FusedConv's Z does not broadcast.
/// </summary>
internal sealed class FuseConvResidual : IGraphPass
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
            string y = conv.Outputs[0];
            if (usage.IsGraphOutput(y) || usage.SoleConsumer(y) is not { OpType: "Add", Domain: "" } add) continue;
            if (add.Inputs.Count != 2 || add.Inputs[0] == add.Inputs[1]) continue;
            string z = add.Inputs[0] == y ? add.Inputs[1] : add.Inputs[0];
            if (!SameShape(graph.TypeOf(y), graph.TypeOf(z))) continue;

            var attrs = new NodeAttributes(conv.Attributes.All);
            string output = add.Outputs[0], name = conv.Name + "/fused_add";
            var removed = new List<Node> { conv, add };
            if (ActivationMatch.Find(graph, usage, output, _ => true) is { } act)
            {
                act.SetAttributes(attrs);
                output = act.Output;
                name += "_" + act.Name.ToLowerInvariant();
                removed.AddRange(act.Nodes);
            }
            string bias = conv.HasInput(2) ? conv.Inputs[2] : "";
            var fused = new Node("FusedConv", [conv.Inputs[0], conv.Inputs[1], bias, z], [output], name, "com.microsoft", attrs) { OpsetVersion = 1 };
            // At the position of the last removed node: z and the conv's inputs are all computed before it.
            int at = -1;
            foreach (var n in removed) at = Math.Max(at, graph.Nodes.IndexOf(n));
            graph.Nodes[at] = fused;
            foreach (var n in removed) graph.Nodes.Remove(n); // the one replaced at `at` is gone already
            usage = new GraphUsage(graph);
            changed = true;
        }
        return changed;
    }

    /// <summary>True when both are float32 tensors whose every dim is known to be equal.</summary>
    private static bool SameShape(TypeInfo? a, TypeInfo? b)
    {
        if (a is not TensorTypeInfo { ElementType: DType.Float32, Shape: { } sa } || b is not TensorTypeInfo { ElementType: DType.Float32, Shape: { } sb }) return false;
        if (sa.Length != sb.Length || sa.Length < 3) return false;
        for (int i = 0; i < sa.Length; i++)
        {
            bool equal = sa[i].IsFixed ? sb[i].IsFixed && sa[i].Value == sb[i].Value : sa[i].Symbol is { } s && sb[i].Symbol == s;
            if (!equal) return false;
        }
        return true;
    }
}
