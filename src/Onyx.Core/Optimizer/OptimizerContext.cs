using Onyx.Core.Execution;
using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.Core.Optimizer;

/// <summary>What passes may use: a kernel resolver to evaluate constant nodes, and usage queries.</summary>
public sealed class OptimizerContext(IKernelResolver? evaluator)
{
    /// <summary>Kernels for constant folding; null disables folding.</summary>
    public IKernelResolver? Evaluator { get; } = evaluator;

    /// <summary>Largest tensor (elements) constant folding may create, so folding never bloats the model.</summary>
    public int MaxFoldedElements { get; init; } = 1 << 22;

    /// <summary>Runs one node on constant inputs with the evaluator's kernels; null if it cannot.</summary>
    public OnnxValue?[]? Evaluate(Graph graph, Node node, Tensor?[] inputs)
    {
        if (Evaluator is null) return null;
        var g = new Graph { Opsets = graph.Opsets, Parent = null };
        var copy = new Node(node.OpType, node.Inputs.Select((n, i) => n.Length == 0 ? "" : $"in{i}"),
            node.Outputs.Select((n, i) => n.Length == 0 ? "" : $"out{i}"), node.Name, node.Domain, node.Attributes) { OpsetVersion = node.OpsetVersion };
        for (int i = 0; i < inputs.Length; i++)
            if (inputs[i] is { } t) g.Initializers[$"in{i}"] = t;
        g.Nodes.Add(copy);
        for (int i = 0; i < node.Outputs.Count; i++)
            if (node.Outputs[i].Length > 0) g.Outputs.Add(new ValueInfo($"out{i}", null));
        var plan = new ExecutionPlan(g, Evaluator, "constant folding");
        return plan.Run([]);
    }
}
