using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Onyx.Kernels.Gemm;
using Onyx.Kernels.Threading;

namespace Onyx.Kernels.Conv;

/// <summary>
/// ConvF32's Winograd F(4x4, 3x3) path for 2-D 3x3 convs with stride 1, dilation 1, one group (any pads,
/// any batch): 36 multiplies per 4x4 output tile and channel pair instead of 144. ONNX Runtime (MLAS)
/// runs these convs direct, so this is where Onyx does fewer FLOPs, not just faster ones. Steps: the input
/// is packed channel-interleaved (16 channels a vector, zero-padded borders); each 6x6 tile is transformed
/// into 36 rows V_p[tile, C]; 36 GEMMs products_p = V_p * U_p^T run on the packed SGemm (U = the filter
/// transformed once, <see cref="WinogradFilter"/>); the output transform adds bias, the residual (y, when
/// accumulating) and the activation as it stores. Results differ from direct convolution by rounding
/// (~1e-6 relative on resnet layers). <c>ONYX_CONV_WINOGRAD=0</c> turns it off (A/B timing).
/// </summary>
public sealed unsafe partial class ConvF32
{
    private WinogradFilter? _winograd;

    private static readonly bool WinogradEnabled = Environment.GetEnvironmentVariable("ONYX_CONV_WINOGRAD") != "0";
    private static readonly int WinogradBlockTiles = int.TryParse(Environment.GetEnvironmentVariable("ONYX_WINOGRAD_TB"), out int tb) ? tb : 0;

    /// <summary>
    /// True when this conv with geometry <paramref name="g"/> runs the Winograd path. Measured on Zen 4 (one
    /// thread, thread CPU time, direct = im2col + GEMM): it wins from 16 -> 16 channels on 56x56 (0.22 -> 0.18 ms)
    /// to 512 -> 512 on 7x7 (2.4 -> 1.8 ms), 64 -> 64 on 56x56 2.3 -> 1.0 ms; it loses below ~2^19
    /// multiply-adds per tap (32 -> 32 on 14x14, 64 -> 64 on 7x7: 36 small GEMMs cost more than they save).
    /// Nor where the transformed filter (4x the raw one) would stream from DRAM for few tiles: 512 -> 512 on
    /// one 7x7 map (4 tiles, 38 MB of U) measured 2.3 -> 2.0-2.2 ms only, for 28 MB more per layer.
    /// </summary>
    internal bool WinogradApplies(in ConvGeometry g) =>
        WinogradEnabled && _isa == IsaPath.V512 && Avx512F.IsSupported && Group == 1 && KD == 1 && KH == 3 && KW == 3
        && g.ID == 1 && g.OD == 1 && g.SH == 1 && g.SW == 1 && g.DH == 1 && g.DW == 1
        && InPerGroup >= 16 && OutChannels >= 16 && (long)InPerGroup * OutChannels * g.Batch * g.OutSize >= WinogradMinWork
        && (long)InPerGroup * OutChannels * WinogradTiles.Points * sizeof(float) <= MaxFilterBytesPerTile * g.Batch * ((g.OH + 3) / 4) * ((g.OW + 3) / 4);

    /// <summary>Transformed-filter bytes per output tile above which the filter streaming costs what Winograd saves (256 -> 256 on 14x14: 0.6 MB, a 2.4x win; 512 -> 512 on 7x7: 9.4 MB, ~10%).</summary>
    private const long MaxFilterBytesPerTile = 4L << 20;

    /// <summary>Fewest multiply-adds per filter tap (C x M x output positions) that take the Winograd path; tests lower it to reach odd shapes.</summary>
    internal long WinogradMinWork { get; set; } = 1L << 19;

