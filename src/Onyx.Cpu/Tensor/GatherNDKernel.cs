using Onyx.Core.Execution;
using Onyx.Cpu.Common;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>ONNX <c>GatherND</c>: slices of data addressed by the last axis of indices, with <c>batch_dims</c> leading batch axes.</summary>
[OnnxKernel("GatherND", Since = 11)]
internal sealed class GatherNDKernel : IKernel
{
    private readonly int _batchDims;

    public GatherNDKernel(KernelInfo info) => _batchDims = (int)info.Attributes.GetInt("batch_dims", 0);

    public void Execute(KernelContext context)
    {
        Tensor data = context.Input(0), indices = context.Input(1);
        int b = _batchDims;
        if (indices.Rank < 1 || b >= indices.Rank || b >= data.Rank) throw context.Error($"batch_dims {b} does not fit data {data.ShapeString} and indices {indices.ShapeString}");
        int k = indices.Shape[^1];
        if (b + k > data.Rank) throw context.Error($"indices {indices.ShapeString} address {k} axes but data {data.ShapeString} has {data.Rank - b} after the batch axes");
        var shape = new List<int>();
        for (int i = 0; i < indices.Rank - 1; i++) shape.Add(indices.Shape[i]);
        for (int i = b + k; i < data.Rank; i++) shape.Add(data.Shape[i]);
        var y = Tensor.Allocate(data.DType, shape.ToArray(), zero: false);
        context.SetOutput(0, y);
        long batch = TensorOpHelpers.Product(data.Shape, 0, b);
        long slice = TensorOpHelpers.Product(data.Shape, b + k, data.Rank);
        long dataBatch = TensorOpHelpers.Product(data.Shape, b, data.Rank);
        long perBatch = TensorOpHelpers.Product(indices.Shape, b, indices.Rank - 1);
        var ds = StridedCopy.ContiguousStrides(data.Shape);
        long[] idx = indices.ToInt64Array();
        for (long bi = 0; bi < batch; bi++)
            for (long j = 0; j < perBatch; j++)
            {
                long row = bi * perBatch + j;
                long off = bi * dataBatch;
                for (int t = 0; t < k; t++)
                {
                    long v = idx[row * k + t];
                    long dim = data.Shape[b + t];
                    if (v < 0) v += dim;
                    if (v < 0 || v >= dim) throw context.Error($"index {idx[row * k + t]} is out of range for axis {b + t} of size {dim}");
                    off += v * ds[b + t];
                }
                StridedCopy.CopyElements(data, off, y, row * slice, slice);
            }
    }
}
