using Onyx.Core.Execution;
using Onyx.Cpu.Cast;
using Onyx.Tensors;
using Tensor = Onyx.Tensors.Tensor;

namespace Onyx.Cpu.Reduce;

/// <summary>
/// ONNX <c>ArgMax</c> / <c>ArgMin</c>: int64 index of the extreme value along <c>axis</c>; the first
/// occurrence, or the last with <c>select_last_index</c> (opset 12+).
/// </summary>
[OnnxKernel("ArgMax", Since = 1)]
[OnnxKernel("ArgMin", Since = 1)]
public sealed class ArgKernel : IKernel
{
    private readonly bool _max;
    private readonly long _axis;
    private readonly bool _keepDims;
    private readonly bool _last;

    public ArgKernel(KernelInfo info)
    {
        _max = info.Node.OpType == "ArgMax";
        _axis = info.Attributes.GetInt("axis", 0);
        _keepDims = info.Attributes.GetInt("keepdims", 1) != 0;
        _last = info.Attributes.GetInt("select_last_index", 0) != 0;
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        int rank = x.Rank;
        long axis = _axis < 0 ? _axis + rank : _axis;
        if (axis < 0 || axis >= Math.Max(rank, 1)) throw context.Error($"axis {_axis} is out of range for input of rank {rank}");
        int outer = 1, a = rank == 0 ? 1 : x.Shape[axis], inner = 1;
        var outShape = new List<int>();
        for (int d = 0; d < rank; d++)
        {
            if (d < axis) outer *= x.Shape[d];
            else if (d > axis) inner *= x.Shape[d];
            if (d != axis) outShape.Add(x.Shape[d]);
            else if (_keepDims) outShape.Add(1);
        }
        Tensor y = context.Output(0, DType.Int64, outShape.ToArray());
        if (y.Length == 0) return;
        if (a == 0) throw context.Error($"{context.Node.OpType} over an empty axis {axis}");
        var dst = y.Span<long>();
        if (x.DType == DType.Float32) Run<float>(x.Span<float>(), dst, outer, a, inner);
        else if (x.DType is DType.Int64) Run<long>(x.Span<long>(), dst, outer, a, inner);
        else if (x.DType is DType.Int32) Run<int>(x.Span<int>(), dst, outer, a, inner);
        else if (x.DType is DType.UInt64) Run<ulong>(x.Span<ulong>(), dst, outer, a, inner);
        else
        {
            if (x.DType == DType.String) throw context.Error("ArgMax/ArgMin do not take strings");
            var d = new double[x.Length];
            ElementConvert.ToDouble(x, d);
            Run<double>(d, dst, outer, a, inner);
        }
    }

    private void Run<T>(ReadOnlySpan<T> x, Span<long> y, int outer, int a, int inner) where T : IComparable<T>
    {
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int b = o * a * inner + i;
                T best = x[b];
                int bi = 0;
                for (int k = 1; k < a; k++)
                {
                    T v = x[b + k * inner];
                    int c = v.CompareTo(best);
                    if (!_max) c = -c;
                    if (c > 0 || (c == 0 && _last)) { best = v; bi = k; }
                }
                y[o * inner + i] = bi;
            }
        }
    }
}

/// <summary>
/// ONNX <c>TopK</c>: the k largest (or smallest) values along <c>axis</c> and their int64 indices,
/// sorted, equal values ordered by lower index. k is an attribute in opset 1, an input after.
/// </summary>
[OnnxKernel("TopK", Since = 1)]
public sealed class TopKKernel : IKernel
{
    private readonly long _axis;
    private readonly bool _largest;
    private readonly long _kAttr;

    public TopKKernel(KernelInfo info)
    {
        _axis = info.Attributes.GetInt("axis", -1);
        _largest = info.Attributes.GetInt("largest", 1) != 0;
        _kAttr = info.Attributes.GetInt("k", -1);
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        int rank = x.Rank;
        long axis = _axis < 0 ? _axis + rank : _axis;
        if (axis < 0 || axis >= rank) throw context.Error($"axis {_axis} is out of range for input of rank {rank}");
        long k64 = context.OptionalInput(1) is { } kt ? kt.ToInt64Array()[0] : _kAttr;
        int a = x.Shape[axis];
        if (k64 < 0 || k64 > a) throw context.Error($"k = {k64} must be between 0 and the axis size {a}");
        int k = (int)k64;
        int outer = 1, inner = 1;
        for (int d = 0; d < rank; d++) { if (d < axis) outer *= x.Shape[d]; else if (d > axis) inner *= x.Shape[d]; }
        var outShape = (int[])x.Shape.Clone();
        outShape[axis] = k;
        Tensor values = context.Output(0, x.DType, outShape);
        Tensor indices = context.Output(1, DType.Int64, outShape);
        if (values.Length == 0) return;
        var idxOut = indices.Span<long>();
        var order = new int[a];
        switch (x.DType)
        {
            case DType.Float32: Select(x.Span<float>(), order, idxOut, outer, a, inner, k); break;
            case DType.Float64: Select(x.Span<double>(), order, idxOut, outer, a, inner, k); break;
            case DType.Int64: Select(x.Span<long>(), order, idxOut, outer, a, inner, k); break;
            case DType.Int32: Select(x.Span<int>(), order, idxOut, outer, a, inner, k); break;
            case DType.UInt64: Select(x.Span<ulong>(), order, idxOut, outer, a, inner, k); break;
            default:
                {
                    if (x.DType == DType.String) throw context.Error("TopK does not take strings");
                    var d = new double[x.Length];
                    ElementConvert.ToDouble(x, d);
                    Select<double>(d, order, idxOut, outer, a, inner, k);
                    break;
                }
        }
        // Copy the selected elements' bytes.
        int size = x.DType.SizeOf();
        var src = x.Bytes;
        var dst = values.Bytes;
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < k; j++)
                for (int i = 0; i < inner; i++)
                {
                    int oi = (o * k + j) * inner + i;
                    int si = (o * a + (int)idxOut[oi]) * inner + i;
                    src.Slice(si * size, size).CopyTo(dst.Slice(oi * size, size));
                }
    }

    private void Select<T>(ReadOnlySpan<T> x, int[] order, Span<long> idxOut, int outer, int a, int inner, int k) where T : IComparable<T>
    {
        var keys = new T[a];
        bool largest = _largest;
        Comparison<int> cmp = (p, q) =>
        {
            int c = keys[p].CompareTo(keys[q]);
            if (largest) c = -c;
            return c != 0 ? c : p.CompareTo(q);
        };
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int b = o * a * inner + i;
                for (int j = 0; j < a; j++) { keys[j] = x[b + j * inner]; order[j] = j; }
                Array.Sort(order, cmp);
                for (int j = 0; j < k; j++) idxOut[(o * k + j) * inner + i] = order[j];
            }
        }
    }
}
