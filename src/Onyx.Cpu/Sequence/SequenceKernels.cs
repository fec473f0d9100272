using Onyx.Core.Execution;
using Onyx.Tensors;
using Onyx.Cpu.ControlFlow;

namespace Onyx.Cpu.Sequence;

internal static class Seq
{
    public static SequenceValue Input(KernelContext context, int i) => context.InputValue(i) switch
    {
        SequenceValue s => s,
        null => throw context.Error($"input {i} (a sequence) is required but missing"),
        var v => throw context.Error($"input {i} must be a sequence, got {v.Type}"),
    };

    /// <summary>A position input (int32/int64 scalar), checked against [-n, n-1] (or [-n, n] when <paramref name="allowEnd"/>).</summary>
    public static int Position(KernelContext context, Tensor pos, int count, bool allowEnd)
    {
        long p = pos.ToInt64Array()[0];
        long hi = allowEnd ? count : count - 1;
        if (p < -count || p > hi)
            throw context.Error($"position {p} is out of range for a sequence of {count} items (allowed [{-count}, {hi}])");
        if (p < 0) p += count;
        return (int)p;
    }
}

/// <summary>ONNX <c>SequenceEmpty</c>: an empty sequence of tensors of <c>dtype</c> (default float).</summary>
[OnnxKernel("SequenceEmpty", Since = 11)]
internal sealed class SequenceEmptyKernel(KernelInfo info) : IKernel
{
    private readonly DType _dtype = (DType)info.Attributes.GetInt("dtype", (long)DType.Float32);

    public void Execute(KernelContext context) =>
        context.SetOutput(0, new SequenceValue([], new TensorTypeInfo(_dtype, null)));
}

/// <summary>ONNX <c>SequenceConstruct</c>: a sequence of the inputs (all of one element type).</summary>
[OnnxKernel("SequenceConstruct", Since = 11)]
internal sealed class SequenceConstructKernel : IKernel
{
    public SequenceConstructKernel(KernelInfo info) { }

    public void Execute(KernelContext context)
    {
        var items = new OnnxValue[context.InputCount];
        for (int i = 0; i < items.Length; i++)
        {
            var t = context.Input(i);
            if (i > 0 && t.DType != ((Tensor)items[0]).DType)
                throw context.Error($"input {i} is {t.DType.OnnxName()} but input 0 is {((Tensor)items[0]).DType.OnnxName()}; a sequence holds one element type");
            items[i] = t;
        }
        context.SetOutput(0, new SequenceValue(items));
    }
}

/// <summary>ONNX <c>SequenceAt</c>: the item at a (possibly negative) position.</summary>
[OnnxKernel("SequenceAt", Since = 11)]
internal sealed class SequenceAtKernel : IKernel
{
    public SequenceAtKernel(KernelInfo info) { }

    public void Execute(KernelContext context)
    {
        var s = Seq.Input(context, 0);
        int p = Seq.Position(context, context.Input(1), s.Items.Count, allowEnd: false);
        context.SetOutput(0, s.Items[p]);
    }
}

/// <summary>ONNX <c>SequenceErase</c>: a copy without the item at position (default: the last).</summary>
[OnnxKernel("SequenceErase", Since = 11)]
internal sealed class SequenceEraseKernel : IKernel
{
    public SequenceEraseKernel(KernelInfo info) { }

    public void Execute(KernelContext context)
    {
        var s = Seq.Input(context, 0);
        if (s.Items.Count == 0) throw context.Error("cannot erase from an empty sequence");
        int p = context.OptionalInput(1) is { } pos ? Seq.Position(context, pos, s.Items.Count, allowEnd: false) : s.Items.Count - 1;
        var items = new List<OnnxValue>(s.Items);
        items.RemoveAt(p);
        context.SetOutput(0, new SequenceValue(items, s.ElementType));
    }
}

/// <summary>ONNX <c>SequenceInsert</c>: a copy with a tensor inserted at position (default: the end).</summary>
[OnnxKernel("SequenceInsert", Since = 11)]
internal sealed class SequenceInsertKernel : IKernel
{
    public SequenceInsertKernel(KernelInfo info) { }

    public void Execute(KernelContext context)
    {
        var s = Seq.Input(context, 0);
        var t = context.Input(1);
        if (s.ElementType is TensorTypeInfo et && et.ElementType != t.DType)
            throw context.Error($"cannot insert a {t.DType.OnnxName()} tensor into a sequence of {et.ElementType.OnnxName()}");
        int p = context.OptionalInput(2) is { } pos ? Seq.Position(context, pos, s.Items.Count, allowEnd: true) : s.Items.Count;
        var items = new List<OnnxValue>(s.Items);
        items.Insert(p, t);
        context.SetOutput(0, new SequenceValue(items, s.ElementType ?? t.Type));
    }
}

/// <summary>ONNX <c>SequenceLength</c>: the item count as an int64 scalar.</summary>
[OnnxKernel("SequenceLength", Since = 11)]
internal sealed class SequenceLengthKernel : IKernel
{
    public SequenceLengthKernel(KernelInfo info) { }

    public void Execute(KernelContext context) =>
        context.SetOutput(0, Tensor.Scalar((long)Seq.Input(context, 0).Items.Count));
}

