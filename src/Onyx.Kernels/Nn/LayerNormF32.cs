using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Onyx.Kernels.Nn;

/// <summary>
/// Layer normalization of one contiguous float row: y = (x − mean)·inv·gamma + beta with
/// inv = 1/√(var + ε). Mean and variance come from one pass of Σd and Σd² with d = x − x[0]:
/// the shift keeps the one-pass variance from cancelling when the mean is large against the spread.
/// A second pass writes y. <paramref name="beta"/> may be null; x and y may be the same memory.
/// </summary>
public static unsafe class LayerNormF32
{
    /// <summary>Normalizes <paramref name="n"/> floats on the current ISA; returns (mean, inv).</summary>
    public static (float Mean, float Inv) Row(float* x, float* y, float* gamma, float* beta, int n, float epsilon) =>
        Row(x, y, gamma, beta, n, epsilon, KernelIsa.Current);

    /// <summary>Normalizes <paramref name="n"/> floats on a given path (tests force each one).</summary>
    public static (float Mean, float Inv) Row(float* x, float* y, float* gamma, float* beta, int n, float epsilon, IsaPath path)
    {
        if (n <= 0) return (0f, 1f / MathF.Sqrt(epsilon));
        float shift = x[0], s1 = 0f, s2 = 0f;
        int i = 0;
        bool v512 = path >= IsaPath.V512 && KernelIsa.IsSupported(IsaPath.V512) && Vector512.IsHardwareAccelerated;
        bool v256 = !v512 && path >= IsaPath.V256 && KernelIsa.IsSupported(IsaPath.V256) && Vector256.IsHardwareAccelerated;
        if (v512)
        {
            // Two accumulator pairs hide the add latency.
            var c = Vector512.Create(shift);
            Vector512<float> a1 = default, a2 = default, b1 = default, b2 = default;
            for (; i <= n - 32; i += 32)
            {
                var d1 = Vector512.LoadUnsafe(ref *(x + i)) - c;
                var d2 = Vector512.LoadUnsafe(ref *(x + i + 16)) - c;
                a1 += d1; b1 = Vector512.FusedMultiplyAdd(d1, d1, b1);
                a2 += d2; b2 = Vector512.FusedMultiplyAdd(d2, d2, b2);
            }
            for (; i <= n - 16; i += 16)
            {
                var d = Vector512.LoadUnsafe(ref *(x + i)) - c;
                a1 += d; b1 = Vector512.FusedMultiplyAdd(d, d, b1);
            }
            s1 = Vector512.Sum(a1 + a2);
            s2 = Vector512.Sum(b1 + b2);
        }
        else if (v256)
        {
            var c = Vector256.Create(shift);
            Vector256<float> a = default, b = default;
            for (; i <= n - 8; i += 8)
            {
                var d = Vector256.LoadUnsafe(ref *(x + i)) - c;
                a += d; b = Vector256.FusedMultiplyAdd(d, d, b);
            }
            s1 = Vector256.Sum(a);
            s2 = Vector256.Sum(b);
        }
        for (; i < n; i++)
        {
            float d = x[i] - shift;
            s1 += d; s2 += d * d;
        }
        float dm = s1 / n;
        float variance = MathF.Max(s2 / n - dm * dm, 0f);
        float mean = shift + dm;
        float inv = 1f / MathF.Sqrt(variance + epsilon);

        i = 0;
        if (v512)
        {
            var m = Vector512.Create(mean);
            var s = Vector512.Create(inv);
            for (; i <= n - 16; i += 16)
            {
                var t = (Vector512.LoadUnsafe(ref *(x + i)) - m) * s * Vector512.LoadUnsafe(ref *(gamma + i));
                if (beta != null) t += Vector512.LoadUnsafe(ref *(beta + i));
                t.StoreUnsafe(ref *(y + i));
            }
        }
        else if (v256)
        {
            var m = Vector256.Create(mean);
            var s = Vector256.Create(inv);
            for (; i <= n - 8; i += 8)
            {
                var t = (Vector256.LoadUnsafe(ref *(x + i)) - m) * s * Vector256.LoadUnsafe(ref *(gamma + i));
                if (beta != null) t += Vector256.LoadUnsafe(ref *(beta + i));
                t.StoreUnsafe(ref *(y + i));
            }
        }
        for (; i < n; i++)
        {
            float t = (x[i] - mean) * inv * gamma[i];
            y[i] = beta != null ? t + beta[i] : t;
        }
        return (mean, inv);
    }
}
