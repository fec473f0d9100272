using Onyx.Core.Execution;
using Onyx.Core.Ir;
using Onyx.Tensors;
using Xunit;

namespace Onyx.Tests.Execution;

/// <summary>The executor's unchecked stores are only ever made into exact OnnxValue[] arrays.</summary>
public sealed class SlotArrayTests
{
    [Fact]
    public void KernelContextRejectsCovariantArrays()
    {
        var node = new Node("Identity", ["x"], ["y"]);
        var graph = new Graph();
        var plan = new ExecutionPlan(graph, new NoKernels());
        var frame = new Frame(plan, null);
        OnnxValue?[] tensors = new Tensor?[1];
        Assert.Throws<ArgumentException>(() => new KernelContext(node, tensors, new OnnxValue?[1], frame, RunContext.Default));
        Assert.Throws<ArgumentException>(() => new KernelContext(node, new OnnxValue?[1], tensors, frame, RunContext.Default));
        var ok = new KernelContext(node, new OnnxValue?[1], new OnnxValue?[1], frame, RunContext.Default);
        var t = Tensor.FromArray([1f], 1);
        ok.SetOutput(0, t);
        ok.SetOutput(3, t); // an undeclared trailing output is ignored
        Assert.Same(t, ok.GetOutput(0));
    }

    private sealed class NoKernels : IKernelResolver
    {
        public IKernel? TryCreate(KernelInfo info, out string? whyNot)
        {
            whyNot = "none";
            return null;
        }
    }
}