/// <summary>ONNX <c>SplitToSequence</c>: splits a tensor along an axis into a sequence (by size-1 chunks, a chunk size, or explicit sizes).</summary>
[OnnxKernel("SplitToSequence", Since = 11)]
internal sealed class SplitToSequenceKernel(KernelInfo info) : IKernel
{
    private readonly long _axis = info.Attributes.GetInt("axis", 0);
    private readonly bool _keepDims = info.Attributes.GetInt("keepdims", 1) != 0;

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        int axis = (int)(_axis < 0 ? _axis + x.Rank : _axis);
        if (axis < 0 || axis >= x.Rank) throw context.Error($"axis {_axis} is out of range for input of rank {x.Rank}");
        int dim = x.Shape[axis];
        var items = new List<OnnxValue>();
        var split = context.OptionalInput(1);
        if (split is null)
        {
            for (int i = 0; i < dim; i++) items.Add(AxisCopy.Slice(x, axis, i, keepAxis: _keepDims));
        }
        else
        {
            long[] sizes = split.ToInt64Array();
            List<int> parts = [];
            if (split.Rank == 0)
            {
                int chunk = (int)sizes[0];
                if (chunk <= 0) throw context.Error($"split must be positive, got {chunk}");
                for (int s = 0; s < dim; s += chunk) parts.Add(Math.Min(chunk, dim - s));
            }
            else
            {
                long sum = 0;
                foreach (var s in sizes) { if (s < 0) throw context.Error($"split sizes must be non-negative, got {s}"); parts.Add((int)s); sum += s; }
                if (sum != dim) throw context.Error($"split sizes sum to {sum} but axis {axis} has {dim} elements");
            }
            int start = 0;
            foreach (int p in parts) { items.Add(AxisCopy.Range(x, axis, start, p)); start += p; }
        }
        context.SetOutput(0, new SequenceValue(items, new TensorTypeInfo(x.DType, null)));
    }
}

/// <summary>ONNX <c>ConcatFromSequence</c>: concatenates the items along axis, or stacks them along a new axis when new_axis=1.</summary>
[OnnxKernel("ConcatFromSequence", Since = 11)]
internal sealed class ConcatFromSequenceKernel(KernelInfo info) : IKernel
{
    private readonly long _axis = info.Attributes.GetInt("axis");
    private readonly bool _newAxis = info.Attributes.GetInt("new_axis", 0) != 0;

    public void Execute(KernelContext context)
    {
        var s = Seq.Input(context, 0);
        if (s.Items.Count == 0) throw context.Error("cannot concatenate an empty sequence");
        var items = new Tensor[s.Items.Count];
        for (int i = 0; i < items.Length; i++) items[i] = s.Items[i] as Tensor ?? throw context.Error($"item {i} is not a tensor");
        int rank = items[0].Rank + (_newAxis ? 1 : 0);
        int axis = (int)(_axis < 0 ? _axis + rank : _axis);
        if (axis < 0 || axis >= rank) throw context.Error($"axis {_axis} is out of range for rank {rank}");
        try
        {
            context.SetOutput(0, _newAxis ? AxisCopy.Stack(items, axis, items[0].DType, items[0].Shape) : AxisCopy.Concat(items, axis));
        }
        catch (ArgumentException e) { throw context.Error(e.Message); }
    }
}

/// <summary>ONNX <c>SequenceMap</c>: runs the body once per item of the input sequences (other tensor inputs are passed whole) and collects each body output into a sequence.</summary>
[OnnxKernel("SequenceMap", Since = 17)]
internal sealed class SequenceMapKernel : IKernel
{
    private readonly ISubgraph _body;

    public SequenceMapKernel(KernelInfo info) => _body = info.CompileSubgraph(info.Attributes.GetRequiredGraph("body"));

    public void Execute(KernelContext context)
    {
        var first = Seq.Input(context, 0);
        int n = first.Items.Count;
        var inputs = new OnnxValue?[context.InputCount];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = context.InputValue(i);
            if (inputs[i] is SequenceValue sv && sv.Items.Count != n)
                throw context.Error($"input {i} has {sv.Items.Count} items but input 0 has {n}");
        }
        int outCount = _body.Graph.Outputs.Count;
        var outs = new List<OnnxValue>[outCount];
        for (int k = 0; k < outCount; k++) outs[k] = new List<OnnxValue>(n);
        var bodyIn = new OnnxValue?[inputs.Length];
        for (int t = 0; t < n; t++)
        {
            for (int i = 0; i < inputs.Length; i++)
                bodyIn[i] = inputs[i] is SequenceValue sv ? sv.Items[t] : inputs[i];
            var r = _body.Run(context, bodyIn);
            for (int k = 0; k < outCount; k++) outs[k].Add(r[k]!);
        }
        for (int k = 0; k < outCount; k++)
        {
            TypeInfo? et = _body.Graph.Outputs[k].Type;
            if (et is TensorTypeInfo tt) et = new TensorTypeInfo(tt.ElementType, null);
            context.SetOutput(k, new SequenceValue(outs[k], outs[k].Count > 0 ? null : et));
        }
    }
}
