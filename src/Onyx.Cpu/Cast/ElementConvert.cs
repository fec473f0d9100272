using System.Globalization;
using System.Numerics.Tensors;
using Onyx.Tensors;
using Tensor = Onyx.Tensors.Tensor;

namespace Onyx.Cpu.Cast;

/// <summary>
/// Element conversions between any two ONNX types, following Cast's rules: float → integer
/// truncates toward zero and then wraps to the target width; integer → integer wraps; anything →
/// bool is "non-zero"; float → float8 follows <see cref="FloatFormats"/> with <c>saturate</c>.
/// Also the widening readers (to double / int64 / float) the reduce and quantize kernels share.
/// </summary>
internal static class ElementConvert
{
    private const int Chunk = 512;

    /// <summary>True when values of <paramref name="t"/> are read exactly as int64 (integers and bool).</summary>
    public static bool IsIntegral(DType t) => t.IsInteger() || t == DType.Bool;

    /// <summary>Reads every element as double (integers and bool widened; small floats decoded).</summary>
    public static void ToDouble(Tensor src, Span<double> dst) => ToDouble(src, 0, dst);

    /// <summary>Reads elements [start, start + dst.Length) as double.</summary>
    public static void ToDouble(Tensor src, int start, Span<double> dst)
    {
        int n = dst.Length;
        switch (src.DType)
        {
            case DType.Float32: { var s = src.Span<float>().Slice(start, n); for (int i = 0; i < n; i++) dst[i] = s[i]; break; }
            case DType.Float64: src.Span<double>().Slice(start, n).CopyTo(dst); break;
            case DType.Float16: { var s = src.Span<Half>().Slice(start, n); for (int i = 0; i < n; i++) dst[i] = (double)s[i]; break; }
            case DType.BFloat16: { var s = src.Span<BFloat16>().Slice(start, n); for (int i = 0; i < n; i++) dst[i] = s[i].ToFloat(); break; }
            case DType.Float8E4M3FN or DType.Float8E4M3FNUZ or DType.Float8E5M2 or DType.Float8E5M2FNUZ or DType.Float8E8M0 or DType.Float4E2M1:
                { var s = src.Bytes.Slice(start, n); var t = src.DType; for (int i = 0; i < n; i++) dst[i] = FloatFormats.ToFloat(t, s[i]); break; }
            case DType.UInt64: { var s = src.Span<ulong>().Slice(start, n); for (int i = 0; i < n; i++) dst[i] = s[i]; break; }
            case DType.String:
                { var s = src.Strings.AsSpan(start, n); for (int i = 0; i < n; i++) dst[i] = ParseDouble(s[i]); break; }
            default:
                {
                    Span<long> tmp = stackalloc long[Math.Min(Chunk, Math.Max(n, 1))];
                    for (int off = 0; off < n; off += tmp.Length)
                    {
                        int c = Math.Min(tmp.Length, n - off);
                        ToInt64(src, start + off, tmp[..c]);
                        for (int i = 0; i < c; i++) dst[off + i] = tmp[i];
                    }
                    break;
                }
        }
    }

    /// <summary>Reads every element as int64 (floats truncated toward zero; uint64 reinterpreted).</summary>
    public static void ToInt64(Tensor src, Span<long> dst) => ToInt64(src, 0, dst);

    /// <summary>Reads elements [start, start + dst.Length) as int64.</summary>
    public static void ToInt64(Tensor src, int start, Span<long> dst)
    {
        int n = dst.Length;
        switch (src.DType)
        {
            case DType.Int64: src.Span<long>().Slice(start, n).CopyTo(dst); break;
            case DType.Int32: { var s = src.Span<int>().Slice(start, n); for (int i = 0; i < n; i++) dst[i] = s[i]; break; }
            case DType.Int16: { var s = src.Span<short>().Slice(start, n); for (int i = 0; i < n; i++) dst[i] = s[i]; break; }
            case DType.Int8 or DType.Int4 or DType.Int2: { var s = src.Span<sbyte>().Slice(start, n); for (int i = 0; i < n; i++) dst[i] = s[i]; break; }
            case DType.UInt8 or DType.UInt4 or DType.UInt2 or DType.Bool: { var s = src.Bytes.Slice(start, n); for (int i = 0; i < n; i++) dst[i] = s[i]; break; }
            case DType.UInt16: { var s = src.Span<ushort>().Slice(start, n); for (int i = 0; i < n; i++) dst[i] = s[i]; break; }
            case DType.UInt32: { var s = src.Span<uint>().Slice(start, n); for (int i = 0; i < n; i++) dst[i] = s[i]; break; }
            case DType.UInt64: { var s = src.Span<ulong>().Slice(start, n); for (int i = 0; i < n; i++) dst[i] = (long)s[i]; break; }
            case DType.String: { var s = src.Strings.AsSpan(start, n); for (int i = 0; i < n; i++) dst[i] = ParseInt64(s[i]); break; }
            default:
                {
                    Span<double> tmp = stackalloc double[Math.Min(Chunk, Math.Max(n, 1))];
                    for (int off = 0; off < n; off += tmp.Length)
                    {
                        int c = Math.Min(tmp.Length, n - off);
                        ToDouble(src, start + off, tmp[..c]);
                        for (int i = 0; i < c; i++) dst[off + i] = DoubleToInt64(tmp[i]);
                    }
                    break;
                }
        }
    }

