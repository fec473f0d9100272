using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Onyx.Kernels.Conv;

/// <summary>Gathers convolution windows into GEMM columns and scatters them back (ConvTranspose).</summary>
internal static unsafe class Im2Col
{
    /// <summary>
    /// col[(c*KernelSize + kidx) * count + j] = x[c, window tap kidx of output position start + j]
    /// (0 in padding), for c in [0, channels). x is one group of one image: channels x InSize.
    /// </summary>
    public static void Gather(in ConvGeometry g, float* x, int channels, int start, int count, float* col)
    {
        int ohw = g.OH * g.OW;
        for (int c = 0; c < channels; c++)
        {
            float* xc = x + (nint)c * g.InSize;
            for (int kd = 0; kd < g.KD; kd++)
                for (int kh = 0; kh < g.KH; kh++)
                    for (int kw = 0; kw < g.KW; kw++)
                    {
                        float* dst = col + ((nint)(c * g.KD + kd) * g.KH * g.KW + kh * g.KW + kw) * count;
                        int pos = start, end = start + count;
                        while (pos < end)
                        {
                            int od = pos / ohw, rem = pos - od * ohw, oh = rem / g.OW, ow = rem - oh * g.OW;
                            int run = Math.Min(g.OW - ow, end - pos);
                            int id = od * g.SD - g.PD + kd * g.DD, ih = oh * g.SH - g.PH + kh * g.DH;
                            if ((uint)id >= (uint)g.ID || (uint)ih >= (uint)g.IH)
                            {
                                new Span<float>(dst, run).Clear();
                            }
                            else
                            {
                                float* row = xc + ((nint)id * g.IH + ih) * g.IW;
                                int iw = ow * g.SW - g.PW + kw * g.DW;
                                if (g.SW == 1 && iw >= 0 && iw + run <= g.IW)
                                    new ReadOnlySpan<float>(row + iw, run).CopyTo(new Span<float>(dst, run));
                                else
                                    for (int j = 0; j < run; j++, iw += g.SW)
                                        dst[j] = (uint)iw < (uint)g.IW ? row[iw] : 0f;
                            }
                            dst += run;
                            pos += run;
                        }
                    }
        }
    }

    /// <summary>
    /// Like <see cref="Gather"/>, but writes straight into the GEMM's packed-B layout (NR-column
    /// strips, k-major, strip stride kTotal*NR) so the GEMM skips its own packing. Columns past
    /// <paramref name="count"/> in the last strip are zeroed.
    /// </summary>
    public static void GatherPacked(in ConvGeometry g, float* x, int channels, int start, int count, float* packed, int nr)
    {
        if ((g.SW != 1 || g.OW < WideRow) && Avx512F.IsSupported && g.KD == 1 && g.ID == 1 && nr % 16 == 0 && nr <= MaxLanes && g.KH * g.KW * (nr / 16) <= MaxSlots)
        {
            GatherPacked2D(g, x, channels, start, count, packed, nr);
            return;
        }
        GatherPackedRuns(g, x, channels, start, count, packed, nr);
    }

    /// <summary><see cref="GatherPacked"/> for any geometry: one copy per contiguous run of an output row.</summary>
    internal static void GatherPackedRuns(in ConvGeometry g, float* x, int channels, int start, int count, float* packed, int nr)
    {
        int ohw = g.OH * g.OW;
        int kTotal = channels * g.KernelSize;
        nint stripStride = (nint)kTotal * nr;
        for (int c = 0; c < channels; c++)
        {
            float* xc = x + (nint)c * g.InSize;
            for (int kd = 0; kd < g.KD; kd++)
                for (int kh = 0; kh < g.KH; kh++)
                    for (int kw = 0; kw < g.KW; kw++)
                    {
                        int kidx = (c * g.KD + kd) * g.KH * g.KW + kh * g.KW + kw;
                        float* dstRow = packed + (nint)kidx * nr;
                        int pos = start, end = start + count, lane = 0;
                        float* strip = dstRow;
                        while (pos < end)
                        {
                            int od = pos / ohw, rem = pos - od * ohw, oh = rem / g.OW, ow = rem - oh * g.OW;
                            int run = Math.Min(g.OW - ow, end - pos);
                            int id = od * g.SD - g.PD + kd * g.DD, ih = oh * g.SH - g.PH + kh * g.DH;
                            int iw = ow * g.SW - g.PW + kw * g.DW;
                            if ((uint)id >= (uint)g.ID || (uint)ih >= (uint)g.IH)
                            {
                                for (int t = 0; t < run; t++)
                                {
                                    strip[lane] = 0f;
                                    if (++lane == nr) { lane = 0; strip += stripStride; }
                                }
                            }
                            else
                            {
                                float* row = xc + ((nint)id * g.IH + ih) * g.IW;
                                int t = 0;
                                if (g.SW == 1)
                                {
                                    // Interior: whole contiguous pieces up to the end of the current strip.
                                    for (; t < run && iw < 0; t++, iw++)
                                    {
                                        strip[lane] = 0f;
                                        if (++lane == nr) { lane = 0; strip += stripStride; }
                                    }
                                    while (t < run && iw < g.IW)
                                    {
                                        int piece = Math.Min(Math.Min(run - t, g.IW - iw), nr - lane);
                                        new ReadOnlySpan<float>(row + iw, piece).CopyTo(new Span<float>(strip + lane, piece));
                                        t += piece; iw += piece; lane += piece;
                                        if (lane == nr) { lane = 0; strip += stripStride; }
                                    }
                                }
                                for (; t < run; t++, iw += g.SW)
                                {
                                    strip[lane] = (uint)iw < (uint)g.IW ? row[iw] : 0f;
                                    if (++lane == nr) { lane = 0; strip += stripStride; }
                                }
                            }
                            pos += run;
                        }
                        for (; lane != 0 && lane < nr; lane++) strip[lane] = 0f;
                    }
        }
    }

