using Onyx.Kernels.Gemm;
using Onyx.Kernels.Threading;

namespace Onyx.Kernels.Conv;

/// <summary>ConvF32's small-output-map path: the GEMM transposed, positions as rows.</summary>
public sealed unsafe partial class ConvF32
{
    /// <summary>
    /// Small output maps (7x7 = 49, 14x14 = 196 positions) waste much of the 32-column tile on the last
    /// strip (49 -> 64 columns computed). There the GEMM runs transposed, C^T[P x M] = X^T * W^T: positions
    /// become the 12-row broadcast side (the R-row tail kernels cost in proportion to their rows) and the
    /// output channels, a multiple of 16/32 in CNNs, the vector side.
    /// </summary>
    private bool Transposed(int positions, int outPerGroup, int kTotal)
    {
        IsaPath isa = _isa;
        if (!TransposedEnabled || isa != IsaPath.V512 || positions > Im2Col.MaxLanes || outPerGroup < 32 || outPerGroup % 16 != 0) return false;
        if (!(KD == 1 && KH * KW * ((positions + 15) / 16) <= Im2Col.MaxSlots)) return false;
        int nr = GemmDriver.NrOf(isa);
        int padded = (positions + nr - 1) / nr * nr;
        // Worth it when the padding waste beats the transpose pass, which costs about what 64 k steps do
        // (measured: 196 positions, K=256 lost 98 -> 80 GFLOP/s; K=1024 gained 97 -> 102; 49 positions, K=512: 70 -> 95).
        return (long)(padded - positions) * kTotal > 64L * positions;
    }

    /// <summary><c>ONYX_CONV_TRANSPOSED=0</c> turns the small-map path off (A/B timing).</summary>
    private static readonly bool TransposedEnabled = Environment.GetEnvironmentVariable("ONYX_CONV_TRANSPOSED") != "0";

    private void ForwardTransposed(in ConvGeometry g, float* x, float* y, float* bias, in GemmEpilogue act, IntraOpPool? pool, bool accumulate, bool pointwise)
    {
        PackedMatrixB[] wt = TransposedFilters();
        if (SplitPositions(g, pool))
        {
            ForwardTransposedSplit(g, wt, x, y, bias, act, pool!, accumulate, pointwise);
            return;
        }
        int outPer = OutChannels / Group, kTotal = InPerGroup * KD * KH * KW, positions = g.OutSize;
        int lanes = (positions + 15) / 16 * 16;
        float* ct = ResultBuffer((nint)positions * outPer);
        float* col = pointwise ? null : ColumnBuffer((nint)kTotal * lanes);
        for (int n = 0; n < g.Batch; n++)
            for (int grp = 0; grp < Group; grp++)
            {
                float* xg = x + ((nint)n * g.InChannels + grp * InPerGroup) * g.InSize;
                float* yg = y + ((nint)n * OutChannels + grp * outPer) * positions;
                // op(A) = X^T: the input itself for a 1x1 conv ([K x P]), else the windows as one strip of P lanes (k-major).
                float* a = xg;
                int lda = g.InSize;
                if (!pointwise)
                {
                    Im2ColParallel.GatherPacked(g, xg, InPerGroup, 0, positions, col, lanes, pool);
                    a = col;
                    lda = lanes;
                }
                SGemm.Multiply(true, positions, 1f, a, lda, wt[grp], 0f, ct, outPer, default, pool);
                StoreTransposed(ct, positions, outPer, yg, bias == null ? null : bias + grp * outPer, act, accumulate, pool);
            }
    }

    private struct ResultScratch { }

    /// <summary>Per-thread C^T buffer of the transposed path (live beside the column buffer), grown on demand and kept.</summary>
    private static float* ResultBuffer(nint floats) => ThreadScratch<ResultScratch>.Floats(floats);
}
