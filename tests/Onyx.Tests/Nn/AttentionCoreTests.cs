using Onyx.Cpu.Fused;
using Onyx.Kernels;
using Onyx.Kernels.Threading;
using Xunit;
using static Onyx.Tests.Optimizer.FusionTestKit;

namespace Onyx.Tests.Nn;

/// <summary>
/// AttentionCore's two head paths (the fused AVX-512 SmallHeadAttention and the packed-GEMM path forced by
/// Isa = V256) agree, and a 2-thread run (heads split across the pool) equals the 1-thread run bit for bit.
/// </summary>
public sealed unsafe class AttentionCoreTests
{
    private static float[] Run(int batch, int heads, int group, int s, int l, int d, int dv, bool mask, IsaPath isa, int threads)
    {
        int kvHeads = heads / group;
        float[] q = Random(batch * s * heads * d, 1), k = Random(batch * l * kvHeads * d, 2), v = Random(batch * l * kvHeads * dv, 3);
        float[] bias = Random(s * l, 4, scale: 3f), y = new float[batch * s * heads * dv];
        using var pool = threads > 1 ? new IntraOpPool(threads) : null;
        fixed (float* pq = q, pk = k, pv = v, py = y, pb = bias)
        {
            var core = new AttentionCore
            {
                Q = pq, K = pk, V = pv, Y = py,
                Ql = HeadLayout.Packed(batch, s, heads, d), Kl = HeadLayout.Packed(batch, l, kvHeads, d),
                Vl = HeadLayout.Packed(batch, l, kvHeads, dv), Yl = HeadLayout.Packed(batch, s, heads, dv),
                Heads = heads, Group = group, S = s, L = l, D = d, Dv = dv, Scale = 1f / MathF.Sqrt(d), Isa = isa,
            };
            if (mask)
            {
                // [S, L] bias shared by every batch and head: row stride L, column stride 1.
                core.Mask = pb;
                (core.MaskB, core.MaskH, core.MaskS, core.MaskL) = (0, 0, l, 1);
            }
            core.Run(batch, pool);
        }
        return y;
    }

    [Theory]
    [InlineData(1, 12, 1, 64, 64, 64, 64, true)]
    [InlineData(2, 4, 2, 19, 33, 24, 40, true)]
    [InlineData(1, 6, 3, 5, 130, 17, 9, false)]
    [InlineData(3, 2, 1, 128, 128, 64, 64, false)]
    public void FusedPathMatchesGemmPathAndThreadsAgree(int batch, int heads, int group, int s, int l, int d, int dv, bool mask)
    {
        float[] gemm = Run(batch, heads, group, s, l, d, dv, mask, IsaPath.V256, 1);
        float[] best1 = Run(batch, heads, group, s, l, d, dv, mask, KernelIsa.Best, 1);
        float[] best2 = Run(batch, heads, group, s, l, d, dv, mask, KernelIsa.Best, 2);
        Assert.Equal(best1, best2);
        for (int i = 0; i < gemm.Length; i++)
            Assert.True(Math.Abs(gemm[i] - best1[i]) <= 1e-5 + 1e-4 * Math.Abs(gemm[i]), $"[{i}] gemm {gemm[i]} vs fused {best1[i]}");
    }
}
