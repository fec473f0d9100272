using Onyx.Core.Execution;
using Onyx.Cpu.Common;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>ONNX <c>OneHot</c>: values[1] where the (possibly negative) index hits along the new axis, values[0] elsewhere.</summary>
[OnnxKernel("OneHot", Since = 9)]
internal sealed class OneHotKernel : IKernel
{
    private readonly long _axis;

    public OneHotKernel(KernelInfo info) => _axis = info.Attributes.GetInt("axis", -1);

    public void Execute(KernelContext context)
    {
        Tensor indices = context.Input(0), depthT = context.Input(1), values = context.Input(2);
        if (values.Length != 2) throw context.Error($"values must hold [off, on], has shape {values.ShapeString}");
        if (depthT.Length != 1) throw context.Error($"depth must be a scalar, has shape {depthT.ShapeString}");
        long depth = (long)depthT.ToDoubleArray()[0];
        if (depth <= 0) throw context.Error($"depth must be positive, got {depth}");
        int rank = indices.Rank + 1;
        int axis = TensorOpHelpers.Axis(context, _axis, rank);
        var shape = new int[rank];
        for (int i = 0, k = 0; i < rank; i++) shape[i] = i == axis ? (int)depth : indices.Shape[k++];
        var y = context.Output(0, values.DType, shape);
        StridedCopy.FillElement(values, 0, y, 0, y.Length);
        long inner = TensorOpHelpers.Product(indices.Shape, axis, indices.Rank);
        double[] idx = indices.ToDoubleArray();
        for (long i = 0; i < idx.Length; i++)
        {
            long v = (long)idx[i];
            if (v < 0) v += depth;
            if (v < 0 || v >= depth) continue;
            long outer = i / inner, inn = i % inner;
            StridedCopy.CopyElement(values, 1, y, (outer * depth + v) * inner + inn);
        }
    }
}
