using Onyx.Core.Execution;
using Onyx.Core.Ir;

namespace Onyx.Core.Optimizer.Passes;

/// <summary>
/// Act(Conv(x, W, B)) → com.microsoft FusedConv(x, W, B) with the activation applied in the conv's
/// final store (ONNX Runtime's contrib op and attribute names): Relu, LeakyRelu, Clip with
/// constant bounds, Sigmoid, Tanh, HardSigmoid.
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
            if (usage.SoleConsumer(conv.Outputs[0]) is not { Domain: "" } act || act.Inputs[0] != conv.Outputs[0]) continue;
            if (Activation(graph, act) is not var (name, parameters)) continue;

            var attrs = new NodeAttributes(conv.Attributes.All);
            SetActivation(attrs, name, parameters);
            var fused = new Node("FusedConv", conv.Inputs, [act.Outputs[0]], conv.Name + "/fused_" + act.OpType.ToLowerInvariant(), "com.microsoft", attrs)
            {
                OpsetVersion = 1,
            };
            graph.Nodes[graph.Nodes.IndexOf(conv)] = fused;
            graph.Nodes.Remove(act);
            usage = new GraphUsage(graph);
            changed = true;
        }
        return changed;
    }

    /// <summary>FusedConv's <c>activation</c> / <c>activation_params</c> attributes.</summary>
    internal static void SetActivation(NodeAttributes attrs, string name, float[] parameters)
    {
        attrs.Set(new Ir.Attribute { Name = "activation", Kind = AttributeKind.String, Bytes = System.Text.Encoding.UTF8.GetBytes(name) });
        if (parameters.Length > 0)
            attrs.Set(new Ir.Attribute { Name = "activation_params", Kind = AttributeKind.Floats, Floats = parameters });
    }

    internal static (string Name, float[] Params)? Activation(Graph graph, Node act)
    {
        switch (act.OpType)
        {
            case "Relu": return ("Relu", []);
            case "Sigmoid": return ("Sigmoid", []);
            case "Tanh": return ("Tanh", []);
            case "LeakyRelu": return ("LeakyRelu", [act.Attributes.GetFloat("alpha", 0.01f)]);
            case "HardSigmoid": return ("HardSigmoid", [act.Attributes.GetFloat("alpha", 0.2f), act.Attributes.GetFloat("beta", 0.5f)]);
            case "Clip":
                if (act.OpsetVersion < 11)
                    return ("Clip", [act.Attributes.GetFloat("min", float.MinValue), act.Attributes.GetFloat("max", float.MaxValue)]);
                float lo = float.MinValue, hi = float.MaxValue;
                if (act.HasInput(1))
                {
                    if (GraphConstants.Const(graph, act, 1) is not { DType: Tensors.DType.Float32, Length: 1 } t) return null;
                    lo = t.Span<float>()[0];
                }
                if (act.HasInput(2))
                {
                    if (GraphConstants.Const(graph, act, 2) is not { DType: Tensors.DType.Float32, Length: 1 } t) return null;
                    hi = t.Span<float>()[0];
                }
                return ("Clip", [lo, hi]);
            default:
                return null;
        }
    }
}
