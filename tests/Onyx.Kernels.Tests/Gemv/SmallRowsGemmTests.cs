using Onyx.Kernels.Gemv;
using Onyx.Kernels.Threading;
using Xunit;

namespace Onyx.Kernels.Tests.Gemv;

/// <summary>The unpacked few-row GEMM on every ISA path against a double-precision triple loop.</summary>
public unsafe class SmallRowsGemmTests
{
    static SmallRowsGemmTests() => KernelIsa.EmulateAll = true;

    public static IEnumerable<object[]> Cases()
    {
        int[] ns = [1, 7, 8, 10, 15, 16, 17, 31, 32, 33, 63, 64, 65, 130];
        int[] ks = [0, 1, 3, 4, 5, 256];
        foreach (IsaPath p in Enum.GetValues<IsaPath>())
            for (int m = 1; m <= SmallRowsGemm.MaxRows; m++)
                foreach (int n in ns)
                    foreach (int k in ks)
                        yield return [p, m, n, k];
    }

    /// <summary>C = A · B with padded leading dims; the padding of C must stay untouched.</summary>
    private static void Check(IsaPath? isa, int m, int n, int k, IntraOpPool? pool)
    {
        var r = new Random(m * 7919 + n * 31 + k);
        int lda = k + 3, ldb = n + 5, ldc = n + 2;
        var a = Enumerable.Range(0, m * lda).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
        // B exactly as long as its last row needs: the masked tail must not read past it.
        var b = Enumerable.Range(0, Math.Max(0, (k - 1) * ldb + n)).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
        var c = Enumerable.Repeat(float.NaN, m * ldc).ToArray();
        fixed (float* pa = a, pb = b, pc = c)
            SmallRowsGemm.Multiply(m, n, k, pa, lda, pb, ldb, pc, ldc, pool, isa);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double)a[i * lda + p] * b[p * ldb + j];
                Assert.True(Math.Abs(s - c[i * ldc + j]) <= 1e-5 * (1 + k), $"C[{i},{j}]: expected {s}, got {c[i * ldc + j]}");
            }
            for (int j = n; j < ldc; j++) Assert.True(float.IsNaN(c[i * ldc + j]), $"C[{i},{j}] is padding but was written");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesReference(IsaPath isa, int m, int n, int k) => Check(isa, m, n, k, null);

    /// <summary>Above the parallel threshold the columns split across the pool in 64-column units.</summary>
    [Theory]
    [InlineData(1, 1000, 600)]
    [InlineData(3, 777, 300)]
    [InlineData(4, 129, 1100)]
    public void SplitsColumnsAcrossThreads(int m, int n, int k)
    {
        using var pool = new IntraOpPool(2);
        Check(null, m, n, k, pool);
    }

    [Fact]
    public void RejectsMoreRowsThanItTakes()
    {
        var buffer = new float[64];
        fixed (float* p = buffer)
        {
            float* q = p;
            Assert.Throws<ArgumentOutOfRangeException>(() => SmallRowsGemm.Multiply(SmallRowsGemm.MaxRows + 1, 1, 1, q, 1, q, 1, q, 1));
        }
    }
}
