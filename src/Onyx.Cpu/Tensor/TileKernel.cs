using Onyx.Core.Execution;
using Onyx.Cpu.Common;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>ONNX <c>Tile</c>: repeats[i] copies along each axis, as one strided copy over [r0, d0, r1, d1, ...] with zero repeat strides.</summary>
[OnnxKernel("Tile", Since = 6)]
internal sealed class TileKernel : IKernel
{
    public TileKernel(KernelInfo info) { }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        long[] repeats = context.Input(1).ToInt64Array();
        int rank = x.Rank;
        if (repeats.Length != rank) throw context.Error($"repeats {TensorOpHelpers.Str(repeats)} must have one entry per axis of input {x.ShapeString}");
        var shape = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            if (repeats[i] < 0) throw context.Error($"repeats {TensorOpHelpers.Str(repeats)} has a negative entry");
            shape[i] = checked((int)(x.Shape[i] * repeats[i]));
        }
        var y = Tensor.Allocate(x.DType, shape, zero: false);
        context.SetOutput(0, y);
        if (y.Length == 0) return;
        var inS = StridedCopy.ContiguousStrides(x.Shape);
        var outS = StridedCopy.ContiguousStrides(shape);
        var dims = new int[2 * rank];
        var ss = new long[2 * rank];
        var ds = new long[2 * rank];
        for (int i = 0; i < rank; i++)
        {
            dims[2 * i] = (int)repeats[i]; ss[2 * i] = 0; ds[2 * i] = outS[i] * x.Shape[i];
            dims[2 * i + 1] = x.Shape[i]; ss[2 * i + 1] = inS[i]; ds[2 * i + 1] = outS[i];
        }
        StridedCopy.Copy(x, 0, ss, y, 0, ds, dims);
    }
}
