using Onyx.Kernels.Gemm;
using Onyx.Kernels.Threading;

namespace Onyx.Kernels.Conv;

/// <summary>
/// The few-tap direct conv (SmallConv.cs) in 16-channel x 16-pixel tiles (<see cref="Panel16KernelV512"/>) on
/// AVX-512, from the same padded column-phase planes: a 112-wide output row is 7 whole vectors (the 32-column
/// strips compute 128 columns for it) and 32 output channels are two 16-row panels (not 12 + 12 + 8).
/// </summary>
public sealed unsafe partial class ConvF32
{
    /// <summary>
    /// Output channels in whole vectors, rows of whole strips (not the wrapped MNIST case), K &lt;= 64 (the RGB
    /// stems). Measured, 3->32 3x3 s2 at 224x224, wall time: hot 0.269 -> 0.212 ms; caches flushed between runs
    /// 0.343-0.359 -> 0.234-0.264; in MobileNetV2 0.39-0.42 -> 0.28-0.30. <c>ONYX_CONV_POINTWISE=0</c> turns it off
    /// with the pixel-major 1x1 path.
    /// </summary>
    private bool DirectPanel16(int kTotal, bool wrapped) =>
        _isa == IsaPath.V512 && PointwiseMode != "0" && !wrapped && (OutChannels / Group) % 16 == 0 && kTotal <= 64;

    /// <summary><c>ONYX_CONV_SHARED_PLANES=1</c>: the caller pads the whole input once before the threads start (the old way; A/B timing).</summary>
    private static readonly bool SharedPlanes = Environment.GetEnvironmentVariable("ONYX_CONV_SHARED_PLANES") == "1";

    private void ForwardDirect16(in ConvGeometry g, float* x, float* y, float* bias, in GemmEpilogue act, IntraOpPool? pool, bool accumulate)
    {
        PackedMatrixB[] wt = TransposedFilters();
        int inPer = InPerGroup, outPer = OutChannels / Group, kTotal = inPer * KH * KW;
        var planes = new DirectPlanes(g, 16);
        nint* off = stackalloc nint[kTotal];
        for (int c = 0; c < inPer; c++)
            for (int kh = 0; kh < KH; kh++)
                for (int kw = 0; kw < KW; kw++)
                    off[(c * KH + kh) * KW + kw] = planes.TapOffset(c, kh * g.DH, kw * g.DW);
        int strips = (g.OW + 15) / 16;
        var body = new Direct16Body
        {
            Planes = planes, InPer = inPer, Off = off, K = kTotal, OW = g.OW, OutSize = g.OutSize, Strips = strips, Items = g.OH * strips,
            M = outPer, Accumulate = accumulate, Act = act.WithoutPost,
        };
        int parts = IntraOpPool.PartsFor(pool, body.Items, (long)outPer * kTotal * g.OutSize >= GemmDriver.ParallelThreshold);
        for (int n = 0; n < g.Batch; n++)
            for (int grp = 0; grp < Group; grp++)
            {
                body.X = x + ((nint)n * g.InChannels + grp * inPer) * g.InSize;
                if (SharedPlanes)
                {
                    body.Shared = ThreadScratch<PlaneScratch>.Floats(planes.Floats(inPer));
                    planes.Fill(body.X, inPer, body.Shared);
                }
                body.W = wt[grp].Data;
                body.Y = y + ((nint)n * OutChannels + grp * outPer) * g.OutSize;
                body.Bias = bias == null ? null : bias + grp * outPer;
                body.Parts = parts;
                IntraOpPool.RunParts(pool, parts, ref body);
            }
        GC.KeepAlive(wt);
        ApplyPost(g, y, act, pool);
    }

    /// <summary>
    /// Output strips (16 columns of one output row) [index*Items/Parts, ...) of one image-group, every channel panel each.
    /// Each thread pads the input rows its strips read into planes of its own: the copy (~0.7 MB for the RGB stem at
    /// 224x224) ran on one thread while the other waited, and the rows a thread pads stay in its own cache.
    /// </summary>
    private struct Direct16Body : IParallelBody
    {
        public DirectPlanes Planes;
        public float* X, W, Y, Bias, Shared;
        public nint* Off;
        public int InPer, K, OW, OutSize, Strips, Items, M, Parts;
        public bool Accumulate;
        public GemmEpilogue Act;

        public readonly void Invoke(int index)
        {
            var (i0, i1) = IntraOpPool.Share(Items, index, Parts);
            if (i0 >= i1) return;
            float* P = Shared;
            if (P == null)
            {
                P = ThreadScratch<PlaneScratch>.Floats(Planes.Floats(InPer));
                var (r0, r1) = Planes.RowsFor(i0 / Strips, (i1 - 1) / Strips + 1);
                Planes.Fill(X, InPer, P, r0, r1);
            }
            bool leaky = Act.Activation == FusedActivation.LeakyRelu;
            float lo = Act.Lo, hi = Act.Hi, slope = Act.Alpha;
            // Blocks of strips, channel panel outer within a block (as ForwardDirect does): y is written as 16 row
            // streams running on through the block, not as every output row touched 64 bytes at a time, while the
            // block's taps (about 16K floats) stay in L1/L2. W^T strips hold 32 channels, 16 per panel.
            int block = Math.Max(1, 16 * 1024 / (K * 16));
            for (int b0 = i0; b0 < i1; b0 += block)
            {
                int b1 = Math.Min(i1, b0 + block);
                for (int m0 = 0; m0 < M; m0 += 16)
                {
                    float* w = W + (nint)(m0 / 32) * K * 32 + m0 % 32, bias = Bias == null ? null : Bias + m0;
                    for (int i = b0; i < b1; i++)
                    {
                        int oh = i / Strips, ow0 = (i - oh * Strips) * 16, cols = Math.Min(16, OW - ow0);
                        Panel16KernelV512.TileTaps(P + Planes.StripOffset(oh, ow0), Off, w, K, Y + (nint)m0 * OutSize + (nint)oh * OW + ow0, OutSize, cols,
                            bias, Accumulate, lo, hi, leaky, slope);
                    }
                }
            }
        }
    }
}