    /// <summary>Reads every element as float.</summary>
    public static void ToFloat(Tensor src, Span<float> dst)
    {
        switch (src.DType)
        {
            case DType.Float32: src.Span<float>().CopyTo(dst); return;
            case DType.Float16: TensorPrimitives.ConvertToSingle(src.Span<Half>(), dst); return;
        }
        int n = dst.Length;
        var tmp = new double[Math.Min(Chunk, Math.Max(n, 1))];
        for (int off = 0; off < n; off += tmp.Length)
        {
            int c = Math.Min(tmp.Length, n - off);
            ToDouble(src, off, tmp.AsSpan(0, c));
            for (int i = 0; i < c; i++) dst[off + i] = (float)tmp[i];
        }
    }

    /// <summary>Truncates toward zero; NaN → 0; out of range saturates to the int64 range (uint64 range above).</summary>
    public static long DoubleToInt64(double d)
    {
        if (double.IsNaN(d)) return 0;
        if (d >= 9223372036854775808.0) return d < 18446744073709551616.0 ? (long)(ulong)d : long.MaxValue;
        return (long)d;
    }

    /// <summary>Writes doubles into elements [start, start + src.Length) of <paramref name="dst"/>.</summary>
    public static void FromDouble(ReadOnlySpan<double> src, Tensor dst, int start = 0, bool saturate = true, E8M0Rounding rounding = E8M0Rounding.Up)
    {
        int n = src.Length;
        switch (dst.DType)
        {
            case DType.Float32: { var d = dst.Span<float>().Slice(start, n); for (int i = 0; i < n; i++) d[i] = (float)src[i]; return; }
            case DType.Float64: src.CopyTo(dst.Span<double>().Slice(start, n)); return;
            case DType.Float16: { var d = dst.Span<Half>().Slice(start, n); for (int i = 0; i < n; i++) d[i] = (Half)src[i]; return; }
            case DType.BFloat16: { var d = dst.Span<BFloat16>().Slice(start, n); for (int i = 0; i < n; i++) d[i] = BFloat16.FromFloat((float)src[i]); return; }
            case DType.Float8E4M3FN or DType.Float8E4M3FNUZ or DType.Float8E5M2 or DType.Float8E5M2FNUZ or DType.Float8E8M0 or DType.Float4E2M1:
                { var d = dst.Bytes.Slice(start, n); var t = dst.DType; for (int i = 0; i < n; i++) d[i] = FloatFormats.FromFloat(t, (float)src[i], saturate, rounding); return; }
            case DType.Bool: { var d = dst.Bytes.Slice(start, n); for (int i = 0; i < n; i++) d[i] = src[i] != 0 ? (byte)1 : (byte)0; return; }
            case DType.String: { var d = dst.Strings; for (int i = 0; i < n; i++) d[start + i] = FormatDouble(src[i], false); return; }
            default:
                {
                    Span<long> tmp = stackalloc long[Math.Min(Chunk, Math.Max(n, 1))];
                    for (int off = 0; off < n; off += tmp.Length)
                    {
                        int c = Math.Min(tmp.Length, n - off);
                        for (int i = 0; i < c; i++) tmp[i] = DoubleToInt64(src[off + i]);
                        FromInt64(tmp[..c], dst, start + off, false);
                    }
                    return;
                }
        }
    }

