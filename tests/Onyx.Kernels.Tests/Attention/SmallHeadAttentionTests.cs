using Onyx.Kernels.Attention;
using Xunit;

namespace Onyx.Kernels.Tests.Attention;

/// <summary>
/// SmallHeadAttention (the AVX-512 fused head) against a double-precision softmax(scale·QKᵀ + bias)·V:
/// sizes off the 4-row / 16- and 64-column blocks, strided rows, full, per-row and −∞ masks.
/// The kernel has one path (AVX-512); on a CPU without it <see cref="SmallHeadAttention.IsSupported"/> must say so.
/// </summary>
public unsafe class SmallHeadAttentionTests
{
    private static float[] Random(int seed, int n, float scale = 1f)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)((r.NextDouble() * 2 - 1) * scale)).ToArray();
    }

    /// <summary>Mask kinds: 0 none, 1 full [s, l] (padded rows), 2 one value per row (column stride 0), 3 full with −∞ entries.</summary>
    private static void Check(int s, int l, int d, int dv, int maskKind, bool zeroMaskedRows = false, int fullyMaskedRow = -1)
    {
        if (!SmallHeadAttention.IsSupported(IsaPath.V512))
        {
            Assert.False(System.Runtime.Intrinsics.X86.Avx512F.IsSupported && System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated);
            return;
        }
        // Rows of each operand sit inside wider rows (heads packed in the last dimension).
        int ldq = d + 3, ldk = d + 5, ldv = dv + 7, ldy = dv + 2, maskRow = l + 3;
        float[] q = Random(1, s * ldq), k = Random(2, l * ldk), v = Random(3, l * ldv), y = Enumerable.Repeat(12345f, s * ldy).ToArray();
        float[] mask = maskKind == 0 ? [0f] : Random(4, s * maskRow, 4f);
        if (maskKind == 3)
            for (int i = 0; i < s; i++)
                for (int j = 0; j < l; j++)
                    if ((i * 7 + j * 3) % 5 == 0 && j != i % l) mask[i * maskRow + j] = float.NegativeInfinity;
        if (fullyMaskedRow >= 0) for (int j = 0; j < l; j++) mask[fullyMaskedRow * maskRow + j] = float.NegativeInfinity;
        nint maskCol = maskKind == 2 ? 0 : 1;
        float scale = 1f / MathF.Sqrt(Math.Max(d, 1));
        fixed (float* pq = q, pk = k, pv = v, py = y, pm = mask)
            SmallHeadAttention.Head(pq, ldq, pk, ldk, pv, ldv, py, ldy, s, l, d, dv, scale, maskKind == 0 ? null : pm, maskRow, maskCol, zeroMaskedRows);

        var p = new double[l];
        for (int i = 0; i < s; i++)
        {
            double max = double.NegativeInfinity;
            for (int j = 0; j < l; j++)
            {
                double dot = 0;
                for (int c = 0; c < d; c++) dot += (double)q[i * ldq + c] * k[j * ldk + c];
                p[j] = dot * scale + (maskKind == 0 ? 0 : mask[i * maskRow + j * maskCol]);
                max = Math.Max(max, p[j]);
            }
            bool zeroRow = zeroMaskedRows && double.IsNegativeInfinity(max);
            double sum = 0;
            for (int j = 0; j < l; j++) { p[j] = zeroRow ? 0 : Math.Exp(p[j] - max); sum += p[j]; }
            for (int c = 0; c < ldy; c++)
            {
                float got = y[i * ldy + c];
                if (c >= dv) { Assert.Equal(12345f, got); continue; } // padding between rows is never written
                double want = 0;
                if (!zeroRow)
                    for (int j = 0; j < l; j++) want += p[j] / sum * v[j * ldv + c];
                if (!(Math.Abs(got - want) <= 2e-6 + 2e-5 * Math.Abs(want)))
                    Assert.Fail($"s={s} l={l} d={d} dv={dv} mask={maskKind} y[{i},{c}]: expected {want}, got {got}");
            }
        }
    }

    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(4, 16, 16, 16)]
    [InlineData(64, 64, 64, 64)]
    [InlineData(3, 7, 5, 9)]
    [InlineData(5, 17, 17, 17)]
    [InlineData(17, 63, 64, 65)]
    [InlineData(67, 65, 67, 80)]
    [InlineData(9, 130, 33, 130)]
    [InlineData(6, 200, 0, 20)]
    [InlineData(2, 31, 96, 1)]
    public void MatchesReferenceWithoutMask(int s, int l, int d, int dv) => Check(s, l, d, dv, 0);

    [Theory]
    [InlineData(64, 64, 64, 64, 1)]
    [InlineData(13, 77, 24, 40, 1)]
    [InlineData(7, 129, 64, 64, 2)]
    [InlineData(5, 3, 8, 8, 2)]
    [InlineData(66, 66, 64, 64, 3)]
    [InlineData(11, 21, 19, 33, 3)]
    public void MatchesReferenceWithMask(int s, int l, int d, int dv, int maskKind) => Check(s, l, d, dv, maskKind);

    [Theory]
    [InlineData(6, 20, 16, 16, 0)]
    [InlineData(9, 70, 64, 64, 5)]
    public void FullyMaskedRowGivesZerosWhenAsked(int s, int l, int d, int dv, int row) => Check(s, l, d, dv, 1, zeroMaskedRows: true, fullyMaskedRow: row);
}
