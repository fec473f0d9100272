using System.Runtime.CompilerServices;

namespace Onyx.Tensors;

/// <summary>Rounding for conversion to <see cref="DType.Float8E8M0"/> (ONNX Cast <c>round_mode</c>).</summary>
public enum E8M0Rounding
{
    /// <summary>Away from zero: any fraction rounds up to the next power of two (ONNX default).</summary>
    Up,
    /// <summary>Towards zero: the fraction is dropped.</summary>
    Down,
    /// <summary>To the nearest power of two, ties up.</summary>
    Nearest,
}

/// <summary>
/// Conversions between float and the small ONNX formats, one element at a time and over spans:
/// float8 e4m3fn / e4m3fnuz / e5m2 / e5m2fnuz (round to nearest even, with ONNX's <c>saturate</c>
/// semantics), float8e8m0, float4e2m1, half, bfloat16, int4/uint4 and int2/uint2 (unpacked, one per byte).
/// </summary>
/// <remarks>
/// Encodings follow the ONNX reference (and the backend test data): NaN becomes 0x7F for e4m3fn
/// (sign kept), 0x7E for e5m2 (sign kept), 0x80 for the fnuz types; -0 becomes +0 for fnuz. With
/// saturate an out-of-range value (or infinity) becomes ±max-finite; without it, infinity for
/// e5m2 and NaN for the others. float4e2m1 always saturates and turns NaN into 0x8 (the reference's
/// choice). Integer sub-byte formats wrap (keep the low bits), like numpy/ml_dtypes casts.
/// </remarks>
public static class FloatFormats
{
    // ---------------------------------------------------------------- float8, generic minifloat core

    /// <summary>Encodes |x| (finite, non-zero) as an unsigned code with RNE; may exceed the format's max code.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int EncodeMagnitude(float a, int manBits, int bias)
    {
        int emin = 1 - bias;
        int e = MathF.ILogB(a);
        if (e < emin)
        {
            // Subnormal in the target: multiples of 2^(emin - manBits). n == 2^manBits lands on the min normal.
            double q = Math.ScaleB((double)a, manBits - emin);
            return (int)Math.Round(q, MidpointRounding.ToEven);
        }
        if (e + bias > 64) return int.MaxValue; // far out of range of any 8-bit format
        double m = Math.ScaleB((double)a, manBits - e);
        int n = (int)Math.Round(m, MidpointRounding.ToEven);
        if (n == 2 << manBits) { e++; n = 1 << manBits; }
        return ((e + bias) << manBits) | (n - (1 << manBits));
    }

    /// <summary>float → float8 e4m3fn (bias 7, max 448, NaN 0x7F/0xFF, no infinity).</summary>
    public static byte FloatToFloat8E4M3FN(float x, bool saturate = true)
    {
        int sign = (int)(BitConverter.SingleToUInt32Bits(x) >> 24) & 0x80;
        if (float.IsNaN(x)) return (byte)(0x7F | sign);
        if (float.IsInfinity(x)) return (byte)((saturate ? 0x7E : 0x7F) | sign);
        float a = MathF.Abs(x);
        if (a == 0) return (byte)sign;
        int code = EncodeMagnitude(a, 3, 7);
        if (code > 0x7E) return (byte)((saturate ? 0x7E : 0x7F) | sign);
        return (byte)(code | sign);
    }

    /// <summary>float → float8 e4m3fnuz (bias 8, max 240, NaN 0x80, no -0, no infinity).</summary>
    public static byte FloatToFloat8E4M3FNUZ(float x, bool saturate = true)
    {
        int sign = (int)(BitConverter.SingleToUInt32Bits(x) >> 24) & 0x80;
        if (float.IsNaN(x)) return 0x80;
        if (float.IsInfinity(x)) return saturate ? (byte)(0x7F | sign) : (byte)0x80;
        float a = MathF.Abs(x);
        if (a == 0) return 0;
        int code = EncodeMagnitude(a, 3, 8);
        if (code > 0x7F) return saturate ? (byte)(0x7F | sign) : (byte)0x80;
        return code == 0 ? (byte)0 : (byte)(code | sign);
    }

    /// <summary>float → float8 e5m2 (bias 15, max 57344, infinity 0x7C, NaN 0x7E).</summary>
    public static byte FloatToFloat8E5M2(float x, bool saturate = true)
    {
        int sign = (int)(BitConverter.SingleToUInt32Bits(x) >> 24) & 0x80;
        if (float.IsNaN(x)) return (byte)(0x7E | sign);
        if (float.IsInfinity(x)) return (byte)((saturate ? 0x7B : 0x7C) | sign);
        float a = MathF.Abs(x);
        if (a == 0) return (byte)sign;
        int code = EncodeMagnitude(a, 2, 15);
        if (code > 0x7B) return (byte)((saturate ? 0x7B : 0x7C) | sign);
        return (byte)(code | sign);
    }

