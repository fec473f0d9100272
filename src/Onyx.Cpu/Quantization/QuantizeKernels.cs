using Onyx.Core.Execution;
using Onyx.Cpu.Cast;
using Onyx.Tensors;
using Tensor = Onyx.Tensors.Tensor;

namespace Onyx.Cpu.Quantization;

/// <summary>
/// Which scale (and zero point) applies to each element: per tensor, per axis, or blocked along
/// an axis. Elements are walked as (outer, D, inner) around the quantization axis.
/// </summary>
internal readonly struct QuantGranularity
{
    public readonly int Outer, D, Inner;
    /// <summary>0 per tensor, 1 per axis, 2 blocked.</summary>
    public readonly int Mode;
    public readonly int Block, ScaleD;

    public QuantGranularity(KernelContext context, int[] xShape, Tensor scale, long axisAttr, long blockSize)
    {
        int rank = xShape.Length;
        Outer = 1; D = 1; Inner = 1; Block = 1; ScaleD = 1;
        if (scale.Length == 1 && blockSize <= 0)
        {
            Mode = 0;
            for (int d = 0; d < rank; d++) D *= xShape[d];
            return;
        }
        long axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
        if (axis < 0 || axis >= rank) throw context.Error($"axis {axisAttr} is out of range for input of rank {rank}");
        for (int d = 0; d < rank; d++)
        {
            if (d < axis) Outer *= xShape[d];
            else if (d > axis) Inner *= xShape[d];
        }
        D = xShape[axis];
        if (blockSize > 0)
        {
            Mode = 2;
            Block = (int)blockSize;
            if (scale.Rank != rank) throw context.Error($"blocked quantization needs a scale of rank {rank}, got {scale.ShapeString}");
            ScaleD = scale.Shape[axis];
            if ((long)ScaleD * Block < D || (ScaleD - 1L) * Block >= D)
                throw context.Error($"block_size {blockSize} does not fit axis size {D} with {ScaleD} scales");
            return;
        }
        Mode = 1;
        if (scale.Rank != 1 || scale.Length != D)
            throw context.Error($"per-axis scale must be 1-D of length {D} (axis {axis}), got {scale.ShapeString}");
    }

    /// <summary>Scale index for element (o, a, i).</summary>
    public int ScaleIndex(int o, int a, int i) => Mode switch
    {
        0 => 0,
        1 => a,
        _ => (o * ScaleD + a / Block) * Inner + i,
    };
}

/// <summary>
/// ONNX <c>QuantizeLinear</c> (10–25): y = saturate(round_half_even(x / scale) + zero_point), per
/// tensor, per axis or blocked; integer outputs (u8/s8/u16/s16/u4/s4/u2/s2) clamp, float8 and
/// float4 outputs convert with <c>saturate</c>.
/// </summary>
[OnnxKernel("QuantizeLinear", Since = 10)]
public sealed class QuantizeLinearKernel : IKernel
{
    private readonly long _axis;
    private readonly long _blockSize;
    private readonly DType _outputDType;
    private readonly bool _saturate;

    public QuantizeLinearKernel(KernelInfo info)
    {
        _axis = info.Attributes.GetInt("axis", 1);
        _blockSize = info.Attributes.GetInt("block_size", 0);
        _outputDType = (DType)info.Attributes.GetInt("output_dtype", 0);
        _saturate = info.Attributes.GetInt("saturate", 1) != 0;
    }

