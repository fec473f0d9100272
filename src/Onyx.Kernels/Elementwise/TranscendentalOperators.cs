using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Onyx.Kernels.Elementwise;

/// <summary>
/// tanh for float: odd Taylor polynomial below |x| = 0.25 (truncation under 1e-9 relative), else
/// sign(x)·(1 − 2/(e^{2|x|} + 1)), whose cancellation costs at most two bits there. Double uses Math.Tanh.
/// The vector forms use the float Cephes exp (<see cref="VMath.ExpF"/>, clamped at e^88 so a big |x| gives ±1)
/// and, on AVX-512, rcp14 plus one Newton step (~1e-8 relative) instead of a divide: the FastGelu GEMM epilogue
/// runs them over every output (64x3072 Tanh: 214 -> 108 us).
/// </summary>
public readonly struct TanhOperator : IUnaryOperator<float>, IUnaryOperator<double>
{
    private const float C3 = -1f / 3, C5 = 2f / 15, C7 = -17f / 315, C9 = 62f / 2835, C11 = -1382f / 155925;

    static bool IUnaryOperator<float>.Vectorizable => true;

    public float Invoke(float x)
    {
        float ax = MathF.Abs(x);
        if (ax < 0.25f) return x + Small(x);
        float r = 1f - 2f / (MathF.Exp(2f * ax) + 1f);
        return MathF.CopySign(r, x);
    }

    /// <summary>1 + tanh(x), with no cancellation where tanh ≈ −1 (FastGelu's negative tail): 2/(e^{2|x|} + 1) there.</summary>
    public float OnePlus(float x)
    {
        float ax = MathF.Abs(x);
        if (ax < 0.25f) return 1f + (x + Small(x));
        float q = 2f / (MathF.Exp(2f * ax) + 1f);
        return x < 0 ? q : 2f - q;
    }

    private static float Small(float x)
    {
        float x2 = x * x;
        return x * x2 * (C3 + x2 * (C5 + x2 * (C7 + x2 * (C9 + x2 * C11))));
    }

    public double Invoke(double x) => Math.Tanh(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x)
    {
        Vector256<float> ax = Vector256.Abs(x), q = Tail(ax);
        return Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(0.25f)), x + Small(x), Vector256.CopySign(Vector256<float>.One - q, x));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> x)
    {
        Vector512<float> ax = Vector512.Abs(x), q = Tail(ax);
        return Vector512.ConditionalSelect(Vector512.LessThan(ax, Vector512.Create(0.25f)), x + Small(x), Vector512.CopySign(Vector512<float>.One - q, x));
    }

    /// <summary>1 + tanh(x) (see the scalar <see cref="OnePlus(float)"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> OnePlus(Vector256<float> x)
    {
        Vector256<float> ax = Vector256.Abs(x), q = Tail(ax);
        Vector256<float> big = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), q, Vector256.Create(2f) - q);
        return Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(0.25f)), Vector256<float>.One + (x + Small(x)), big);
    }

    /// <summary>1 + tanh(x) (see the scalar <see cref="OnePlus(float)"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> OnePlus(Vector512<float> x)
    {
        Vector512<float> ax = Vector512.Abs(x), q = Tail(ax);
        Vector512<float> big = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), q, Vector512.Create(2f) - q);
        return Vector512.ConditionalSelect(Vector512.LessThan(ax, Vector512.Create(0.25f)), Vector512<float>.One + (x + Small(x)), big);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Small(Vector256<float> x)
    {
        Vector256<float> x2 = x * x;
        return x * x2 * (Vector256.Create(C3) + x2 * (Vector256.Create(C5) + x2 * (Vector256.Create(C7) + x2 * (Vector256.Create(C9) + x2 * C11))));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Small(Vector512<float> x)
    {
        Vector512<float> x2 = x * x;
        return x * x2 * (Vector512.Create(C3) + x2 * (Vector512.Create(C5) + x2 * (Vector512.Create(C7) + x2 * (Vector512.Create(C9) + x2 * C11))));
    }

    /// <summary>2/(e^{2|x|} + 1) = 1 − tanh|x|.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Tail(Vector256<float> ax) => Vector256.Create(2f) / (VMath.ExpF(ax + ax) + Vector256<float>.One);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Tail(Vector512<float> ax)
    {
        Vector512<float> den = VMath.ExpF(ax + ax) + Vector512<float>.One;
        if (!Avx512F.IsSupported) return Vector512.Create(2f) / den;
        Vector512<float> inv = Avx512F.Reciprocal14(den);
        inv = Vector512.FusedMultiplyAdd(Vector512.FusedMultiplyAdd(-den, inv, Vector512<float>.One), inv, inv);
        return inv + inv;
    }
}