    /// <summary>Writes int64 values (uint64 bit patterns when <paramref name="unsignedSource"/>) into <paramref name="dst"/>, wrapping integers.</summary>
    public static void FromInt64(ReadOnlySpan<long> src, Tensor dst, int start = 0, bool unsignedSource = false)
    {
        int n = src.Length;
        switch (dst.DType)
        {
            case DType.Int64: src.CopyTo(dst.Span<long>().Slice(start, n)); return;
            case DType.UInt64: { var d = dst.Span<ulong>().Slice(start, n); for (int i = 0; i < n; i++) d[i] = (ulong)src[i]; return; }
            case DType.Int32: { var d = dst.Span<int>().Slice(start, n); for (int i = 0; i < n; i++) d[i] = (int)src[i]; return; }
            case DType.UInt32: { var d = dst.Span<uint>().Slice(start, n); for (int i = 0; i < n; i++) d[i] = (uint)src[i]; return; }
            case DType.Int16: { var d = dst.Span<short>().Slice(start, n); for (int i = 0; i < n; i++) d[i] = (short)src[i]; return; }
            case DType.UInt16: { var d = dst.Span<ushort>().Slice(start, n); for (int i = 0; i < n; i++) d[i] = (ushort)src[i]; return; }
            case DType.Int8: { var d = dst.Span<sbyte>().Slice(start, n); for (int i = 0; i < n; i++) d[i] = (sbyte)src[i]; return; }
            case DType.UInt8: { var d = dst.Bytes.Slice(start, n); for (int i = 0; i < n; i++) d[i] = (byte)src[i]; return; }
            case DType.Int4: { var d = dst.Span<sbyte>().Slice(start, n); for (int i = 0; i < n; i++) d[i] = FloatFormats.WrapInt4(src[i]); return; }
            case DType.UInt4: { var d = dst.Bytes.Slice(start, n); for (int i = 0; i < n; i++) d[i] = FloatFormats.WrapUInt4(src[i]); return; }
            case DType.Int2: { var d = dst.Span<sbyte>().Slice(start, n); for (int i = 0; i < n; i++) d[i] = FloatFormats.WrapInt2(src[i]); return; }
            case DType.UInt2: { var d = dst.Bytes.Slice(start, n); for (int i = 0; i < n; i++) d[i] = FloatFormats.WrapUInt2(src[i]); return; }
            case DType.Bool: { var d = dst.Bytes.Slice(start, n); for (int i = 0; i < n; i++) d[i] = src[i] != 0 ? (byte)1 : (byte)0; return; }
            case DType.String:
                {
                    var d = dst.Strings;
                    for (int i = 0; i < n; i++)
                        d[start + i] = unsignedSource ? ((ulong)src[i]).ToString(CultureInfo.InvariantCulture) : src[i].ToString(CultureInfo.InvariantCulture);
                    return;
                }
            default:
                {
                    Span<double> tmp = stackalloc double[Math.Min(Chunk, Math.Max(n, 1))];
                    for (int off = 0; off < n; off += tmp.Length)
                    {
                        int c = Math.Min(tmp.Length, n - off);
                        for (int i = 0; i < c; i++) tmp[i] = unsignedSource ? (double)(ulong)src[off + i] : src[off + i];
                        FromDouble(tmp[..c], dst, start + off);
                    }
                    return;
                }
        }
    }

