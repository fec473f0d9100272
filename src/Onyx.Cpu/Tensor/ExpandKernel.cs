using Onyx.Core.Execution;
using Onyx.Cpu.Common;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>ONNX <c>Expand</c>: broadcasts the input to the (bidirectionally broadcast) given shape via zero strides.</summary>
[OnnxKernel("Expand", Since = 8)]
internal sealed class ExpandKernel : IKernel
{
    public ExpandKernel(KernelInfo info) { }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        long[] target = context.Input(1).ToInt64Array();
        var t = new int[target.Length];
        for (int i = 0; i < t.Length; i++) t[i] = TensorOpHelpers.Dim(context, target[i], "shape entry");
        int[] shape;
        try { shape = Broadcast.Shape(x.Shape, t); }
        catch (ArgumentException e) { throw context.Error(e.Message); }
        var y = Tensor.Allocate(x.DType, shape, zero: false);
        context.SetOutput(0, y);
        var strides = Broadcast.Strides(x.Shape, shape);
        var s = new long[strides.Length];
        for (int i = 0; i < s.Length; i++) s[i] = strides[i];
        StridedCopy.CopyToContiguous(x, 0, s, y, shape);
    }
}
