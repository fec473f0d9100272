using Onyx.Core.Execution;
using Onyx.Cpu.Common;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>
/// ONNX <c>TensorScatter</c> (24): present = past with update written along the sequence <c>axis</c> at
/// write_indices[batch] (0 when absent), linear or circular (modulo max_sequence_length).
/// </summary>
[OnnxKernel("TensorScatter", Since = 24)]
internal sealed class TensorScatterKernel : IKernel
{
    private readonly long _axis;
    private readonly bool _circular;

    public TensorScatterKernel(KernelInfo info)
    {
        _axis = info.Attributes.GetInt("axis", -2);
        string mode = info.Attributes.GetString("mode", "linear");
        if (mode is not ("linear" or "circular")) throw info.Invalid($"mode must be linear or circular, got '{mode}'");
        _circular = mode == "circular";
    }

    public void Execute(KernelContext context)
    {
        Tensor past = context.Input(0), update = context.Input(1);
        int rank = past.Rank;
        int axis = TensorOpHelpers.Axis(context, _axis, rank);
        if (axis == 0) throw context.Error("axis cannot be the batch axis 0");
        if (update.Rank != rank) throw context.Error($"update {update.ShapeString} must have the rank of past_cache {past.ShapeString}");
        for (int d = 0; d < rank; d++)
            if (d != axis && update.Shape[d] != past.Shape[d])
                throw context.Error($"update {update.ShapeString} differs from past_cache {past.ShapeString} outside axis {axis}");
        long[]? writes = context.OptionalInput(2)?.ToInt64Array();
        var y = past.Clone();
        context.SetOutput(0, y);
        long maxSeq = past.Shape[axis], seq = update.Shape[axis];
        long inner = TensorOpHelpers.Product(past.Shape, axis + 1, rank);
        long prefix = TensorOpHelpers.Product(past.Shape, 0, axis);
        long perBatch = TensorOpHelpers.Product(past.Shape, 1, axis);
        for (long p = 0; p < prefix; p++)
        {
            long batch = p / perBatch;
            long w = writes is null ? 0 : writes[batch];
            for (long s = 0; s < seq; s++)
            {
                long pos = w + s;
                if (_circular) { pos %= maxSeq; if (pos < 0) pos += maxSeq; }
                if (pos < 0 || pos >= maxSeq) throw context.Error($"write index {w} + {s} is outside max_sequence_length {maxSeq}");
                StridedCopy.CopyElements(update, (p * seq + s) * inner, y, (p * maxSeq + pos) * inner, inner);
            }
        }
    }
}
