using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Onyx.Kernels.Conv;

/// <summary>
/// AVX-512 3x3 depthwise kernel (stride 1 or 2, no dilation, at most one pad column per side) that reads
/// the NCHW plane in place: no padded copy, no phase split, no intermediate buffer. Each output row reads
/// its three input rows straight from x (a shared zero row stands in for pad rows); the vectors inside a
/// row use plain loads, the first and last vector of a row use masked loads whose masked-off lanes read
/// the zero pad (and never fault, even left of the plane). Stride 2 splits even and odd columns of two
/// loaded vectors with vpermt2ps. Measured: the phase path spent about half its time copying the plane,
/// which for the 112x112 layers of MobileNet does not fit L1.
/// </summary>
internal static unsafe class DepthwiseDirect
{
    /// <summary>Floats of slack before a zero row's first column (masked loads start up to one column left of it).</summary>
    public const int ZeroMargin = 16;

    /// <summary>
    /// True when <paramref name="g"/> is a 3x3, undilated, stride-1 or stride-2 depthwise conv whose row-inner
    /// vectors all read inside the input row (which holds for pads of 0 or 1 at each end).
    /// </summary>
    public static bool Supports(in ConvGeometry g)
    {
        if (g.KH != 3 || g.KW != 3 || g.DH != 1 || g.DW != 1 || g.SH != g.SW || g.SW > 2) return false;
        if (g.PW > 1 || g.PWEnd > 1 || g.PH < 0 || g.OW == 0) return false;
        int nv = (g.OW + 15) / 16;
        if (nv < 3) return true; // only edge vectors, all masked
        int reach = g.SW == 1 ? 17 : 33; // last column a vector reads past its first tap
        return 16 * g.SW - g.PW >= 0 && (nv - 2) * 16 * g.SW - g.PW + reach < g.IW;
    }

    /// <summary>Floats the zero row needs: every unmasked load of a pad row stays inside it.</summary>
    public static int ZeroFloats(in ConvGeometry g) => ZeroMargin + g.IW * 2 + 64;

