using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>ONNX <c>EyeLike</c>: a 2-D tensor shaped like the input with ones on diagonal k, in <c>dtype</c> or the input's type.</summary>
[OnnxKernel("EyeLike")]
internal sealed class EyeLikeKernel : IKernel
{
    private readonly long _k;
    private readonly DType? _dtype;

    public EyeLikeKernel(KernelInfo info)
    {
        _k = info.Attributes.GetInt("k", 0);
        if (info.Attributes.Has("dtype")) _dtype = (DType)info.Attributes.GetInt("dtype");
    }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        if (x.Rank != 2) throw context.Error($"input must be 2-D, got {x.ShapeString}");
        int rows = x.Shape[0], cols = x.Shape[1];
        var y = context.Output(0, _dtype ?? x.DType, x.Shape);
        for (long i = 0; i < rows; i++)
        {
            long j = i + _k;
            if (j >= 0 && j < cols) TensorOpHelpers.WriteOne(y, i * cols + j);
        }
    }
}