/// <summary>
/// erf for float: Maclaurin polynomial below |x| = 0.5, Abramowitz–Stegun 7.1.26 above
/// (absolute error ≤ 1.5e-7 where erf ≥ 0.52). Double uses the series/continued fraction of <see cref="Erf"/>.
/// The vector forms (GEMM Gelu epilogues run them over every output) evaluate in FMAs with the float Cephes
/// exp (<see cref="VMath.ExpF"/>) instead of the BCL's double-widening one and, on AVX-512, 1/(1 + p|x|) as
/// rcp14 plus one Newton step (~1e-8 relative) instead of a divide (64x3072 Gelu epilogue: 214 -> ~150 us).
/// </summary>
public readonly struct ErfFastOperator : IUnaryOperator<float>, IUnaryOperator<double>
{
    // 2/√π · (−1)^n / (n! (2n+1))
    private const float S0 = 1.1283791671f, S1 = -0.37612638903f, S2 = 0.11283791671f, S3 = -0.026866170645f,
        S4 = 0.0052239776254f, S5 = -0.00085483270234f, S6 = 0.00012055332982f, S7 = -1.4925650358e-5f;
    private const float P = 0.3275911f, A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f, A4 = -1.453152027f, A5 = 1.061405429f;

    static bool IUnaryOperator<float>.Vectorizable => true;

    public float Invoke(float x)
    {
        if (MathF.Abs(x) < 0.5f) return Small(x);
        return MathF.CopySign(1f - Tail(MathF.Abs(x)), x);
    }

    /// <summary>
    /// 1 + erf(x) for Gelu: erfc(|x|) itself for x &lt; 0 (no cancellation in the negative tail), 2 − erfc(|x|)
    /// above, from A&amp;S 7.1.26 at every x: its 1.5e-7 absolute error is ≤ 3e-7 relative to 1 + erf(x) near 0,
    /// so the Maclaurin branch Erf needs for relative accuracy is not evaluated here (a fifth of the vector work).
    /// </summary>
    public float OnePlus(float x)
    {
        float q = Tail(MathF.Abs(x));
        return x < 0 ? q : 2f - q;
    }

    private static float Small(float x)
    {
        float x2 = x * x;
        return x * (S0 + x2 * (S1 + x2 * (S2 + x2 * (S3 + x2 * (S4 + x2 * (S5 + x2 * (S6 + x2 * S7)))))));
    }

    /// <summary>erfc(ax) for ax ≥ 0 (A&amp;S 7.1.26, absolute error ≤ 1.5e-7).</summary>
    private static float Tail(float ax)
    {
        float t = 1f / (1f + P * ax);
        return t * (A1 + t * (A2 + t * (A3 + t * (A4 + t * A5)))) * MathF.Exp(-ax * ax);
    }

    public double Invoke(double x) => Erf.Of(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x)
    {
        Vector256<float> ax = Vector256.Abs(x);
        return Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(0.5f)), Small(x), Vector256.CopySign(Vector256<float>.One - Tail(ax), x));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> x)
    {
        Vector512<float> ax = Vector512.Abs(x);
        return Vector512.ConditionalSelect(Vector512.LessThan(ax, Vector512.Create(0.5f)), Small(x), Vector512.CopySign(Vector512<float>.One - Tail(ax), x));
    }

    /// <summary>1 + erf(x) (see the scalar <see cref="OnePlus(float)"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> OnePlus(Vector256<float> x)
    {
        Vector256<float> q = Tail(Vector256.Abs(x));
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), q, Vector256.Create(2f) - q);
    }

    /// <summary>1 + erf(x) (see the scalar <see cref="OnePlus(float)"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> OnePlus(Vector512<float> x)
    {
        Vector512<float> q = Tail(Vector512.Abs(x));
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), q, Vector512.Create(2f) - q);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Small(Vector256<float> x)
    {
        Vector256<float> x2 = x * x;
        Vector256<float> s = Vector256.FusedMultiplyAdd(x2, Vector256.Create(S7), Vector256.Create(S6));
        s = Vector256.FusedMultiplyAdd(x2, s, Vector256.Create(S5));
        s = Vector256.FusedMultiplyAdd(x2, s, Vector256.Create(S4));
        s = Vector256.FusedMultiplyAdd(x2, s, Vector256.Create(S3));
        s = Vector256.FusedMultiplyAdd(x2, s, Vector256.Create(S2));
        s = Vector256.FusedMultiplyAdd(x2, s, Vector256.Create(S1));
        return x * Vector256.FusedMultiplyAdd(x2, s, Vector256.Create(S0));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Small(Vector512<float> x)
    {
        Vector512<float> x2 = x * x;
        Vector512<float> s = Vector512.FusedMultiplyAdd(x2, Vector512.Create(S7), Vector512.Create(S6));
        s = Vector512.FusedMultiplyAdd(x2, s, Vector512.Create(S5));
        s = Vector512.FusedMultiplyAdd(x2, s, Vector512.Create(S4));
        s = Vector512.FusedMultiplyAdd(x2, s, Vector512.Create(S3));
        s = Vector512.FusedMultiplyAdd(x2, s, Vector512.Create(S2));
        s = Vector512.FusedMultiplyAdd(x2, s, Vector512.Create(S1));
        return x * Vector512.FusedMultiplyAdd(x2, s, Vector512.Create(S0));
    }

    /// <summary>erfc(ax) for ax ≥ 0 (A&amp;S 7.1.26, absolute error ≤ 1.5e-7).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Tail(Vector256<float> ax)
    {
        Vector256<float> t = Vector256<float>.One / Vector256.FusedMultiplyAdd(ax, Vector256.Create(P), Vector256<float>.One);
        Vector256<float> poly = Vector256.FusedMultiplyAdd(t, Vector256.Create(A5), Vector256.Create(A4));
        poly = Vector256.FusedMultiplyAdd(t, poly, Vector256.Create(A3));
        poly = Vector256.FusedMultiplyAdd(t, poly, Vector256.Create(A2));
        poly = Vector256.FusedMultiplyAdd(t, poly, Vector256.Create(A1)) * t;
        return poly * VMath.ExpF(-(ax * ax));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Tail(Vector512<float> ax)
    {
        Vector512<float> den = Vector512.FusedMultiplyAdd(ax, Vector512.Create(P), Vector512<float>.One), t;
        if (Avx512F.IsSupported)
        {
            t = Avx512F.Reciprocal14(den);
            t = Vector512.FusedMultiplyAdd(Vector512.FusedMultiplyAdd(-den, t, Vector512<float>.One), t, t);
        }
        else t = Vector512<float>.One / den;
        Vector512<float> poly = Vector512.FusedMultiplyAdd(t, Vector512.Create(A5), Vector512.Create(A4));
        poly = Vector512.FusedMultiplyAdd(t, poly, Vector512.Create(A3));
        poly = Vector512.FusedMultiplyAdd(t, poly, Vector512.Create(A2));
        poly = Vector512.FusedMultiplyAdd(t, poly, Vector512.Create(A1)) * t;
        return poly * VMath.ExpF(-(ax * ax));
    }
}

/// <summary>
/// Gelu for float on the vector erf/tanh above: 0.5·x·(1 + erf(x/√2)), or with approximate=tanh
/// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). Double goes through the precise scalar functions.
/// </summary>
public readonly struct GeluFastOperator(bool tanh) : IUnaryOperator<float>, IUnaryOperator<double>
{
    private const float InvSqrt2 = 0.70710678118654752f, K = 0.79788456080286536f, C = 0.044715f;

    static bool IUnaryOperator<float>.Vectorizable => true;

    // 1 + erf / 1 + tanh come from OnePlus: for negative x it is erfc(|x|) itself, not 1 + (−1 + tiny), whose
    // rounding left only a few correct bits of Gelu's negative tail.
    public float Invoke(float x) => tanh
        ? 0.5f * x * new TanhOperator().OnePlus(K * (x + C * x * x * x))
        : 0.5f * x * new ErfFastOperator().OnePlus(x * InvSqrt2);

    public double Invoke(double x) => tanh
        ? 0.5 * x * (1 + Math.Tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))
        : 0.5 * x * (1 + Erf.Of(x * 0.7071067811865476));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x)
    {
        Vector256<float> onePlus = tanh ? new TanhOperator().OnePlus((x + x * x * x * C) * K) : new ErfFastOperator().OnePlus(x * InvSqrt2);
        return x * Vector256.Create(0.5f) * onePlus;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> x)
    {
        Vector512<float> onePlus = tanh ? new TanhOperator().OnePlus((x + x * x * x * C) * K) : new ErfFastOperator().OnePlus(x * InvSqrt2);
        return x * Vector512.Create(0.5f) * onePlus;
    }
}
