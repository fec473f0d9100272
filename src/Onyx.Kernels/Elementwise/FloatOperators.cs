using System.Numerics;
using System.Runtime.Intrinsics;

namespace Onyx.Kernels.Elementwise;

// Unary operators of the float family. T is float or double (Half/BFloat16 are widened to float
// by the drivers); vector paths exist where the formula needs only vector arithmetic, Exp or Log.

/// <summary>y = e^x.</summary>
public readonly struct ExpOperator<T> : IUnaryOperator<T> where T : struct, IFloatingPointIeee754<T>
{
    public static bool Vectorizable => VMath.IsFloatOrDouble<T>();
    public T Invoke(T x) => T.Exp(x);
    public Vector256<T> Invoke(Vector256<T> x) => VMath.Exp(x);
    public Vector512<T> Invoke(Vector512<T> x) => VMath.Exp(x);
}

/// <summary>y = ln x.</summary>
public readonly struct LogOperator<T> : IUnaryOperator<T> where T : struct, IFloatingPointIeee754<T>
{
    public static bool Vectorizable => VMath.IsFloatOrDouble<T>();
    public T Invoke(T x) => T.Log(x);
    public Vector256<T> Invoke(Vector256<T> x) => VMath.Log(x);
    public Vector512<T> Invoke(Vector512<T> x) => VMath.Log(x);
}

/// <summary>y = √x.</summary>
public readonly struct SqrtOperator<T> : IUnaryOperator<T> where T : struct, IFloatingPointIeee754<T>
{
    public static bool Vectorizable => true;
    public T Invoke(T x) => T.Sqrt(x);
    public Vector256<T> Invoke(Vector256<T> x) => Vector256.Sqrt(x);
    public Vector512<T> Invoke(Vector512<T> x) => Vector512.Sqrt(x);
}

/// <summary>y = 1 / x.</summary>
public readonly struct ReciprocalOperator<T> : IUnaryOperator<T> where T : struct, IFloatingPointIeee754<T>
{
    public static bool Vectorizable => true;
    public T Invoke(T x) => T.One / x;
    public Vector256<T> Invoke(Vector256<T> x) => Vector256<T>.One / x;
    public Vector512<T> Invoke(Vector512<T> x) => Vector512<T>.One / x;
}

/// <summary>y = ⌈x⌉.</summary>
public readonly struct CeilOperator<T> : IUnaryOperator<T> where T : struct, IFloatingPointIeee754<T>
{
    public static bool Vectorizable => VMath.IsFloatOrDouble<T>();
    public T Invoke(T x) => T.Ceiling(x);
    public Vector256<T> Invoke(Vector256<T> x) => typeof(T) == typeof(float) ? Vector256.Ceiling(x.AsSingle()).As<float, T>() : Vector256.Ceiling(x.AsDouble()).As<double, T>();
    public Vector512<T> Invoke(Vector512<T> x) => typeof(T) == typeof(float) ? Vector512.Ceiling(x.AsSingle()).As<float, T>() : Vector512.Ceiling(x.AsDouble()).As<double, T>();
}

/// <summary>y = ⌊x⌋.</summary>
public readonly struct FloorOperator<T> : IUnaryOperator<T> where T : struct, IFloatingPointIeee754<T>
{
    public static bool Vectorizable => VMath.IsFloatOrDouble<T>();
    public T Invoke(T x) => T.Floor(x);
    public Vector256<T> Invoke(Vector256<T> x) => typeof(T) == typeof(float) ? Vector256.Floor(x.AsSingle()).As<float, T>() : Vector256.Floor(x.AsDouble()).As<double, T>();
    public Vector512<T> Invoke(Vector512<T> x) => typeof(T) == typeof(float) ? Vector512.Floor(x.AsSingle()).As<float, T>() : Vector512.Floor(x.AsDouble()).As<double, T>();
}

/// <summary>y = x rounded to nearest, halves to even.</summary>
public readonly struct RoundOperator<T> : IUnaryOperator<T> where T : struct, IFloatingPointIeee754<T>
{
    public T Invoke(T x) => T.Round(x, MidpointRounding.ToEven);
}

