using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Onyx.Kernels.Gemm;
using Onyx.Kernels.Threading;

namespace Onyx.Kernels.Conv;

/// <summary>
/// ConvF32's direct path for filters with few taps x input channels (the RGB stem, MNIST's 5x5 convs): no
/// im2col. The input is copied once into zero-padded planes, split by column phase for a column stride s
/// (plane[c][ih][phase][j] = xpad[c][ih][j*s + phase]), so every tap of 32 neighbouring output columns of one
/// output row is 32 contiguous floats. The GEMM micro-kernel then reads B through a per-tap offset table
/// (<see cref="GemmIndirectKernelV512"/>) and stores straight into y, masking the row's last strip. For K = 27
/// the im2col gather cost ~40% of the conv (0.14 of 0.35 ms for 3->32 3x3 s2 at 224x224).
/// </summary>
public sealed unsafe partial class ConvF32
{
    /// <summary>
    /// Direct when the gather it saves outweighs the lanes it wastes: each output row is cut into whole
    /// strips, so a row fills ow/roundup(ow, 32) of them (112: 88%, 40: 63%), while im2col wastes none.
    /// Measured on Zen 4 (thread time, direct vs im2col): K=27 3->32 s2 224: 0.27 vs 0.36 ms; K=25 1->8 28x28:
    /// 5 vs 16 us; K=147 7x7 s2: 2.75 vs 3.05 ms; K=288 56x56: 98 vs 89 GFLOP/s; K=576 s1 56x56: 98 vs 100;
    /// K=576 s2 (28 wide): 97 vs 88; K=216 s2 40 wide: 69 vs 85; 1x1 s2 K=256: 90 vs 100. Needs the masked loads and stores of the
    /// hardware (the kernels' masked tail), so never on an emulated path.
    /// <c>ONYX_CONV_DIRECT=0</c> turns the path off (A/B timing).
    /// </summary>
    private bool DirectEligible(in ConvGeometry g, int kTotal)
    {
        // 1x1 strided convs gather cheaply (one tap) and would copy every input row into the planes to read half.
        if (!DirectEnabled || g.KD != 1 || g.ID != 1 || g.KH * g.KW == 1) return false;
        if (_isa == IsaPath.Scalar || !GemmDriver.HasMaskedTail(_isa)) return false;
        int nr = _isa == IsaPath.V512 ? GemmIndirectKernelV512.NR : GemmIndirectKernelV256.NR;
        return RowStrips(g, kTotal, nr) || Wrapped(g, kTotal);
    }

    /// <summary>Whole strips per output row fill enough lanes for this K.</summary>
    private static bool RowStrips(in ConvGeometry g, int kTotal, int nr)
    {
        double filled = (double)g.OW / ((g.OW + nr - 1) / nr * nr);
        return (kTotal <= 64 && filled >= 0.75) || (filled >= 0.85 && kTotal <= (g.SW > 1 ? 640 : 320));
    }

    /// <summary>
    /// Rows too narrow for whole strips (MNIST's 14x14): with stride 1 a strip may run on across padded rows
    /// (virtual column q = oh*padded width + ow, contiguous in the planes), so it computes the pad columns too
    /// (14 of 18 used) and finishes each row's runs with masked stores. AVX-512 only.
    /// </summary>
    private bool Wrapped(in ConvGeometry g, int kTotal)
    {
        if (_isa != IsaPath.V512 || !GemmDriver.HasMaskedTail(_isa) || g.SW != 1 || g.SH != 1 || kTotal > 320) return false;
        int nr = GemmIndirectKernelV512.NR;
        return g.OW * 4 < nr * 3 && g.OW * 10 >= 7 * (g.IW + g.PW + g.PWEnd);
    }

    private static readonly bool DirectEnabled = Environment.GetEnvironmentVariable("ONYX_CONV_DIRECT") != "0";

    /// <summary>Tests: whether <paramref name="g"/> runs on the direct path.</summary>
    internal bool TakesDirectPath(in ConvGeometry g)
    {
        int k = InPerGroup * KD * KH * KW;
        return !(IsDepthwise && g.KD == 1 && g.ID == 1) && !Transposed(g.OutSize, OutChannels / Group, k) && !IsPointwise(g) && DirectEligible(g, k);
    }

    private struct PlaneScratch { }

