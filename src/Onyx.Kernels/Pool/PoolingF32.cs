using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Onyx.Kernels.Conv;
using Onyx.Kernels.Threading;

namespace Onyx.Kernels.Pool;

/// <summary>
/// FP32 max and average pooling over 1-D/2-D NCHW planes (any window, stride, dilation, pads,
/// ceil_mode overflow). On AVX-512 each plane is read in place, window rows first (<see cref="PoolDirect"/>).
/// Otherwise it is vectorised the way the depthwise conv's fallback is: each plane is padded (-inf for max,
/// 0 for average) and split into stride phases, one SIMD sweep takes max or sum over the taps along
/// the flattened output grid, and the store divides by the window count (a row count times a column
/// count: windows are separable) or zeroes windows with no input. Semantics match <see cref="Pooling"/>.
/// </summary>
public static unsafe class PoolingF32
{
    /// <summary>True when the vectorised path handles <paramref name="g"/> (2-D or 1-D, no depth).</summary>
    public static bool Supports(in ConvGeometry g) => g.ID == 1 && g.KD == 1 && g.OD == 1;

    /// <summary>
    /// Pools <paramref name="planes"/> contiguous planes x -> y: max over in-bounds taps (0 for a window with
    /// none) or average (divisor as in <see cref="Pooling.Average{T}(in ConvGeometry, int, T*, T*, bool)"/>).
    /// </summary>
    public static void Run(in ConvGeometry g, int planes, float* x, float* y, bool max, bool countIncludePad, IntraOpPool? pool, IsaPath isa)
    {
        if (!Supports(g)) throw new ArgumentException("depth pooling is not supported by the vectorised path");
        if (planes == 0 || g.OutSize == 0) return;
        long work = (long)planes * g.OutSize * g.KernelSize;
        int parts = pool is null || work < DepthwiseConvF32.ParallelThreshold ? 1 : Math.Min(pool.DegreeOfParallelism, planes);
        var body = new Body { G = g, Planes = planes, X = x, Y = y, Max = max, CountIncludePad = countIncludePad, Parts = parts, Isa = isa };
        if (parts > 1) pool!.Run(parts, ref body);
        else body.Invoke(0);
    }

    private struct Body : IParallelBody
    {
        public ConvGeometry G;
        public int Planes, Parts;
        public float* X, Y;
        public bool Max, CountIncludePad;
        public IsaPath Isa;

        public void Invoke(int index)
        {
            var (p0, p1) = IntraOpPool.Share(Planes, index, Parts);
            float pad = Max ? float.NegativeInfinity : 0f;
            if (Isa >= IsaPath.V512 && Avx512F.IsSupported)
            {
                Direct(p0, p1, pad);
                return;
            }
            var ph = new DepthwisePhases(G);
            int taps = G.KH * G.KW, rowLen = ph.Wq * G.SW + 16;
            float* area = Scratch((nint)ph.Area + rowLen + ph.Flat + 16 + taps + G.OH + G.OW + 16);
            float* row = area + ph.Area, outb = row + rowLen, rowCount = outb + ph.Flat + 16, colCount = rowCount + G.OH;
            int* off = (int*)(colCount + G.OW + 16);
            for (int kh = 0, t = 0; kh < G.KH; kh++)
                for (int kw = 0; kw < G.KW; kw++) off[t++] = ph.Offset(G, kh, kw);
            Counts(rowCount, colCount);
            ph.ClearSlack(area, G);
            for (int p = p0; p < p1; p++)
            {
                ph.Fill(G, X + (nint)p * G.InSize, area, row, Isa, pad);
                PoolSweep.Run(area, off, taps, outb, ph.Flat, Max, Isa);
                Store(G, outb, ph.Wq, Y + (nint)p * G.OutSize, rowCount, colCount, Max, Isa);
            }
        }