    /// <summary>
    /// y = act(conv3x3(x, w) + bias (+ y)) for one plane; <paramref name="zero"/> points <see cref="ZeroMargin"/>
    /// floats into a zeroed buffer of <see cref="ZeroFloats"/> floats.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Plane(in ConvGeometry g, float* x, float* zero, float* w, float* y, in DepthwiseEpilogue ep)
    {
        if (g.SW == 1) Stride1(g, x, zero, w, y, ep);
        else Stride2(g, x, zero, w, y, ep);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Load(float* p, Vector512<float> m, bool masked) =>
        masked ? Avx512F.MaskLoad(p, m, Vector512<float>.Zero) : Vector512.Load(p);

    /// <summary>Lanes whose input column (<paramref name="col"/> + lane) lies in [0, width).</summary>
    private static Vector512<float> InRow(int col, int width)
    {
        var idx = Vector512<int>.Indices + Vector512.Create(col);
        return (Vector512.GreaterThanOrEqual(idx, Vector512<int>.Zero) & Vector512.LessThan(idx, Vector512.Create(width))).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float* Row(float* x, float* zero, int i, int ih, int iw) => (uint)i < (uint)ih ? x + (nint)i * iw : zero;

    /// <summary>Three taps of one filter row at stride 1: p[0..15]*a + p[1..16]*b + p[2..17]*c.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Taps1(float* p, Vector512<float> a, Vector512<float> b, Vector512<float> c,
        Vector512<float> m0, Vector512<float> m1, Vector512<float> m2, bool masked)
    {
        var s = Load(p, m0, masked) * a;
        s = Vector512.FusedMultiplyAdd(Load(p + 1, m1, masked), b, s);
        return Vector512.FusedMultiplyAdd(Load(p + 2, m2, masked), c, s);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Stride1(in ConvGeometry g, float* x, float* zero, float* w, float* y, in DepthwiseEpilogue ep)
    {
        int ow = g.OW, iw = g.IW, ih = g.IH, pw = g.PW, last = (ow - 1) / 16 * 16;
        Vector512<float> w0 = Vector512.Create(w[0]), w1 = Vector512.Create(w[1]), w2 = Vector512.Create(w[2]),
            w3 = Vector512.Create(w[3]), w4 = Vector512.Create(w[4]), w5 = Vector512.Create(w[5]),
            w6 = Vector512.Create(w[6]), w7 = Vector512.Create(w[7]), w8 = Vector512.Create(w[8]);
        // Edge masks depend only on the column, so every row shares them.
        Vector512<float> f0 = InRow(-pw, iw), f1 = InRow(1 - pw, iw), f2 = InRow(2 - pw, iw);
        Vector512<float> l0 = InRow(last - pw, iw), l1 = InRow(last + 1 - pw, iw), l2 = InRow(last + 2 - pw, iw);
        for (int oh = 0; oh < g.OH; oh++)
        {
            int i0 = oh - g.PH;
            // Row pointers sit at the input column of tap 0 for output column 0.
            float* r0 = Row(x, zero, i0, ih, iw) - pw, r1 = Row(x, zero, i0 + 1, ih, iw) - pw, r2 = Row(x, zero, i0 + 2, ih, iw) - pw;
            float* yr = y + (nint)oh * ow;
            // Three independent chains (one per filter row) keep the FMA latency off the critical path.
            var v = Taps1(r0, w0, w1, w2, f0, f1, f2, true) + Taps1(r1, w3, w4, w5, f0, f1, f2, true) + Taps1(r2, w6, w7, w8, f0, f1, f2, true);
            ep.Store(v, yr, ow);
            if (last == 0) continue;
            for (nint j = 16; j < last; j += 16)
            {
                v = Taps1(r0 + j, w0, w1, w2, f0, f1, f2, false) + Taps1(r1 + j, w3, w4, w5, f0, f1, f2, false)
                    + Taps1(r2 + j, w6, w7, w8, f0, f1, f2, false);
                ep.Store(v, yr + j, 16);
            }
            v = Taps1(r0 + last, w0, w1, w2, l0, l1, l2, true) + Taps1(r1 + last, w3, w4, w5, l0, l1, l2, true)
                + Taps1(r2 + last, w6, w7, w8, l0, l1, l2, true);
            ep.Store(v, yr + last, ow - last);
        }
    }

    /// <summary>
    /// Three taps of one filter row at stride 2: columns 2l, 2l+1, 2l+2 of p for lanes l. Even and odd
    /// columns of p[0..31] come from one vpermt2ps each; the +2 column from a second pair loaded 2 floats on.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Taps2(float* p, Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<int> ie, Vector512<int> io,
        Vector512<float> m0, Vector512<float> m1, Vector512<float> m2, Vector512<float> m3, bool masked)
    {
        var lo = Load(p, m0, masked);
        var hi = Load(p + 16, m1, masked);
        var lo2 = Load(p + 2, m2, masked);
        var hi2 = Load(p + 18, m3, masked);
        var s = Avx512F.PermuteVar16x32x2(lo, ie, hi) * a;
        s = Vector512.FusedMultiplyAdd(Avx512F.PermuteVar16x32x2(lo, io, hi), b, s);
        return Vector512.FusedMultiplyAdd(Avx512F.PermuteVar16x32x2(lo2, ie, hi2), c, s);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Stride2(in ConvGeometry g, float* x, float* zero, float* w, float* y, in DepthwiseEpilogue ep)
    {
        int ow = g.OW, iw = g.IW, ih = g.IH, pw = g.PW, last = (ow - 1) / 16 * 16;
        Vector512<float> w0 = Vector512.Create(w[0]), w1 = Vector512.Create(w[1]), w2 = Vector512.Create(w[2]),
            w3 = Vector512.Create(w[3]), w4 = Vector512.Create(w[4]), w5 = Vector512.Create(w[5]),
            w6 = Vector512.Create(w[6]), w7 = Vector512.Create(w[7]), w8 = Vector512.Create(w[8]);
        var ie = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var io = ie + Vector512<int>.One;
        Vector512<float> f0 = InRow(-pw, iw), f1 = InRow(16 - pw, iw), f2 = InRow(2 - pw, iw), f3 = InRow(18 - pw, iw);
        int c = 2 * last - pw;
        Vector512<float> l0 = InRow(c, iw), l1 = InRow(c + 16, iw), l2 = InRow(c + 2, iw), l3 = InRow(c + 18, iw);
        for (int oh = 0; oh < g.OH; oh++)
        {
            int i0 = 2 * oh - g.PH;
            float* r0 = Row(x, zero, i0, ih, iw) - pw, r1 = Row(x, zero, i0 + 1, ih, iw) - pw, r2 = Row(x, zero, i0 + 2, ih, iw) - pw;
            float* yr = y + (nint)oh * ow;
            var v = Taps2(r0, w0, w1, w2, ie, io, f0, f1, f2, f3, true) + Taps2(r1, w3, w4, w5, ie, io, f0, f1, f2, f3, true)
                + Taps2(r2, w6, w7, w8, ie, io, f0, f1, f2, f3, true);
            ep.Store(v, yr, ow);
            if (last == 0) continue;
            for (nint j = 16; j < last; j += 16)
            {
                v = Taps2(r0 + 2 * j, w0, w1, w2, ie, io, f0, f1, f2, f3, false) + Taps2(r1 + 2 * j, w3, w4, w5, ie, io, f0, f1, f2, f3, false)
                    + Taps2(r2 + 2 * j, w6, w7, w8, ie, io, f0, f1, f2, f3, false);
                ep.Store(v, yr + j, 16);
            }
            v = Taps2(r0 + 2 * last, w0, w1, w2, ie, io, l0, l1, l2, l3, true) + Taps2(r1 + 2 * last, w3, w4, w5, ie, io, l0, l1, l2, l3, true)
                + Taps2(r2 + 2 * last, w6, w7, w8, ie, io, l0, l1, l2, l3, true);
            ep.Store(v, yr + last, ow - last);
        }
    }
}
