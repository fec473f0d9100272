using Onyx.Core.Execution;
using Onyx.Cpu.Common;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>ONNX <c>ReverseSequence</c>: for batch b, reverses the first sequence_lens[b] steps along <c>time_axis</c>.</summary>
[OnnxKernel("ReverseSequence", Since = 10)]
internal sealed class ReverseSequenceKernel : IKernel
{
    private readonly long _batchAxis, _timeAxis;

    public ReverseSequenceKernel(KernelInfo info)
    {
        _batchAxis = info.Attributes.GetInt("batch_axis", 1);
        _timeAxis = info.Attributes.GetInt("time_axis", 0);
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0), lens = context.Input(1);
        int rank = x.Rank;
        if (rank < 2) throw context.Error($"input must have rank >= 2, got {x.ShapeString}");
        int ba = TensorOpHelpers.Axis(context, _batchAxis, rank, "batch_axis");
        int ta = TensorOpHelpers.Axis(context, _timeAxis, rank, "time_axis");
        if (ba == ta) throw context.Error("batch_axis and time_axis must differ");
        long[] l = lens.ToInt64Array();
        if (l.Length != x.Shape[ba]) throw context.Error($"sequence_lens has {l.Length} entries for batch size {x.Shape[ba]}");
        var y = x.Clone();
        context.SetOutput(0, y);
        var strides = StridedCopy.ContiguousStrides(x.Shape);
        var shape = (int[])x.Shape.Clone();
        shape[ba] = 1; shape[ta] = 1;
        for (long b = 0; b < l.Length; b++)
        {
            long n = l[b];
            if (n < 0 || n > x.Shape[ta]) throw context.Error($"sequence_lens[{b}] = {n} is outside [0, {x.Shape[ta]}]");
            for (long t = 0; t < n; t++)
            {
                long src = b * strides[ba] + (n - 1 - t) * strides[ta];
                long dst = b * strides[ba] + t * strides[ta];
                StridedCopy.Copy(x, src, strides, y, dst, strides, shape);
            }
        }
    }
}
