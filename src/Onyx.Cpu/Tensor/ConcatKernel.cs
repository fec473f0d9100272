using Onyx.Core.Execution;
using Onyx.Cpu.Common;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>ONNX <c>Concat</c>: joins inputs along <c>axis</c>; each input lands as contiguous block copies.</summary>
[OnnxKernel("Concat")]
internal sealed class ConcatKernel : IKernel
{
    private readonly long _axis;

    public ConcatKernel(KernelInfo info) =>
        _axis = info.OpsetVersion < 4 ? info.Attributes.GetInt("axis", 1) : info.Attributes.GetInt("axis");

    public void Execute(KernelContext context)
    {
        int n = context.InputCount;
        var first = context.Input(0);
        int rank = first.Rank;
        if (rank == 0) throw context.Error("cannot concatenate scalars");
        int axis = TensorOpHelpers.Axis(context, _axis, rank);
        var shape = (int[])first.Shape.Clone();
        long total = 0;
        for (int i = 0; i < n; i++)
        {
            var t = context.Input(i);
            if (t.Rank != rank || t.DType != first.DType)
                throw context.Error($"input {i} is {t}, expected rank {rank} and type {first.DType.OnnxName()} like input 0 {first}");
            for (int d = 0; d < rank; d++)
                if (d != axis && t.Shape[d] != shape[d])
                    throw context.Error($"input {i} has shape {t.ShapeString}, which differs from input 0 {first.ShapeString} outside axis {axis}");
            total += t.Shape[axis];
        }
        shape[axis] = (int)total;
        var y = Tensor.Allocate(first.DType, shape, zero: false);
        context.SetOutput(0, y);
        long outer = TensorOpHelpers.Product(shape, 0, axis);
        long inner = TensorOpHelpers.Product(shape, axis + 1, rank);
        long yRow = total * inner;
        long offset = 0;
        for (int i = 0; i < n; i++)
        {
            var t = context.Input(i);
            long block = t.Shape[axis] * inner;
            if (block > 0)
            {
                if (outer == 1) StridedCopy.CopyElements(t, 0, y, offset, block);
                else
                    for (long o = 0; o < outer; o++)
                        StridedCopy.CopyElements(t, o * block, y, o * yRow + offset, block);
            }
            offset += block;
        }
    }
}
