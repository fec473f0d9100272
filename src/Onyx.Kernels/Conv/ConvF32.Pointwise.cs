using Onyx.Kernels.Gemm;
using Onyx.Kernels.Threading;

namespace Onyx.Kernels.Conv;

/// <summary>ConvF32's pixel-major 1x1 path: output channels along the vectors, pixels broadcast from the input as it lies.</summary>
public sealed unsafe partial class ConvF32
{
    /// <summary>
    /// <c>ONYX_CONV_POINTWISE=0</c> turns the pixel-major 1x1 path off, <c>=1</c> takes it for every eligible
    /// shape whatever the measured gate says (A/B timing).
    /// </summary>
    private static readonly string? PointwiseMode = Environment.GetEnvironmentVariable("ONYX_CONV_POINTWISE");

    /// <summary>
    /// Whether a 1x1 stride-1 unpadded conv with <paramref name="positions"/> output pixels runs pixel-major
    /// (<see cref="PointwiseKernelV512"/>): AVX-512, output channels a multiple of 16 (whole vectors, as in
    /// every MobileNet 1x1 layer), and a map whose last 32-lane strip the plane-major GEMM pads by more than
    /// the transposing store costs (~6 k steps a pixel). Measured, thread time, pixel-major vs plane-major:
    /// 320->1280 7x7 0.34 vs 0.41 ms; 960->320 7x7 0.255 vs 0.273; 64->384 14x14 0.093 vs 0.095-0.104;
    /// 576->96 14x14 0.186 vs 0.226; 1024->256 14x14 0.885 vs 0.977; 256->64 20x20 0.117 vs 0.120;
    /// 256->64 30x30 0.255 vs 0.271; but 192->32 28x28 0.087 vs 0.083, 24->144 56x56 0.267 vs 0.227.
    /// </summary>
    private bool PointwiseDirect(int positions, int outPerGroup, int kTotal)
    {
        if (_isa != IsaPath.V512 || KD * KH * KW != 1 || outPerGroup % 16 != 0 || PointwiseMode == "0") return false;
        if (PointwiseMode == "1") return true;
        long padded = (positions + 31) / 32 * 32;
        return positions <= 196 || (padded - positions) * kTotal > 6L * positions;
    }

    /// <summary>
    /// Other 1x1 convs (large maps) with output channels in whole vectors run in 16 x 16 tiles
    /// (<see cref="Panel16KernelV512"/>), not 12-row panels (12 + 4 for 16 channels) over 32-column strips.
    /// Measured, wall time, caches flushed between runs / hot, 12-row GEMM -> 16 x 16: 32->16 112x112
    /// 0.141-0.154 -> 0.129-0.142 ms / 0.133 -> 0.122; 16->96 112x112 0.477 -> 0.411 / 0.449 -> 0.394;
    /// 24->144 56x56 0.247 -> 0.223 / 0.232 -> 0.209; 32->192 28x28 0.114 -> 0.100; 192->32 28x28 0.096 -> 0.089;
    /// 64->256 56x56 0.993 -> 0.958; 256->64 56x56 0.950 -> 0.929; 128->128 28x28 0.252 -> 0.242; 256->256
    /// 32x32 even. Not past 256 channels either way (480->480 32x32 4.39 -> 4.74: each panel re-reads its K x 16
    /// input block from L2), nor with a post activation, which the GEMM applies per block while in L2 and this
    /// path in a pass over the output (PP-OCR's 240->240 HardSwish layers lost 2-4%).
    /// </summary>
    private bool PointwisePanel16(int outPerGroup, int kTotal, in GemmEpilogue act) =>
        _isa == IsaPath.V512 && PointwiseMode != "0" && outPerGroup % 16 == 0 && outPerGroup <= 256 && kTotal <= 256 && !act.HasPost;

    private void ForwardPanel16(in ConvGeometry g, float* x, float* y, float* bias, in GemmEpilogue act, IntraOpPool? pool, bool accumulate)
    {
        PackedMatrixB[] wt = TransposedFilters();
        int outPer = OutChannels / Group, positions = g.OutSize;
        if (positions == 0 || g.Batch == 0) return;
        var body = new Panel16Body
        {
            G = g, Filters = wt, X = x, Y = y, Bias = bias, Act = act.WithoutPost, Accumulate = accumulate, Group = Group, OutPer = outPer,
            Strips = (positions + 15) / 16,
        };
        body.Items = g.Batch * Group * body.Strips;
        long work = (long)OutChannels * InPerGroup * positions * g.Batch;
        body.Parts = IntraOpPool.PartsFor(pool, body.Items, work >= GemmDriver.ParallelThreshold);
        IntraOpPool.RunParts(pool, body.Parts, ref body);
        ApplyPost(g, y, act, pool);
    }

    private struct Panel16Body : IParallelBody
    {
        public ConvGeometry G;
        public PackedMatrixB[] Filters;
        public float* X, Y, Bias;
        public GemmEpilogue Act;
        public bool Accumulate;
        public int Group, OutPer, Strips, Items, Parts;