    public static (long Lo, long Hi) Range(DType t) => t switch
    {
        DType.UInt8 => (0, 255),
        DType.Int8 => (-128, 127),
        DType.UInt16 => (0, 65535),
        DType.Int16 => (-32768, 32767),
        DType.UInt4 => (0, 15),
        DType.Int4 => (-8, 7),
        DType.UInt2 => (0, 3),
        DType.Int2 => (-2, 1),
        DType.Int32 => (int.MinValue, int.MaxValue),
        DType.UInt32 => (0, uint.MaxValue),
        _ => (long.MinValue, long.MaxValue),
    };

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        Tensor scale = context.Input(1);
        Tensor? zp = context.OptionalInput(2);
        DType outType = _outputDType != DType.Undefined ? _outputDType : zp?.DType ?? DType.UInt8;
        if (zp is not null && zp.DType != outType)
            throw context.Error($"y_zero_point is {zp.DType.OnnxName()} but output_dtype is {outType.OnnxName()}");
        if (zp is not null && zp.Length != scale.Length)
            throw context.Error($"y_zero_point shape {zp.ShapeString} must match y_scale shape {scale.ShapeString}");
        var g = new QuantGranularity(context, x.Shape, scale, _axis, _blockSize);
        Tensor y = context.Output(0, outType, x.Shape);
        if (x.Length == 0) return;
        if (g.Mode == 0 && x.DType == DType.Float32 && scale.DType == DType.Float32 && outType is DType.UInt8 or DType.Int8)
        {
            QuantizeFast(x.Span<float>(), scale.Span<float>()[0], zp is null ? 0 : zp.ToInt64Array()[0], y, outType);
            return;
        }
        var xs = new float[x.Length];
        ElementConvert.ToFloat(x, xs);
        var sc = new float[scale.Length];
        ElementConvert.ToFloat(scale, sc);
        if (FloatFormats.IsSmallFloat(outType))
        {
            var zpf = new float[scale.Length];
            if (zp is not null) ElementConvert.ToFloat(zp, zpf);
            var dst = y.Bytes;
            for (int o = 0; o < g.Outer; o++)
                for (int a = 0; a < g.D; a++)
                    for (int i = 0; i < g.Inner; i++)
                    {
                        int k = (o * g.D + a) * g.Inner + i;
                        int s = g.ScaleIndex(o, a, i);
                        dst[k] = FloatFormats.FromFloat(outType, xs[k] / sc[s] + zpf[s], _saturate);
                    }
            return;
        }
        if (!outType.IsInteger()) throw context.Error($"cannot quantize to {outType.OnnxName()}");
        var zpl = new long[scale.Length];
        if (zp is not null) ElementConvert.ToInt64(zp, zpl);
        var (lo, hi) = Range(outType);
        var q = new long[x.Length];
        for (int o = 0; o < g.Outer; o++)
            for (int a = 0; a < g.D; a++)
                for (int i = 0; i < g.Inner; i++)
                {
                    int k = (o * g.D + a) * g.Inner + i;
                    int s = g.ScaleIndex(o, a, i);
                    float r = MathF.Round(xs[k] / sc[s], MidpointRounding.ToEven);
                    double v = (double)r + zpl[s];
                    q[k] = double.IsNaN(v) ? 0 : (long)Math.Clamp(v, lo, hi);
                }
        ElementConvert.FromInt64(q, y);
    }

    /// <summary>Per-tensor float32 → u8/s8, the QDQ hot path: vectorised, no intermediate buffers.</summary>
    private static unsafe void QuantizeFast(ReadOnlySpan<float> x, float scale, long zeroPoint, Tensor y, DType outType)
    {
        fixed (float* px = x)
            Onyx.Kernels.Gemm.Int8Quantize.Quantize(px, x.Length, scale, (int)zeroPoint, (byte*)y.Pointer, outType == DType.Int8);
    }
}

/// <summary>
/// ONNX <c>DequantizeLinear</c> (10–25): y = (x - zero_point) * scale, per tensor, per axis or
/// blocked; output type from <c>output_dtype</c> or the scale's type.
/// </summary>
[OnnxKernel("DequantizeLinear", Since = 10)]
public sealed class DequantizeLinearKernel : IKernel
{
    private readonly long _axis;
    private readonly long _blockSize;
    private readonly DType _outputDType;

