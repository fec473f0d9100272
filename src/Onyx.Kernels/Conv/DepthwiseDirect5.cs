using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Onyx.Kernels.Conv;

/// <summary>
/// AVX-512 5x5 depthwise kernel (stride 1 or 2) (PP-OCR's MobileNetV3 blocks) reading the NCHW plane in place, the
/// way <see cref="DepthwiseDirect"/> runs 3x3: per output row the five input rows are walked one vector at a
/// time, each vector loaded once and carried, the four shifted taps made by valignd from it and the next vector,
/// and the 25 weights broadcast from memory into the FMAs (too many to keep in registers beside the rows).
/// Stride 2 carries each input vector pair split into even and odd columns, the taps at +2, +3, +4 shifted
/// from them by valignd.
/// </summary>
internal static unsafe class DepthwiseDirect5
{
    /// <summary>True for 5x5, stride 1 or 2, undilated, at most two pad columns per side, inner vectors inside the row.</summary>
    public static bool Supports(in ConvGeometry g)
    {
        if (g.KH != 5 || g.KW != 5 || g.DH != 1 || g.DW != 1 || g.SH != g.SW || g.SW > 2) return false;
        if (g.PW > 2 || g.PWEnd > 2 || g.PH < 0 || g.OW == 0) return false;
        int nv = (g.OW + 15) / 16;
        return nv < 3 || (nv - 2) * 16 * g.SW - g.PW + 16 * g.SW - 1 < g.IW;
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
    public static void Plane(in ConvGeometry g, float* x, float* zero, float* w, float* y, in DepthwiseEpilogue ep)
    {
        if (g.SW == 1) Stride1(g, x, zero, w, y, ep);
        else Stride2(g, x, zero, w, y, ep);
    }

    private static void Stride1(in ConvGeometry g, float* x, float* zero, float* w, float* y, in DepthwiseEpilogue ep)
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
                n0 = Vector512.LoadUnsafe(ref *(r0 + j + 16)); n1 = Vector512.LoadUnsafe(ref *(r1 + j + 16)); n2 = Vector512.LoadUnsafe(ref *(r2 + j + 16));
                n3 = Vector512.LoadUnsafe(ref *(r3 + j + 16)); n4 = Vector512.LoadUnsafe(ref *(r4 + j + 16));
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
    /// <summary>Even and odd columns of the 32 floats at <paramref name="p"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Split(float* p, Vector512<float> mlo, Vector512<float> mhi, bool masked, Vector512<int> ie, Vector512<int> io,
        out Vector512<float> even, out Vector512<float> odd)
    {
        var lo = DepthwiseDirect.Load(p, mlo, masked);
        var hi = DepthwiseDirect.Load(p + 16, mhi, masked);
        even = Avx512F.PermuteVar16x32x2(lo, ie, hi);
        odd = Avx512F.PermuteVar16x32x2(lo, io, hi);
    }

    /// <summary>Five taps of one filter row at stride 2: columns 2l .. 2l+4 from this pair's and the next pair's even/odd columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Taps2(Vector512<float> e, Vector512<float> o, Vector512<float> en, Vector512<float> on, float* w)
    {
        var s = e * Vector512.Create(w[0]);
        s = Vector512.FusedMultiplyAdd(o, Vector512.Create(w[1]), s);
        s = Vector512.FusedMultiplyAdd(Avx512F.AlignRight32(en.AsInt32(), e.AsInt32(), 1).AsSingle(), Vector512.Create(w[2]), s);
        s = Vector512.FusedMultiplyAdd(Avx512F.AlignRight32(on.AsInt32(), o.AsInt32(), 1).AsSingle(), Vector512.Create(w[3]), s);
        return Vector512.FusedMultiplyAdd(Avx512F.AlignRight32(en.AsInt32(), e.AsInt32(), 2).AsSingle(), Vector512.Create(w[4]), s);
    }