        public readonly void Invoke(int index)
        {
            var (i0, i1) = IntraOpPool.Share(Items, index, Parts);
            int positions = G.OutSize, inPer = G.InChannels / Group;
            bool leaky = Act.Activation == FusedActivation.LeakyRelu;
            float lo = Act.Lo, hi = Act.Hi, slope = Act.Alpha;
            // Blocks of strips, channel panel outer within a block: y is written as 16 row streams running on through
            // the block, while the block's input columns (about 16K floats) stay in L1/L2 for the second panel.
            int block = Math.Max(1, 16 * 1024 / (inPer * 16));
            for (int b0 = i0; b0 < i1; b0 += block)
            {
                int b1 = Math.Min(i1, b0 + block);
                for (int m0 = 0; m0 < OutPer; m0 += 16)
                    for (int item = b0; item < b1; item++)
                    {
                        int s = item % Strips, ng = item / Strips, grp = ng % Group, n = ng / Group;
                        int p0 = s * 16, cols = Math.Min(16, positions - p0);
                        PackedMatrixB w = Filters[grp];
                        float* xg = X + ((nint)n * G.InChannels + grp * inPer) * G.InSize + p0;
                        float* yg = Y + ((nint)n * G.OutChannels + grp * OutPer + m0) * positions + p0;
                        float* bg = Bias == null ? null : Bias + grp * OutPer + m0;
                        Panel16KernelV512.Tile(xg, G.InSize, w.Data + (nint)(m0 / 32) * w.K * 32 + m0 % 32, w.K, yg, positions, cols,
                            bg, Accumulate, lo, hi, leaky, slope);
                    }
            }
        }
    }

    private void ForwardPointwise(in ConvGeometry g, float* x, float* y, float* bias, in GemmEpilogue act, IntraOpPool? pool, bool accumulate)
    {
        PackedMatrixB[] wt = TransposedFilters();
        int outPer = OutChannels / Group, positions = g.OutSize;
        if (positions == 0 || g.Batch == 0) return;
        // Pixel blocks of near-equal size (49 = 13+12+12+12... as 13,13,13,10): every tile keeps most of its 28 accumulators.
        int blocks = (positions + PointwiseKernelV512.MaxRows - 1) / PointwiseKernelV512.MaxRows;
        var body = new PointwiseBody
        {
            G = g, Filters = wt, X = x, Y = y, Bias = bias, Act = act.WithoutPost, Accumulate = accumulate, Group = Group, OutPer = outPer,
            Rows = (positions + blocks - 1) / blocks, Blocks = blocks, Strips = (outPer + 31) / 32,
        };
        body.Items = g.Batch * Group * body.Strips * blocks;
        long work = (long)OutChannels * InPerGroup * positions * g.Batch;
        body.Parts = IntraOpPool.PartsFor(pool, body.Items, work >= GemmDriver.ParallelThreshold);
        IntraOpPool.RunParts(pool, body.Parts, ref body);
        // Post activations (HardSwish, Sigmoid, ...) over the finished output, still in L2 on a small map.
        ApplyPost(g, y, act, pool);
    }

    private struct PointwiseTile { }

    private struct PointwiseBody : IParallelBody
    {
        public ConvGeometry G;
        public PackedMatrixB[] Filters;
        public float* X, Y, Bias;
        public GemmEpilogue Act;
        public bool Accumulate;
        public int Group, OutPer, Rows, Blocks, Strips, Items, Parts;

        public readonly void Invoke(int index)
        {
            var (i0, i1) = IntraOpPool.Share(Items, index, Parts);
            int positions = G.OutSize, inPer = G.InChannels / Group;
            // 16 rows for the 16 x 16 transposes; rows past a tile's pixels reach only masked-off lanes, cleared
            // once here so those lanes never hold denormals or NaNs that would slow the epilogue's arithmetic.
            float* tile = ThreadScratch<PointwiseTile>.Floats(16 * 32);
            new Span<float>(tile, 16 * 32).Clear();
            bool leaky = Act.Activation == FusedActivation.LeakyRelu;
            // Items run strip-major: one filter strip (K x 32) serves all pixel blocks of a map while it is in cache.
            for (int item = i0; item < i1; item++)
            {
                int b = item % Blocks, s = item / Blocks % Strips, ng = item / Blocks / Strips;
                int grp = ng % Group, n = ng / Group;
                PackedMatrixB w = Filters[grp];
                int p0 = b * Rows, rows = Math.Min(Rows, positions - p0), m0 = s * 32, vectors = Math.Min(2, (OutPer - m0) / 16);
                float* xg = X + ((nint)n * G.InChannels + grp * inPer) * G.InSize + p0;
                float* yg = Y + ((nint)n * G.OutChannels + grp * OutPer + m0) * positions + p0;
                // The first two pixel blocks of a strip pull the next strip toward L2 (one line per k step each), so
                // a filter too big for L2 (960x320: 1.2 MB) streams from L3/DRAM ahead of its first use. Measured with
                // caches flushed between runs: 960->320 7x7 0.322 -> 0.28 ms, 320->1280 7x7 0.443 -> 0.377; no change hot.
                float* pf = b < 2 && s + 1 < Strips ? w.Data + (nint)(s + 1) * w.K * 32 + (nint)b * w.K * 16 : null;
                PointwiseKernelV512.Run(rows, vectors, xg, G.InSize, w.Data + (nint)s * w.K * 32, w.K, tile, 32, pf);
                PointwiseKernelV512.StoreTransposed(tile, vectors, rows, yg, positions, Bias == null ? null : Bias + grp * OutPer + m0,
                    Accumulate, Act.Lo, Act.Hi, leaky, Act.Alpha);
            }
        }
    }
}
