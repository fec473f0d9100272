using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Onyx.Kernels.Conv;

/// <summary>
/// The depthwise inner loop over the phase layout (<see cref="DepthwisePhases"/>):
/// d[j] = sum over t of w[t] * s[off[t] + j] for j in [0, n), n a multiple of 16. Unaligned loads
/// fold into the FMAs, so each tap costs one load and one FMA per vector; the loops carry no
/// bounds checks because the phase area's slack covers every read.
/// </summary>
internal static unsafe class DepthwiseSweep
{
    /// <summary>Runs the sweep on <paramref name="isa"/> (3x3 gets a kernel with its nine taps in registers).</summary>
    public static void Run(float* s, int* off, float* w, int taps, float* d, int n, bool is3x3, IsaPath isa)
    {
        if (isa >= IsaPath.V512 && KernelIsa.IsSupported(IsaPath.V512))
        {
            if (is3x3) Taps9V512(s, off, w, d, n);
            else AnyV512(s, off, w, taps, d, n);
        }
        else if (isa >= IsaPath.V256 && KernelIsa.IsSupported(IsaPath.V256))
        {
            if (is3x3) Taps9V256(s, off, w, d, n);
            else AnyV256(s, off, w, taps, d, n);
        }
        else Scalar(s, off, w, taps, d, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Fma(Vector512<float> acc, float* p, Vector512<float> w) =>
        Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref *p), w, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fma(Vector256<float> acc, float* p, Vector256<float> w) =>
        Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref *p), w, acc);

    private static void Taps9V512(float* s, int* off, float* w, float* d, int n)
    {
        float* p0 = s + off[0], p1 = s + off[1], p2 = s + off[2], p3 = s + off[3], p4 = s + off[4],
            p5 = s + off[5], p6 = s + off[6], p7 = s + off[7], p8 = s + off[8];
        Vector512<float> w0 = Vector512.Create(w[0]), w1 = Vector512.Create(w[1]), w2 = Vector512.Create(w[2]),
            w3 = Vector512.Create(w[3]), w4 = Vector512.Create(w[4]), w5 = Vector512.Create(w[5]),
            w6 = Vector512.Create(w[6]), w7 = Vector512.Create(w[7]), w8 = Vector512.Create(w[8]);
        for (nint j = 0; j < n; j += 16)
        {
            // Three chains of three (one per filter row) keep the FMA latency off the critical path.
            var a = Fma(Fma(Vector512.LoadUnsafe(ref *(p0 + j)) * w0, p1 + j, w1), p2 + j, w2);
            var b = Fma(Fma(Vector512.LoadUnsafe(ref *(p3 + j)) * w3, p4 + j, w4), p5 + j, w5);
            var c = Fma(Fma(Vector512.LoadUnsafe(ref *(p6 + j)) * w6, p7 + j, w7), p8 + j, w8);
            (a + b + c).StoreUnsafe(ref *(d + j));
        }
    }

    private static void Taps9V256(float* s, int* off, float* w, float* d, int n)
    {
        float* p0 = s + off[0], p1 = s + off[1], p2 = s + off[2], p3 = s + off[3], p4 = s + off[4],
            p5 = s + off[5], p6 = s + off[6], p7 = s + off[7], p8 = s + off[8];
        Vector256<float> w0 = Vector256.Create(w[0]), w1 = Vector256.Create(w[1]), w2 = Vector256.Create(w[2]),
            w3 = Vector256.Create(w[3]), w4 = Vector256.Create(w[4]), w5 = Vector256.Create(w[5]),
            w6 = Vector256.Create(w[6]), w7 = Vector256.Create(w[7]), w8 = Vector256.Create(w[8]);
        for (nint j = 0; j < n; j += 8)
        {
            var a = Fma(Fma(Vector256.LoadUnsafe(ref *(p0 + j)) * w0, p1 + j, w1), p2 + j, w2);
            var b = Fma(Fma(Vector256.LoadUnsafe(ref *(p3 + j)) * w3, p4 + j, w4), p5 + j, w5);
            var c = Fma(Fma(Vector256.LoadUnsafe(ref *(p6 + j)) * w6, p7 + j, w7), p8 + j, w8);
            (a + b + c).StoreUnsafe(ref *(d + j));
        }
    }

    /// <summary>Any filter: four vectors per step share each tap's broadcast.</summary>
    private static void AnyV512(float* s, int* off, float* w, int taps, float* d, int n)
    {
        nint j = 0;
        for (; j + 64 <= n; j += 64)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int t = 0; t < taps; t++)
            {
                var wt = Vector512.Create(w[t]);
                float* p = s + off[t] + j;
                a0 = Fma(a0, p, wt); a1 = Fma(a1, p + 16, wt); a2 = Fma(a2, p + 32, wt); a3 = Fma(a3, p + 48, wt);
            }
            a0.StoreUnsafe(ref *(d + j)); a1.StoreUnsafe(ref *(d + j + 16)); a2.StoreUnsafe(ref *(d + j + 32)); a3.StoreUnsafe(ref *(d + j + 48));
        }
        for (; j < n; j += 16)
        {
            Vector512<float> a0 = default;
            for (int t = 0; t < taps; t++) a0 = Fma(a0, s + off[t] + j, Vector512.Create(w[t]));
            a0.StoreUnsafe(ref *(d + j));
        }
    }

    private static void AnyV256(float* s, int* off, float* w, int taps, float* d, int n)
    {
        nint j = 0;
        for (; j + 32 <= n; j += 32)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int t = 0; t < taps; t++)
            {
                var wt = Vector256.Create(w[t]);
                float* p = s + off[t] + j;
                a0 = Fma(a0, p, wt); a1 = Fma(a1, p + 8, wt); a2 = Fma(a2, p + 16, wt); a3 = Fma(a3, p + 24, wt);
            }
            a0.StoreUnsafe(ref *(d + j)); a1.StoreUnsafe(ref *(d + j + 8)); a2.StoreUnsafe(ref *(d + j + 16)); a3.StoreUnsafe(ref *(d + j + 24));
        }
        for (; j < n; j += 8)
        {
            Vector256<float> a0 = default;
            for (int t = 0; t < taps; t++) a0 = Fma(a0, s + off[t] + j, Vector256.Create(w[t]));
            a0.StoreUnsafe(ref *(d + j));
        }
    }

    private static void Scalar(float* s, int* off, float* w, int taps, float* d, int n)
    {
        for (int j = 0; j < n; j++)
        {
            float acc = 0f;
            for (int t = 0; t < taps; t++) acc += w[t] * s[off[t] + j];
            d[j] = acc;
        }
    }
}
