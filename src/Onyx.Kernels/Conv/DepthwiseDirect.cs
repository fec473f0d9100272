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
    public static void Plane(in ConvGeometry g, float* x, float* zero, float* w, float* y, in DepthwiseEpilogue ep)
    {
        if (g.SW == 1) Stride1(g, x, zero, w, y, ep);
        else Stride2(g, x, zero, w, y, ep);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Load(float* p, Vector512<float> m, bool masked) =>
        masked ? Avx512F.MaskLoad(p, m, Vector512<float>.Zero) : Vector512.LoadUnsafe(ref *p);

    /// <summary>Lanes whose input column (<paramref name="col"/> + lane) lies in [0, width).</summary>
    internal static Vector512<float> InRow(int col, int width)
    {
        var idx = Vector512<int>.Indices + Vector512.Create(col);
        return (Vector512.GreaterThanOrEqual(idx, Vector512<int>.Zero) & Vector512.LessThan(idx, Vector512.Create(width))).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float* Row(float* x, float* zero, int i, int ih, int iw) => (uint)i < (uint)ih ? x + (nint)i * iw : zero;

    /// <summary>
    /// Three taps of one filter row at stride 1 from two consecutive input vectors: v[0..15]*a + v[1..16]*b +
    /// v[2..17]*c, the shifted vectors made with valignd instead of two more (line-splitting) unaligned loads.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Taps1(Vector512<float> cur, Vector512<float> next, Vector512<float> a, Vector512<float> b, Vector512<float> c)
    {
        var s = cur * a;
        s = Vector512.FusedMultiplyAdd(Avx512F.AlignRight32(next.AsInt32(), cur.AsInt32(), 1).AsSingle(), b, s);
        return Vector512.FusedMultiplyAdd(Avx512F.AlignRight32(next.AsInt32(), cur.AsInt32(), 2).AsSingle(), c, s);
    }

    /// <summary>
    /// Stride 1, two output rows per pass: the four input rows they read are loaded once per vector (each load
    /// carried over as the next step's current vector), so a pair costs 4 loads and 8 valignd for 18 FMAs instead of
    /// 18 unaligned loads. Input vector k covers columns [16k - PW, 16k - PW + 16): k = 0, nv - 1 and nv load under
    /// masks, the rest plainly (<see cref="Supports"/> keeps them inside the row).
    /// </summary>
    private static void Stride1(in ConvGeometry g, float* x, float* zero, float* w, float* y, in DepthwiseEpilogue ep)
    {
        int ow = g.OW, iw = g.IW, ih = g.IH, pw = g.PW, nv = (ow + 15) / 16, lastLeft = ow - (nv - 1) * 16;
        Vector512<float> w0 = Vector512.Create(w[0]), w1 = Vector512.Create(w[1]), w2 = Vector512.Create(w[2]),
            w3 = Vector512.Create(w[3]), w4 = Vector512.Create(w[4]), w5 = Vector512.Create(w[5]),
            w6 = Vector512.Create(w[6]), w7 = Vector512.Create(w[7]), w8 = Vector512.Create(w[8]);
        // Edge masks depend only on the column, so every row shares them.
        Vector512<float> m0 = InRow(-pw, iw), mA = InRow((nv - 1) * 16 - pw, iw), mB = InRow(nv * 16 - pw, iw);
        nint inner = (nint)(nv - 2) * 16;
        for (int oh = 0; oh < g.OH; oh += 2)
        {
            bool two = oh + 1 < g.OH;
            int i0 = oh - g.PH;
            // Row pointers sit at the input column of tap 0 for output column 0; an odd last row pairs with the zero row.
            float* r0 = Row(x, zero, i0, ih, iw) - pw, r1 = Row(x, zero, i0 + 1, ih, iw) - pw,
                r2 = Row(x, zero, i0 + 2, ih, iw) - pw, r3 = (two ? Row(x, zero, i0 + 3, ih, iw) : zero) - pw;
            float* y0 = y + (nint)oh * ow, y1 = y0 + ow;
            Vector512<float> c0 = Load(r0, m0, true), c1 = Load(r1, m0, true), c2 = Load(r2, m0, true), c3 = Load(r3, m0, true);
            Vector512<float> n0, n1, n2, n3, v;
            nint j = 0;
            for (; j < inner; j += 16)
            {
                n0 = Vector512.LoadUnsafe(ref *(r0 + j + 16)); n1 = Vector512.LoadUnsafe(ref *(r1 + j + 16));
                n2 = Vector512.LoadUnsafe(ref *(r2 + j + 16)); n3 = Vector512.LoadUnsafe(ref *(r3 + j + 16));
                // Three independent chains per output (one per filter row) keep the FMA latency off the critical path.
                v = Taps1(c0, n0, w0, w1, w2) + Taps1(c1, n1, w3, w4, w5) + Taps1(c2, n2, w6, w7, w8);
                ep.Store(v, y0 + j, 16);
                if (two)
                {
                    v = Taps1(c1, n1, w0, w1, w2) + Taps1(c2, n2, w3, w4, w5) + Taps1(c3, n3, w6, w7, w8);
                    ep.Store(v, y1 + j, 16);
                }
                c0 = n0; c1 = n1; c2 = n2; c3 = n3;
            }
            if (nv >= 2)
            {
                n0 = Load(r0 + j + 16, mA, true); n1 = Load(r1 + j + 16, mA, true);
                n2 = Load(r2 + j + 16, mA, true); n3 = Load(r3 + j + 16, mA, true);
                v = Taps1(c0, n0, w0, w1, w2) + Taps1(c1, n1, w3, w4, w5) + Taps1(c2, n2, w6, w7, w8);
                ep.Store(v, y0 + j, 16);
                if (two)
                {
                    v = Taps1(c1, n1, w0, w1, w2) + Taps1(c2, n2, w3, w4, w5) + Taps1(c3, n3, w6, w7, w8);
                    ep.Store(v, y1 + j, 16);
                }
                c0 = n0; c1 = n1; c2 = n2; c3 = n3;
                j += 16;
            }
            n0 = Load(r0 + j + 16, mB, true); n1 = Load(r1 + j + 16, mB, true);
            n2 = Load(r2 + j + 16, mB, true); n3 = Load(r3 + j + 16, mB, true);
            v = Taps1(c0, n0, w0, w1, w2) + Taps1(c1, n1, w3, w4, w5) + Taps1(c2, n2, w6, w7, w8);
            ep.Store(v, y0 + j, lastLeft);
            if (two)
            {
                v = Taps1(c1, n1, w0, w1, w2) + Taps1(c2, n2, w3, w4, w5) + Taps1(c3, n3, w6, w7, w8);
                ep.Store(v, y1 + j, lastLeft);
            }
        }
    }

    /// <summary>Even and odd columns of the 32 floats at <paramref name="p"/> (one vpermt2ps each).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Split(float* p, Vector512<float> mlo, Vector512<float> mhi, bool masked, Vector512<int> ie, Vector512<int> io,
        out Vector512<float> even, out Vector512<float> odd)
    {
        var lo = Load(p, mlo, masked);
        var hi = Load(p + 16, mhi, masked);
        even = Avx512F.PermuteVar16x32x2(lo, ie, hi);
        odd = Avx512F.PermuteVar16x32x2(lo, io, hi);
    }

    /// <summary>
    /// Three taps of one filter row at stride 2: columns 2l, 2l+1 (this vector's even and odd columns) and 2l+2
    /// (the even columns shifted on by one lane into the next vector's, by valignd).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Taps2(Vector512<float> even, Vector512<float> odd, Vector512<float> nextEven, Vector512<float> a, Vector512<float> b, Vector512<float> c)
    {
        var s = even * a;
        s = Vector512.FusedMultiplyAdd(odd, b, s);
        return Vector512.FusedMultiplyAdd(Avx512F.AlignRight32(nextEven.AsInt32(), even.AsInt32(), 1).AsSingle(), c, s);
    }

    /// <summary>
    /// Stride 2: input vector pair k covers columns [32k - PW, 32k - PW + 32), split once into even and odd
    /// columns and carried to the next step, so each filter row costs 2 loads and 3 shuffles per output vector.
    /// Pairs 0, nv - 1 and nv load under masks, the rest plainly (<see cref="Supports"/> keeps them inside the row).
    /// </summary>
    private static void Stride2(in ConvGeometry g, float* x, float* zero, float* w, float* y, in DepthwiseEpilogue ep)
    {
        int ow = g.OW, iw = g.IW, ih = g.IH, pw = g.PW, nv = (ow + 15) / 16, lastLeft = ow - (nv - 1) * 16;
        Vector512<float> w0 = Vector512.Create(w[0]), w1 = Vector512.Create(w[1]), w2 = Vector512.Create(w[2]),
            w3 = Vector512.Create(w[3]), w4 = Vector512.Create(w[4]), w5 = Vector512.Create(w[5]),
            w6 = Vector512.Create(w[6]), w7 = Vector512.Create(w[7]), w8 = Vector512.Create(w[8]);
        var ie = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var io = ie + Vector512<int>.One;
        int ca = 32 * (nv - 1) - pw, cb = 32 * nv - pw;
        Vector512<float> m0 = InRow(-pw, iw), m1 = InRow(16 - pw, iw), a0 = InRow(ca, iw), a1 = InRow(ca + 16, iw), b0 = InRow(cb, iw), b1 = InRow(cb + 16, iw);
        nint inner = (nint)(nv - 2) * 32;
        for (int oh = 0; oh < g.OH; oh++)
        {
            int i0 = 2 * oh - g.PH;
            float* r0 = Row(x, zero, i0, ih, iw) - pw, r1 = Row(x, zero, i0 + 1, ih, iw) - pw, r2 = Row(x, zero, i0 + 2, ih, iw) - pw;
            float* yr = y + (nint)oh * ow;
            Split(r0, m0, m1, true, ie, io, out var e0, out var o0);
            Split(r1, m0, m1, true, ie, io, out var e1, out var o1);
            Split(r2, m0, m1, true, ie, io, out var e2, out var o2);
            Vector512<float> f0, p0, f1, p1, f2, p2, v;
            nint j = 0; // input offset of the current pair (32 per output vector)
            float* yo = yr;
            for (; j < inner; j += 32, yo += 16)
            {
                Split(r0 + j + 32, m0, m1, false, ie, io, out f0, out p0);
                Split(r1 + j + 32, m0, m1, false, ie, io, out f1, out p1);
                Split(r2 + j + 32, m0, m1, false, ie, io, out f2, out p2);
                v = Taps2(e0, o0, f0, w0, w1, w2) + Taps2(e1, o1, f1, w3, w4, w5) + Taps2(e2, o2, f2, w6, w7, w8);
                ep.Store(v, yo, 16);
                e0 = f0; o0 = p0; e1 = f1; o1 = p1; e2 = f2; o2 = p2;
            }
            if (nv >= 2)
            {
                Split(r0 + j + 32, a0, a1, true, ie, io, out f0, out p0);
                Split(r1 + j + 32, a0, a1, true, ie, io, out f1, out p1);
                Split(r2 + j + 32, a0, a1, true, ie, io, out f2, out p2);
                v = Taps2(e0, o0, f0, w0, w1, w2) + Taps2(e1, o1, f1, w3, w4, w5) + Taps2(e2, o2, f2, w6, w7, w8);
                ep.Store(v, yo, 16);
                e0 = f0; o0 = p0; e1 = f1; o1 = p1; e2 = f2; o2 = p2;
                j += 32;
                yo += 16;
            }
            // The last vector's +2 tap reaches lane 0 of the next pair's even columns.
            Split(r0 + j + 32, b0, b1, true, ie, io, out f0, out _);
            Split(r1 + j + 32, b0, b1, true, ie, io, out f1, out _);
            Split(r2 + j + 32, b0, b1, true, ie, io, out f2, out _);
            v = Taps2(e0, o0, f0, w0, w1, w2) + Taps2(e1, o1, f1, w3, w4, w5) + Taps2(e2, o2, f2, w6, w7, w8);
            ep.Store(v, yo, lastLeft);
        }
    }
}
