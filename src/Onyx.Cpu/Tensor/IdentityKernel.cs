using Onyx.Core.Execution;

namespace Onyx.Cpu.TensorOps;

/// <summary>ONNX <c>Identity</c>: passes the input value (tensor, sequence or optional) through unchanged.</summary>
[OnnxKernel("Identity")]
internal sealed class IdentityKernel : IKernel
{
    public IdentityKernel(KernelInfo info) { }

    public void Execute(KernelContext context)
    {
        var v = context.InputValue(0) ?? throw context.Error("input 0 is required but missing");
        context.SetOutput(0, v);
    }
}
