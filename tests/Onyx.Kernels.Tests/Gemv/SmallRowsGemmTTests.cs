using Onyx.Kernels.Gemv;
using Onyx.Kernels.Threading;
using Xunit;

namespace Onyx.Kernels.Tests.Gemv;

/// <summary>The few-rows A · Bᵀ (B stored [N, K]) on every ISA path against a double-precision loop, with its store's alpha/beta/C.</summary>
public unsafe class SmallRowsGemmTTests
{
    static SmallRowsGemmTTests() => KernelIsa.EmulateAll = true;

    public static IEnumerable<object[]> Cases()
    {
        int[] ns = [1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33];
        int[] ks = [0, 1, 5, 7, 8, 9, 15, 16, 17, 33, 130];
        foreach (IsaPath p in Enum.GetValues<IsaPath>())
            for (int m = 1; m <= SmallRowsGemm.MaxRows; m++)
                foreach (int n in ns)
                    foreach (int k in ks)
                        yield return [p, m, n, k];
    }

    /// <summary>
    /// Y = alpha · A·Bᵀ + beta · C with padded leading dims (Y's padding must stay untouched); C [m, n]
    /// read through strides, or none.
    /// </summary>
    private static void Check(IsaPath? isa, int m, int n, int k, IntraOpPool? pool, float alpha, float beta, bool cRows, bool cCols, bool withC)
    {
        var r = new Random(m * 7919 + n * 31 + k);
        int lda = k + 3, ldb = k + 1, ldy = n + 2;
        var a = Enumerable.Range(0, m * lda).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
        // B exactly as long as its last row needs: nothing may read past it.
        var b = Enumerable.Range(0, Math.Max(0, (n - 1) * ldb + k)).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
        var c = Enumerable.Range(0, m * n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
        var y = Enumerable.Repeat(float.NaN, m * ldy).ToArray();
        nint rowStride = cRows ? n : 0, colStride = cCols ? 1 : 0;
        fixed (float* pa = a, pb = b, pc = c, py = y)
        {
            var addend = new SmallRowsAddend { Alpha = alpha, Beta = beta, C = withC ? pc : null, CRowStride = rowStride, CColStride = colStride };
            SmallRowsGemmT.Multiply(m, n, k, pa, lda, pb, ldb, py, ldy, addend, pool, isa);
        }
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double)a[i * lda + p] * b[j * ldb + p];
                s *= alpha;
                if (withC) s += beta * c[i * rowStride + j * colStride];
                Assert.True(Math.Abs(s - y[i * ldy + j]) <= 1e-5 * (1 + k), $"Y[{i},{j}]: expected {s}, got {y[i * ldy + j]}");
            }
            for (int j = n; j < ldy; j++) Assert.True(float.IsNaN(y[i * ldy + j]), $"Y[{i},{j}] is padding but was written");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesReference(IsaPath isa, int m, int n, int k) => Check(isa, m, n, k, null, 1f, 0f, false, false, false);

    /// <summary>Alpha and beta scale, C full, a row (broadcast over rows), a column, a scalar.</summary>
    [Theory]
    [InlineData(IsaPath.V512, 0.5f, 2f, true, true)]
    [InlineData(IsaPath.V512, 1f, 1f, false, true)]
    [InlineData(IsaPath.V256, -1.5f, 0.25f, true, false)]
    [InlineData(IsaPath.Scalar, 2f, -1f, false, false)]
    [InlineData(IsaPath.V256, 1f, 1f, true, true)]
    public void AppliesAlphaBetaAndBroadcastC(IsaPath isa, float alpha, float beta, bool cRows, bool cCols)
    {
        for (int m = 1; m <= SmallRowsGemm.MaxRows; m++)
            foreach (int n in new[] { 1, 9, 21 })
                foreach (int k in new[] { 0, 19, 40 })
                    Check(isa, m, n, k, null, alpha, beta, cRows, cCols, true);
    }

    /// <summary>Above the parallel threshold the B rows split across the pool in 16-row units.</summary>
    [Theory]
    [InlineData(1, 1000, 1280)]
    [InlineData(3, 777, 300)]
    [InlineData(4, 129, 1100)]
    public void SplitsRowsOfBAcrossThreads(int m, int n, int k)
    {
        using var pool = new IntraOpPool(2);
        Check(null, m, n, k, pool, 0.75f, 1f, false, true, true);
    }

    [Fact]
    public void RejectsMoreRowsThanItTakes()
    {
        var buffer = new float[64];
        fixed (float* p = buffer)
        {
            float* q = p;
            Assert.Throws<ArgumentOutOfRangeException>(() => SmallRowsGemmT.Multiply(SmallRowsGemm.MaxRows + 1, 1, 1, q, 1, q, 1, q, 1, SmallRowsAddend.None));
        }
    }
}
