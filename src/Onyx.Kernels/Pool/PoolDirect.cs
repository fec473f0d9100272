using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Onyx.Kernels.Conv;

namespace Onyx.Kernels.Pool;

/// <summary>
/// AVX-512 pooling of one plane straight from x, window rows first: for each output row the window's
/// in-bounds input rows are reduced (max or sum) column-wise into one padded row, then each output
/// takes the reduction over its KW columns of that row (unaligned loads at stride 1, vpermt2ps
/// even-column picks at stride 2, a scalar pick from the L1-resident row otherwise). No padded copy of
/// the plane and no per-row calls: measured, the phase path spent ~5 us on MNIST's 3x3/3 pool
/// (16 planes of 14x14) padding and splitting rows one scalar call at a time.
/// </summary>
internal static unsafe class PoolDirect
{
    /// <summary>Columns of the padded row an output row reads: input columns [-PW, Span - PW).</summary>
    public static int Span(in ConvGeometry g) => (g.OW - 1) * g.SW + (g.KW - 1) * g.DW + 1;

    /// <summary>Floats of scratch for the padded row (its vector over-reads included).</summary>
    public static int RowFloats(in ConvGeometry g) => (Math.Max(Span(g), g.PW + g.IW) + 48 * g.SW + 64 + 15) / 16 * 16;

    /// <summary>
    /// Sets the padded row's columns outside the input to <paramref name="pad"/> once per call (the per-row
    /// pass never writes them) and clears its slack.
    /// </summary>
    public static void PrepareRow(in ConvGeometry g, float* rb, float pad)
    {
        int n = RowFloats(g);
        new Span<float>(rb, n).Fill(pad);
    }

    /// <summary>
    /// Pools plane <paramref name="x"/> into <paramref name="o"/> (row stride <paramref name="wq"/>, a multiple of 16,
    /// garbage past OW): max or sum over the window's taps, pads reading as the identity. <paramref name="rows"/>
    /// holds KH pointers of scratch.
    /// </summary>
    public static void Plane(in ConvGeometry g, float* x, float* rb, float** rows, float* o, int wq, bool max)
    {
        int iw = g.IW, ow = g.OW, sw = g.SW, dw = g.DW, kw = g.KW;
        float* dst = rb + g.PW; // input column 0
        var id = Vector512.Create(max ? float.NegativeInfinity : 0f);
        var tail = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(iw % 16)).AsSingle();
        var ie = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        int full = iw / 16 * 16;
        for (int oh = 0; oh < g.OH; oh++)
        {
            int n = 0;
            for (int kh = 0, ih = oh * g.SH - g.PH; kh < g.KH; kh++, ih += g.DH)
                if ((uint)ih < (uint)g.IH) rows[n++] = x + (nint)ih * iw;
            // Window rows reduced column-wise into the padded row.
            for (int c = 0; c < full; c += 16)
            {
                var v = n == 0 ? id : Vector512.LoadUnsafe(ref *(rows[0] + c));
                for (int t = 1; t < n; t++) v = max ? Vector512.Max(v, Vector512.LoadUnsafe(ref *(rows[t] + c))) : v + Vector512.LoadUnsafe(ref *(rows[t] + c));
                v.StoreUnsafe(ref *(dst + c));
            }
            if (full < iw)
            {
                var v = n == 0 ? id : Avx512F.MaskLoad(rows[0] + full, tail, id);
                for (int t = 1; t < n; t++)
                {
                    var u = Avx512F.MaskLoad(rows[t] + full, tail, id);
                    v = max ? Vector512.Max(v, u) : v + u;
                }
                Avx512F.MaskStore(dst + full, tail, v); // the pad columns after the row keep the identity
            }
            // Each output reduces its KW columns of the padded row.
            float* orow = o + (nint)oh * wq;
            if (sw == 1)
            {
                for (int i = 0; i < ow; i += 16)
                {
                    var v = Vector512.LoadUnsafe(ref *(rb + i));
                    for (int t = 1; t < kw; t++) v = max ? Vector512.Max(v, Vector512.LoadUnsafe(ref *(rb + i + t * dw))) : v + Vector512.LoadUnsafe(ref *(rb + i + t * dw));
                    v.StoreUnsafe(ref *(orow + i));
                }
            }
            else if (sw == 2)
            {
                for (int i = 0; i < ow; i += 16)
                {
                    float* p = rb + 2 * i;
                    var v = Avx512F.PermuteVar16x32x2(Vector512.LoadUnsafe(ref *p), ie, Vector512.LoadUnsafe(ref *(p + 16)));
                    for (int t = 1; t < kw; t++)
                    {
                        float* q = p + t * dw;
                        var u = Avx512F.PermuteVar16x32x2(Vector512.LoadUnsafe(ref *q), ie, Vector512.LoadUnsafe(ref *(q + 16)));
                        v = max ? Vector512.Max(v, u) : v + u;
                    }
                    v.StoreUnsafe(ref *(orow + i));
                }
            }
            else
            {
                for (int i = 0; i < ow; i++)
                {
                    float* p = rb + i * sw;
                    float a = p[0];
                    for (int t = 1; t < kw; t++)
                    {
                        float u = p[t * dw];
                        a = max ? (u > a || float.IsNaN(u) ? u : a) : a + u;
                    }
                    orow[i] = a;
                }
            }
        }
    }
}
