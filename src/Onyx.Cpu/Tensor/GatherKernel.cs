using Onyx.Core.Execution;
using Onyx.Cpu.Common;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>ONNX <c>Gather</c>: out[o, j..., i] = data[o, indices[j...], i] along <c>axis</c>; negative indices count from the end.</summary>
[OnnxKernel("Gather")]
internal sealed class GatherKernel : IKernel
{
    private readonly long _axis;

    public GatherKernel(KernelInfo info) => _axis = info.Attributes.GetInt("axis", 0);

    public void Execute(KernelContext context)
    {
        Tensor data = context.Input(0), indices = context.Input(1);
        int axis = TensorOpHelpers.Axis(context, _axis, data.Rank);
        var shape = new int[data.Rank - 1 + indices.Rank];
        int k = 0;
        for (int i = 0; i < axis; i++) shape[k++] = data.Shape[i];
        for (int i = 0; i < indices.Rank; i++) shape[k++] = indices.Shape[i];
        for (int i = axis + 1; i < data.Rank; i++) shape[k++] = data.Shape[i];
        var y = Tensor.Allocate(data.DType, shape, zero: false);
        context.SetOutput(0, y);
        long[] idx = indices.ToInt64Array();
        long dim = data.Shape[axis];
        for (int j = 0; j < idx.Length; j++)
        {
            long v = idx[j];
            if (v < 0) v += dim;
            if (v < 0 || v >= dim) throw context.Error($"index {idx[j]} is out of range for axis {axis} of size {dim}");
            idx[j] = v;
        }
        long outer = TensorOpHelpers.Product(data.Shape, 0, axis);
        long inner = TensorOpHelpers.Product(data.Shape, axis + 1, data.Rank);
        long n = idx.Length;
        if (inner == 1 && data.DType != DType.String)
        {
            for (long o = 0; o < outer; o++) StridedCopy.Gather<long>(data, o * dim, idx, y, o * n);
            return;
        }
        for (long o = 0; o < outer; o++)
            for (long j = 0; j < n; j++)
                StridedCopy.CopyElements(data, (o * dim + idx[j]) * inner, y, (o * n + j) * inner, inner);
    }
}