/// <summary>Trigonometric and hyperbolic functions, scalar.</summary>
public readonly struct TrigOperator<T>(TrigKind kind) : IUnaryOperator<T> where T : struct, IFloatingPointIeee754<T>
{
    public T Invoke(T x) => kind switch
    {
        TrigKind.Sin => T.Sin(x),
        TrigKind.Cos => T.Cos(x),
        TrigKind.Tan => T.Tan(x),
        TrigKind.Asin => T.Asin(x),
        TrigKind.Acos => T.Acos(x),
        TrigKind.Atan => T.Atan(x),
        TrigKind.Sinh => T.Sinh(x),
        TrigKind.Cosh => T.Cosh(x),
        TrigKind.Tanh => T.Tanh(x),
        TrigKind.Asinh => T.Asinh(x),
        TrigKind.Acosh => T.Acosh(x),
        _ => T.Atanh(x),
    };
}

/// <summary>Which function a <see cref="TrigOperator{T}"/> computes.</summary>
public enum TrigKind { Sin, Cos, Tan, Asin, Acos, Atan, Sinh, Cosh, Tanh, Asinh, Acosh, Atanh }

/// <summary>The error function in double precision.</summary>
public static class Erf
{
    /// <summary>erf(x) to about 1e-15 relative.</summary>
    public static double Of(double x)
    {
        if (double.IsNaN(x)) return x;
        double ax = Math.Abs(x);
        double r;
        if (ax < 2.5)
        {
            // Maclaurin series: 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1)).
            double x2 = ax * ax, term = ax, sum = ax;
            for (int n = 1; n < 80; n++)
            {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            r = sum * 1.1283791670955126;
        }
        else if (ax > 6) r = 1;
        else
        {
            // erfc(x) = e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated from the tail.
            double f = ax;
            for (int k = 60; k >= 1; k--) f = ax + k * 0.5 / f;
            r = 1 - Math.Exp(-ax * ax) / (f * 1.7724538509055159);
        }
        return x < 0 ? -r : r;
    }
}

/// <summary>y = 1 / (1 + e^-x).</summary>
public readonly struct SigmoidOperator<T> : IUnaryOperator<T> where T : struct, IFloatingPointIeee754<T>
{
    public static bool Vectorizable => VMath.IsFloatOrDouble<T>();
    public T Invoke(T x) => x >= T.Zero ? T.One / (T.One + T.Exp(-x)) : T.Exp(x) / (T.One + T.Exp(x));
    public Vector256<T> Invoke(Vector256<T> x) => Vector256<T>.One / (Vector256<T>.One + VMath.Exp(-x));
    public Vector512<T> Invoke(Vector512<T> x) => Vector512<T>.One / (Vector512<T>.One + VMath.Exp(-x));
}

/// <summary>Swish / SiLU: y = x · sigmoid(alpha · x).</summary>
public readonly struct SwishOperator<T>(T alpha) : IUnaryOperator<T> where T : struct, IFloatingPointIeee754<T>
{
    public static bool Vectorizable => VMath.IsFloatOrDouble<T>();
    public T Invoke(T x) => x * new SigmoidOperator<T>().Invoke(alpha * x);
    public Vector256<T> Invoke(Vector256<T> x) => x / (Vector256<T>.One + VMath.Exp(-x * alpha));
    public Vector512<T> Invoke(Vector512<T> x) => x / (Vector512<T>.One + VMath.Exp(-x * alpha));
}

/// <summary>y = ln(1 + e^x), stable for large |x|.</summary>
public readonly struct SoftplusOperator<T> : IUnaryOperator<T> where T : struct, IFloatingPointIeee754<T>
{
    public T Invoke(T x) => x > T.Zero ? x + T.LogP1(T.Exp(-x)) : T.LogP1(T.Exp(x));
}

/// <summary>y = x / (1 + |x|).</summary>
public readonly struct SoftsignOperator<T> : IUnaryOperator<T> where T : struct, IFloatingPointIeee754<T>
{
    public static bool Vectorizable => true;
    public T Invoke(T x) => x / (T.One + T.Abs(x));
    public Vector256<T> Invoke(Vector256<T> x) => x / (Vector256<T>.One + Vector256.Abs(x));
    public Vector512<T> Invoke(Vector512<T> x) => x / (Vector512<T>.One + Vector512.Abs(x));
}

/// <summary>y = x · tanh(softplus(x)).</summary>
public readonly struct MishOperator<T> : IUnaryOperator<T> where T : struct, IFloatingPointIeee754<T>
{
    public T Invoke(T x) => x * T.Tanh(new SoftplusOperator<T>().Invoke(x));
}

/// <summary>y = x · max(0, min(1, x/6 + 1/2)).</summary>
public readonly struct HardSwishOperator<T> : IUnaryOperator<T> where T : struct, IFloatingPointIeee754<T>
{
    private static readonly T s_sixth = T.One / T.CreateTruncating(6), s_half = T.CreateTruncating(0.5);
    public static bool Vectorizable => true;
    public T Invoke(T x) => x * T.Max(T.Zero, T.Min(T.One, x * s_sixth + s_half));
    public Vector256<T> Invoke(Vector256<T> x) => x * Vector256.Max(Vector256<T>.Zero, Vector256.Min(Vector256<T>.One, x * s_sixth + Vector256.Create(s_half)));
    public Vector512<T> Invoke(Vector512<T> x) => x * Vector512.Max(Vector512<T>.Zero, Vector512.Min(Vector512<T>.One, x * s_sixth + Vector512.Create(s_half)));
}

/// <summary>y = max(0, min(1, alpha · x + beta)).</summary>
public readonly struct HardSigmoidOperator<T>(T alpha, T beta) : IUnaryOperator<T> where T : struct, IFloatingPointIeee754<T>
{
    public static bool Vectorizable => true;
    public T Invoke(T x) => T.Max(T.Zero, T.Min(T.One, alpha * x + beta));
    public Vector256<T> Invoke(Vector256<T> x) => Vector256.Max(Vector256<T>.Zero, Vector256.Min(Vector256<T>.One, x * alpha + Vector256.Create(beta)));
    public Vector512<T> Invoke(Vector512<T> x) => Vector512.Max(Vector512<T>.Zero, Vector512.Min(Vector512<T>.One, x * alpha + Vector512.Create(beta)));
}

/// <summary>y = x ≥ 0 ? x : alpha · x.</summary>
public readonly struct LeakyReluOperator<T>(T alpha) : IUnaryOperator<T> where T : struct, IFloatingPointIeee754<T>
{
    public static bool Vectorizable => true;
    public T Invoke(T x) => x >= T.Zero ? x : alpha * x;
    public Vector256<T> Invoke(Vector256<T> x) => Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256<T>.Zero), x, x * alpha);
    public Vector512<T> Invoke(Vector512<T> x) => Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512<T>.Zero), x, x * alpha);
}

