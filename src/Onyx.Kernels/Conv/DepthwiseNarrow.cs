using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Onyx.Kernels.Gemm;

namespace Onyx.Kernels.Conv;

/// <summary>
/// AVX-512 3x3 depthwise for planes at most 8 outputs wide (MobileNet's 7x7 layers): two planes share each
/// vector, lanes 0-7 plane c and lanes 8-15 plane c + 1, so an output row costs one vector for two planes
/// instead of one mostly empty vector each. Each input row of both planes is loaded once (16 columns from
/// -PW, masked to the row) and every tap is one vpermt2ps pick from that pair. Measured: the one-plane
/// kernels spend most of a 7x7 plane on per-row edge work for 7 useful lanes.
/// </summary>
internal static unsafe class DepthwiseNarrow
{
    /// <summary>True for <see cref="DepthwiseDirect.Supports"/> shapes whose taps all fall in the 16 loaded columns.</summary>
    public static bool Supports(in ConvGeometry g) => DepthwiseDirect.Supports(g) && g.OW <= (g.SW == 1 ? 8 : 7);

    /// <summary>
    /// Planes [p0, p1) of x (channel = plane % C; w is [C, 3, 3], bias length C or null), pairs first and an odd
    /// last plane through <see cref="DepthwiseDirect.Plane"/>; <paramref name="zero"/> as for that method.
    /// </summary>
    public static void Run(in ConvGeometry g, int p0, int p1, float* x, float* zero, float* w, float* bias, float* y, in GemmEpilogue act, bool accumulate)
    {
        int sw = g.SW, pw = g.PW, ow = g.OW, channels = g.OutChannels;
        // Tap kw of output o reads loaded column sw*o + kw; lanes past OW pick anything in range (their results are never stored).
        var lane = Vector512<int>.Indices & Vector512.Create(7);
        var half = Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(8)) & Vector512.Create(16);
        var i0 = Vector512.Min(lane * sw, Vector512.Create(15)) + half;
        var i1 = Vector512.Min(lane * sw + Vector512<int>.One, Vector512.Create(15)) + half;
        var i2 = Vector512.Min(lane * sw + Vector512.Create(2), Vector512.Create(15)) + half;
        var idx = Vector512<int>.Indices + Vector512.Create(-pw);
        var load = (Vector512.GreaterThanOrEqual(idx, Vector512<int>.Zero) & Vector512.LessThan(idx, Vector512.Create(g.IW))).AsSingle();
        var store0 = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(ow)).AsSingle();
        var store1 = (Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(8)) & Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(8 + ow))).AsSingle();
        int p = p0;
        for (; p + 1 < p1; p += 2)
        {
            int c0 = p % channels, c1 = (p + 1) % channels;
            float* wa = w + (nint)c0 * 9, wb = w + (nint)c1 * 9;
            var b = Vector256.Create(bias == null ? 0f : bias[c0]).ToVector512Unsafe().WithUpper(Vector256.Create(bias == null ? 0f : bias[c1]));
            var ep = new DepthwiseEpilogue(b, act, accumulate);
            Pair(g, x + (nint)p * g.InSize, x + (nint)(p + 1) * g.InSize, zero, wa, wb, y + (nint)p * g.OutSize, y + (nint)(p + 1) * g.OutSize,
                ep, i0, i1, i2, load, store0, store1);
        }
        if (p < p1)
        {
            int c = p % channels;
            var ep = new DepthwiseEpilogue(bias == null ? 0f : bias[c], act, accumulate);
            DepthwiseDirect.Plane(g, x + (nint)p * g.InSize, zero, w + (nint)c * 9, y + (nint)p * g.OutSize, ep);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> W(float* wa, float* wb, int t) => Vector256.Create(wa[t]).ToVector512Unsafe().WithUpper(Vector256.Create(wb[t]));

    /// <summary>Three taps of one filter row for both planes: row a in lanes 0-15 of the pair's first source, row b in the second.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Taps(float* ra, float* rb, Vector512<float> load, Vector512<int> i0, Vector512<int> i1, Vector512<int> i2,
        Vector512<float> a, Vector512<float> b, Vector512<float> c)
    {
        var lo = Avx512F.MaskLoad(ra, load, Vector512<float>.Zero);
        var hi = Avx512F.MaskLoad(rb, load, Vector512<float>.Zero);
        var s = Avx512F.PermuteVar16x32x2(lo, i0, hi) * a;
        s = Vector512.FusedMultiplyAdd(Avx512F.PermuteVar16x32x2(lo, i1, hi), b, s);
        return Vector512.FusedMultiplyAdd(Avx512F.PermuteVar16x32x2(lo, i2, hi), c, s);
    }

    private static void Pair(in ConvGeometry g, float* xa, float* xb, float* zero, float* wa, float* wb, float* ya, float* yb, in DepthwiseEpilogue ep,
        Vector512<int> i0, Vector512<int> i1, Vector512<int> i2, Vector512<float> load, Vector512<float> store0, Vector512<float> store1)
    {
        int ih = g.IH, iw = g.IW, pw = g.PW, ow = g.OW;
        Vector512<float> w0 = W(wa, wb, 0), w1 = W(wa, wb, 1), w2 = W(wa, wb, 2), w3 = W(wa, wb, 3), w4 = W(wa, wb, 4),
            w5 = W(wa, wb, 5), w6 = W(wa, wb, 6), w7 = W(wa, wb, 7), w8 = W(wa, wb, 8);
        for (int oh = 0; oh < g.OH; oh++)
        {
            int r = oh * g.SH - g.PH;
            bool in0 = (uint)r < (uint)ih, in1 = (uint)(r + 1) < (uint)ih, in2 = (uint)(r + 2) < (uint)ih;
            nint o0 = (nint)r * iw - pw;
            // Pad rows read the zero row for both planes.
            var v = Taps(in0 ? xa + o0 : zero - pw, in0 ? xb + o0 : zero - pw, load, i0, i1, i2, w0, w1, w2)
                + Taps(in1 ? xa + o0 + iw : zero - pw, in1 ? xb + o0 + iw : zero - pw, load, i0, i1, i2, w3, w4, w5)
                + Taps(in2 ? xa + o0 + 2 * iw : zero - pw, in2 ? xb + o0 + 2 * iw : zero - pw, load, i0, i1, i2, w6, w7, w8);
            // Lanes 8.. belong to plane b: its row pointer is moved 8 floats back so lane 8 lands on column 0.
            ep.Store(v, ya + (nint)oh * ow, yb + (nint)oh * ow - 8, store0, store1);
        }
    }
}
