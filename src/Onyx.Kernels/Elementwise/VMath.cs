using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Onyx.Kernels.Elementwise;

/// <summary>
/// Generic-T front ends for the float/double-only vector math of <see cref="Vector256"/> and
/// <see cref="Vector512"/>; the typeof checks fold away per instantiation.
/// </summary>
internal static class VMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Exp<T>(Vector256<T> x)
    {
        if (typeof(T) == typeof(float)) return Vector256.Exp(x.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector256.Exp(x.AsDouble()).As<double, T>();
        throw new NotSupportedException();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Exp<T>(Vector512<T> x)
    {
        if (typeof(T) == typeof(float)) return Vector512.Exp(x.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector512.Exp(x.AsDouble()).As<double, T>();
        throw new NotSupportedException();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Log<T>(Vector256<T> x)
    {
        if (typeof(T) == typeof(float)) return Vector256.Log(x.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector256.Log(x.AsDouble()).As<double, T>();
        throw new NotSupportedException();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Log<T>(Vector512<T> x)
    {
        if (typeof(T) == typeof(float)) return Vector512.Log(x.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector512.Log(x.AsDouble()).As<double, T>();
        throw new NotSupportedException();
    }

    /// <summary>True for float and double, the types the vector transcendental functions cover.</summary>
    public static bool IsFloatOrDouble<T>() => typeof(T) == typeof(float) || typeof(T) == typeof(double);

    // Cephes expf: n = round(x·log2 e), r = x − n·ln2 (hi/lo split), e^r by a degree-7 polynomial, times 2^n.
    // About 2 ulp; the BCL's vector Exp widens to double and costs ~4x more. Inputs are clamped to
    // [−87.34, 88]: below, the result is ~1e-38 instead of 0; above, e^88 instead of overflowing (so ±∞ give
    // finite results, never the NaN of ∞ − ∞ in the range reduction).
    private const float Log2E = 1.44269504088896341f, Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f, MinArg = -87.3365448f, MaxArg = 88f;
    private const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /// <summary>e^x for floats (Cephes, ~2 ulp, x clamped to [−87.34, 88]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ExpF(Vector512<float> x)
    {
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(MinArg)), Vector512.Create(MaxArg));
        var n = Vector512.Round(x * Log2E);
        var r = x - n * Ln2Hi - n * Ln2Lo;
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(P0), r, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P5));
        var e = Vector512.FusedMultiplyAdd(p, r * r, r + Vector512<float>.One);
        // vscalefps multiplies by 2^n in one instruction (n in [−126, 127] after the clamp, so exactly what
        // the exponent-bits product gives); .NET 10's saturating ConvertToInt32 costs a fixup, compare and blend.
        if (Avx512F.IsSupported) return Avx512F.Scale(e, n);
        var scale = (Vector512.ConvertToInt32(n) + Vector512.Create(127)) << 23;
        return e * scale.AsSingle();
    }

    /// <summary>e^x for floats (Cephes, ~2 ulp, x clamped to [−87.34, 88]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ExpF(Vector256<float> x)
    {
        x = Vector256.Min(Vector256.Max(x, Vector256.Create(MinArg)), Vector256.Create(MaxArg));
        var n = Vector256.Round(x * Log2E);
        var r = x - n * Ln2Hi - n * Ln2Lo;
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(P0), r, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P5));
        var e = Vector256.FusedMultiplyAdd(p, r * r, r + Vector256<float>.One);
        var scale = (Vector256.ConvertToInt32(n) + Vector256.Create(127)) << 23;
        return e * scale.AsSingle();
    }
}
