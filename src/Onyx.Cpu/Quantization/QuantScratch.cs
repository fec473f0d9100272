using System.Runtime.InteropServices;
using Onyx.Core.Execution;
using Onyx.Tensors;
using Tensor = Onyx.Tensors.Tensor;

namespace Onyx.Cpu.Quantization;

/// <summary>
/// Per-thread scratch for the quantized kernels (int32 accumulators, uint8 im2col), grown on demand
/// and kept for the thread's life so steady-state runs allocate nothing. A kernel uses it only on
/// the thread that runs it; pool workers receive pointers into it for the duration of one call.
/// </summary>
internal static unsafe class QuantScratch
{
    [ThreadStatic] private static void* t_acc;
    [ThreadStatic] private static nint t_accLen;
    [ThreadStatic] private static void* t_col;
    [ThreadStatic] private static nint t_colLen;

    public static int* Acc(nint count) => (int*)Grow(ref t_acc, ref t_accLen, count * sizeof(int));
    public static byte* Col(nint count) => (byte*)Grow(ref t_col, ref t_colLen, count);

    private static void* Grow(ref void* buf, ref nint len, nint bytes)
    {
        if (len < bytes)
        {
            if (buf != null) NativeMemory.AlignedFree(buf);
            buf = NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 64), 64);
            len = bytes;
        }
        return buf;
    }

    /// <summary>Zero points of a u8/s8 tensor as ints (empty when absent means 0).</summary>
    public static int[] ZeroPoints(Tensor? zp)
    {
        if (zp is null || zp.Length == 0) return [0];
        var r = new int[zp.Length];
        if (zp.DType == DType.UInt8) { var s = zp.Bytes; for (int i = 0; i < r.Length; i++) r[i] = s[i]; }
        else if (zp.DType == DType.Int8) { var s = zp.Span<sbyte>(); for (int i = 0; i < r.Length; i++) r[i] = s[i]; }
        else { var l = zp.ToInt64Array(); for (int i = 0; i < r.Length; i++) r[i] = (int)l[i]; }
        return r;
    }

    /// <summary>Scales as float32.</summary>
    public static float[] Scales(Tensor s)
    {
        var r = new float[s.Length];
        Cast.ElementConvert.ToFloat(s, r);
        return r;
    }

    public static bool IsByte(DType t) => t is DType.UInt8 or DType.Int8;
}

/// <summary>
/// Remembers the float32 copy of one scale or zero-point tensor, keyed by the tensor instance:
/// constant initializers are the same instance every Run, so steady-state runs convert (and
/// allocate) nothing. The pair is swapped in as one immutable object, so concurrent Runs are safe.
/// </summary>
internal sealed class QuantParamCache
{
    private sealed record Entry(Tensor Source, float[] Scales, int[] ZeroPoints);

    private volatile Entry? _entry;

    public float[] Scales(Tensor t) => Get(t).Scales;

    public int[] ZeroPoints(Tensor? t) => t is null ? s_zero : Get(t).ZeroPoints;

    private static readonly int[] s_zero = [0];

    private Entry Get(Tensor t)
    {
        var e = _entry;
        if (e is not null && ReferenceEquals(e.Source, t)) return e;
        bool isScale = !QuantScratch.IsByte(t.DType) && t.DType != DType.Int32;
        e = new Entry(t, isScale ? QuantScratch.Scales(t) : [], isScale ? [] : QuantScratch.ZeroPoints(t));
        _entry = e;
        return e;
    }
}