    /// <summary>Runs the Winograd path if it applies (see <see cref="WinogradApplies"/>); false leaves y untouched.</summary>
    private bool TryWinograd(in ConvGeometry g, float* x, float* y, float* bias, in GemmEpilogue act, IntraOpPool? pool, bool accumulate)
    {
        if (!WinogradApplies(g)) return false;
        // Its output transform stores Relu/Clip/LeakyRelu; a post activation runs after, per thread's planes.
        var run = new WinogradRun(g, WinogradFilters(), x, y, bias, act.WithoutPost, accumulate);
        int threads = pool?.DegreeOfParallelism ?? 1;
        run.Input = InputBuffer((nint)g.Batch * run.CB * run.Hp * run.Wp * 16);
        var pack = new WinogradPackBody { Run = run, Parts = threads };
        if (threads > 1) pool!.Run(threads, ref pack);
        else pack.Invoke(0);
        long tiles = (long)g.Batch * run.TilesPerImage;
        if (threads == 1 || tiles >= threads * 24L)
        {
            // Each thread its own tile range, block by block, in its own buffers (its own L2). At least 96 tiles a
            // block (measured, ONYX_WINOGRAD_TB): 256 -> 256 at 14x14 1.00 -> 0.91 ms and 128 -> 128 at 28x28
            // 0.72 -> 0.69 ms as one block, since every block re-streams the 36 transformed filters.
            run.Block = WinogradBlockTiles > 0 ? WinogradBlockTiles : Math.Max(96, 1_500_000 / (WinogradTiles.Points * 4 * (run.Cp + run.Mp)) / 12 * 12);
            var body = new WinogradTileBody { Run = run, Parts = threads, Tiles = tiles };
            if (threads > 1) pool!.Run(threads, ref body);
            else body.Invoke(0);
        }
        else
        {
            // Few tiles (7x7, 14x14 maps): one block in shared buffers; the threads split the tile-channel
            // pairs of each transform and the 36 GEMMs between them.
            int block = (int)tiles;
            run.Block = block;
            float* v = VBuffer((nint)WinogradTiles.Points * block * run.Cp), p = PBuffer((nint)WinogradTiles.Points * block * run.Mp);
            var phase = new WinogradPhaseBody { Run = run, Parts = threads, V = v, P = p, Rows = block };
            for (phase.Phase = 0; phase.Phase < 3; phase.Phase++) pool!.Run(threads, ref phase);
        }
        ApplyPost(g, y, act, pool);
        return true;
    }

    /// <summary>The transformed filter (built on first use from the raw weights, or unpacked from the GEMM layout).</summary>
    private WinogradFilter WinogradFilters() => Volatile.Read(ref _winograd) ?? BuildWinograd();

    private WinogradFilter BuildWinograd()
    {
        lock (_gate)
        {
            if (_winograd is { } raced) return raced;
            // The raw copy stays: a later call with another geometry may need the GEMM layouts, which are built from it.
            WinogradFilter? made = null;
            if (_raw != null) made = new WinogradFilter(_raw, OutChannels, InPerGroup, _isa);
            else BuildEach((_, w) => made = new WinogradFilter((float*)w, OutChannels, InPerGroup, _isa));
            Volatile.Write(ref _winograd, made);
            return made!;
        }
    }

    private void DisposeWinograd() => _winograd?.Dispose();

    private struct WinogradInputScratch { }
    private struct WinogradVScratch { }
    private struct WinogradPScratch { }

    private static float* InputBuffer(nint floats) => ThreadScratch<WinogradInputScratch>.Floats(floats);
    private static float* VBuffer(nint floats) => ThreadScratch<WinogradVScratch>.Floats(floats);
    private static float* PBuffer(nint floats) => ThreadScratch<WinogradPScratch>.Floats(floats);

    /// <summary>Everything one Winograd Forward shares between its threads (lives on the caller's stack).</summary>
    private struct WinogradRun
    {
        public float* X, Y, Bias, Input;
        public WinogradFilter Filter;
        public GemmEpilogue Act;
        public bool Accumulate;
        public int C, M, CB, MB, Cp, Mp, IH, IW, OH, OW, PH, PW, TW, Hp, Wp, TilesPerImage, Planes, Block;

        public WinogradRun(in ConvGeometry g, WinogradFilter filter, float* x, float* y, float* bias, in GemmEpilogue act, bool accumulate)
        {
            X = x; Y = y; Bias = bias; Filter = filter; Act = act; Accumulate = accumulate;
            C = g.InChannels; M = g.OutChannels; CB = (C + 15) / 16; MB = (M + 15) / 16; Cp = CB * 16; Mp = filter.Np;
            IH = g.IH; IW = g.IW; OH = g.OH; OW = g.OW; PH = g.PH; PW = g.PW;
            int th = (OH + 3) / 4;
            TW = (OW + 3) / 4;
            Hp = 4 * th + 2;
            Wp = 4 * TW + 2;
            TilesPerImage = th * TW;
            Planes = g.Batch * CB;
        }

        /// <summary>Packs channel blocks [u0, u1) of all images (index n*CB + cb) into Input[n, cb, Hp, Wp, 16], zero outside x.</summary>
        public readonly void Pack(int u0, int u1)
        {
            nint inPlane = (nint)IH * IW;
            for (int u = u0; u < u1; u++)
            {
                int n = u / CB, c0 = u % CB * 16, lanes = Math.Min(16, C - c0);
                float* dst = Input + (nint)u * Hp * Wp * 16;
                float* src = X + ((nint)n * C + c0) * inPlane;
                int q0 = Math.Min(PW, Wp), q1 = Math.Min(Wp, PW + IW);
                for (int r = 0; r < Hp; r++)
                {
                    float* d = dst + (nint)r * Wp * 16;
                    int ih = r - PH;
                    if (ih < 0 || ih >= IH)
                    {
                        new Span<float>(d, Wp * 16).Clear();
                        continue;
                    }
                    new Span<float>(d, q0 * 16).Clear();
                    new Span<float>(d + q1 * 16, (Wp - q1) * 16).Clear();
                    float* s = src + (nint)ih * IW - PW;
                    int q = q0;
                    if (lanes == 16 && q1 - q0 >= 16)
                    {
                        for (; q + 16 <= q1; q += 16) WinogradTiles.Transpose16(s + q, inPlane, d + q * 16, 16);
                        // The last partial run: one more block ending at q1, rewriting a few columns with the same values.
                        if (q < q1) WinogradTiles.Transpose16(s + q1 - 16, inPlane, d + (q1 - 16) * 16, 16);
                        q = q1;
                    }
                    for (; q < q1; q++)
                    {
                        float* o = d + q * 16;
                        for (int l = 0; l < lanes; l++) o[l] = s[l * inPlane + q];
                        for (int l = lanes; l < 16; l++) o[l] = 0f;
                    }
                }
            }
        }