        /// <summary>Window tap counts per output row and column (the store's divisor, or 0 for an empty window).</summary>
        private readonly void Counts(float* rowCount, float* colCount)
        {
            bool includePad = CountIncludePad && !Max;
            for (int oh = 0; oh < G.OH; oh++) rowCount[oh] = Count(oh, G.SH, G.PH, G.DH, G.KH, G.IH, G.PHEnd, includePad);
            for (int ow = 0; ow < G.OW; ow++) colCount[ow] = Count(ow, G.SW, G.PW, G.DW, G.KW, G.IW, G.PWEnd, includePad);
        }

        /// <summary>Planes [p0, p1) through <see cref="PoolDirect"/>, which reads x in place.</summary>
        private readonly void Direct(int p0, int p1, float pad)
        {
            int wq = (G.OW + 15) / 16 * 16, rf = PoolDirect.RowFloats(G);
            float* rb = RowScratch(rf + G.OH * wq + 16 + G.OH + G.OW + 16 + 2 * G.KH);
            float* o = rb + rf;
            float** rows = (float**)(o + G.OH * wq + 16); // 64-byte aligned: rf and wq are whole vectors
            float* rowCount = (float*)(rows + G.KH), colCount = rowCount + G.OH;
            Counts(rowCount, colCount);
            PoolDirect.PrepareRow(G, rb, pad);
            for (int p = p0; p < p1; p++)
            {
                PoolDirect.Plane(G, X + (nint)p * G.InSize, rb, rows, o, wq, Max);
                Store(G, o, wq, Y + (nint)p * G.OutSize, rowCount, colCount, Max, Isa);
            }
        }
    }

    /// <summary>
    /// Taps of one axis's window at output <paramref name="o"/>: in the input, or (average with
    /// count_include_pad) in the padded extent [-pb, n + pe). Max only asks whether any tap is inside.
    /// </summary>
    private static float Count(int o, int s, int pb, int d, int k, int n, int pe, bool includePad)
    {
        int c = 0;
        for (int t = 0; t < k; t++)
        {
            int i = o * s - pb + t * d;
            if (includePad ? i >= -pb && i < n + pe : (uint)i < (uint)n) c++;
        }
        return c;
    }

    /// <summary>
    /// Max: y = v, or 0 where the window has no input tap. Average: y = v / (row count * column count)
    /// (0 where that is 0). Skips the sweep's garbage columns.
    /// </summary>
    private static void Store(in ConvGeometry g, float* s, int wq, float* y, float* rowCount, float* colCount, bool max, IsaPath isa)
    {
        int ow = g.OW;
        bool v512 = isa >= IsaPath.V512 && Avx512F.IsSupported;
        var tailMask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(ow % 16)).AsSingle();
        for (int oh = 0; oh < g.OH; oh++)
        {
            float* sr = s + (nint)oh * wq, yr = y + (nint)oh * ow;
            float rc = rowCount[oh];
            int i = 0;
            if (v512)
            {
                var vrc = Vector512.Create(rc);
                for (; i < ow; i += 16)
                {
                    // The sweep buffer and the column counts both have a vector of slack past the row.
                    var cnt = vrc * Vector512.LoadUnsafe(ref *(colCount + i));
                    var v = Vector512.LoadUnsafe(ref *(sr + i));
                    if (!max) v /= cnt;
                    v = Vector512.ConditionalSelect(Vector512.Equals(cnt, Vector512<float>.Zero), Vector512<float>.Zero, v);
                    if (i + 16 <= ow) v.StoreUnsafe(ref *(yr + i));
                    else Avx512F.MaskStore(yr + i, tailMask, v);
                }
            }
            for (; i < ow; i++)
            {
                float cnt = rc * colCount[i], v = sr[i];
                yr[i] = cnt == 0f ? 0f : max ? v : v / cnt;
            }
        }
    }

    private struct PoolScratch { }
    private struct PoolRowScratch { }

    /// <summary>Per-thread scratch of <see cref="PoolDirect"/> (its padded row, output rows and row pointers).</summary>
    private static float* RowScratch(nint floats) => ThreadScratch<PoolRowScratch>.Floats(floats);

    /// <summary>Per-thread scratch (64-byte aligned), grown on demand and kept: nothing allocated per call in steady state.</summary>
    private static float* Scratch(nint floats) => ThreadScratch<PoolScratch>.Floats(floats);
}
