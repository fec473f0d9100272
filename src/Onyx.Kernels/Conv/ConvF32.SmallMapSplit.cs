using Onyx.Kernels.Gemm;
using Onyx.Kernels.Threading;

namespace Onyx.Kernels.Conv;

/// <summary>The small-map path across threads: each thread owns a contiguous run of output positions.</summary>
public sealed unsafe partial class ConvF32
{
    /// <summary>
    /// Whether threads split the small-map path by output positions (<see cref="ForwardTransposedSplit"/>) rather than
    /// letting the GEMM driver split it (by output channels, after one window gather shared by all threads). Positions
    /// pay off when each thread keeps enough rows to reuse every W^T strip it streams (4 panels: 196 positions, 14x14);
    /// with fewer (49 positions, 7x7) each thread streamed all of a multi-MB W^T for 2 panels and a 1-row tail:
    /// measured ResNet-50 7x7 layers 1.2-1.55x at 2 threads against 1.7-1.9x by output channels. Few output channel
    /// strips (160 channels = 5 strips, 3 | 2) split unevenly, so there positions stay.
    /// </summary>
    private bool SplitPositions(in ConvGeometry g, IntraOpPool? pool)
    {
        if (pool is not { DegreeOfParallelism: > 1 } || (long)g.Batch * OutChannels * InPerGroup * KD * KH * KW * g.OutSize < GemmDriver.ParallelThreshold)
            return false;
        int threads = pool.DegreeOfParallelism, mr = GemmDriver.MrOf(_isa), nr = GemmDriver.NrOf(_isa);
        int channelStrips = (OutChannels / Group + nr - 1) / nr;
        return g.OutSize >= 4 * mr * threads || channelStrips < 4 * threads;
    }

    /// <summary>
    /// The transposed GEMM's rows are output positions, so threads split them: each gathers the windows of its own
    /// positions, packs and multiplies only those rows against the whole (prepacked) W^T and stores its own columns
    /// of y. Nothing is done twice and there is one handoff per conv. The GEMM driver's own split would take output
    /// channels here (e.g. 196 x 256), and then every thread gathered and packed all the windows: 2 threads ran
    /// a 256 -> 256 3x3 stride-2 14x14 conv ~1.5x faster instead of ~1.9x. Shares need not be whole 12-row panels:
    /// the tail kernels cost in proportion to their rows.
    /// </summary>
    private void ForwardTransposedSplit(in ConvGeometry g, PackedMatrixB[] wt, float* x, float* y, float* bias, in GemmEpilogue act, IntraOpPool pool, bool accumulate, bool pointwise)
    {
        int positions = g.OutSize, outPer = OutChannels / Group;
        var body = new TransposedSplitBody
        {
            G = g, Conv = this, Filters = wt, X = x, Y = y, Bias = bias, Act = act, Accumulate = accumulate, Pointwise = pointwise,
            Ct = ResultBuffer((nint)positions * outPer), Parts = Math.Min(pool.DegreeOfParallelism, positions),
        };
        pool.Run(body.Parts, ref body);
    }

    /// <summary>
    /// <see cref="SmallMapStore.Run"/> split by output channels (whole 16-channel blocks, so each thread writes whole y rows)
    /// when the GEMM before it ran split by channels: 2048 channels x 49 positions cost ~10% of a 1x1 conv done serially.
    /// </summary>
    private static void StoreTransposed(float* ct, int positions, int channels, float* y, float* bias, in GemmEpilogue act, bool accumulate, IntraOpPool? pool)
    {
        int blocks = channels / 16, threads = pool?.DegreeOfParallelism ?? 1;
        if (threads < 2 || channels % 16 != 0 || blocks < threads || (long)positions * channels < StoreParallelFloats)
        {
            SmallMapStore.Run(ct, positions, channels, y, bias, act, accumulate);
            return;
        }
        var body = new StoreBody { Ct = ct, Y = y, Bias = bias, Act = act, Accumulate = accumulate, Positions = positions, Channels = channels, Parts = threads };
        pool!.Run(threads, ref body);
    }

    /// <summary>Stored floats below which the store stays on one thread (~10 us).</summary>
    private const long StoreParallelFloats = 1L << 14;

    private struct StoreBody : IParallelBody
    {
        public float* Ct, Y, Bias;
        public GemmEpilogue Act;
        public bool Accumulate;
        public int Positions, Channels, Parts;

        public void Invoke(int index)
        {
            var (b0, b1) = IntraOpPool.Share(Channels / 16, index, Parts);
            int c0 = b0 * 16, c1 = b1 * 16;
            if (c0 >= c1) return;
            SmallMapStore.Run(Ct + c0, Positions, c1 - c0, Y + (nint)c0 * Positions, Bias == null ? null : Bias + c0, Act, Accumulate, Positions, Channels);
        }
    }

    private struct TransposedSplitBody : IParallelBody
    {
        public ConvGeometry G;
        public ConvF32 Conv;
        public PackedMatrixB[] Filters;
        public float* X, Y, Bias, Ct;
        public GemmEpilogue Act;
        public int Parts;
        public bool Accumulate, Pointwise;

        public void Invoke(int index)
        {
            int positions = G.OutSize;
            var (p0, p1) = IntraOpPool.Share(positions, index, Parts);
            int rows = p1 - p0;
            if (rows <= 0) return;
            int group = Conv.Group, inPer = Conv.InPerGroup, outPer = Conv.OutChannels / group;
            int kTotal = inPer * G.KernelSize, lanes = (rows + 15) / 16 * 16;
            float* col = Pointwise ? null : ColumnBuffer((nint)kTotal * lanes);
            // Each thread's rows of the shared C^T buffer: one image-group at a time, as on one thread.
            float* ct = Ct + (nint)p0 * outPer;
            for (int n = 0; n < G.Batch; n++)
                for (int grp = 0; grp < group; grp++)
                {
                    float* xg = X + ((nint)n * G.InChannels + grp * inPer) * G.InSize;
                    float* yg = Y + ((nint)n * Conv.OutChannels + grp * outPer) * positions;
                    float* a = xg + p0;
                    int lda = G.InSize;
                    if (!Pointwise)
                    {
                        Im2Col.GatherPacked(G, xg, inPer, p0, rows, col, lanes);
                        a = col;
                        lda = lanes;
                    }
                    SGemm.Multiply(true, rows, 1f, a, lda, Filters[grp], 0f, ct, outPer, default, null);
                    SmallMapStore.Run(ct, rows, outPer, yg + p0, Bias == null ? null : Bias + grp * outPer, Act, Accumulate, positions);
                }
        }
    }
}