/// <summary>y = x ≥ 0 ? x : alpha · (e^x − 1).</summary>
public readonly struct EluOperator<T>(T alpha) : IUnaryOperator<T> where T : struct, IFloatingPointIeee754<T>
{
    public T Invoke(T x) => x >= T.Zero ? x : alpha * (T.Exp(x) - T.One);
}

/// <summary>y = gamma · (x &gt; 0 ? x : alpha · e^x − alpha).</summary>
public readonly struct SeluOperator<T>(T alpha, T gamma) : IUnaryOperator<T> where T : struct, IFloatingPointIeee754<T>
{
    public T Invoke(T x) => x > T.Zero ? gamma * x : gamma * (alpha * T.Exp(x) - alpha);
}

/// <summary>y = max(0, x) + min(0, alpha · (e^(x/alpha) − 1)).</summary>
public readonly struct CeluOperator<T>(T alpha) : IUnaryOperator<T> where T : struct, IFloatingPointIeee754<T>
{
    public T Invoke(T x) => T.Max(T.Zero, x) + T.Min(T.Zero, alpha * (T.Exp(x / alpha) - T.One));
}

/// <summary>y = x &gt; alpha ? x : 0.</summary>
public readonly struct ThresholdedReluOperator<T>(T alpha) : IUnaryOperator<T> where T : struct, IFloatingPointIeee754<T>
{
    public static bool Vectorizable => true;
    public T Invoke(T x) => x > alpha ? x : T.Zero;
    public Vector256<T> Invoke(Vector256<T> x) => Vector256.GreaterThan(x, Vector256.Create(alpha)) & x;
    public Vector512<T> Invoke(Vector512<T> x) => Vector512.GreaterThan(x, Vector512.Create(alpha)) & x;
}

