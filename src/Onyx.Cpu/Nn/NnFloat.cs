using System.Runtime.InteropServices;
using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.Nn;

/// <summary>
/// Float I/O for the nn family: kernels compute in float32 and read or write any float tensor
/// (float, float16, bfloat16, double) through these helpers. Float32 tensors are used in place.
/// </summary>
internal static class NnFloat
{
    public static bool IsSupported(DType t) => t is DType.Float32 or DType.Float16 or DType.BFloat16 or DType.Float64;

    /// <summary>The elements as float32: the tensor's own memory for float32, a converted copy otherwise.</summary>
    public static ReadOnlySpan<float> Read(Tensor t)
    {
        switch (t.DType)
        {
            case DType.Float32: return t.Span<float>();
            case DType.Float16:
            {
                var s = t.Span<Half>(); var r = new float[s.Length];
                for (int i = 0; i < r.Length; i++) r[i] = (float)s[i];
                return r;
            }
            case DType.BFloat16:
            {
                var s = t.Span<BFloat16>(); var r = new float[s.Length];
                for (int i = 0; i < r.Length; i++) r[i] = s[i].ToFloat();
                return r;
            }
            case DType.Float64:
            {
                var s = t.Span<double>(); var r = new float[s.Length];
                for (int i = 0; i < r.Length; i++) r[i] = (float)s[i];
                return r;
            }
            default:
            {
                var d = t.ToDoubleArray(); var r = new float[d.Length];
                for (int i = 0; i < r.Length; i++) r[i] = (float)d[i];
                return r;
            }
        }
    }

    /// <summary>A converted copy as double (for double-precision paths).</summary>
    public static double[] ReadDouble(Tensor t) => t.ToDoubleArray();

    /// <summary>Where to write float32 results for output <paramref name="t"/>; call <see cref="Commit"/> afterwards.</summary>
    public static Span<float> Dest(Tensor t, out float[]? scratch)
    {
        if (t.DType == DType.Float32) { scratch = null; return t.Span<float>(); }
        scratch = new float[t.Length];
        return scratch;
    }

    /// <summary>Converts <paramref name="scratch"/> into <paramref name="t"/> when it was not written in place.</summary>
    public static void Commit(Tensor t, float[]? scratch)
    {
        if (scratch is null) return;
        Write(t, scratch);
    }

    public static void Write(Tensor t, ReadOnlySpan<float> src)
    {
        switch (t.DType)
        {
            case DType.Float32: src.CopyTo(t.Span<float>()); break;
            case DType.Float16: { var d = t.Span<Half>(); for (int i = 0; i < d.Length; i++) d[i] = (Half)src[i]; break; }
            case DType.BFloat16: { var d = t.Span<BFloat16>(); for (int i = 0; i < d.Length; i++) d[i] = BFloat16.FromFloat(src[i]); break; }
            case DType.Float64: { var d = t.Span<double>(); for (int i = 0; i < d.Length; i++) d[i] = src[i]; break; }
            default: throw new InvalidOperationException($"cannot write floats into a {t.DType.OnnxName()} tensor");
        }
    }

    public static void WriteDouble(Tensor t, ReadOnlySpan<double> src)
    {
        switch (t.DType)
        {
            case DType.Float64: src.CopyTo(t.Span<double>()); break;
            case DType.Float32: { var d = t.Span<float>(); for (int i = 0; i < d.Length; i++) d[i] = (float)src[i]; break; }
            case DType.Float16: { var d = t.Span<Half>(); for (int i = 0; i < d.Length; i++) d[i] = (Half)src[i]; break; }
            case DType.BFloat16: { var d = t.Span<BFloat16>(); for (int i = 0; i < d.Length; i++) d[i] = BFloat16.FromFloat((float)src[i]); break; }
            default: throw new InvalidOperationException($"cannot write floats into a {t.DType.OnnxName()} tensor");
        }
    }

    /// <summary>Checks that <paramref name="t"/> is a float tensor this family computes.</summary>
    public static void Require(KernelContext context, Tensor t, string name)
    {
        if (!IsSupported(t.DType))
            throw context.Error($"input '{name}' must be float, float16, bfloat16 or double, got {t.DType.OnnxName()}");
    }

    public static int NormalizeAxis(KernelContext context, long axis, int rank, string what = "axis")
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw context.Error($"{what} {axis} is out of range for rank {rank}");
        return (int)a;
    }

    /// <summary>Expands <paramref name="src"/> (shape <paramref name="shape"/>) to <paramref name="outShape"/> by broadcasting.</summary>
    public static float[] BroadcastTo(ReadOnlySpan<float> src, int[] shape, int[] outShape)
    {
        var offsets = Common.Broadcast.Offsets(shape, outShape);
        var r = new float[offsets.Length];
        for (int i = 0; i < r.Length; i++) r[i] = src[offsets[i]];
        return r;
    }

    public static int Product(ReadOnlySpan<int> shape, int from, int to)
    {
        int p = 1;
        for (int i = from; i < to; i++) p *= shape[i];
        return p;
    }
}
