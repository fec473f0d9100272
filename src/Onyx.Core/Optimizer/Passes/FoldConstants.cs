using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.Core.Optimizer.Passes;

/// <summary>
/// Evaluates nodes whose inputs are all constants (initializers that are not overridable graph
/// inputs) once, at load, and replaces them by initializers. Random and control-flow ops are left alone.
/// </summary>
internal sealed class FoldConstants : IGraphPass
{
    private static readonly HashSet<string> NonDeterministic =
    [
        "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Bernoulli", "Multinomial",
        "If", "Loop", "Scan", "SequenceMap", "ImageDecoder",
    ];

    public OptimizationLevel Level => OptimizationLevel.Basic;

    public bool Run(Graph graph, OptimizerContext context)
    {
        if (context.Evaluator is null) return false;
        var overridable = graph.Inputs.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        HashSet<Node>? folded = null;
        foreach (var node in graph.Nodes.ToList())
        {
            if (node.Domain.Length != 0 || NonDeterministic.Contains(node.OpType)) continue;
            if (node.OpType == "Dropout" && node.HasInput(2)) continue;
            if (node.Attributes.All.Any(a => a.Graph is not null || a.Graphs is { Length: > 0 })) continue;
            if (FoldTensorConstant(graph, node, context))
            {
                (folded ??= new HashSet<Node>(ReferenceEqualityComparer.Instance)).Add(node);
                continue;
            }
            var inputs = new Tensor?[node.Inputs.Count];
            bool allConstant = true;
            for (int i = 0; i < inputs.Length && allConstant; i++)
            {
                string name = node.Inputs[i];
                if (name.Length == 0) continue;
                if (overridable.Contains(name) || !graph.Initializers.TryGetValue(name, out var t)) allConstant = false;
                else inputs[i] = t;
            }
            if (!allConstant) continue;
            OnnxValue?[]? outputs;
            try { outputs = context.Evaluate(graph, node, inputs); }
            catch (Exception) { continue; } // the same error surfaces, with context, when the node runs
            if (outputs is null) continue;
            int k = 0;
            var results = new Tensor?[node.Outputs.Count]; // not a List of tuples: that generic code is JIT-compiled per process
            bool ok = true;
            for (int o = 0; o < node.Outputs.Count; o++)
            {
                if (node.Outputs[o].Length == 0) continue;
                if (outputs[k++] is not Tensor t || t.Length > context.MaxFoldedElements) { ok = false; break; }
                results[o] = t;
            }
            if (!ok) continue;
            for (int o = 0; o < results.Length; o++)
                if (results[o] is { } t) graph.Initializers[node.Outputs[o]] = t;
            (folded ??= new HashSet<Node>(ReferenceEqualityComparer.Instance)).Add(node);
        }
        // One pass at the end, not List.Remove per folded node (quadratic: ppocr folds ~340 Constants).
        if (folded is null) return false;
        graph.Nodes.RemoveAll(folded.Contains);
        return true;
    }

    /// <summary>
    /// A Constant with a <c>value</c> tensor folds to a copy of that tensor, which is exactly what its kernel
    /// hands out as a graph output, without building and running a one-node plan for it (exporters such as
    /// Paddle emit hundreds of Constants: ppocr-det has 342, ~40 us each that way).
    /// </summary>
    private static bool FoldTensorConstant(Graph graph, Node node, OptimizerContext context)
    {
        if (node.OpType != "Constant" || node.Outputs.Count != 1 || node.Outputs[0].Length == 0) return false;
        if (!node.Attributes.Has("value") || node.Attributes.GetTensor("value") is not { } value) return false;
        if (value.Length > context.MaxFoldedElements) return false; // left to the node, as the plan path does
        graph.Initializers[node.Outputs[0]] = value.Clone();
        return true;
    }
}
