using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>ONNX <c>Size</c>: the input's element count as an int64 scalar.</summary>
[OnnxKernel("Size")]
internal sealed class SizeKernel : IKernel
{
    public SizeKernel(KernelInfo info) { }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        context.Output(0, DType.Int64, []).Span<long>()[0] = x.Length;
    }
}
