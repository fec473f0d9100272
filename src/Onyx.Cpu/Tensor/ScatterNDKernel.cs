using Onyx.Core.Execution;
using Onyx.Cpu.Common;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>ONNX <c>ScatterND</c> (reduction from 16): y = data; y[indices[j]] (reduce)= updates[j] slice by slice, in order.</summary>
[OnnxKernel("ScatterND", Since = 11)]
internal sealed class ScatterNDKernel : IKernel
{
    private readonly ScatterReduction _reduction;

    public ScatterNDKernel(KernelInfo info)
    {
        try { _reduction = ScatterReductions.Parse(info.Attributes.GetString("reduction", "none")); }
        catch (ArgumentException e) { throw info.Invalid(e.Message); }
    }

    public void Execute(KernelContext context)
    {
        Tensor data = context.Input(0), indices = context.Input(1), updates = context.Input(2);
        if (indices.Rank < 1) throw context.Error("indices must have rank >= 1");
        int k = indices.Shape[^1];
        if (k > data.Rank) throw context.Error($"indices {indices.ShapeString} address {k} axes of data {data.ShapeString}");
        var y = data.Clone();
        context.SetOutput(0, y);
        long slice = TensorOpHelpers.Product(data.Shape, k, data.Rank);
        long rows = TensorOpHelpers.Product(indices.Shape, 0, indices.Rank - 1);
        if (updates.Length != rows * slice) throw context.Error($"updates {updates.ShapeString} do not match indices {indices.ShapeString} and data {data.ShapeString}");
        var ds = StridedCopy.ContiguousStrides(data.Shape);
        long[] idx = indices.ToInt64Array();
        for (long r = 0; r < rows; r++)
        {
            long off = 0;
            for (int t = 0; t < k; t++)
            {
                long v = idx[r * k + t];
                long dim = data.Shape[t];
                if (v < 0) v += dim;
                if (v < 0 || v >= dim) throw context.Error($"index {idx[r * k + t]} is out of range for axis {t} of size {dim}");
                off += v * ds[t];
            }
            ScatterReductions.Apply(y, off, updates, r * slice, slice, _reduction);
        }
    }
}
