using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.Core.Optimizer.Passes;

/// <summary>
/// x · Clip(x + 3, 0, 6) / 6 → HardSwish(x), the form Paddle and older PyTorch exports write
/// (PP-OCR's MobileNetV3 backbone has dozens). One pass over the tensor instead of four.
/// </summary>
internal sealed class FuseHardSwish : IGraphPass
{
    public OptimizationLevel Level => OptimizationLevel.Extended;

    public bool Run(Graph graph, OptimizerContext context)
    {
        if (context.Evaluator is not Execution.KernelRegistry registry || !registry.Supports("", "HardSwish", 14)) return false;
        bool changed = false;
        var usage = new GraphUsage(graph);
        foreach (var add in graph.Nodes.ToList())
        {
            if (add.OpType != "Add" || add.Domain.Length != 0 || add.Inputs.Count != 2) continue;
            int k = IsScalar(graph, add, 1, 3f) ? 1 : IsScalar(graph, add, 0, 3f) ? 0 : -1;
            if (k < 0) continue;
            string x = add.Inputs[1 - k];
            if (graph.TypeOf(x) is TensorTypeInfo { ElementType: not DType.Float32 }) continue;
            if (usage.SoleConsumer(add.Outputs[0]) is not { OpType: "Clip", Domain: "" } clip) continue;
            if (!ClipsTo(graph, clip, 0f, 6f)) continue;
            if (usage.SoleConsumer(clip.Outputs[0]) is not { OpType: "Mul", Domain: "" } mul) continue;
            if (!(mul.Inputs[0] == x && mul.Inputs[1] == clip.Outputs[0] || mul.Inputs[1] == x && mul.Inputs[0] == clip.Outputs[0])) continue;
            if (usage.SoleConsumer(mul.Outputs[0]) is not { OpType: "Div", Domain: "" } div) continue;
            if (div.Inputs[0] != mul.Outputs[0] || !IsScalar(graph, div, 1, 6f)) continue;

            var hs = new Node("HardSwish", [x], [div.Outputs[0]], add.Name + "/hardswish") { OpsetVersion = 14 };
            graph.Nodes[graph.Nodes.IndexOf(add)] = hs;
            graph.Nodes.Remove(clip);
            graph.Nodes.Remove(mul);
            graph.Nodes.Remove(div);
            foreach (var gone in (Node[])[add, clip, mul, div]) usage.Remove(gone);
            usage.Add(hs);
            changed = true;
        }
        return changed;
    }

    private static bool IsScalar(Graph graph, Node node, int input, float value) =>
        GraphConstants.Const(graph, node, input) is { DType: DType.Float32, Length: 1 } t && t.Span<float>()[0] == value;

    private static bool ClipsTo(Graph graph, Node clip, float lo, float hi)
    {
        if (clip.OpsetVersion < 11)
            return clip.Attributes.GetFloat("min", float.MinValue) == lo && clip.Attributes.GetFloat("max", float.MaxValue) == hi;
        return IsScalar(graph, clip, 1, lo) && IsScalar(graph, clip, 2, hi);
    }
}