        /// <summary>
        /// Transforms tile-channel-block pairs [u0, u1) (index cb*rows + tileInBlock) of the block of
        /// <paramref name="rows"/> tiles starting at tile t0 into v. Channel block outer: consecutive tiles
        /// read overlapping, adjacent windows of one packed plane (96 -> 24 at 160x160: 9.4 -> 9.2 ms).
        /// </summary>
        [SkipLocalsInit]
        public readonly void InputTiles(long t0, int rows, long u0, long u1, float* v)
        {
            Vector512<float>* tmp = stackalloc Vector512<float>[WinogradTiles.Points];
            nint pointStride = (nint)rows * Cp; // points packed tight: 36 sparse streams cost up to 30% (256 -> 256 at 14x14)
            for (long u = u0; u < u1; u++)
            {
                int cb = (int)(u / rows), tb = (int)(u % rows);
                long tile = t0 + tb;
                int n = (int)(tile / TilesPerImage), rem = (int)(tile % TilesPerImage), ty = rem / TW, tx = rem % TW;
                float* src = Input + ((((nint)n * CB + cb) * Hp + 4 * ty) * Wp + 4 * tx) * 16;
                WinogradTiles.Input(src, Wp, v + (nint)tb * Cp + cb * 16, pointStride, tmp);
            }
        }

        /// <summary>products_p[rows x M] = V_p[rows x Cp] * U_p^T for points [p0, p1).</summary>
        public readonly void Gemms(int rows, int p0, int p1, float* v, float* products)
        {
            for (int p = p0; p < p1; p++)
                SGemm.Multiply(false, rows, 1f, v + (nint)p * rows * Cp, Cp, Filter.Points[p], 0f, products + (nint)p * rows * Mp, Mp, default, null);
        }