    public DequantizeLinearKernel(KernelInfo info)
    {
        _axis = info.Attributes.GetInt("axis", 1);
        _blockSize = info.Attributes.GetInt("block_size", 0);
        _outputDType = (DType)info.Attributes.GetInt("output_dtype", 0);
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        Tensor scale = context.Input(1);
        Tensor? zp = context.OptionalInput(2);
        if (zp is not null && zp.DType != x.DType)
            throw context.Error($"x_zero_point is {zp.DType.OnnxName()} but x is {x.DType.OnnxName()}");
        DType outType = _outputDType != DType.Undefined ? _outputDType : scale.DType;
        var g = new QuantGranularity(context, x.Shape, scale, _axis, _blockSize);
        Tensor y = context.Output(0, outType, x.Shape);
        if (x.Length == 0) return;
        if (g.Mode == 0 && outType == DType.Float32 && scale.DType == DType.Float32 && x.DType is DType.UInt8 or DType.Int8)
        {
            float s = scale.Span<float>()[0];
            float z = zp is null ? 0 : zp.ToInt64Array()[0];
            var dst = y.Span<float>();
            if (x.DType == DType.UInt8) { var xb = x.Bytes; for (int i = 0; i < dst.Length; i++) dst[i] = (xb[i] - z) * s; }
            else { var xb = x.Span<sbyte>(); for (int i = 0; i < dst.Length; i++) dst[i] = (xb[i] - z) * s; }
            return;
        }
        var sc = new float[scale.Length];
        ElementConvert.ToFloat(scale, sc);
        var res = new float[x.Length];
        if (FloatFormats.IsSmallFloat(x.DType))
        {
            var xs = new float[x.Length];
            ElementConvert.ToFloat(x, xs);
            var zpf = new float[scale.Length];
            if (zp is not null) ElementConvert.ToFloat(zp, zpf);
            for (int o = 0; o < g.Outer; o++)
                for (int a = 0; a < g.D; a++)
                    for (int i = 0; i < g.Inner; i++)
                    {
                        int k = (o * g.D + a) * g.Inner + i;
                        int s = g.ScaleIndex(o, a, i);
                        res[k] = (xs[k] - zpf[s]) * sc[s];
                    }
        }
        else
        {
            var xl = new long[x.Length];
            ElementConvert.ToInt64(x, xl);
            var zpl = new long[scale.Length];
            if (zp is not null) ElementConvert.ToInt64(zp, zpl);
            for (int o = 0; o < g.Outer; o++)
                for (int a = 0; a < g.D; a++)
                    for (int i = 0; i < g.Inner; i++)
                    {
                        int k = (o * g.D + a) * g.Inner + i;
                        int s = g.ScaleIndex(o, a, i);
                        res[k] = (float)(xl[k] - zpl[s]) * sc[s];
                    }
        }
        if (outType == DType.Float32) { res.CopyTo(y.Span<float>()); return; }
        var d = new double[res.Length];
        for (int i = 0; i < d.Length; i++) d[i] = res[i];
        ElementConvert.FromDouble(d, y);
    }
}

/// <summary>
/// ONNX <c>DynamicQuantizeLinear</c>: uint8 quantization with scale = (max(0, x) - min(0, x)) / 255
/// and zero point = saturate(round(-min / scale)).
/// </summary>
[OnnxKernel("DynamicQuantizeLinear", Since = 11)]
public sealed class DynamicQuantizeLinearKernel : IKernel
{
    public DynamicQuantizeLinearKernel(KernelInfo info) { }

    public unsafe void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        Tensor y = context.Output(0, DType.UInt8, x.Shape);
        float[]? copy = null;
        ReadOnlySpan<float> xs;
        if (x.DType == DType.Float32) xs = x.Span<float>();
        else { copy = new float[x.Length]; ElementConvert.ToFloat(x, copy); xs = copy; }
        // scale = (max(0, x) - min(0, x)) / 255; zero point = saturate(round(-min / scale)).
        var (min, max) = Onyx.Kernels.Gemm.Int8Quantize.RangeWithZero(xs);
        float scale = (max - min) / 255f;
        byte zp = 0;
        if (scale != 0) zp = (byte)Math.Clamp(MathF.Round((0 - min) / scale, MidpointRounding.ToEven), 0, 255);
        if (scale == 0) y.Bytes.Clear();
        else fixed (float* px = xs) Onyx.Kernels.Gemm.Int8Quantize.Quantize(px, xs.Length, scale, zp, (byte*)y.Pointer, false);
        context.Output(1, DType.Float32, []).Span<float>()[0] = scale;
        context.Output(2, DType.UInt8, []).Bytes[0] = zp;
    }
}