    /// <summary>float → float8 e5m2fnuz (bias 16, max 57344, NaN 0x80, no -0, no infinity).</summary>
    public static byte FloatToFloat8E5M2FNUZ(float x, bool saturate = true)
    {
        int sign = (int)(BitConverter.SingleToUInt32Bits(x) >> 24) & 0x80;
        if (float.IsNaN(x)) return 0x80;
        if (float.IsInfinity(x)) return saturate ? (byte)(0x7F | sign) : (byte)0x80;
        float a = MathF.Abs(x);
        if (a == 0) return 0;
        int code = EncodeMagnitude(a, 2, 16);
        if (code > 0x7F) return saturate ? (byte)(0x7F | sign) : (byte)0x80;
        return code == 0 ? (byte)0 : (byte)(code | sign);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float DecodeMagnitude(int code, int manBits, int bias)
    {
        int e = code >> manBits;
        int m = code & ((1 << manBits) - 1);
        return e == 0
            ? MathF.ScaleB(m, 1 - bias - manBits)
            : MathF.ScaleB((1 << manBits) | m, e - bias - manBits);
    }

    /// <summary>float8 e4m3fn → float (exact).</summary>
    public static float Float8E4M3FNToFloat(byte b)
    {
        if ((b & 0x7F) == 0x7F) return (b & 0x80) != 0 ? -float.NaN : float.NaN;
        float v = DecodeMagnitude(b & 0x7F, 3, 7);
        return (b & 0x80) != 0 ? -v : v;
    }

    /// <summary>float8 e4m3fnuz → float (exact).</summary>
    public static float Float8E4M3FNUZToFloat(byte b)
    {
        if (b == 0x80) return float.NaN;
        float v = DecodeMagnitude(b & 0x7F, 3, 8);
        return (b & 0x80) != 0 ? -v : v;
    }

    /// <summary>float8 e5m2 → float (exact; it is the top byte of a half).</summary>
    public static float Float8E5M2ToFloat(byte b) => (float)BitConverter.UInt16BitsToHalf((ushort)(b << 8));

    /// <summary>float8 e5m2fnuz → float (exact).</summary>
    public static float Float8E5M2FNUZToFloat(byte b)
    {
        if (b == 0x80) return float.NaN;
        float v = DecodeMagnitude(b & 0x7F, 2, 16);
        return (b & 0x80) != 0 ? -v : v;
    }

    // ---------------------------------------------------------------- float8e8m0

    /// <summary>float → float8e8m0 (a biased power-of-two exponent; 0xFF is NaN). Negative inputs use |x|.</summary>
    public static byte FloatToFloat8E8M0(float x, bool saturate = true, E8M0Rounding rounding = E8M0Rounding.Up)
    {
        if (float.IsNaN(x)) return 0xFF;
        if (float.IsInfinity(x)) return saturate ? (byte)0xFE : (byte)0xFF;
        uint bits = BitConverter.SingleToUInt32Bits(x) & 0x7FFFFFFF;
        int e = (int)(bits >> 23);
        uint frac = bits & 0x7FFFFF;
        bool up = rounding switch
        {
            E8M0Rounding.Up => frac != 0,
            E8M0Rounding.Nearest => (frac & 0x400000) != 0,
            _ => false,
        };
        if (up) e++;
        if (e >= 0xFF) return saturate ? (byte)0xFE : (byte)0xFF;
        return (byte)e;
    }

    /// <summary>float8e8m0 → float: 2^(b - 127); 0xFF is NaN; 0 is 2^-127 (a float subnormal).</summary>
    public static float Float8E8M0ToFloat(byte b) => b == 0xFF ? float.NaN : MathF.ScaleB(1f, b - 127);

    // ---------------------------------------------------------------- float4e2m1

    /// <summary>float → float4e2m1 (RNE, saturating to ±6; NaN → 0x8), as the low nibble.</summary>
    public static byte FloatToFloat4E2M1(float x)
    {
        if (float.IsNaN(x)) return 0x8;
        int sign = (int)(BitConverter.SingleToUInt32Bits(x) >> 28) & 0x8;
        float a = MathF.Abs(x);
        if (a == 0) return (byte)sign;
        int code = float.IsInfinity(a) ? 0x7 : EncodeMagnitude(a, 1, 1);
        if (code > 0x7) code = 0x7;
        return (byte)(code | sign);
    }

    private static readonly float[] s_fp4 = [0f, 0.5f, 1f, 1.5f, 2f, 3f, 4f, 6f, -0f, -0.5f, -1f, -1.5f, -2f, -3f, -4f, -6f];

    /// <summary>float4e2m1 (low nibble) → float (exact).</summary>
    public static float Float4E2M1ToFloat(byte b) => s_fp4[b & 0xF];

    // ---------------------------------------------------------------- half / bfloat16

    /// <summary>float → half, round to nearest even.</summary>
    public static Half FloatToHalf(float x) => (Half)x;

    /// <summary>half → float (exact).</summary>
    public static float HalfToFloat(Half h) => (float)h;

    /// <summary>float → bfloat16, round to nearest even.</summary>
    public static BFloat16 FloatToBFloat16(float x) => BFloat16.FromFloat(x);

    /// <summary>bfloat16 → float (exact).</summary>
    public static float BFloat16ToFloat(BFloat16 b) => b.ToFloat();

    // ---------------------------------------------------------------- sub-byte integers

    /// <summary>Wraps an integer to int4 (two's complement low 4 bits, sign-extended).</summary>
    public static sbyte WrapInt4(long v) => (sbyte)((((int)v & 0xF) ^ 8) - 8);

    /// <summary>Wraps an integer to uint4 (low 4 bits).</summary>
    public static byte WrapUInt4(long v) => (byte)(v & 0xF);

    /// <summary>Wraps an integer to int2 (low 2 bits, sign-extended).</summary>
    public static sbyte WrapInt2(long v) => (sbyte)((((int)v & 0x3) ^ 2) - 2);

    /// <summary>Wraps an integer to uint2 (low 2 bits).</summary>
    public static byte WrapUInt2(long v) => (byte)(v & 0x3);

    /// <summary>Clamps to int4's range [-8, 7] (quantization semantics).</summary>
    public static sbyte SaturateInt4(long v) => (sbyte)Math.Clamp(v, -8, 7);

    /// <summary>Clamps to uint4's range [0, 15] (quantization semantics).</summary>
    public static byte SaturateUInt4(long v) => (byte)Math.Clamp(v, 0, 15);

    // ---------------------------------------------------------------- by DType

    /// <summary>True for the byte-stored float formats this class encodes (float8 *, e8m0, float4e2m1).</summary>
    public static bool IsSmallFloat(DType t) => t is DType.Float8E4M3FN or DType.Float8E4M3FNUZ or DType.Float8E5M2
        or DType.Float8E5M2FNUZ or DType.Float8E8M0 or DType.Float4E2M1;

    /// <summary>Encodes a float in one of the byte-stored float formats.</summary>
    public static byte FromFloat(DType t, float x, bool saturate = true, E8M0Rounding rounding = E8M0Rounding.Up) => t switch
    {
        DType.Float8E4M3FN => FloatToFloat8E4M3FN(x, saturate),
        DType.Float8E4M3FNUZ => FloatToFloat8E4M3FNUZ(x, saturate),
        DType.Float8E5M2 => FloatToFloat8E5M2(x, saturate),
        DType.Float8E5M2FNUZ => FloatToFloat8E5M2FNUZ(x, saturate),
        DType.Float8E8M0 => FloatToFloat8E8M0(x, saturate, rounding),
        DType.Float4E2M1 => FloatToFloat4E2M1(x),
        _ => throw new ArgumentException($"{t.OnnxName()} is not a byte-stored float format"),
    };

    /// <summary>Decodes one of the byte-stored float formats to float.</summary>
    public static float ToFloat(DType t, byte b) => t switch
    {
        DType.Float8E4M3FN => Float8E4M3FNToFloat(b),
        DType.Float8E4M3FNUZ => Float8E4M3FNUZToFloat(b),
        DType.Float8E5M2 => Float8E5M2ToFloat(b),
        DType.Float8E5M2FNUZ => Float8E5M2FNUZToFloat(b),
        DType.Float8E8M0 => Float8E8M0ToFloat(b),
        DType.Float4E2M1 => Float4E2M1ToFloat(b),
        _ => throw new ArgumentException($"{t.OnnxName()} is not a byte-stored float format"),
    };

    /// <summary>Encodes a span of floats (see <see cref="FromFloat(DType, float, bool, E8M0Rounding)"/>).</summary>
    public static void FromFloat(DType t, ReadOnlySpan<float> src, Span<byte> dst, bool saturate = true, E8M0Rounding rounding = E8M0Rounding.Up)
    {
        if (dst.Length < src.Length) throw new ArgumentException("destination too short");
        switch (t)
        {
            case DType.Float8E4M3FN: for (int i = 0; i < src.Length; i++) dst[i] = FloatToFloat8E4M3FN(src[i], saturate); break;
            case DType.Float8E4M3FNUZ: for (int i = 0; i < src.Length; i++) dst[i] = FloatToFloat8E4M3FNUZ(src[i], saturate); break;
            case DType.Float8E5M2: for (int i = 0; i < src.Length; i++) dst[i] = FloatToFloat8E5M2(src[i], saturate); break;
            case DType.Float8E5M2FNUZ: for (int i = 0; i < src.Length; i++) dst[i] = FloatToFloat8E5M2FNUZ(src[i], saturate); break;
            case DType.Float8E8M0: for (int i = 0; i < src.Length; i++) dst[i] = FloatToFloat8E8M0(src[i], saturate, rounding); break;
            case DType.Float4E2M1: for (int i = 0; i < src.Length; i++) dst[i] = FloatToFloat4E2M1(src[i]); break;
            default: throw new ArgumentException($"{t.OnnxName()} is not a byte-stored float format");
        }
    }

    /// <summary>Decodes a span of a byte-stored float format to floats.</summary>
    public static void ToFloat(DType t, ReadOnlySpan<byte> src, Span<float> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException("destination too short");
        for (int i = 0; i < src.Length; i++) dst[i] = ToFloat(t, src[i]);
    }
}