    private void ForwardDirect(in ConvGeometry g, float* x, float* y, float* bias, in GemmEpilogue act, IntraOpPool? pool, bool accumulate)
    {
        int inPer = InPerGroup, outPer = OutChannels / Group, taps = KH * KW, kTotal = inPer * taps;
        int nr = _isa == IsaPath.V512 ? GemmIndirectKernelV512.NR : GemmIndirectKernelV256.NR;
        bool wrapped = !RowStrips(g, kTotal, nr);
        if (DirectPanel16(kTotal, wrapped))
        {
            ForwardDirect16(g, x, y, bias, act, pool, accumulate);
            return;
        }
        PackedMatrixA[] packed = PackedFilters();
        var planes = new DirectPlanes(g, nr, exact: wrapped);
        float* p = ThreadScratch<PlaneScratch>.Floats(planes.Floats(inPer));
        nint* off = stackalloc nint[kTotal];
        for (int c = 0; c < inPer; c++)
            for (int kh = 0; kh < KH; kh++)
                for (int kw = 0; kw < KW; kw++)
                    off[(c * KH + kh) * KW + kw] = planes.TapOffset(c, kh * g.DH, kw * g.DW);
        // The activation's own bias fields are ignored (as the GEMM paths do): the conv bias is per output channel.
        // The offset-table kernel stores Relu/Clip/LeakyRelu; a post activation runs after (ApplyPost).
        var ep = act.WithoutPost with { Bias = null, BiasKind = BiasKind.None };
        int flags = ep.Flags | (accumulate ? GemmFlags.Accumulate : 0);
        if (bias != null) flags |= GemmFlags.BiasRow;
        int stripsPerRow = (g.OW + nr - 1) / nr;
        var body = new DirectBody
        {
            Isa = _isa, Planes = planes, P = p, Off = off, K = kTotal, OW = g.OW, OutSize = g.OutSize, Nr = nr,
            StripsPerRow = stripsPerRow, Items = wrapped ? (int)((planes.Virtual(g.OH, g.OW) + nr - 1) / nr) : g.OH * stripsPerRow, Wrapped = wrapped, M = outPer, Flags = flags, Lo = ep.Lo, Hi = ep.Hi, Slope = ep.Alpha,
        };
        int parts = IntraOpPool.PartsFor(pool, body.Items, (long)outPer * kTotal * g.OutSize >= GemmDriver.ParallelThreshold);
        for (int n = 0; n < g.Batch; n++)
            for (int grp = 0; grp < Group; grp++)
            {
                planes.Fill(x + ((nint)n * g.InChannels + grp * inPer) * g.InSize, inPer, p);
                body.A = packed[grp].Data;
                body.Y = y + ((nint)n * OutChannels + grp * outPer) * g.OutSize;
                body.Bias = bias == null ? null : bias + grp * outPer;
                body.Parts = parts;
                IntraOpPool.RunParts(pool, parts, ref body);
            }
        GC.KeepAlive(packed);
        ApplyPost(g, y, act, pool);
    }

    /// <summary>Output strips (one output row's 32 columns each) [index*Items/Parts, ...) of one image-group.</summary>
    private struct DirectBody : IParallelBody
    {
        public IsaPath Isa;
        public DirectPlanes Planes;
        public float* P, A, Y, Bias;
        public nint* Off;
        public int K, OW, OutSize, Nr, StripsPerRow, Items, M, Parts, Flags;
        public float Lo, Hi, Slope;
        public bool Wrapped;

        public void Invoke(int index)
        {
            var (i0, i1) = IntraOpPool.Share(Items, index, Parts);
            if (Wrapped)
            {
                InvokeWrapped(i0, i1);
                return;
            }
            int mr = Isa == IsaPath.V512 ? GemmIndirectKernelV512.MR : GemmIndirectKernelV256.MR;
            // Blocks of strips, panel outer within a block: y is written as MR sequential row streams (the
            // in-place GEMM's order, GemmDriver.InPlaceStrips), while the block's input rows stay in L1/L2.
            int block = Math.Max(1, 16 * 1024 / (K * Nr));
            for (int b0 = i0; b0 < i1; b0 += block)
            {
                int b1 = Math.Min(i1, b0 + block);
                for (int row = 0; row < M; row += mr)
                {
                    int rows = Math.Min(mr, M - row);
                    float* a = A + (nint)row * K;
                    float* br = Bias == null ? null : Bias + row;
                    for (int i = b0; i < b1; i++)
                    {
                        int oh = i / StripsPerRow, ow0 = (i - oh * StripsPerRow) * Nr;
                        int cols = Math.Min(Nr, OW - ow0);
                        float* b = P + Planes.StripOffset(oh, ow0);
                        float* c = Y + (nint)row * OutSize + (nint)oh * OW + ow0;
                        GemmDriver.IndirectTile(Isa, rows, a, b, Off, c, OutSize, K, cols, Flags, br, Lo, Hi, Slope);
                    }
                }
            }
        }

