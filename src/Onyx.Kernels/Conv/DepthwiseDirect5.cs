using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Onyx.Kernels.Conv;

/// <summary>
/// AVX-512 5x5 stride-1 depthwise kernel (PP-OCR's MobileNetV3 blocks) reading the NCHW plane in place, the
/// way <see cref="DepthwiseDirect"/> runs 3x3: per output row the five input rows are walked one vector at a
/// time, each vector loaded once and carried, the four shifted taps made by valignd from it and the next vector,
/// and the 25 weights broadcast from memory into the FMAs (too many to keep in registers beside the rows).
/// </summary>
internal static unsafe class DepthwiseDirect5
{
    /// <summary>True for 5x5, stride 1, undilated, at most two pad columns per side, inner vectors inside the row.</summary>
    public static bool Supports(in ConvGeometry g)
    {
        if (g.KH != 5 || g.KW != 5 || g.DH != 1 || g.DW != 1 || g.SH != 1 || g.SW != 1) return false;
        if (g.PW > 2 || g.PWEnd > 2 || g.PH < 0 || g.OW == 0) return false;
        int nv = (g.OW + 15) / 16;
        return nv < 3 || (nv - 2) * 16 - g.PW + 15 < g.IW;
    }

    /// <summary>Five taps of one filter row: v[0..15]*w[0] + v[1..16]*w[1] + ... + v[4..19]*w[4].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Taps(Vector512<float> cur, Vector512<float> next, float* w)
    {
        Vector512<int> c = cur.AsInt32(), n = next.AsInt32();
        var s = cur * Vector512.Create(w[0]);
        s = Vector512.FusedMultiplyAdd(Avx512F.AlignRight32(n, c, 1).AsSingle(), Vector512.Create(w[1]), s);
        s = Vector512.FusedMultiplyAdd(Avx512F.AlignRight32(n, c, 2).AsSingle(), Vector512.Create(w[2]), s);
        s = Vector512.FusedMultiplyAdd(Avx512F.AlignRight32(n, c, 3).AsSingle(), Vector512.Create(w[3]), s);
        return Vector512.FusedMultiplyAdd(Avx512F.AlignRight32(n, c, 4).AsSingle(), Vector512.Create(w[4]), s);
    }

    /// <summary>y = act(conv5x5(x, w) + bias (+ y)) for one plane; <paramref name="zero"/> as for <see cref="DepthwiseDirect.Plane"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Plane(in ConvGeometry g, float* x, float* zero, float* w, float* y, in DepthwiseEpilogue ep)
    {
        int ow = g.OW, iw = g.IW, ih = g.IH, pw = g.PW, nv = (ow + 15) / 16, lastLeft = ow - (nv - 1) * 16;
        Vector512<float> m0 = DepthwiseDirect.InRow(-pw, iw), mA = DepthwiseDirect.InRow((nv - 1) * 16 - pw, iw), mB = DepthwiseDirect.InRow(nv * 16 - pw, iw);
        nint inner = (nint)(nv - 2) * 16;
        for (int oh = 0; oh < g.OH; oh++)
        {
            int i0 = oh - g.PH;
            float* r0 = DepthwiseDirect.Row(x, zero, i0, ih, iw) - pw, r1 = DepthwiseDirect.Row(x, zero, i0 + 1, ih, iw) - pw,
                r2 = DepthwiseDirect.Row(x, zero, i0 + 2, ih, iw) - pw, r3 = DepthwiseDirect.Row(x, zero, i0 + 3, ih, iw) - pw,
                r4 = DepthwiseDirect.Row(x, zero, i0 + 4, ih, iw) - pw;
            float* yr = y + (nint)oh * ow;
            Vector512<float> c0 = DepthwiseDirect.Load(r0, m0, true), c1 = DepthwiseDirect.Load(r1, m0, true), c2 = DepthwiseDirect.Load(r2, m0, true),
                c3 = DepthwiseDirect.Load(r3, m0, true), c4 = DepthwiseDirect.Load(r4, m0, true);
            Vector512<float> n0, n1, n2, n3, n4, v;
            nint j = 0;
            for (; j < inner; j += 16)
            {
                n0 = Vector512.Load(r0 + j + 16); n1 = Vector512.Load(r1 + j + 16); n2 = Vector512.Load(r2 + j + 16);
                n3 = Vector512.Load(r3 + j + 16); n4 = Vector512.Load(r4 + j + 16);
                // Five independent chains (one per filter row).
                v = Taps(c0, n0, w) + Taps(c1, n1, w + 5) + Taps(c2, n2, w + 10) + Taps(c3, n3, w + 15) + Taps(c4, n4, w + 20);
                ep.Store(v, yr + j, 16);
                c0 = n0; c1 = n1; c2 = n2; c3 = n3; c4 = n4;
            }
            if (nv >= 2)
            {
                n0 = DepthwiseDirect.Load(r0 + j + 16, mA, true); n1 = DepthwiseDirect.Load(r1 + j + 16, mA, true);
                n2 = DepthwiseDirect.Load(r2 + j + 16, mA, true); n3 = DepthwiseDirect.Load(r3 + j + 16, mA, true);
                n4 = DepthwiseDirect.Load(r4 + j + 16, mA, true);
                v = Taps(c0, n0, w) + Taps(c1, n1, w + 5) + Taps(c2, n2, w + 10) + Taps(c3, n3, w + 15) + Taps(c4, n4, w + 20);
                ep.Store(v, yr + j, 16);
                c0 = n0; c1 = n1; c2 = n2; c3 = n3; c4 = n4;
                j += 16;
            }
            n0 = DepthwiseDirect.Load(r0 + j + 16, mB, true); n1 = DepthwiseDirect.Load(r1 + j + 16, mB, true);
            n2 = DepthwiseDirect.Load(r2 + j + 16, mB, true); n3 = DepthwiseDirect.Load(r3 + j + 16, mB, true);
            n4 = DepthwiseDirect.Load(r4 + j + 16, mB, true);
            v = Taps(c0, n0, w) + Taps(c1, n1, w + 5) + Taps(c2, n2, w + 10) + Taps(c3, n3, w + 15) + Taps(c4, n4, w + 20);
            ep.Store(v, yr + j, lastLeft);
        }
    }
}
