using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Onyx.Kernels.Elementwise;

/// <summary>
/// tanh for float: odd Taylor polynomial below |x| = 0.25 (truncation under 1e-9 relative), else
/// sign(x)·(1 − 2/(e^{2|x|} + 1)), whose cancellation costs at most two bits there. Double uses Math.Tanh.
/// </summary>
public readonly struct TanhOperator : IUnaryOperator<float>, IUnaryOperator<double>
{
    private const float C3 = -1f / 3, C5 = 2f / 15, C7 = -17f / 315, C9 = 62f / 2835, C11 = -1382f / 155925;

    static bool IUnaryOperator<float>.Vectorizable => true;

    public float Invoke(float x)
    {
        float ax = MathF.Abs(x);
        if (ax < 0.25f)
        {
            float x2 = x * x;
            return x + x * x2 * (C3 + x2 * (C5 + x2 * (C7 + x2 * (C9 + x2 * C11))));
        }
        float r = 1f - 2f / (MathF.Exp(2f * ax) + 1f);
        return MathF.CopySign(r, x);
    }

    public double Invoke(double x) => Math.Tanh(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x)
    {
        Vector256<float> ax = Vector256.Abs(x), x2 = x * x;
        Vector256<float> small = x + x * x2 * (Vector256.Create(C3) + x2 * (Vector256.Create(C5) + x2 * (Vector256.Create(C7) + x2 * (Vector256.Create(C9) + x2 * C11))));
        Vector256<float> big = Vector256<float>.One - Vector256.Create(2f) / (Vector256.Exp(ax + ax) + Vector256<float>.One);
        big = Vector256.CopySign(big, x);
        return Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(0.25f)), small, big);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> x)
    {
        Vector512<float> ax = Vector512.Abs(x), x2 = x * x;
        Vector512<float> small = x + x * x2 * (Vector512.Create(C3) + x2 * (Vector512.Create(C5) + x2 * (Vector512.Create(C7) + x2 * (Vector512.Create(C9) + x2 * C11))));
        Vector512<float> big = Vector512<float>.One - Vector512.Create(2f) / (Vector512.Exp(ax + ax) + Vector512<float>.One);
        big = Vector512.CopySign(big, x);
        return Vector512.ConditionalSelect(Vector512.LessThan(ax, Vector512.Create(0.25f)), small, big);
    }
}

/// <summary>
/// erf for float: Maclaurin polynomial below |x| = 0.5, Abramowitz–Stegun 7.1.26 above
/// (absolute error ≤ 1.5e-7 where erf ≥ 0.52). Double uses the series/continued fraction of <see cref="Erf"/>.
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
        float ax = MathF.Abs(x);
        if (ax < 0.5f)
        {
            float x2 = x * x;
            return x * (S0 + x2 * (S1 + x2 * (S2 + x2 * (S3 + x2 * (S4 + x2 * (S5 + x2 * (S6 + x2 * S7)))))));
        }
        float t = 1f / (1f + P * ax);
        float r = 1f - t * (A1 + t * (A2 + t * (A3 + t * (A4 + t * A5)))) * MathF.Exp(-ax * ax);
        return MathF.CopySign(r, x);
    }

    public double Invoke(double x) => Erf.Of(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x)
    {
        Vector256<float> ax = Vector256.Abs(x), x2 = x * x;
        Vector256<float> small = x * (Vector256.Create(S0) + x2 * (Vector256.Create(S1) + x2 * (Vector256.Create(S2) + x2 * (Vector256.Create(S3)
            + x2 * (Vector256.Create(S4) + x2 * (Vector256.Create(S5) + x2 * (Vector256.Create(S6) + x2 * S7)))))));
        Vector256<float> t = Vector256<float>.One / (Vector256<float>.One + ax * P);
        Vector256<float> poly = t * (Vector256.Create(A1) + t * (Vector256.Create(A2) + t * (Vector256.Create(A3) + t * (Vector256.Create(A4) + t * A5))));
        Vector256<float> big = Vector256.CopySign(Vector256<float>.One - poly * Vector256.Exp(-x2), x);
        return Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(0.5f)), small, big);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> x)
    {
        Vector512<float> ax = Vector512.Abs(x), x2 = x * x;
        Vector512<float> small = x * (Vector512.Create(S0) + x2 * (Vector512.Create(S1) + x2 * (Vector512.Create(S2) + x2 * (Vector512.Create(S3)
            + x2 * (Vector512.Create(S4) + x2 * (Vector512.Create(S5) + x2 * (Vector512.Create(S6) + x2 * S7)))))));
        Vector512<float> t = Vector512<float>.One / (Vector512<float>.One + ax * P);
        Vector512<float> poly = t * (Vector512.Create(A1) + t * (Vector512.Create(A2) + t * (Vector512.Create(A3) + t * (Vector512.Create(A4) + t * A5))));
        Vector512<float> big = Vector512.CopySign(Vector512<float>.One - poly * Vector512.Exp(-x2), x);
        return Vector512.ConditionalSelect(Vector512.LessThan(ax, Vector512.Create(0.5f)), small, big);
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

    public float Invoke(float x) => tanh
        ? 0.5f * x * (1f + new TanhOperator().Invoke(K * (x + C * x * x * x)))
        : 0.5f * x * (1f + new ErfFastOperator().Invoke(x * InvSqrt2));

    public double Invoke(double x) => tanh
        ? 0.5 * x * (1 + Math.Tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))
        : 0.5 * x * (1 + Erf.Of(x * 0.7071067811865476));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x)
    {
        Vector256<float> inner = tanh ? new TanhOperator().Invoke((x + x * x * x * C) * K) : new ErfFastOperator().Invoke(x * InvSqrt2);
        return x * Vector256.Create(0.5f) * (Vector256<float>.One + inner);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> x)
    {
        Vector512<float> inner = tanh ? new TanhOperator().Invoke((x + x * x * x * C) * K) : new ErfFastOperator().Invoke(x * InvSqrt2);
        return x * Vector512.Create(0.5f) * (Vector512<float>.One + inner);
    }
}