        /// <summary>Strips of virtual columns (see Wrapped): each tile goes to scratch, then its valid runs to y.</summary>
        [SkipLocalsInit]
        private void InvokeWrapped(int i0, int i1)
        {
            const int mr = GemmIndirectKernelV512.MR, nr = GemmIndirectKernelV512.NR;
            float* tile = stackalloc float[mr * nr];
            int width = (int)Planes.RowStride;
            long end = Planes.Virtual(OutSize / OW, OW);
            Vector512<int> iota = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            Vector512<float> vlo = Vector512.Create(Lo), vhi = Vector512.Create(Hi), vs = Vector512.Create(Slope);
            for (int i = i0; i < i1; i++)
            {
                int q0 = i * nr;
                for (int row = 0; row < M; row += mr)
                {
                    int rows = Math.Min(mr, M - row);
                    GemmDriver.IndirectTile(Isa, rows, A + (nint)row * K, P + q0, Off, tile, nr, K, nr, 0, null, 0, 0, 0);
                    for (int q = q0, last = (int)Math.Min(end, q0 + nr); q < last;)
                    {
                        int oh = q / width, ow = q - oh * width;
                        if (ow >= OW) { q += width - ow; continue; }
                        int run = Math.Min(OW - ow, last - q);
                        for (int r = 0; r < rows; r++)
                        {
                            float* src = tile + r * nr + (q - q0);
                            float* dst = Y + (nint)(row + r) * OutSize + (nint)oh * OW + ow;
                            Vector512<float> br = Bias == null ? Vector512<float>.Zero : Vector512.Create(Bias[row + r]);
                            for (int t = 0; t < run; t += 16)
                            {
                                Vector512<float> m = Vector512.LessThan(iota, Vector512.Create(run - t)).AsSingle();
                                Vector512<float> v = Avx512F.MaskLoad(src + t, m, Vector512<float>.Zero) + br;
                                if ((Flags & GemmFlags.Accumulate) != 0) v += Avx512F.MaskLoad(dst + t, m, Vector512<float>.Zero);
                                if ((Flags & GemmFlags.Clamp) != 0) v = Vector512.Min(Vector512.Max(v, vlo), vhi);
                                if ((Flags & GemmFlags.Leaky) != 0) v = Vector512.ConditionalSelect(Vector512.LessThan(v, Vector512<float>.Zero), v * vs, v);
                                Avx512F.MaskStore(dst + t, m, v);
                            }
                        }
                        q += run;
                    }
                }
            }
        }
    }
}

