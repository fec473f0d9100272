using System.Buffers;
using System.Numerics.Tensors;
using Onyx.Core.Execution;
using Onyx.Cpu.Cast;
using Onyx.Tensors;
using Tensor = Onyx.Tensors.Tensor;

namespace Onyx.Cpu.Reduce;

internal enum ReduceOp { Sum, Mean, Max, Min, Prod, SumSquare, L1, L2, LogSum, LogSumExp }

/// <summary>
/// ONNX <c>Reduce*</c>: axes as attribute (old opsets) or second input (ReduceSum 13+, others 18+),
/// <c>keepdims</c>, <c>noop_with_empty_axes</c>. An empty reduced set gives the op's identity
/// (0, 1, -inf for Max/LogSum/LogSumExp, +inf for Min). float32 runs vectorised; other floats
/// accumulate in double, integers in int64.
/// </summary>
[OnnxKernel("ReduceSum", Since = 1)]
[OnnxKernel("ReduceMean", Since = 1)]
[OnnxKernel("ReduceMax", Since = 1)]
[OnnxKernel("ReduceMin", Since = 1)]
[OnnxKernel("ReduceProd", Since = 1)]
[OnnxKernel("ReduceSumSquare", Since = 1)]
[OnnxKernel("ReduceL1", Since = 1)]
[OnnxKernel("ReduceL2", Since = 1)]
[OnnxKernel("ReduceLogSum", Since = 1)]
[OnnxKernel("ReduceLogSumExp", Since = 1)]
public sealed class ReduceKernel : IKernel
{
    private readonly ReduceOp _op;
    private readonly long[]? _axes;
    private readonly bool _keepDims;
    private readonly bool _noopWithEmptyAxes;

    public ReduceKernel(KernelInfo info)
    {
        _op = info.Node.OpType switch
        {
            "ReduceSum" => ReduceOp.Sum,
            "ReduceMean" => ReduceOp.Mean,
            "ReduceMax" => ReduceOp.Max,
            "ReduceMin" => ReduceOp.Min,
            "ReduceProd" => ReduceOp.Prod,
            "ReduceSumSquare" => ReduceOp.SumSquare,
            "ReduceL1" => ReduceOp.L1,
            "ReduceL2" => ReduceOp.L2,
            "ReduceLogSum" => ReduceOp.LogSum,
            "ReduceLogSumExp" => ReduceOp.LogSumExp,
            _ => throw info.Invalid($"unknown reduce op {info.Node.OpType}"),
        };
        _axes = info.Attributes.GetInts("axes");
        _keepDims = info.Attributes.GetInt("keepdims", 1) != 0;
        _noopWithEmptyAxes = info.Attributes.GetInt("noop_with_empty_axes", 0) != 0;
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        if (x.DType == DType.String) throw context.Error($"{context.Node.OpType} does not take string tensors");
        long[]? axes = _axes;
        if (axes is null && context.OptionalInput(1) is { } axesTensor) axes = axesTensor.ToInt64Array();
        int rank = x.Rank;
        bool[] flags;
        if (axes is null || axes.Length == 0)
        {
            if (_noopWithEmptyAxes)
            {
                context.SetOutput(0, x);
                return;
            }
            flags = new bool[rank];
            Array.Fill(flags, true);
        }
        else
        {
            flags = ReduceLayout.AxisFlags(axes, rank, m => context.Error(m));
        }
        var layout = ReduceLayout.Create(x.Shape, flags, _keepDims);
        Tensor y = context.Output(0, x.DType, layout.OutShape);
        int count = layout.Outer * layout.Inner;
        if (count == 0) return;
        if (layout.Reduced == 0)
        {
            FillIdentity(y);
            return;
        }
        if (x.DType == DType.Float32) ReduceFloat(x.Span<float>(), y.Span<float>(), layout);
        else if (ElementConvert.IsIntegral(x.DType) && _op is not (ReduceOp.L2 or ReduceOp.LogSum or ReduceOp.LogSumExp))
            ReduceInt64(x, y, layout);
        else ReduceDouble(x, y, layout);
    }

