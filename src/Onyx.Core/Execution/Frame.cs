using Onyx.Tensors;

namespace Onyx.Core.Execution;

/// <summary>The live values of one execution of one plan (a Run, or one subgraph iteration).</summary>
public sealed class Frame
{
    public ExecutionPlan Plan { get; }
    /// <summary>The enclosing frame (a subgraph's caller), or null for a top-level Run.</summary>
    public Frame? Parent { get; internal set; }
    public OnnxValue?[] Slots { get; }

    public Frame(ExecutionPlan plan, Frame? parent)
    {
        Plan = plan;
        Parent = parent;
        Slots = new OnnxValue?[plan.SlotCount];
    }

    /// <summary>Looks a name up here, then in enclosing frames (outer-scope capture).</summary>
    public OnnxValue? Lookup(string name)
    {
        for (Frame? f = this; f is not null; f = f.Parent)
            if (f.Plan.TryGetSlot(name, out int slot) && f.Slots[slot] is { } v) return v;
        return null;
    }
}
