using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Onyx.Kernels.Gemm;

namespace Onyx.Kernels.Conv;

/// <summary>
/// Winograd F(4x4, 3x3) (Lavin and Gray, points 0, +-1, +-2, inf): a 6x6 input tile d gives the 4x4 output
/// A^T [ (G g G^T) .* (B^T d B) ] A. Tile kernels run with 16 channels along the AVX-512 lanes, on input
/// packed channel-interleaved ([row][col][16]), so every tap is one aligned vector load. The 2-D transforms
/// are two passes of the 1-D transform (columns into a 36-vector stack tile, then rows), which keeps fewer
/// than 32 vectors live.
/// </summary>
internal static unsafe class WinogradTiles
{
    /// <summary>Transform points per tile (6 x 6).</summary>
    public const int Points = 36;

    /// <summary>
    /// The 36 transformed values of one 6x6 tile for 16 channels: d[i][j] = src[(i*rowStride + j)*16 ..],
    /// result point (i, j) to dst[(i*6 + j)*pointStride ..].
    /// </summary>
    public static void Input(float* src, nint rowStride, float* dst, nint pointStride, Vector512<float>* tmp)
    {
        var four = Vector512.Create(4f);
        var five = Vector512.Create(5f);
        var two = Vector512.Create(2f);
        for (int j = 0; j < 6; j++)
        {
            float* s = src + j * 16;
            Vector512<float> d0 = Vector512.LoadUnsafe(ref *s), d1 = Vector512.LoadUnsafe(ref *(s + rowStride * 16)), d2 = Vector512.LoadUnsafe(ref *(s + rowStride * 32));
            Vector512<float> d3 = Vector512.LoadUnsafe(ref *(s + rowStride * 48)), d4 = Vector512.LoadUnsafe(ref *(s + rowStride * 64)), d5 = Vector512.LoadUnsafe(ref *(s + rowStride * 80));
            Transform6(d0, d1, d2, d3, d4, d5, four, five, two, out tmp[j], out tmp[6 + j], out tmp[12 + j], out tmp[18 + j], out tmp[24 + j], out tmp[30 + j]);
        }
        for (int i = 0; i < 6; i++)
        {
            Vector512<float>* t = tmp + i * 6;
            float* o = dst + i * 6 * pointStride;
            Transform6(t[0], t[1], t[2], t[3], t[4], t[5], four, five, two, out var w0, out var w1, out var w2, out var w3, out var w4, out var w5);
            w0.StoreUnsafe(ref *o);
            w1.StoreUnsafe(ref *(o + pointStride));
            w2.StoreUnsafe(ref *(o + 2 * pointStride));
            w3.StoreUnsafe(ref *(o + 3 * pointStride));
            w4.StoreUnsafe(ref *(o + 4 * pointStride));
            w5.StoreUnsafe(ref *(o + 5 * pointStride));
        }
    }