/// <summary>
/// The zero-padded, column-phase-split input planes of <see cref="ConvF32"/>'s direct path:
/// plane c, padded row r, phase f, column j holds x[c, r - PH, j*SW + f - PW] (0 outside the image).
/// </summary>
internal readonly unsafe struct DirectPlanes
{
    private readonly int _ih, _iw, _ph, _pw, _sh, _sw, _rows, _phaseWidth, _slack, _reach;

    /// <summary><paramref name="exact"/>: padded rows exactly IW + pads wide (stride 1 only), so strips may wrap across them.</summary>
    public DirectPlanes(in ConvGeometry g, int nr, bool exact = false)
    {
        _ih = g.IH; _iw = g.IW; _ph = g.PH; _pw = g.PW; _sh = g.SH; _sw = g.SW;
        _rows = g.IH + g.PH + g.PHEnd;
        _reach = (g.KH - 1) * g.DH + 1;
        // Wide enough for every column any output column's taps read, rounded to whole 16-float vectors.
        int reach = (g.OW - 1) + (g.KW - 1) * g.DW / g.SW + 1;
        int width = (g.IW + g.PW + g.PWEnd + g.SW - 1) / g.SW;
        _phaseWidth = exact ? g.IW + g.PW + g.PWEnd : (Math.Max(reach, width) + 15) / 16 * 16;
        // A row's last strip loads nr lanes from its start: past the last plane that runs up to nr floats on.
        _slack = nr;
    }

    public nint RowStride => (nint)_sw * _phaseWidth;

    /// <summary>Virtual columns up to the last output (stride 1, exact planes): q = oh*RowStride + ow.</summary>
    public long Virtual(int oh, int ow) => (long)(oh - 1) * RowStride + ow;
    private nint PlaneSize => _rows * RowStride;

    public nint Floats(int channels) => channels * PlaneSize + _slack;

    /// <summary>Offset of tap (c, dilated kh, dilated kw) from its strip's base.</summary>
    public nint TapOffset(int c, int dkh, int dkw) => c * PlaneSize + dkh * RowStride + (dkw % _sw) * (nint)_phaseWidth + dkw / _sw;

    /// <summary>Offset of output row <paramref name="oh"/>, column <paramref name="ow0"/> (tap 0,0).</summary>
    public nint StripOffset(int oh, int ow0) => (nint)oh * _sh * RowStride + ow0;

    /// <summary>Copies <paramref name="channels"/> planes of x (each IH x IW) into <paramref name="p"/>, padding with zeros.</summary>
    public void Fill(float* x, int channels, float* p) => Fill(x, channels, p, 0, _rows);

    /// <summary>
    /// The padded rows output rows [<paramref name="oh0"/>, <paramref name="oh1"/>) read, plus the row after them: a
    /// strip's last lanes may load a little past its row (into lanes the stores mask off), and they then read data
    /// this fill wrote, never stale scratch.
    /// </summary>
    public (int First, int End) RowsFor(int oh0, int oh1) => (oh0 * _sh, Math.Min(_rows, (oh1 - 1) * _sh + _reach + 1));

    /// <summary>
    /// Copies padded rows [<paramref name="r0"/>, <paramref name="r1"/>) of <paramref name="channels"/> planes of x
    /// into <paramref name="p"/> (a thread that fills only the rows its outputs read).
    /// </summary>
    public void Fill(float* x, int channels, float* p, int r0, int r1)
    {
        nint rowStride = RowStride;
        int padded = _phaseWidth * _sw;
        for (int c = 0; c < channels; c++)
        {
            float* xc = x + (nint)c * _ih * _iw;
            float* pc = p + c * PlaneSize;
            for (int r = r0; r < r1; r++)
            {
                float* dst = pc + r * rowStride;
                int ih = r - _ph;
                if ((uint)ih >= (uint)_ih)
                {
                    new Span<float>(dst, (int)rowStride).Clear();
                    continue;
                }
                float* src = xc + (nint)ih * _iw;
                if (_sw == 1) CopyPadded(src, _iw, _pw, dst, padded);
                else if (_sw == 2 && Avx512F.IsSupported) Deinterleave2(src, _iw, _pw, dst, _phaseWidth);
                else
                    for (int f = 0; f < _sw; f++)
                        for (int j = 0; j < _phaseWidth; j++)
                        {
                            int iw = j * _sw + f - _pw;
                            dst[f * _phaseWidth + j] = (uint)iw < (uint)_iw ? src[iw] : 0f;
                        }
            }
        }
        new Span<float>(p + channels * PlaneSize, _slack).Clear();
    }

    /// <summary>dst[0..width) = the row shifted right by <paramref name="pad"/>, zeros around it.</summary>
    private static void CopyPadded(float* src, int iw, int pad, float* dst, int width)
    {
        int n = Math.Min(iw, width - pad);
        new Span<float>(dst, pad).Clear();
        new ReadOnlySpan<float>(src, n).CopyTo(new Span<float>(dst + pad, n));
        new Span<float>(dst + pad + n, width - pad - n).Clear();
    }

    /// <summary>
    /// Stride 2: dst[f*width + j] = row[2j + f - pad]. 32 padded columns at a time: two masked loads (lanes
    /// outside the row read as 0 and touch no memory) and two two-source permutes into the even and odd phases.
    /// </summary>
    private static void Deinterleave2(float* src, int iw, int pad, float* dst, int width)
    {
        Vector512<int> iota = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        Vector512<int> even = iota + iota, odd = even + Vector512<int>.One;
        Vector512<uint> limit = Vector512.Create((uint)iw);
        for (int j = 0; j < width; j += 16)
        {
            int c0 = 2 * j - pad;
            Vector512<int> i0 = Vector512.Create(c0) + iota, i1 = i0 + Vector512.Create(16);
            Vector512<float> m0 = Vector512.LessThan(i0.AsUInt32(), limit).AsSingle(), m1 = Vector512.LessThan(i1.AsUInt32(), limit).AsSingle();
            Vector512<float> lo = Avx512F.MaskLoad(src + c0, m0, Vector512<float>.Zero);
            Vector512<float> hi = Avx512F.MaskLoad(src + c0 + 16, m1, Vector512<float>.Zero);
            Avx512F.PermuteVar16x32x2(lo, even, hi).StoreUnsafe(ref *(dst + j));
            Avx512F.PermuteVar16x32x2(lo, odd, hi).StoreUnsafe(ref *(dst + width + j));
        }
    }
}