    /// <summary>
    /// Stride-1 rows at least this wide keep the per-run copy: its long memcpy runs are cheap there, and
    /// (measured, not understood) the GEMM that follows ran slower after the vector gather: 96->24 3x3 at
    /// 160x160 took 17.4 ms with it vs 15.0 ms without, though the gather alone is 3.5 vs 5.4 ms.
    /// </summary>
    private const int WideRow = 128;

    /// <summary>Widest strip (a whole small output map as one strip) and most tap x half-strip slots (stack use ~140 B each).</summary>
    internal const int MaxLanes = 256, MaxSlots = 512;

    /// <summary>
    /// Lanes j = row[2j] (stride 2 within one input row starting at column <paramref name="iw0"/>): two
    /// masked loads of the 32 raw floats (columns outside [0, iw) are never touched) and one two-source
    /// permute, then the lanes outside <paramref name="mask"/> are zeroed. A gather costs ~3x more here.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> EvenLanes(float* src, int iw0, int iw, Vector512<float> mask)
    {
        Vector512<int> iota = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        Vector512<uint> limit = Vector512.Create((uint)iw);
        Vector512<int> c0 = Vector512.Create(iw0) + iota;
        Vector512<float> lo = Avx512F.MaskLoad(src, Vector512.LessThan(c0.AsUInt32(), limit).AsSingle(), Vector512<float>.Zero);
        Vector512<float> hi = Avx512F.MaskLoad(src + 16, Vector512.LessThan((c0 + Vector512.Create(16)).AsUInt32(), limit).AsSingle(), Vector512<float>.Zero);
        return Avx512F.PermuteVar16x32x2(lo, iota + iota, hi) & mask;
    }