    /// <summary>Cast: converts every element of <paramref name="src"/> into <paramref name="dst"/> (same length).</summary>
    public static void Convert(Tensor src, Tensor dst, bool saturate = true, E8M0Rounding rounding = E8M0Rounding.Up)
    {
        DType s = src.DType, d = dst.DType;
        int n = src.Length;
        if (n == 0) return;
        if (s == d)
        {
            if (s == DType.String) src.Strings.AsSpan().CopyTo(dst.Strings);
            else src.Bytes.CopyTo(dst.Bytes);
            return;
        }
        // Fast paths that real models hit.
        switch (s, d)
        {
            case (DType.Float32, DType.Float16): TensorPrimitives.ConvertToHalf(src.Span<float>(), dst.Span<Half>()); return;
            case (DType.Float16, DType.Float32): TensorPrimitives.ConvertToSingle(src.Span<Half>(), dst.Span<float>()); return;
            case (DType.Int64, DType.Float32): { var a = src.Span<long>(); var b = dst.Span<float>(); for (int i = 0; i < n; i++) b[i] = a[i]; return; }
            case (DType.Int32, DType.Float32): { var a = src.Span<int>(); var b = dst.Span<float>(); for (int i = 0; i < n; i++) b[i] = a[i]; return; }
            case (DType.Float32, DType.Float64): { var a = src.Span<float>(); var b = dst.Span<double>(); for (int i = 0; i < n; i++) b[i] = a[i]; return; }
            case (DType.Float64, DType.Float32): { var a = src.Span<double>(); var b = dst.Span<float>(); for (int i = 0; i < n; i++) b[i] = (float)a[i]; return; }
            case (DType.Bool, DType.Float32): { var a = src.Bytes; var b = dst.Span<float>(); for (int i = 0; i < n; i++) b[i] = a[i] != 0 ? 1f : 0f; return; }
            case (DType.Float32, DType.BFloat16): { var a = src.Span<float>(); var b = dst.Span<BFloat16>(); for (int i = 0; i < n; i++) b[i] = BFloat16.FromFloat(a[i]); return; }
        }
        if (s == DType.String)
        {
            var strs = src.Strings;
            if (IsIntegral(d) && d != DType.Bool)
            {
                var tmp = new long[n];
                for (int i = 0; i < n; i++) tmp[i] = ParseInt64(strs[i]);
                FromInt64(tmp, dst, 0, false);
            }
            else
            {
                var tmp = new double[n];
                for (int i = 0; i < n; i++) tmp[i] = ParseDouble(strs[i]);
                FromDouble(tmp, dst, 0, saturate, rounding);
            }
            return;
        }
        if (d == DType.String)
        {
            var outs = dst.Strings;
            if (IsIntegral(s))
            {
                var tmp = new long[n];
                ToInt64(src, tmp);
                if (s == DType.Bool) for (int i = 0; i < n; i++) outs[i] = tmp[i] != 0 ? "1" : "0";
                else FromInt64(tmp, dst, 0, s == DType.UInt64);
            }
            else
            {
                var tmp = new double[n];
                ToDouble(src, tmp);
                bool single = s != DType.Float64;
                for (int i = 0; i < n; i++) outs[i] = FormatDouble(tmp[i], single);
            }
            return;
        }
        int chunk = Math.Min(Chunk, n);
        if (IsIntegral(s))
        {
            Span<long> tmp = stackalloc long[chunk];
            for (int off = 0; off < n; off += chunk)
            {
                int c = Math.Min(chunk, n - off);
                ToInt64(src, off, tmp[..c]);
                FromInt64(tmp[..c], dst, off, s == DType.UInt64);
            }
        }
        else
        {
            Span<double> tmp = stackalloc double[chunk];
            for (int off = 0; off < n; off += chunk)
            {
                int c = Math.Min(chunk, n - off);
                ToDouble(src, off, tmp[..c]);
                FromDouble(tmp[..c], dst, off, saturate, rounding);
            }
        }
    }

    /// <summary>ONNX string → double: plain and scientific notation, "INF"/"+INF"/"-INF"/"NaN" in any case.</summary>
    public static double ParseDouble(string s)
    {
        var t = s.AsSpan().Trim();
        if (t.Equals("inf", StringComparison.OrdinalIgnoreCase) || t.Equals("+inf", StringComparison.OrdinalIgnoreCase)
            || t.Equals("infinity", StringComparison.OrdinalIgnoreCase) || t.Equals("+infinity", StringComparison.OrdinalIgnoreCase))
            return double.PositiveInfinity;
        if (t.Equals("-inf", StringComparison.OrdinalIgnoreCase) || t.Equals("-infinity", StringComparison.OrdinalIgnoreCase))
            return double.NegativeInfinity;
        if (t.Equals("nan", StringComparison.OrdinalIgnoreCase) || t.Equals("+nan", StringComparison.OrdinalIgnoreCase)
            || t.Equals("-nan", StringComparison.OrdinalIgnoreCase))
            return double.NaN;
        return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : double.NaN;
    }

    private static long ParseInt64(string s)
    {
        var t = s.AsSpan().Trim();
        if (long.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v)) return v;
        if (ulong.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong u)) return (long)u;
        return DoubleToInt64(ParseDouble(s));
    }

    /// <summary>Shortest round-trip text (float precision when <paramref name="single"/>); INF, -INF, NaN.</summary>
    public static string FormatDouble(double v, bool single)
    {
        if (double.IsNaN(v)) return "NaN";
        if (double.IsPositiveInfinity(v)) return "INF";
        if (double.IsNegativeInfinity(v)) return "-INF";
        return single ? ((float)v).ToString("R", CultureInfo.InvariantCulture) : v.ToString("R", CultureInfo.InvariantCulture);
    }
}
