using System.Buffers;
using System.Numerics.Tensors;
using Onyx.Core.Execution;
using Onyx.Cpu.Cast;
using Onyx.Tensors;
using Tensor = Onyx.Tensors.Tensor;

namespace Onyx.Cpu.Reduce;

internal enum SoftmaxKind { Softmax, LogSoftmax, Hardmax }

/// <summary>
/// ONNX <c>Softmax</c>, <c>LogSoftmax</c>, <c>Hardmax</c>. Opset &lt; 13 coerces the input to 2-D at
/// <c>axis</c> (default 1) and normalises each row; opset 13+ normalises along <c>axis</c> (default -1).
/// float32 is vectorised (rows when the axis is innermost, whole columns otherwise); float16,
/// bfloat16 and double go through float32. Float32 Softmax over the innermost axis runs
/// <see cref="SoftmaxRows"/> (fused vector rows, split across the session pool).
/// </summary>
[OnnxKernel("Softmax", Since = 1)]
[OnnxKernel("LogSoftmax", Since = 1)]
[OnnxKernel("Hardmax", Since = 1)]
public sealed unsafe class SoftmaxKernel : IKernel
{
    private readonly SoftmaxKind _kind;
    private readonly bool _coerce2D;
    private readonly long _axis;

    public SoftmaxKernel(KernelInfo info)
    {
        _kind = info.Node.OpType switch
        {
            "Softmax" => SoftmaxKind.Softmax,
            "LogSoftmax" => SoftmaxKind.LogSoftmax,
            _ => SoftmaxKind.Hardmax,
        };
        _coerce2D = info.OpsetVersion < 13;
        _axis = info.Attributes.GetInt("axis", _coerce2D ? 1 : -1);
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        int rank = x.Rank;
        long axis = _axis < 0 ? _axis + rank : _axis;
        if (rank == 0) axis = 0;
        else if (axis < 0 || axis >= rank) throw context.Error($"axis {_axis} is out of range for input of rank {rank}");
        int outer = 1, a = 1, inner = 1;
        for (int d = 0; d < rank; d++)
        {
            if (d < axis) outer *= x.Shape[d];
            else if (d == axis || _coerce2D) a *= x.Shape[d];
            else inner *= x.Shape[d];
        }
        // Every path below writes every element (Hardmax clears its rows first): no zero fill.
        Tensor y = context.OutputUninitialized(0, x.DType, x.Shape);
        if (x.Length == 0) return;
        if (x.DType == DType.Float32 && _kind == SoftmaxKind.Softmax && inner == 1)
        {
            SoftmaxRows.Run((float*)x.Pointer, (float*)y.Pointer, outer, a, Onyx.Cpu.Nn.ConvShapes.Pool(context));
            GC.KeepAlive(x); GC.KeepAlive(y);
            return;
        }
        if (x.DType == DType.Float32)
        {
            Run(x.Span<float>(), y.Span<float>(), outer, a, inner);
            return;
        }
        if (!x.DType.IsFloat()) throw context.Error($"{context.Node.OpType} expects a float tensor, got {x.DType.OnnxName()}");
        float[] src = ArrayPool<float>.Shared.Rent(x.Length);
        float[] dst = ArrayPool<float>.Shared.Rent(x.Length);
        try
        {
            ElementConvert.ToFloat(x, src.AsSpan(0, x.Length));
            Run(src.AsSpan(0, x.Length), dst.AsSpan(0, x.Length), outer, a, inner);
            var d = new double[x.Length];
            for (int i = 0; i < d.Length; i++) d[i] = dst[i];
            ElementConvert.FromDouble(d, y);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(src);
            ArrayPool<float>.Shared.Return(dst);
        }
    }

    private void Run(ReadOnlySpan<float> x, Span<float> y, int outer, int a, int inner)
    {
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++) Row(x.Slice(o * a, a), y.Slice(o * a, a));
            return;
        }
        float[] buf = ArrayPool<float>.Shared.Rent(2 * inner);
        try
        {
            for (int o = 0; o < outer; o++)
                Columns(x.Slice(o * a * inner, a * inner), y.Slice(o * a * inner, a * inner), a, inner, buf.AsSpan(0, inner), buf.AsSpan(inner, inner));
        }
        finally { ArrayPool<float>.Shared.Return(buf); }
    }

    private void Row(ReadOnlySpan<float> x, Span<float> y)
    {
        if (_kind == SoftmaxKind.Hardmax)
        {
            y.Clear();
            y[TensorPrimitives.IndexOfMax(x)] = 1;
            return;
        }
        float m = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, m, y);
        TensorPrimitives.Exp(y, y);
        float s = TensorPrimitives.Sum(y);
        if (_kind == SoftmaxKind.Softmax)
            TensorPrimitives.Multiply(y, 1f / s, y);
        else
            TensorPrimitives.Subtract(x, m + MathF.Log(s), y); // log softmax = x - m - log(sum(exp(x - m)))
    }

    private void Columns(ReadOnlySpan<float> x, Span<float> y, int a, int inner, Span<float> max, Span<float> sum)
    {
        if (_kind == SoftmaxKind.Hardmax)
        {
            y.Clear();
            for (int i = 0; i < inner; i++)
            {
                int best = 0;
                float bv = x[i];
                for (int k = 1; k < a; k++) { float v = x[k * inner + i]; if (v > bv) { bv = v; best = k; } }
                y[best * inner + i] = 1;
            }
            return;
        }
        x[..inner].CopyTo(max);
        for (int k = 1; k < a; k++) TensorPrimitives.Max(max, x.Slice(k * inner, inner), max);
        sum.Clear();
        for (int k = 0; k < a; k++)
        {
            var yr = y.Slice(k * inner, inner);
            TensorPrimitives.Subtract(x.Slice(k * inner, inner), max, yr);
            TensorPrimitives.Exp(yr, yr);
            TensorPrimitives.Add(sum, yr, sum);
        }
        if (_kind == SoftmaxKind.Softmax)
        {
            TensorPrimitives.Reciprocal(sum, sum);
            for (int k = 0; k < a; k++) { var yr = y.Slice(k * inner, inner); TensorPrimitives.Multiply(yr, sum, yr); }
        }
        else
        {
            // y = x - max - log(sum)
            TensorPrimitives.Log(sum, sum);
            TensorPrimitives.Add(sum, max, sum);
            for (int k = 0; k < a; k++) TensorPrimitives.Subtract(x.Slice(k * inner, inner), sum, y.Slice(k * inner, inner));
        }
    }
}