    private void FillIdentity(Tensor y)
    {
        double v = _op switch
        {
            ReduceOp.Prod => 1,
            ReduceOp.Max or ReduceOp.LogSum or ReduceOp.LogSumExp => double.NegativeInfinity,
            ReduceOp.Min => double.PositiveInfinity,
            ReduceOp.Mean => double.NaN,
            _ => 0,
        };
        if (ElementConvert.IsIntegral(y.DType) && _op is ReduceOp.Max or ReduceOp.Min)
        {
            var l = new long[y.Length];
            Array.Fill(l, IntegerLimit(y.DType, _op == ReduceOp.Max));
            ElementConvert.FromInt64(l, y);
            return;
        }
        var d = new double[y.Length];
        Array.Fill(d, v);
        ElementConvert.FromDouble(d, y);
    }

    private static long IntegerLimit(DType t, bool lowest) => t switch
    {
        DType.Int8 => lowest ? sbyte.MinValue : sbyte.MaxValue,
        DType.Int16 => lowest ? short.MinValue : short.MaxValue,
        DType.Int32 => lowest ? int.MinValue : int.MaxValue,
        DType.Int64 => lowest ? long.MinValue : long.MaxValue,
        DType.UInt8 => lowest ? 0 : byte.MaxValue,
        DType.UInt16 => lowest ? 0 : ushort.MaxValue,
        DType.UInt32 => lowest ? 0 : uint.MaxValue,
        DType.UInt64 => lowest ? 0 : -1,
        DType.Bool => lowest ? 0 : 1,
        _ => 0,
    };

    // ------------------------------------------------------------------ float32, vectorised