    /// <summary>Stride 2: pair k covers input columns [32k - PW, 32k - PW + 32); pairs 0, nv - 1 and nv load under masks.</summary>
    private static void Stride2(in ConvGeometry g, float* x, float* zero, float* w, float* y, in DepthwiseEpilogue ep)
    {
        int ow = g.OW, iw = g.IW, ih = g.IH, pw = g.PW, nv = (ow + 15) / 16, lastLeft = ow - (nv - 1) * 16;
        var ie = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var io = ie + Vector512<int>.One;
        int ca = 32 * (nv - 1) - pw, cb = 32 * nv - pw;
        Vector512<float> m0 = DepthwiseDirect.InRow(-pw, iw), m1 = DepthwiseDirect.InRow(16 - pw, iw),
            a0 = DepthwiseDirect.InRow(ca, iw), a1 = DepthwiseDirect.InRow(ca + 16, iw),
            b0 = DepthwiseDirect.InRow(cb, iw), b1 = DepthwiseDirect.InRow(cb + 16, iw);
        nint inner = (nint)(nv - 2) * 32;
        for (int oh = 0; oh < g.OH; oh++)
        {
            int i0 = 2 * oh - g.PH;
            float* r0 = DepthwiseDirect.Row(x, zero, i0, ih, iw) - pw, r1 = DepthwiseDirect.Row(x, zero, i0 + 1, ih, iw) - pw,
                r2 = DepthwiseDirect.Row(x, zero, i0 + 2, ih, iw) - pw, r3 = DepthwiseDirect.Row(x, zero, i0 + 3, ih, iw) - pw,
                r4 = DepthwiseDirect.Row(x, zero, i0 + 4, ih, iw) - pw;
            Split(r0, m0, m1, true, ie, io, out var e0, out var o0);
            Split(r1, m0, m1, true, ie, io, out var e1, out var o1);
            Split(r2, m0, m1, true, ie, io, out var e2, out var o2);
            Split(r3, m0, m1, true, ie, io, out var e3, out var o3);
            Split(r4, m0, m1, true, ie, io, out var e4, out var o4);
            Vector512<float> f0, p0, f1, p1, f2, p2, f3, p3, f4, p4, v;
            nint j = 0;
            float* yo = y + (nint)oh * ow;
            for (; j < inner; j += 32, yo += 16)
            {
                Split(r0 + j + 32, m0, m1, false, ie, io, out f0, out p0);
                Split(r1 + j + 32, m0, m1, false, ie, io, out f1, out p1);
                Split(r2 + j + 32, m0, m1, false, ie, io, out f2, out p2);
                Split(r3 + j + 32, m0, m1, false, ie, io, out f3, out p3);
                Split(r4 + j + 32, m0, m1, false, ie, io, out f4, out p4);
                v = Taps2(e0, o0, f0, p0, w) + Taps2(e1, o1, f1, p1, w + 5) + Taps2(e2, o2, f2, p2, w + 10)
                    + Taps2(e3, o3, f3, p3, w + 15) + Taps2(e4, o4, f4, p4, w + 20);
                ep.Store(v, yo, 16);
                e0 = f0; o0 = p0; e1 = f1; o1 = p1; e2 = f2; o2 = p2; e3 = f3; o3 = p3; e4 = f4; o4 = p4;
            }
            if (nv >= 2)
            {
                Split(r0 + j + 32, a0, a1, true, ie, io, out f0, out p0);
                Split(r1 + j + 32, a0, a1, true, ie, io, out f1, out p1);
                Split(r2 + j + 32, a0, a1, true, ie, io, out f2, out p2);
                Split(r3 + j + 32, a0, a1, true, ie, io, out f3, out p3);
                Split(r4 + j + 32, a0, a1, true, ie, io, out f4, out p4);
                v = Taps2(e0, o0, f0, p0, w) + Taps2(e1, o1, f1, p1, w + 5) + Taps2(e2, o2, f2, p2, w + 10)
                    + Taps2(e3, o3, f3, p3, w + 15) + Taps2(e4, o4, f4, p4, w + 20);
                ep.Store(v, yo, 16);
                e0 = f0; o0 = p0; e1 = f1; o1 = p1; e2 = f2; o2 = p2; e3 = f3; o3 = p3; e4 = f4; o4 = p4;
                j += 32;
                yo += 16;
            }
            Split(r0 + j + 32, b0, b1, true, ie, io, out f0, out p0);
            Split(r1 + j + 32, b0, b1, true, ie, io, out f1, out p1);
            Split(r2 + j + 32, b0, b1, true, ie, io, out f2, out p2);
            Split(r3 + j + 32, b0, b1, true, ie, io, out f3, out p3);
            Split(r4 + j + 32, b0, b1, true, ie, io, out f4, out p4);
            v = Taps2(e0, o0, f0, p0, w) + Taps2(e1, o1, f1, p1, w + 5) + Taps2(e2, o2, f2, p2, w + 10)
                + Taps2(e3, o3, f3, p3, w + 15) + Taps2(e4, o4, f4, p4, w + 20);
            ep.Store(v, yo, lastLeft);
        }
    }
}
