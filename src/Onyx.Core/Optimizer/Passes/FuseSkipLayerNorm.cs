using Onyx.Core.Execution;
using Onyx.Core.Ir;
using Onyx.Tensors;
using static Onyx.Core.Optimizer.PatternMatch;

namespace Onyx.Core.Optimizer.Passes;

/// <summary>
/// LayerNormalization(Add(a, b), γ, β) over the last axis → com.microsoft SkipLayerNormalization(a, b, γ, β)
/// (ONNX Runtime's SkipLayerNormFusion): the residual add of every transformer block. When the sum has
/// other readers (the next block's residual) they read SkipLayerNormalization's output 3 instead. a and b
/// must be float32 of the same known shape (no broadcasting), γ and β constants of the hidden size.
/// </summary>
internal sealed class FuseSkipLayerNorm : IGraphPass
{
    public OptimizationLevel Level => OptimizationLevel.Extended;

    public bool Run(Graph graph, OptimizerContext context)
    {
        if (context.Evaluator is not KernelRegistry registry || !registry.Supports("com.microsoft", "SkipLayerNormalization", 1)) return false;
        bool changed = false;
        var usage = new GraphUsage(graph);
        foreach (var ln in graph.Nodes.ToList())
        {
            if (Is(ln, "LayerNormalization") is null || !ln.HasOutput(0) || ln.Outputs.Skip(1).Any(o => o.Length > 0)) continue;
            if (Is(usage.Producer(ln.Inputs[0]), "Add") is not { } add || add.Inputs.Count != 2) continue;
            if (Float32(graph, add.Inputs[0]) is not { Shape: { Length: >= 2 } sa } || Float32(graph, add.Inputs[1]) is not { Shape: { } sb } || !Same(sa, sb)) continue;
            if (sa[^1].Value is not long hidden) continue;
            long axis = ln.Attributes.GetInt("axis", -1);
            if (axis != -1 && axis != sa.Length - 1) continue;
            if (GraphConstants.Const(graph, ln, 1) is not { DType: DType.Float32 } gamma || gamma.Length != hidden) continue;
            if (ln.HasInput(2) && !(GraphConstants.Const(graph, ln, 2) is { DType: DType.Float32 } beta && beta.Length == hidden)) continue;

            var attrs = new NodeAttributes();
            attrs.Set(new Ir.Attribute { Name = "epsilon", Kind = AttributeKind.Float, Float = ln.Attributes.GetFloat("epsilon", 1e-5f) });
            string sum = add.Outputs[0];
            // The sum stays a value only when something else reads it (or it is a graph output).
            bool keepSum = usage.IsGraphOutput(sum) || usage.Consumers(sum).Count > 1;
            string[] outputs = keepSum ? [ln.Outputs[0], "", "", sum] : [ln.Outputs[0]];
            string[] inputs = [add.Inputs[0], add.Inputs[1], ln.Inputs[1], ln.HasInput(2) ? ln.Inputs[2] : ""];
            var fused = new Node("SkipLayerNormalization", inputs, outputs, ln.Name + "/skip", "com.microsoft", attrs) { OpsetVersion = 1 };
            // At the Add's position: its readers all come after it, and the LayerNorm's inputs γ, β are constants.
            graph.Nodes[graph.Nodes.IndexOf(add)] = fused;
            graph.Nodes.Remove(ln);
            usage = new GraphUsage(graph);
            changed = true;
        }
        return changed;
    }

    private static bool Same(Dim[] a, Dim[] b)
    {
        if (a.Length != b.Length) return false;
        for (int i = 0; i < a.Length; i++)
        {
            bool equal = a[i].IsFixed ? b[i].IsFixed && a[i].Value == b[i].Value : a[i].Symbol is { } s && b[i].Symbol == s;
            if (!equal) return false;
        }
        return true;
    }
}
