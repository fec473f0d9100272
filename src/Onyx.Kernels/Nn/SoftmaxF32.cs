using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Onyx.Kernels.Nn;

/// <summary>
/// Softmax of one contiguous float row: y = exp(x − max) / Σ exp(x − max). Three passes over a row
/// that stays in L1 (max; exp, store and sum in one; scale), instead of the four or five separate
/// whole-row operations; <paramref name="x"/> and <paramref name="y"/> may be the same memory.
/// The vector paths use a float Cephes exp (see <c>Exp</c>).
/// </summary>
public static unsafe class SoftmaxF32
{
    /// <summary>Softmax of <paramref name="n"/> floats on the current ISA.</summary>
    public static void Row(float* x, float* y, int n) => Row(x, y, n, KernelIsa.Current);

    /// <summary>Softmax of <paramref name="n"/> floats on a given path (tests force each one).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Row(float* x, float* y, int n, IsaPath path)
    {
        if (n <= 0) return;
        float max = TensorPrimitives.Max(new ReadOnlySpan<float>(x, n));
        float sum = 0f;
        int i = 0;
        if (path >= IsaPath.V512 && KernelIsa.IsSupported(IsaPath.V512) && Vector512.IsHardwareAccelerated)
        {
            var m = Vector512.Create(max);
            var acc = Vector512<float>.Zero;
            for (; i <= n - 16; i += 16)
            {
                var e = Exp(Vector512.Load(x + i) - m);
                e.Store(y + i);
                acc += e;
            }
            sum = Vector512.Sum(acc);
        }
        else if (path >= IsaPath.V256 && KernelIsa.IsSupported(IsaPath.V256) && Vector256.IsHardwareAccelerated)
        {
            var m = Vector256.Create(max);
            var acc = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8)
            {
                var e = Exp(Vector256.Load(x + i) - m);
                e.Store(y + i);
                acc += e;
            }
            sum = Vector256.Sum(acc);
        }
        for (; i < n; i++)
        {
            float e = MathF.Exp(x[i] - max);
            y[i] = e;
            sum += e;
        }
        TensorPrimitives.Multiply(new ReadOnlySpan<float>(y, n), 1f / sum, new Span<float>(y, n));
    }

    // Cephes expf: n = round(x·log2 e), r = x − n·ln2 (hi/lo split), e^r by a degree-7 polynomial,
    // times 2^n built in the exponent bits. About 2 ulp; the BCL's vector Exp widens to double and
    // costs ~4x more. Inputs here are x − max ≤ 0; below −87.3 the clamp gives ~1e-38 instead of 0.
    private const float Log2E = 1.44269504088896341f, Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f, MinArg = -87.3365448f;
    private const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Exp(Vector512<float> x)
    {
        x = Vector512.Max(x, Vector512.Create(MinArg));
        var n = Vector512.Round(x * Log2E);
        var r = x - n * Ln2Hi - n * Ln2Lo;
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(P0), r, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P5));
        var e = Vector512.FusedMultiplyAdd(p, r * r, r + Vector512<float>.One);
        // vscalefps multiplies by 2^n in one instruction (n ≥ −126 after the clamp, so exactly what the
        // exponent-bits product gives); .NET 10's saturating ConvertToInt32 costs a fixup, compare and blend.
        if (Avx512F.IsSupported) return Avx512F.Scale(e, n);
        var scale = (Vector512.ConvertToInt32(n) + Vector512.Create(127)) << 23;
        return e * scale.AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Exp(Vector256<float> x)
    {
        x = Vector256.Max(x, Vector256.Create(MinArg));
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