/// <summary>y = min(max(x, lo), hi) (for ints and floats).</summary>
public readonly struct ClipOperator<T>(T lo, T hi) : IUnaryOperator<T> where T : struct, INumber<T>
{
    public static bool Vectorizable => true;
    public T Invoke(T x) => x < lo ? lo : (x > hi ? hi : x);
    public Vector256<T> Invoke(Vector256<T> x) => Vector256.Min(Vector256.Max(x, Vector256.Create(lo)), Vector256.Create(hi));
    public Vector512<T> Invoke(Vector512<T> x) => Vector512.Min(Vector512.Max(x, Vector512.Create(lo)), Vector512.Create(hi));
}

/// <summary>y = max(x, 0) (for ints and floats).</summary>
public readonly struct ReluOperator<T> : IUnaryOperator<T> where T : struct, INumber<T>
{
    public static bool Vectorizable => true;
    public T Invoke(T x) => x > T.Zero ? x : T.Zero;
    public Vector256<T> Invoke(Vector256<T> x) => Vector256.Max(x, Vector256<T>.Zero);
    public Vector512<T> Invoke(Vector512<T> x) => Vector512.Max(x, Vector512<T>.Zero);
}

/// <summary>y = |x| (integers wrap at the minimum).</summary>
public readonly struct AbsOperator<T> : IUnaryOperator<T> where T : struct, INumber<T>
{
    public static bool Vectorizable => true;
    public T Invoke(T x) => T.IsNegative(x) ? -x : x;
    public Vector256<T> Invoke(Vector256<T> x) => Vector256.Abs(x);
    public Vector512<T> Invoke(Vector512<T> x) => Vector512.Abs(x);
}

/// <summary>y = −x.</summary>
public readonly struct NegOperator<T> : IUnaryOperator<T> where T : struct, INumber<T>
{
    public static bool Vectorizable => true;
    public T Invoke(T x) => -x;
    public Vector256<T> Invoke(Vector256<T> x) => -x;
    public Vector512<T> Invoke(Vector512<T> x) => -x;
}

/// <summary>y = sign(x) ∈ {−1, 0, 1} (NaN stays NaN).</summary>
public readonly struct SignOperator<T> : IUnaryOperator<T> where T : struct, INumber<T>
{
    public T Invoke(T x) => T.IsNaN(x) ? x : x > T.Zero ? T.One : (x < T.Zero ? T.Zero - T.One : T.Zero);
}

/// <summary>Shrink: y = x &lt; −lambd ? x + bias : (x &gt; lambd ? x − bias : 0), computed in double.</summary>
public readonly struct ShrinkOperator<T>(double bias, double lambd) : IUnaryOperator<T> where T : struct, INumber<T>
{
    public T Invoke(T x)
    {
        double d = double.CreateTruncating(x);
        return d < -lambd ? T.CreateTruncating(d + bias) : d > lambd ? T.CreateTruncating(d - bias) : T.Zero;
    }
}

/// <summary>y = x^e for a fixed exponent: x·x for 2, √x for 0.5, x·x·x for 3, 1/x for −1, else scalar pow.</summary>
public readonly struct PowScalarOperator<T>(T e) : IUnaryOperator<T> where T : struct, IFloatingPointIeee754<T>
{
    private static readonly T s_two = T.CreateTruncating(2), s_three = T.CreateTruncating(3), s_half = T.CreateTruncating(0.5);

    /// <summary>True when <paramref name="e"/> has a vector form here.</summary>
    public static bool HasVectorForm(T e) => e == s_two || e == s_half || e == s_three || e == T.One || e == -T.One;

    public static bool Vectorizable => true;

    public T Invoke(T x) =>
        e == s_two ? x * x : e == s_half ? T.Sqrt(x) : e == s_three ? x * x * x : e == T.One ? x : e == -T.One ? T.One / x : T.Pow(x, e);

    // Only called when HasVectorForm(e): the kernel routes other exponents to a scalar operator.
    public Vector256<T> Invoke(Vector256<T> x) =>
        e == s_two ? x * x : e == s_half ? Vector256.Sqrt(x) : e == s_three ? x * x * x : e == T.One ? x : Vector256<T>.One / x;

    public Vector512<T> Invoke(Vector512<T> x) =>
        e == s_two ? x * x : e == s_half ? Vector512.Sqrt(x) : e == s_three ? x * x * x : e == T.One ? x : Vector512<T>.One / x;
}

/// <summary>y = x^e for a fixed exponent, scalar pow.</summary>
public readonly struct PowGeneralOperator<T>(T e) : IUnaryOperator<T> where T : struct, IFloatingPointIeee754<T>
{
    public T Invoke(T x) => T.Pow(x, e);
}
