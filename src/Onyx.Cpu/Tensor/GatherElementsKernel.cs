using Onyx.Core.Execution;
using Onyx.Cpu.Common;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>ONNX <c>GatherElements</c>: out[i] = data[i with axis coordinate replaced by indices[i]].</summary>
[OnnxKernel("GatherElements", Since = 11)]
internal sealed class GatherElementsKernel : IKernel
{
    private readonly long _axis;

    public GatherElementsKernel(KernelInfo info) => _axis = info.Attributes.GetInt("axis", 0);

    public void Execute(KernelContext context)
    {
        Tensor data = context.Input(0), indices = context.Input(1);
        int rank = data.Rank;
        if (indices.Rank != rank) throw context.Error($"indices {indices.ShapeString} must have the rank of data {data.ShapeString}");
        int axis = TensorOpHelpers.Axis(context, _axis, rank);
        var y = Tensor.Allocate(data.DType, indices.Shape, zero: false);
        context.SetOutput(0, y);
        long[] idx = indices.ToInt64Array();
        var ds = StridedCopy.ContiguousStrides(data.Shape);
        var coord = new int[rank];
        long dim = data.Shape[axis];
        for (long i = 0; i < idx.Length; i++)
        {
            long v = idx[i];
            if (v < 0) v += dim;
            if (v < 0 || v >= dim) throw context.Error($"index {idx[i]} is out of range for axis {axis} of size {dim}");
            long off = 0;
            for (int d = 0; d < rank; d++) off += (d == axis ? v : coord[d]) * ds[d];
            StridedCopy.CopyElement(data, off, y, i);
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++coord[d] < indices.Shape[d]) break;
                coord[d] = 0;
            }
        }
    }
}
