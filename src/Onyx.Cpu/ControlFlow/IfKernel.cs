using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.ControlFlow;

/// <summary>ONNX <c>If</c>: runs then_branch or else_branch (which may capture outer-scope values) and forwards its outputs.</summary>
[OnnxKernel("If")]
internal sealed class IfKernel : IKernel
{
    private readonly ISubgraph _then;
    private readonly ISubgraph _else;

    public IfKernel(KernelInfo info)
    {
        _then = info.CompileSubgraph(info.Attributes.GetRequiredGraph("then_branch"));
        _else = info.CompileSubgraph(info.Attributes.GetRequiredGraph("else_branch"));
        if (_then.Graph.Outputs.Count != _else.Graph.Outputs.Count)
            throw info.Invalid($"then_branch has {_then.Graph.Outputs.Count} outputs but else_branch has {_else.Graph.Outputs.Count}");
    }

    public void Execute(KernelContext context)
    {
        var cond = context.Input(0);
        if (cond.Length != 1) throw context.Error($"cond must hold one element, got shape {cond.ShapeString}");
        var branch = AxisCopy.IsTrue(cond) ? _then : _else;
        var outs = branch.Run(context, []);
        for (int i = 0; i < outs.Length; i++) context.SetOutput(i, outs[i]);
    }
}
