using Onyx.Core.Execution;
using Onyx.Cpu.Common;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>
/// ONNX <c>Split</c>: parts along <c>axis</c> sized by <c>split</c> (attribute before 13, input from 13),
/// else equal parts over the outputs (18+: <c>num_outputs</c>, last part smaller when uneven).
/// </summary>
[OnnxKernel("Split")]
internal sealed class SplitKernel : IKernel
{
    private readonly long _axis;
    private readonly long[]? _attrSplit;
    private readonly bool _splitFromInput;
    private readonly long _numOutputs;

    public SplitKernel(KernelInfo info)
    {
        _axis = info.Attributes.GetInt("axis", 0);
        _splitFromInput = info.OpsetVersion >= 13 || info.OpsetVersion < 2;
        _attrSplit = info.Attributes.GetInts("split");
        if (_attrSplit is { Length: 0 }) _attrSplit = null;
        _numOutputs = info.Attributes.GetInt("num_outputs", 0);
    }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        int axis = TensorOpHelpers.Axis(context, _axis, x.Rank);
        int dim = x.Shape[axis];
        int parts = context.OutputCount;
        long[]? split = _attrSplit;
        if (_splitFromInput && context.OptionalInput(1) is { } st && st.Length > 0) split = st.ToInt64Array();
        long[] sizes;
        if (split is not null)
        {
            if (split.Length != parts) throw context.Error($"split {TensorOpHelpers.Str(split)} has {split.Length} entries for {parts} outputs");
            long sum = 0;
            foreach (long s in split) { if (s < 0) throw context.Error($"split {TensorOpHelpers.Str(split)} has a negative size"); sum += s; }
            if (sum != dim) throw context.Error($"split {TensorOpHelpers.Str(split)} sums to {sum}, but axis {axis} of input {x.ShapeString} is {dim}");
            sizes = split;
        }
        else
        {
            if (_numOutputs > 0 && _numOutputs != parts) throw context.Error($"num_outputs is {_numOutputs} but the node has {parts} outputs");
            sizes = new long[parts];
            if (_numOutputs > 0)
            {
                long chunk = (dim + parts - 1) / parts;
                long left = dim;
                for (int i = 0; i < parts; i++) { sizes[i] = Math.Min(chunk, left); left -= sizes[i]; }
            }
            else
            {
                if (dim % parts != 0) throw context.Error($"axis {axis} of input {x.ShapeString} ({dim}) does not split evenly into {parts} outputs");
                Array.Fill(sizes, dim / parts);
            }
        }
        long outer = TensorOpHelpers.Product(x.Shape, 0, axis);
        long inner = TensorOpHelpers.Product(x.Shape, axis + 1, x.Rank);
        long xRow = dim * inner;
        long offset = 0;
        for (int i = 0; i < parts; i++)
        {
            var shape = (int[])x.Shape.Clone();
            shape[axis] = (int)sizes[i];
            long block = sizes[i] * inner;
            if (outer == 1 && x.DType != DType.String)
            {
                // Parts of the outermost non-trivial axis are contiguous ranges of the input: views, no copy.
                context.SetOutput(i, Tensor.View(x.DType, shape, x.Buffer!, x.ByteOffset + offset * x.DType.SizeOf()));
                offset += block;
                continue;
            }
            var y = Tensor.Allocate(x.DType, shape, zero: false);
            context.SetOutput(i, y);
            for (long o = 0; o < outer && block > 0; o++)
                StridedCopy.CopyElements(x, o * xRow + offset, y, o * block, block);
            offset += block;
        }
    }
}
