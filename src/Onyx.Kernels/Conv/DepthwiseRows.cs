using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Onyx.Kernels.Gemm;

namespace Onyx.Kernels.Conv;

/// <summary>
/// AVX-512 depthwise sweep for planes at least a vector wide: walks the phase layout row by row,
/// computing only the OW valid outputs of each row and storing them straight to y with bias,
/// residual and activation fused (masked tail), so there is no intermediate buffer and no second
/// pass. Narrow planes (7x7) use the flat sweep instead, which packs several rows per vector.
/// </summary>
internal static unsafe class DepthwiseRows
{
    /// <summary>Whether row-wise costs no more vectors than the flat sweep over <paramref name="flat"/> outputs.</summary>
    public static bool Pays(int oh, int ow, int flat) => (long)oh * ((ow + 15) / 16) * 16 <= flat;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Fma(Vector512<float> acc, float* p, Vector512<float> w) =>
        Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref *p), w, acc);

    /// <summary>y[oh, ow] = act(sum_t w[t] * s[off[t] + oh*wq + ow] + bias (+ y)).</summary>
    public static void Run(in ConvGeometry g, float* s, int* off, float* w, int taps, int wq, float* y, float bias, in GemmEpilogue act, bool accumulate)
    {
        var ep = new DepthwiseEpilogue(bias, act, accumulate);
        int oh = g.OH, ow = g.OW;
        if (taps == 9)
        {
            float* p0 = s + off[0], p1 = s + off[1], p2 = s + off[2], p3 = s + off[3], p4 = s + off[4],
                p5 = s + off[5], p6 = s + off[6], p7 = s + off[7], p8 = s + off[8];
            Vector512<float> w0 = Vector512.Create(w[0]), w1 = Vector512.Create(w[1]), w2 = Vector512.Create(w[2]),
                w3 = Vector512.Create(w[3]), w4 = Vector512.Create(w[4]), w5 = Vector512.Create(w[5]),
                w6 = Vector512.Create(w[6]), w7 = Vector512.Create(w[7]), w8 = Vector512.Create(w[8]);
            for (int r = 0; r < oh; r++)
            {
                nint j0 = (nint)r * wq;
                float* yr = y + (nint)r * ow;
                for (int i = 0; i < ow; i += 16)
                {
                    nint j = j0 + i;
                    var a = Fma(Fma(Vector512.LoadUnsafe(ref *(p0 + j)) * w0, p1 + j, w1), p2 + j, w2);
                    var b = Fma(Fma(Vector512.LoadUnsafe(ref *(p3 + j)) * w3, p4 + j, w4), p5 + j, w5);
                    var c = Fma(Fma(Vector512.LoadUnsafe(ref *(p6 + j)) * w6, p7 + j, w7), p8 + j, w8);
                    ep.Store(a + b + c, yr + i, ow - i);
                }
            }
            return;
        }
        for (int r = 0; r < oh; r++)
        {
            nint j0 = (nint)r * wq;
            float* yr = y + (nint)r * ow;
            int i = 0;
            // Two vectors per step share each tap's broadcast.
            for (; i + 16 < ow; i += 32)
            {
                Vector512<float> a0 = default, a1 = default;
                for (int t = 0; t < taps; t++)
                {
                    var wt = Vector512.Create(w[t]);
                    float* p = s + off[t] + j0 + i;
                    a0 = Fma(a0, p, wt);
                    a1 = Fma(a1, p + 16, wt);
                }
                ep.Store(a0, yr + i, ow - i);
                ep.Store(a1, yr + i + 16, ow - i - 16);
            }
            for (; i < ow; i += 16)
            {
                Vector512<float> a0 = default;
                for (int t = 0; t < taps; t++) a0 = Fma(a0, s + off[t] + j0 + i, Vector512.Create(w[t]));
                ep.Store(a0, yr + i, ow - i);
            }
        }
    }
}