        /// <summary>
        /// Output tiles for tile-channel-block pairs [u0, u1) (index tileInBlock*MB + mb) of the block of <paramref name="rows"/> tiles starting at t0:
        /// inverse transform + bias, transposed to channel rows, then residual and activation on 4-pixel rows.
        /// </summary>
        [SkipLocalsInit]
        public readonly void OutputTiles(long t0, int rows, long u0, long u1, float* products)
        {
            Vector512<float>* tmp = stackalloc Vector512<float>[24];
            float* pix = stackalloc float[256 + 16];
            float* chan = stackalloc float[256 + 16];
            pix = (float*)(((nint)pix + 63) & ~(nint)63);
            chan = (float*)(((nint)chan + 63) & ~(nint)63);
            nint pointStride = (nint)rows * Mp, outPlane = (nint)OH * OW;
            bool leaky = Act.Activation == FusedActivation.LeakyRelu;
            var lo = Vector128.Create(Act.Lo);
            var hi = Vector128.Create(Act.Hi);
            var alpha = Vector128.Create(Act.Alpha);
            var lo512 = Vector512.Create(Act.Lo);
            var hi512 = Vector512.Create(Act.Hi);
            var alpha512 = Vector512.Create(Act.Alpha);
            for (long u = u0; u < u1; u++)
            {
                int tb = (int)(u / MB), m0 = (int)(u % MB) * 16;
                long tile = t0 + tb;
                int n = (int)(tile / TilesPerImage), rem = (int)(tile % TilesPerImage), oy = rem / TW * 4, ox = rem % TW * 4;
                int lanes = Math.Min(16, M - m0), valid = Math.Min(4, OH - oy), cols = Math.Min(4, OW - ox);
                Vector512<float> bias = Bias == null ? Vector512<float>.Zero
                    : lanes == 16 ? Vector512.LoadUnsafe(ref *(Bias + m0))
                    : Avx512F.MaskLoad(Bias + m0, Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(lanes)).AsSingle(), Vector512<float>.Zero);
                WinogradTiles.Output(products + (nint)tb * Mp + m0, pointStride, bias, pix, tmp);
                WinogradTiles.Transpose16(pix, 16, chan, 16);
                for (int l = 0; l < lanes; l++)
                {
                    float* yc = Y + ((nint)n * M + m0 + l) * outPlane + (nint)oy * OW + ox;
                    if (valid == 4 && cols == 4)
                    {
                        // A whole tile: residual and activation on one 16-pixel vector, then four 4-pixel row stores.
                        Vector512<float> t = Vector512.LoadUnsafe(ref *(chan + l * 16));
                        if (Accumulate)
                            // Four 4-pixel rows into one vector; ToVectorNUnsafe().WithUpper, not Create(lo, hi): crossgen2 precompiles these.
                            t += Vector128.LoadUnsafe(ref *yc).ToVector256Unsafe().WithUpper(Vector128.LoadUnsafe(ref *(yc + OW))).ToVector512Unsafe()
                                .WithUpper(Vector128.LoadUnsafe(ref *(yc + 2 * OW)).ToVector256Unsafe().WithUpper(Vector128.LoadUnsafe(ref *(yc + 3 * OW))));
                        t = WinogradTiles.Activate(t, leaky, lo512, hi512, alpha512);
                        t.GetLower().GetLower().StoreUnsafe(ref *yc);
                        t.GetLower().GetUpper().StoreUnsafe(ref *(yc + OW));
                        t.GetUpper().GetLower().StoreUnsafe(ref *(yc + 2 * OW));
                        t.GetUpper().GetUpper().StoreUnsafe(ref *(yc + 3 * OW));
                        continue;
                    }
                    for (int r = 0; r < valid; r++)
                    {
                        float* yr = yc + (nint)r * OW;
                        float* cr = chan + l * 16 + r * 4;
                        if (cols == 4)
                        {
                            Vector128<float> val = Vector128.LoadUnsafe(ref *cr);
                            if (Accumulate) val += Vector128.LoadUnsafe(ref *yr);
                            WinogradTiles.Activate(val, leaky, lo, hi, alpha).StoreUnsafe(ref *yr);
                        }
                        else
                        {
                            for (int c = 0; c < cols; c++) yr[c] = Act.Activate(Accumulate ? cr[c] + yr[c] : cr[c]);
                        }
                    }
                }
            }
        }
    }

    /// <summary>Threads pack contiguous ranges of input channel blocks.</summary>
    private struct WinogradPackBody : IParallelBody
    {
        public WinogradRun Run;
        public int Parts;

        public void Invoke(int index)
        {
            int planes = Run.Planes;
            Run.Pack(planes * index / Parts, planes * (index + 1) / Parts);
        }
    }

    /// <summary>Each thread runs its contiguous tile range, Block tiles at a time, all three steps in its own buffers.</summary>
    private struct WinogradTileBody : IParallelBody
    {
        public WinogradRun Run;
        public int Parts;
        public long Tiles;

        public void Invoke(int index)
        {
            ref WinogradRun r = ref Run;
            long t0 = Tiles * index / Parts, t1 = Tiles * (index + 1) / Parts;
            // Equal blocks of at most Block tiles (49 tiles: 25 + 24, not 36 + 13).
            long blocks = (t1 - t0 + r.Block - 1) / r.Block;
            if (blocks == 0) return;
            int block = (int)((t1 - t0 + blocks - 1) / blocks);
            float* v = VBuffer((nint)WinogradTiles.Points * block * r.Cp), p = PBuffer((nint)WinogradTiles.Points * block * r.Mp);
            for (long t = t0; t < t1; t += block)
            {
                int rows = (int)Math.Min(block, t1 - t);
                r.InputTiles(t, rows, 0, (long)rows * r.CB, v);
                r.Gemms(rows, 0, WinogradTiles.Points, v, p);
                r.OutputTiles(t, rows, 0, (long)rows * r.MB, p);
            }
        }
    }

    /// <summary>One step of a single shared block, split across threads: 0 input tiles, 1 the 36 GEMMs, 2 output tiles.</summary>
    private struct WinogradPhaseBody : IParallelBody
    {
        public WinogradRun Run;
        public int Parts, Phase, Rows;
        public float* V, P;

        public void Invoke(int index)
        {
            ref WinogradRun r = ref Run;
            switch (Phase)
            {
                case 0:
                {
                    long units = (long)Rows * r.CB;
                    r.InputTiles(0, Rows, units * index / Parts, units * (index + 1) / Parts, V);
                    break;
                }
                case 1:
                    r.Gemms(Rows, WinogradTiles.Points * index / Parts, WinogradTiles.Points * (index + 1) / Parts, V, P);
                    break;
                default:
                {
                    long units = (long)Rows * r.MB;
                    r.OutputTiles(0, Rows, units * index / Parts, units * (index + 1) / Parts, P);
                    break;
                }
            }
        }
    }
}
