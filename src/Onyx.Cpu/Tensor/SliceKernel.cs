using Onyx.Core.Execution;
using Onyx.Cpu.Common;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>
/// ONNX <c>Slice</c> (attributes before 10; inputs starts, ends, axes, steps from 10): numpy slicing with
/// clamping, negative indices and negative steps. One strided copy (block copies when the last axis is whole).
/// </summary>
[OnnxKernel("Slice")]
internal sealed class SliceKernel : IKernel
{
    private readonly long[]? _attrStarts, _attrEnds, _attrAxes;

    public SliceKernel(KernelInfo info)
    {
        if (info.OpsetVersion < 10)
        {
            _attrStarts = info.Attributes.GetInts("starts") ?? throw info.Invalid("attribute starts is required");
            _attrEnds = info.Attributes.GetInts("ends") ?? throw info.Invalid("attribute ends is required");
            _attrAxes = info.Attributes.GetInts("axes");
        }
    }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        long[] starts, ends;
        long[]? axes, steps = null;
        if (_attrStarts is not null)
        {
            starts = _attrStarts; ends = _attrEnds!; axes = _attrAxes;
        }
        else
        {
            starts = context.Input(1).ToInt64Array();
            ends = context.Input(2).ToInt64Array();
            axes = context.OptionalInput(3)?.ToInt64Array();
            steps = context.OptionalInput(4)?.ToInt64Array();
        }
        if (axes is { Length: 0 }) axes = null;
        if (steps is { Length: 0 }) steps = null;
        int n = starts.Length;
        if (ends.Length != n || (axes is not null && axes.Length != n) || (steps is not null && steps.Length != n))
            throw context.Error($"starts {TensorOpHelpers.Str(starts)}, ends {TensorOpHelpers.Str(ends)}, axes and steps must have the same length");

        int rank = x.Rank;
        var outShape = (int[])x.Shape.Clone();
        var inStrides = StridedCopy.ContiguousStrides(x.Shape);
        var srcStrides = (long[])inStrides.Clone();
        long offset = 0;
        var seen = new bool[rank];
        for (int i = 0; i < n; i++)
        {
            int axis = TensorOpHelpers.Axis(context, axes is null ? i : axes[i], rank, "axes entry");
            if (seen[axis]) throw context.Error($"axis {axis} is sliced twice");
            seen[axis] = true;
            long step = steps is null ? 1 : steps[i];
            if (step == 0) throw context.Error($"step for axis {axis} is 0");
            long dim = x.Shape[axis];
            long s = starts[i], e = ends[i];
            if (s < 0) s += dim;
            if (e < 0) e += dim;
            long count;
            if (step > 0)
            {
                s = Math.Clamp(s, 0, dim);
                e = Math.Clamp(e, 0, dim);
                count = e > s ? (e - s - 1) / step + 1 : 0; // no overflow for huge steps
            }
            else
            {
                s = Math.Clamp(s, 0, dim - 1);
                e = Math.Clamp(e, -1, dim - 1);
                count = s > e ? (s - e - 1) / -step + 1 : 0;
            }
            outShape[axis] = (int)count;
            if (count > 0) offset += s * inStrides[axis];
            srcStrides[axis] = inStrides[axis] * step;
        }
        if (x.DType != DType.String && IsContiguous(outShape, srcStrides))
        {
            // The slice is one contiguous range of the input (e.g. rows of the outer axis): a view, no copy.
            context.SetOutput(0, Tensor.View(x.DType, outShape, x.Buffer!, x.ByteOffset + offset * x.DType.SizeOf()));
            return;
        }
        var y = Tensor.Allocate(x.DType, outShape, zero: false);
        context.SetOutput(0, y);
        if (y.Length > 0) StridedCopy.CopyToContiguous(x, offset, srcStrides, y, outShape);
    }

    /// <summary>True when reading <paramref name="shape"/> through <paramref name="strides"/> walks memory contiguously.</summary>
    private static bool IsContiguous(int[] shape, long[] strides)
    {
        long expected = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            if (shape[i] == 0) return true;
            if (shape[i] == 1) continue;
            if (strides[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }
}
