using Onyx.Core.Execution;
using Onyx.Cpu.Common;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>
/// ONNX <c>ScatterElements</c> (11+, reduction from 16) and the deprecated <c>Scatter</c> (9-10):
/// y = data; y[i with axis coordinate replaced by indices[i]] (reduce)= updates[i].
/// </summary>
[OnnxKernel("ScatterElements", Since = 11)]
[OnnxKernel("Scatter", Since = 9, Until = 10)]
internal sealed class ScatterElementsKernel : IKernel
{
    private readonly long _axis;
    private readonly ScatterReduction _reduction;

    public ScatterElementsKernel(KernelInfo info)
    {
        _axis = info.Attributes.GetInt("axis", 0);
        try { _reduction = ScatterReductions.Parse(info.Attributes.GetString("reduction", "none")); }
        catch (ArgumentException e) { throw info.Invalid(e.Message); }
    }

    public void Execute(KernelContext context)
    {
        Tensor data = context.Input(0), indices = context.Input(1), updates = context.Input(2);
        int rank = data.Rank;
        if (indices.Rank != rank || !indices.Shape.AsSpan().SequenceEqual(updates.Shape))
            throw context.Error($"indices {indices.ShapeString} and updates {updates.ShapeString} must have one shape and the rank of data {data.ShapeString}");
        int axis = TensorOpHelpers.Axis(context, _axis, rank);
        var y = data.Clone();
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
            ScatterReductions.Apply(y, off, updates, i, 1, _reduction);
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++coord[d] < indices.Shape[d]) break;
                coord[d] = 0;
            }
        }
    }
}