    /// <summary>B^T d for one 6-vector (rows of B^T: [4 0 -5 0 1 0], [0 -4 -4 1 1 0], [0 4 -4 -1 1 0], [0 -2 -1 2 1 0], [0 2 -1 -2 1 0], [0 4 0 -5 0 1]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transform6(Vector512<float> d0, Vector512<float> d1, Vector512<float> d2, Vector512<float> d3, Vector512<float> d4, Vector512<float> d5,
        Vector512<float> four, Vector512<float> five, Vector512<float> two,
        out Vector512<float> w0, out Vector512<float> w1, out Vector512<float> w2, out Vector512<float> w3, out Vector512<float> w4, out Vector512<float> w5)
    {
        Vector512<float> s12 = d1 + d2, d12 = d1 - d2, s34 = d3 + d4, d43 = d4 - d3, d42 = d4 - d2, d31 = d3 - d1;
        w0 = Vector512.FusedMultiplyAdd(four, d0, d4) - five * d2;
        w1 = s34 - four * s12;
        w2 = Vector512.FusedMultiplyAdd(four, d12, d43);
        w3 = Vector512.FusedMultiplyAdd(two, d31, d42);
        w4 = d42 - two * d31;
        w5 = Vector512.FusedMultiplyAdd(four, d1, d5) - five * d3;
    }

    /// <summary>
    /// The 4x4 outputs of one tile for 16 channels from its 36 products (point (i, j) at src[(i*6 + j)*pointStride ..]),
    /// plus <paramref name="bias"/>: out[(r*4 + c)*16 ..] = pixel (r, c), channels along the lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Output(float* src, nint pointStride, Vector512<float> bias, float* dst, Vector512<float>* tmp)
    {
        var two = Vector512.Create(2f);
        var four = Vector512.Create(4f);
        var eight = Vector512.Create(8f);
        for (int j = 0; j < 6; j++)
        {
            float* s = src + j * pointStride;
            nint row = 6 * pointStride;
            Inverse6(Vector512.LoadUnsafe(ref *s), Vector512.LoadUnsafe(ref *(s + row)), Vector512.LoadUnsafe(ref *(s + 2 * row)), Vector512.LoadUnsafe(ref *(s + 3 * row)), Vector512.LoadUnsafe(ref *(s + 4 * row)), Vector512.LoadUnsafe(ref *(s + 5 * row)),
                two, four, eight, out tmp[j], out tmp[6 + j], out tmp[12 + j], out tmp[18 + j]);
        }
        for (int r = 0; r < 4; r++)
        {
            Vector512<float>* t = tmp + r * 6;
            float* o = dst + r * 64;
            Inverse6(t[0], t[1], t[2], t[3], t[4], t[5], two, four, eight, out var o0, out var o1, out var o2, out var o3);
            (o0 + bias).StoreUnsafe(ref *o);
            (o1 + bias).StoreUnsafe(ref *(o + 16));
            (o2 + bias).StoreUnsafe(ref *(o + 32));
            (o3 + bias).StoreUnsafe(ref *(o + 48));
        }
    }

    /// <summary>A^T m for one 6-vector (rows of A^T: [1 1 1 1 1 0], [0 1 -1 2 -2 0], [0 1 1 4 4 0], [0 1 -1 8 -8 1]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Inverse6(Vector512<float> m0, Vector512<float> m1, Vector512<float> m2, Vector512<float> m3, Vector512<float> m4, Vector512<float> m5,
        Vector512<float> two, Vector512<float> four, Vector512<float> eight,
        out Vector512<float> o0, out Vector512<float> o1, out Vector512<float> o2, out Vector512<float> o3)
    {
        Vector512<float> a = m1 + m2, b = m1 - m2, c = m3 + m4, d = m3 - m4;
        o0 = m0 + a + c;
        o1 = Vector512.FusedMultiplyAdd(two, d, b);
        o2 = Vector512.FusedMultiplyAdd(four, c, a);
        o3 = Vector512.FusedMultiplyAdd(eight, d, b) + m5;
    }

    /// <summary>
    /// dst row l = src column l for a 16 x 16 block: src rows at src + r*srcStride, dst rows at dst + l*dstStride
    /// (unpack, 128-bit-lane shuffle, then two 128-bit-block shuffle stages).
    /// </summary>
    public static void Transpose16(float* src, nint srcStride, float* dst, nint dstStride)
    {
        Vector512<float> r0 = Vector512.LoadUnsafe(ref *src), r1 = Vector512.LoadUnsafe(ref *(src + srcStride)), r2 = Vector512.LoadUnsafe(ref *(src + 2 * srcStride)), r3 = Vector512.LoadUnsafe(ref *(src + 3 * srcStride));
        Vector512<float> r4 = Vector512.LoadUnsafe(ref *(src + 4 * srcStride)), r5 = Vector512.LoadUnsafe(ref *(src + 5 * srcStride)), r6 = Vector512.LoadUnsafe(ref *(src + 6 * srcStride)), r7 = Vector512.LoadUnsafe(ref *(src + 7 * srcStride));
        Vector512<float> r8 = Vector512.LoadUnsafe(ref *(src + 8 * srcStride)), r9 = Vector512.LoadUnsafe(ref *(src + 9 * srcStride)), r10 = Vector512.LoadUnsafe(ref *(src + 10 * srcStride)), r11 = Vector512.LoadUnsafe(ref *(src + 11 * srcStride));
        Vector512<float> r12 = Vector512.LoadUnsafe(ref *(src + 12 * srcStride)), r13 = Vector512.LoadUnsafe(ref *(src + 13 * srcStride)), r14 = Vector512.LoadUnsafe(ref *(src + 14 * srcStride)), r15 = Vector512.LoadUnsafe(ref *(src + 15 * srcStride));

        Vector512<float> t0 = Avx512F.UnpackLow(r0, r1), t1 = Avx512F.UnpackHigh(r0, r1), t2 = Avx512F.UnpackLow(r2, r3), t3 = Avx512F.UnpackHigh(r2, r3);
        Vector512<float> t4 = Avx512F.UnpackLow(r4, r5), t5 = Avx512F.UnpackHigh(r4, r5), t6 = Avx512F.UnpackLow(r6, r7), t7 = Avx512F.UnpackHigh(r6, r7);
        Vector512<float> t8 = Avx512F.UnpackLow(r8, r9), t9 = Avx512F.UnpackHigh(r8, r9), t10 = Avx512F.UnpackLow(r10, r11), t11 = Avx512F.UnpackHigh(r10, r11);
        Vector512<float> t12 = Avx512F.UnpackLow(r12, r13), t13 = Avx512F.UnpackHigh(r12, r13), t14 = Avx512F.UnpackLow(r14, r15), t15 = Avx512F.UnpackHigh(r14, r15);

        r0 = Avx512F.Shuffle(t0, t2, 0x44); r1 = Avx512F.Shuffle(t0, t2, 0xEE); r2 = Avx512F.Shuffle(t1, t3, 0x44); r3 = Avx512F.Shuffle(t1, t3, 0xEE);
        r4 = Avx512F.Shuffle(t4, t6, 0x44); r5 = Avx512F.Shuffle(t4, t6, 0xEE); r6 = Avx512F.Shuffle(t5, t7, 0x44); r7 = Avx512F.Shuffle(t5, t7, 0xEE);
        r8 = Avx512F.Shuffle(t8, t10, 0x44); r9 = Avx512F.Shuffle(t8, t10, 0xEE); r10 = Avx512F.Shuffle(t9, t11, 0x44); r11 = Avx512F.Shuffle(t9, t11, 0xEE);
        r12 = Avx512F.Shuffle(t12, t14, 0x44); r13 = Avx512F.Shuffle(t12, t14, 0xEE); r14 = Avx512F.Shuffle(t13, t15, 0x44); r15 = Avx512F.Shuffle(t13, t15, 0xEE);

        t0 = Avx512F.Shuffle4x128(r0, r4, 0x88); t1 = Avx512F.Shuffle4x128(r1, r5, 0x88); t2 = Avx512F.Shuffle4x128(r2, r6, 0x88); t3 = Avx512F.Shuffle4x128(r3, r7, 0x88);
        t4 = Avx512F.Shuffle4x128(r0, r4, 0xDD); t5 = Avx512F.Shuffle4x128(r1, r5, 0xDD); t6 = Avx512F.Shuffle4x128(r2, r6, 0xDD); t7 = Avx512F.Shuffle4x128(r3, r7, 0xDD);
        t8 = Avx512F.Shuffle4x128(r8, r12, 0x88); t9 = Avx512F.Shuffle4x128(r9, r13, 0x88); t10 = Avx512F.Shuffle4x128(r10, r14, 0x88); t11 = Avx512F.Shuffle4x128(r11, r15, 0x88);
        t12 = Avx512F.Shuffle4x128(r8, r12, 0xDD); t13 = Avx512F.Shuffle4x128(r9, r13, 0xDD); t14 = Avx512F.Shuffle4x128(r10, r14, 0xDD); t15 = Avx512F.Shuffle4x128(r11, r15, 0xDD);

        Avx512F.Shuffle4x128(t0, t8, 0x88).StoreUnsafe(ref *dst);
        Avx512F.Shuffle4x128(t1, t9, 0x88).StoreUnsafe(ref *(dst + dstStride));
        Avx512F.Shuffle4x128(t2, t10, 0x88).StoreUnsafe(ref *(dst + 2 * dstStride));
        Avx512F.Shuffle4x128(t3, t11, 0x88).StoreUnsafe(ref *(dst + 3 * dstStride));
        Avx512F.Shuffle4x128(t4, t12, 0x88).StoreUnsafe(ref *(dst + 4 * dstStride));
        Avx512F.Shuffle4x128(t5, t13, 0x88).StoreUnsafe(ref *(dst + 5 * dstStride));
        Avx512F.Shuffle4x128(t6, t14, 0x88).StoreUnsafe(ref *(dst + 6 * dstStride));
        Avx512F.Shuffle4x128(t7, t15, 0x88).StoreUnsafe(ref *(dst + 7 * dstStride));
        Avx512F.Shuffle4x128(t0, t8, 0xDD).StoreUnsafe(ref *(dst + 8 * dstStride));
        Avx512F.Shuffle4x128(t1, t9, 0xDD).StoreUnsafe(ref *(dst + 9 * dstStride));
        Avx512F.Shuffle4x128(t2, t10, 0xDD).StoreUnsafe(ref *(dst + 10 * dstStride));
        Avx512F.Shuffle4x128(t3, t11, 0xDD).StoreUnsafe(ref *(dst + 11 * dstStride));
        Avx512F.Shuffle4x128(t4, t12, 0xDD).StoreUnsafe(ref *(dst + 12 * dstStride));
        Avx512F.Shuffle4x128(t5, t13, 0xDD).StoreUnsafe(ref *(dst + 13 * dstStride));
        Avx512F.Shuffle4x128(t6, t14, 0xDD).StoreUnsafe(ref *(dst + 14 * dstStride));
        Avx512F.Shuffle4x128(t7, t15, 0xDD).StoreUnsafe(ref *(dst + 15 * dstStride));
    }

    /// <summary>
    /// G g G^T for one 3x3 filter g (row-major) into u[36] (point (i, j) at u[i*6 + j]), in double
    /// (rows of G: [1/4 0 0], [-1/6 -1/6 -1/6], [-1/6 1/6 -1/6], [1/24 1/12 1/6], [1/24 -1/12 1/6], [0 0 1]).
    /// </summary>
    public static void Filter(float* g, double* u)
    {
        ReadOnlySpan<double> G = [1 / 4.0, 0, 0, -1 / 6.0, -1 / 6.0, -1 / 6.0, -1 / 6.0, 1 / 6.0, -1 / 6.0, 1 / 24.0, 1 / 12.0, 1 / 6.0, 1 / 24.0, -1 / 12.0, 1 / 6.0, 0, 0, 1];
        Span<double> gg = stackalloc double[18]; // G g: 6 x 3
        for (int i = 0; i < 6; i++)
            for (int c = 0; c < 3; c++)
                gg[i * 3 + c] = G[i * 3] * g[c] + G[i * 3 + 1] * g[3 + c] + G[i * 3 + 2] * g[6 + c];
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++)
                u[i * 6 + j] = gg[i * 3] * G[j * 3] + gg[i * 3 + 1] * G[j * 3 + 1] + gg[i * 3 + 2] * G[j * 3 + 2];
    }

    /// <summary>Activation of a fused store on 16 lanes (NaN passes through, as in <see cref="Activate(Vector128{float}, bool, Vector128{float}, Vector128{float}, Vector128{float})"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Activate(Vector512<float> v, bool leaky, Vector512<float> lo, Vector512<float> hi, Vector512<float> alpha) =>
        leaky ? Vector512.ConditionalSelect(Vector512.LessThan(v, Vector512<float>.Zero), v * alpha, v) : Avx512F.Min(hi, Avx512F.Max(lo, v));

    /// <summary>Activation of a fused store on 4 lanes (vmaxps/vminps with v second pass NaN through, as the scalar activation does).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Activate(Vector128<float> v, bool leaky, Vector128<float> lo, Vector128<float> hi, Vector128<float> alpha) =>
        leaky ? Vector128.ConditionalSelect(Vector128.LessThan(v, Vector128<float>.Zero), v * alpha, v) : Sse.Min(hi, Sse.Max(lo, v));
}
