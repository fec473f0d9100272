using Onyx.Core.Execution;
using Onyx.Cpu.Common;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>ONNX <c>Compress</c>: keeps the slices along <c>axis</c> (or flattened elements) whose condition is true.</summary>
[OnnxKernel("Compress", Since = 9)]
internal sealed class CompressKernel : IKernel
{
    private readonly long? _axis;

    public CompressKernel(KernelInfo info) => _axis = info.Attributes.Has("axis") ? info.Attributes.GetInt("axis") : null;

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0), cond = context.Input(1);
        if (cond.Rank != 1) throw context.Error($"condition must be 1-D, got {cond.ShapeString}");
        var c = cond.Bytes;
        int axis = _axis is long a ? TensorOpHelpers.Axis(context, a, x.Rank) : 0;
        int[] inShape = _axis is null ? [x.Length] : x.Shape;
        int dim = inShape[axis];
        if (c.Length > dim) throw context.Error($"condition has {c.Length} entries, more than the {dim} of axis {axis}");
        var keep = new List<int>();
        for (int i = 0; i < c.Length; i++) if (c[i] != 0) keep.Add(i);
        var shape = (int[])inShape.Clone();
        shape[axis] = keep.Count;
        var y = Tensor.Allocate(x.DType, shape, zero: false);
        context.SetOutput(0, y);
        long outer = TensorOpHelpers.Product(inShape, 0, axis);
        long inner = TensorOpHelpers.Product(inShape, axis + 1, inShape.Length);
        long o2 = 0;
        for (long o = 0; o < outer; o++)
            foreach (int k in keep)
            {
                StridedCopy.CopyElements(x, (o * dim + k) * inner, y, o2, inner);
                o2 += inner;
            }
    }
}
