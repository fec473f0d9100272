using Onyx.Core.Ir;
using static Onyx.Core.Optimizer.PatternMatch;

namespace Onyx.Core.Optimizer.Passes;

/// <summary>
/// Layout round trips exporters leave behind: Transpose(Transpose(x, p), q) → one Transpose with
/// perm p∘q, or Identity when that is the identity; Reshape(Reshape(x, s), t) → Reshape(x, t) when t
/// is a constant without 0 entries (so the result depends only on x's element count). The inner
/// node must have no other reader. Each saved Transpose is a full copy of the tensor.
/// </summary>
internal sealed class CancelTransposeReshape : IGraphPass
{
    public OptimizationLevel Level => OptimizationLevel.Basic;

    public bool Run(Graph graph, OptimizerContext context)
    {
        bool changed = false;
        var usage = new GraphUsage(graph);
        foreach (var outer in graph.Nodes.ToList())
        {
            if (!graph.Nodes.Contains(outer) || !outer.HasOutput(0) || !outer.HasInput(0)) continue;
            Node? replacement = outer.OpType switch
            {
                "Transpose" when outer.Domain.Length == 0 => MergeTransposes(usage, outer),
                "Reshape" when outer.Domain.Length == 0 => MergeReshapes(graph, usage, outer),
                _ => null,
            };
            if (replacement is null) continue;
            Node inner = usage.Producer(outer.Inputs[0])!;
            graph.Nodes[graph.Nodes.IndexOf(outer)] = replacement;
            graph.Nodes.Remove(inner);
            usage = new GraphUsage(graph);
            changed = true;
        }
        return changed;
    }

    private static Node? MergeTransposes(GraphUsage usage, Node outer)
    {
        if (Is(usage.Producer(outer.Inputs[0]), "Transpose") is not { } inner || usage.SoleConsumer(inner.Outputs[0]) != outer) return null;
        // Without perm a Transpose reverses the axes, which needs the rank: leave those alone.
        if (inner.Attributes.GetInts("perm") is not { } p || outer.Attributes.GetInts("perm") is not { } q || p.Length != q.Length) return null;
        var combined = q.Select(j => p[j]).ToArray(); // out[j] = mid[q[j]] = x[p[q[j]]]
        if (combined.Select((c, i) => c == i).All(b => b))
            return new Node("Identity", [inner.Inputs[0]], [outer.Outputs[0]], outer.Name + "/cancelled") { OpsetVersion = Math.Max(outer.OpsetVersion, 1) };
        var attrs = new NodeAttributes();
        attrs.Set(new Ir.Attribute { Name = "perm", Kind = AttributeKind.Ints, Ints = combined });
        return new Node("Transpose", [inner.Inputs[0]], [outer.Outputs[0]], outer.Name + "/merged", "", attrs) { OpsetVersion = outer.OpsetVersion };
    }

    private static Node? MergeReshapes(Graph graph, GraphUsage usage, Node outer)
    {
        if (Is(usage.Producer(outer.Inputs[0]), "Reshape") is not { } inner || usage.SoleConsumer(inner.Outputs[0]) != outer) return null;
        if (Ints(graph, outer, 1) is not { } shape || shape.Contains(0)) return null;
        return new Node("Reshape", [inner.Inputs[0], outer.Inputs[1]], [outer.Outputs[0]], outer.Name + "/merged", "", outer.Attributes) { OpsetVersion = outer.OpsetVersion };
    }
}