    private void ReduceFloat(ReadOnlySpan<float> src, Span<float> dst, ReduceLayout l)
    {
        float[]? gathered = null;
        if (l.Gather is { } g)
        {
            gathered = ArrayPool<float>.Shared.Rent(g.Length);
            for (int k = 0; k < g.Length; k++) gathered[k] = src[g[k]];
            src = gathered.AsSpan(0, g.Length);
        }
        int O = l.Outer, R = l.Reduced, I = l.Inner;
        float[] tmp = ArrayPool<float>.Shared.Rent(Math.Max(R, I));
        try
        {
            if (I == 1)
            {
                Span<float> t = tmp.AsSpan(0, R);
                for (int o = 0; o < O; o++) dst[o] = ReduceRow(src.Slice(o * R, R), t);
            }
            else
            {
                Span<float> t = tmp.AsSpan(0, I);
                for (int o = 0; o < O; o++) ReduceColumns(src.Slice(o * R * I, R * I), dst.Slice(o * I, I), R, t);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(tmp);
            if (gathered is not null) ArrayPool<float>.Shared.Return(gathered);
        }
    }

    private float ReduceRow(ReadOnlySpan<float> row, Span<float> tmp)
    {
        switch (_op)
        {
            case ReduceOp.Sum: return TensorPrimitives.Sum(row);
            case ReduceOp.Mean: return TensorPrimitives.Sum(row) / row.Length;
            case ReduceOp.Max: return TensorPrimitives.Max(row);
            case ReduceOp.Min: return TensorPrimitives.Min(row);
            case ReduceOp.Prod: return TensorPrimitives.Product(row);
            case ReduceOp.SumSquare: return TensorPrimitives.SumOfSquares(row);
            case ReduceOp.L1: return TensorPrimitives.SumOfMagnitudes(row);
            case ReduceOp.L2: return MathF.Sqrt(TensorPrimitives.SumOfSquares(row));
            case ReduceOp.LogSum: return MathF.Log(TensorPrimitives.Sum(row));
            default:
                {
                    float m = TensorPrimitives.Max(row);
                    if (float.IsInfinity(m) || float.IsNaN(m)) m = float.IsNegativeInfinity(m) ? 0 : m;
                    if (float.IsInfinity(m) || float.IsNaN(m)) return m;
                    TensorPrimitives.Subtract(row, m, tmp);
                    TensorPrimitives.Exp(tmp, tmp);
                    return m + MathF.Log(TensorPrimitives.Sum(tmp));
                }
        }
    }

    private void ReduceColumns(ReadOnlySpan<float> block, Span<float> acc, int R, Span<float> tmp)
    {
        int I = acc.Length;
        ReadOnlySpan<float> first = block[..I];
        switch (_op)
        {
            case ReduceOp.Sum or ReduceOp.Mean or ReduceOp.LogSum:
                first.CopyTo(acc);
                for (int r = 1; r < R; r++) TensorPrimitives.Add(acc, block.Slice(r * I, I), acc);
                if (_op == ReduceOp.Mean) TensorPrimitives.Multiply(acc, 1f / R, acc);
                else if (_op == ReduceOp.LogSum) TensorPrimitives.Log(acc, acc);
                break;
            case ReduceOp.Max:
                first.CopyTo(acc);
                for (int r = 1; r < R; r++) TensorPrimitives.Max(acc, block.Slice(r * I, I), acc);
                break;
            case ReduceOp.Min:
                first.CopyTo(acc);
                for (int r = 1; r < R; r++) TensorPrimitives.Min(acc, block.Slice(r * I, I), acc);
                break;
            case ReduceOp.Prod:
                first.CopyTo(acc);
                for (int r = 1; r < R; r++) TensorPrimitives.Multiply(acc, block.Slice(r * I, I), acc);
                break;
            case ReduceOp.SumSquare or ReduceOp.L2:
                TensorPrimitives.Multiply(first, first, acc);
                for (int r = 1; r < R; r++) { var row = block.Slice(r * I, I); TensorPrimitives.MultiplyAdd(row, row, acc, acc); }
                if (_op == ReduceOp.L2) TensorPrimitives.Sqrt(acc, acc);
                break;
            case ReduceOp.L1:
                TensorPrimitives.Abs(first, acc);
                for (int r = 1; r < R; r++) { TensorPrimitives.Abs(block.Slice(r * I, I), tmp); TensorPrimitives.Add(acc, tmp, acc); }
                break;
            case ReduceOp.LogSumExp:
                {
                    // acc holds the column max, then sum of exp(x - max) goes through a second buffer.
                    first.CopyTo(acc);
                    for (int r = 1; r < R; r++) TensorPrimitives.Max(acc, block.Slice(r * I, I), acc);
                    for (int i = 0; i < I; i++) if (float.IsInfinity(acc[i])) acc[i] = float.IsNegativeInfinity(acc[i]) ? 0 : acc[i];
                    float[] sumArr = ArrayPool<float>.Shared.Rent(I);
                    var sum = sumArr.AsSpan(0, I);
                    sum.Clear();
                    for (int r = 0; r < R; r++)
                    {
                        TensorPrimitives.Subtract(block.Slice(r * I, I), acc, tmp);
                        TensorPrimitives.Exp(tmp, tmp);
                        TensorPrimitives.Add(sum, tmp, sum);
                    }
                    for (int i = 0; i < I; i++) acc[i] = float.IsInfinity(acc[i]) ? acc[i] : acc[i] + MathF.Log(sum[i]);
                    ArrayPool<float>.Shared.Return(sumArr);
                    break;
                }
        }
    }

    // ------------------------------------------------------------------ other floats: double accumulators

    private void ReduceDouble(Tensor x, Tensor y, ReduceLayout l)
    {
        var src = new double[x.Length];
        ElementConvert.ToDouble(x, src);
        int O = l.Outer, R = l.Reduced, I = l.Inner;
        var g = l.Gather;
        var res = new double[O * I];
        for (int o = 0; o < O; o++)
        {
            for (int i = 0; i < I; i++)
            {
                int b = o * R * I + i;
                double At(int r) { int k = b + r * I; return g is null ? src[k] : src[g[k]]; }
                double acc;
                switch (_op)
                {
                    case ReduceOp.Max: acc = double.NegativeInfinity; for (int r = 0; r < R; r++) { double v = At(r); if (v > acc || double.IsNaN(v)) acc = v; if (double.IsNaN(acc)) break; } break;
                    case ReduceOp.Min: acc = double.PositiveInfinity; for (int r = 0; r < R; r++) { double v = At(r); if (v < acc || double.IsNaN(v)) acc = v; if (double.IsNaN(acc)) break; } break;
                    case ReduceOp.Prod: acc = 1; for (int r = 0; r < R; r++) acc *= At(r); break;
                    case ReduceOp.SumSquare or ReduceOp.L2: acc = 0; for (int r = 0; r < R; r++) { double v = At(r); acc += v * v; } if (_op == ReduceOp.L2) acc = Math.Sqrt(acc); break;
                    case ReduceOp.L1: acc = 0; for (int r = 0; r < R; r++) acc += Math.Abs(At(r)); break;
                    case ReduceOp.LogSumExp:
                        {
                            double m = double.NegativeInfinity;
                            for (int r = 0; r < R; r++) m = Math.Max(m, At(r));
                            if (double.IsInfinity(m) || double.IsNaN(m)) { acc = m; break; }
                            double s = 0;
                            for (int r = 0; r < R; r++) s += Math.Exp(At(r) - m);
                            acc = m + Math.Log(s);
                            break;
                        }
                    default:
                        acc = 0;
                        for (int r = 0; r < R; r++) acc += At(r);
                        if (_op == ReduceOp.Mean) acc /= R;
                        else if (_op == ReduceOp.LogSum) acc = Math.Log(acc);
                        break;
                }
                res[o * I + i] = acc;
            }
        }
        ElementConvert.FromDouble(res, y);
    }

    // ------------------------------------------------------------------ integers: int64 accumulators

    private void ReduceInt64(Tensor x, Tensor y, ReduceLayout l)
    {
        var src = new long[x.Length];
        ElementConvert.ToInt64(x, src);
        bool unsigned = x.DType == DType.UInt64;
        int O = l.Outer, R = l.Reduced, I = l.Inner;
        var g = l.Gather;
        var res = new long[O * I];
        for (int o = 0; o < O; o++)
        {
            for (int i = 0; i < I; i++)
            {
                int b = o * R * I + i;
                long At(int r) { int k = b + r * I; return g is null ? src[k] : src[g[k]]; }
                long acc;
                switch (_op)
                {
                    case ReduceOp.Max:
                        acc = At(0);
                        for (int r = 1; r < R; r++) { long v = At(r); if (unsigned ? (ulong)v > (ulong)acc : v > acc) acc = v; }
                        break;
                    case ReduceOp.Min:
                        acc = At(0);
                        for (int r = 1; r < R; r++) { long v = At(r); if (unsigned ? (ulong)v < (ulong)acc : v < acc) acc = v; }
                        break;
                    case ReduceOp.Prod: acc = 1; for (int r = 0; r < R; r++) acc *= At(r); break;
                    case ReduceOp.SumSquare: acc = 0; for (int r = 0; r < R; r++) { long v = At(r); acc += v * v; } break;
                    case ReduceOp.L1: acc = 0; for (int r = 0; r < R; r++) acc += Math.Abs(At(r)); break;
                    default:
                        acc = 0;
                        for (int r = 0; r < R; r++) acc += At(r);
                        if (_op == ReduceOp.Mean) acc = unsigned ? (long)((ulong)acc / (ulong)R) : acc / R;
                        break;
                }
                res[o * I + i] = acc;
            }
        }
        ElementConvert.FromInt64(res, y, 0, unsigned);
    }
}