    /// <summary>
    /// <see cref="GatherPacked"/> for 1-D/2-D convs with AVX-512, one 16-lane half strip at a time: per
    /// strip, every tap's 16 source offsets and validity mask are computed once (vectors), then each
    /// channel fills each tap's half strip with one plain load (interior, contiguous), one masked load
    /// (row edge: padding lanes read as 0 and touch no memory) or one masked gather (lanes span
    /// output rows, or stride > 1). Measured on Zen 4: 3-8x faster than the per-run copy loop, which
    /// made up 15-40% of a 3x3 conv.
    /// </summary>
    [SkipLocalsInit]
    internal static void GatherPacked2D(in ConvGeometry g, float* x, int channels, int start, int count, float* packed, int nr)
    {
        int taps = g.KH * g.KW, halves = nr / 16, slots = taps * halves;
        nint stripStride = (nint)channels * taps * nr;
        int* ihBase = stackalloc int[nr];
        int* iwBase = stackalloc int[nr];
        int* inside = stackalloc int[nr];
        Vector512<int>* index = stackalloc Vector512<int>[slots];
        Vector512<float>* mask = stackalloc Vector512<float>[slots];
        int* first = stackalloc int[slots];
        int* firstW = stackalloc int[slots];
        byte* mode = stackalloc byte[slots];
        Vector512<int> iota = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        Vector512<uint> ih1 = Vector512.Create((uint)g.IH), iw1 = Vector512.Create((uint)g.IW);
        int end = start + count;
        float* strip = packed;
        for (int p0 = start; p0 < end; p0 += nr, strip += stripStride)
        {
            for (int j = 0; j < nr; j++)
            {
                int p = p0 + j;
                if (p < end)
                {
                    int oh = p / g.OW, ow = p - oh * g.OW;
                    ihBase[j] = oh * g.SH - g.PH;
                    iwBase[j] = ow * g.SW - g.PW;
                    inside[j] = -1;
                }
                else
                {
                    ihBase[j] = iwBase[j] = inside[j] = 0;
                }
            }
            for (int h = 0; h < halves; h++)
            {
                Vector512<int> vih = Vector512.LoadUnsafe(ref *(ihBase + 16 * h)), viw = Vector512.LoadUnsafe(ref *(iwBase + 16 * h)), vin = Vector512.LoadUnsafe(ref *(inside + 16 * h));
                for (int kh = 0; kh < g.KH; kh++)
                    for (int kw = 0; kw < g.KW; kw++)
                    {
                        int slot = (kh * g.KW + kw) * halves + h;
                        Vector512<int> ih = vih + Vector512.Create(kh * g.DH), iw = viw + Vector512.Create(kw * g.DW);
                        Vector512<int> m = vin & Vector512.LessThan(ih.AsUInt32(), ih1).AsInt32() & Vector512.LessThan(iw.AsUInt32(), iw1).AsInt32();
                        Vector512<int> id = ih * Vector512.Create(g.IW) + iw;
                        index[slot] = id;
                        mask[slot] = m.AsSingle();
                        int f = id.ToScalar();
                        first[slot] = f;
                        firstW[slot] = iw.ToScalar();
                        // Contiguous: every valid lane j reads first + j (one row, stride 1); even: first + 2j (stride 2).
                        bool contiguous = ((Vector512.Equals(id, iota + Vector512.Create(f)) | ~m) == Vector512<int>.AllBitsSet);
                        bool even = g.SW == 2 && ((Vector512.Equals(id, iota + iota + Vector512.Create(f)) | ~m) == Vector512<int>.AllBitsSet);
                        mode[slot] = m == Vector512<int>.Zero ? (byte)0 : even ? (byte)4 : !contiguous ? (byte)3 : m == Vector512<int>.AllBitsSet ? (byte)1 : (byte)2;
                    }
            }
            float* dst = strip;
            for (int c = 0; c < channels; c++)
            {
                float* xc = x + (nint)c * g.InSize;
                for (int slot = 0; slot < slots; slot++, dst += 16)
                {
                    Vector512<float> v = mode[slot] switch
                    {
                        1 => Vector512.LoadUnsafe(ref *(xc + first[slot])),
                        2 => Avx512F.MaskLoad(xc + first[slot], mask[slot], Vector512<float>.Zero),
                        // .NET has no 512-bit gather: two AVX2 gathers.
                        3 => Avx2.GatherMaskVector256(Vector256<float>.Zero, xc, index[slot].GetLower(), mask[slot].GetLower(), 4).ToVector512Unsafe()
                            .WithUpper(Avx2.GatherMaskVector256(Vector256<float>.Zero, xc, index[slot].GetUpper(), mask[slot].GetUpper(), 4)),
                        4 => EvenLanes(xc + first[slot], firstW[slot], g.IW, mask[slot]),
                        _ => Vector512<float>.Zero,
                    };
                    v.StoreUnsafe(ref *dst);
                }
            }
        }
    }

    /// <summary>
    /// The adjoint of <see cref="Gather"/> for ConvTranspose: here the "output positions" are the
    /// transposed conv's input positions (OD/OH/OW of <paramref name="g"/>) and the image is the
    /// transposed conv's output (ID/IH/IW); y[c, tap position] += col[(c*KernelSize + kidx) * count + j].
    /// </summary>
    public static void ScatterAdd(in ConvGeometry g, float* col, int channels, int start, int count, float* y)
    {
        int ohw = g.OH * g.OW;
        for (int c = 0; c < channels; c++)
        {
            float* yc = y + (nint)c * g.InSize;
            for (int kd = 0; kd < g.KD; kd++)
                for (int kh = 0; kh < g.KH; kh++)
                    for (int kw = 0; kw < g.KW; kw++)
                    {
                        float* src = col + ((nint)(c * g.KD + kd) * g.KH * g.KW + kh * g.KW + kw) * count;
                        int pos = start, end = start + count;
                        while (pos < end)
                        {
                            int od = pos / ohw, rem = pos - od * ohw, oh = rem / g.OW, ow = rem - oh * g.OW;
                            int run = Math.Min(g.OW - ow, end - pos);
                            int id = od * g.SD - g.PD + kd * g.DD, ih = oh * g.SH - g.PH + kh * g.DH;
                            if ((uint)id < (uint)g.ID && (uint)ih < (uint)g.IH)
                            {
                                float* row = yc + ((nint)id * g.IH + ih) * g.IW;
                                int iw = ow * g.SW - g.PW + kw * g.DW;
                                for (int j = 0; j < run; j++, iw += g.SW)
                                    if ((uint)iw < (uint)g.IW) row[iw] += src[j];
                            }
                            src += run;
                            pos += run;
                        }
                    }
        }
    }
}
