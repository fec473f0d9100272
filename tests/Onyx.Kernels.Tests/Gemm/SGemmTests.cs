using Onyx.Kernels.Gemm;
using Onyx.Kernels.Threading;
using Xunit;

namespace Onyx.Kernels.Tests.Gemm;

public unsafe class SGemmTests
{
    static SGemmTests() => KernelIsa.EmulateAll = true;

    /// <summary>Every path, emulated in software where the CPU lacks it.</summary>
    public static IEnumerable<object[]> Paths() =>
        Enum.GetValues<IsaPath>().Select(p => new object[] { p });

    /// <summary>The oracle: a plain triple loop in double precision.</summary>
    internal static float[] Reference(bool ta, bool tb, int m, int n, int k, float alpha, float[] a, float[] b, float beta, float[] c0, GemmEpilogue ep, float[]? bias)
    {
        var c = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                    s += (double)(ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                double v = alpha * s + (beta == 0 ? 0 : beta * c0[i * n + j]);
                if (bias is not null) v += ep.BiasKind == BiasKind.PerRow ? bias[i] : bias[j];
                c[i * n + j] = ep.Activate((float)v);
            }
        return c;
    }

    private static float[] Random(Random r, int n)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(r.NextDouble() * 2 - 1);
        return x;
    }

    private static void AssertClose(float[] expected, float[] actual, int k, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            float tol = 1e-5f * (k + 1) + 1e-5f * Math.Abs(expected[i]);
            if (!(Math.Abs(expected[i] - actual[i]) <= tol))
                Assert.Fail($"{what}: element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void OddSizesAllTransposesMatchOracle(IsaPath isa)
    {
        var rnd = new Random(42);
        for (int trial = 0; trial < 60; trial++)
        {
            int m = rnd.Next(1, 68), n = rnd.Next(1, 68), k = rnd.Next(1, 68);
            bool ta = (trial & 1) != 0, tb = (trial & 2) != 0;
            float alpha = trial % 3 == 0 ? 1f : 0.75f, beta = (trial % 4) switch { 0 => 0f, 1 => 1f, _ => -0.5f };
            var a = Random(rnd, m * k);
            var b = Random(rnd, k * n);
            var c0 = Random(rnd, m * n);
            var c = (float[])c0.Clone();
            SGemm.Multiply(ta, tb, m, n, k, alpha, a, b, beta, c, default, null, isa);
            AssertClose(Reference(ta, tb, m, n, k, alpha, a, b, beta, c0, default, null), c, k, $"{isa} m={m} n={n} k={k} ta={ta} tb={tb}");
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void AllRowAndColumnTailsForSmallSizes(IsaPath isa)
    {
        var rnd = new Random(7);
        foreach (int m in new[] { 1, 2, 3, 5, 6, 7, 11, 12, 13, 25 })
            foreach (int n in new[] { 1, 7, 8, 15, 16, 17, 31, 32, 33, 67 })
            {
                int k = rnd.Next(1, 40);
                var a = Random(rnd, m * k);
                var b = Random(rnd, k * n);
                var c = new float[m * n];
                SGemm.Multiply(false, false, m, n, k, 1f, a, b, 0f, c, default, null, isa);
                AssertClose(Reference(false, false, m, n, k, 1f, a, b, 0f, c, default, null), c, k, $"{isa} m={m} n={n} k={k}");
            }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void LargeKCrossesBlocksAndEpilogueRunsOnce(IsaPath isa)
    {
        var rnd = new Random(3);
        int m = 29, n = 70, k = 1100; // 2-3 K blocks on every path
        var a = Random(rnd, m * k);
        var b = Random(rnd, k * n);
        var bias = Random(rnd, n);
        var c0 = Random(rnd, m * n);
        fixed (float* pb = bias)
        {
            var ep = new GemmEpilogue { Bias = pb, BiasKind = BiasKind.PerColumn, Activation = FusedActivation.Relu };
            var c = (float[])c0.Clone();
            SGemm.Multiply(false, false, m, n, k, 0.5f, a, b, 1f, c, ep, null, isa);
            AssertClose(Reference(false, false, m, n, k, 0.5f, a, b, 1f, c0, ep, bias), c, k, $"{isa} bias+relu");
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void EpiloguesMatchOracle(IsaPath isa)
    {
        var rnd = new Random(5);
        var eps = new (BiasKind, FusedActivation, float, float, float)[]
        {
            (BiasKind.PerRow, FusedActivation.None, 0, 0, 0),
            (BiasKind.PerRow, FusedActivation.Clip, -0.3f, 0.4f, 0),
            (BiasKind.PerColumn, FusedActivation.LeakyRelu, 0, 0, 0.1f),
            (BiasKind.None, FusedActivation.Relu, 0, 0, 0),
        };
        foreach (var (kind, act, lo, hi, slope) in eps)
            for (int trial = 0; trial < 10; trial++)
            {
                int m = rnd.Next(1, 68), n = rnd.Next(1, 68), k = rnd.Next(1, 68);
                var a = Random(rnd, m * k);
                var b = Random(rnd, k * n);
                var bias = Random(rnd, Math.Max(m, n));
                var c0 = Random(rnd, m * n);
                fixed (float* pbias = bias)
                {
                    var ep = new GemmEpilogue { Bias = kind == BiasKind.None ? null : pbias, BiasKind = kind, Activation = act, Min = lo, Max = hi, Alpha = slope };
                    var c = (float[])c0.Clone();
                    float beta = trial % 2 == 0 ? 0f : 1f;
                    SGemm.Multiply(false, trial % 3 == 0, m, n, k, 1f, a, b, beta, c, ep, null, isa);
                    AssertClose(Reference(false, trial % 3 == 0, m, n, k, 1f, a, b, beta, c0, ep, kind == BiasKind.None ? null : bias), c, k, $"{isa} {kind} {act}");
                }
            }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void PrepackedOperandsMatchOracle(IsaPath isa)
    {
        var rnd = new Random(11);
        for (int trial = 0; trial < 30; trial++)
        {
            int m = rnd.Next(1, 68), n = rnd.Next(1, 68), k = trial == 0 ? 300 : rnd.Next(1, 68);
            bool ta = (trial & 1) != 0, tb = (trial & 2) != 0;
            var a = Random(rnd, m * k);
            var b = Random(rnd, k * n);
            var expected = Reference(ta, tb, m, n, k, 1f, a, b, 0f, new float[m * n], default, null);
            using var pb = PackedMatrixB.Create(b, tb, k, n, isa);
            using var pa = PackedMatrixA.Create(a, ta, m, k, isa);
            var c1 = new float[m * n];
            var c2 = new float[m * n];
            fixed (float* pA = a, pB = b, pc1 = c1, pc2 = c2)
            {
                SGemm.Multiply(ta, m, 1f, pA, ta ? m : k, pb, 0f, pc1, n);
                SGemm.Multiply(pa, tb, n, 1f, pB, tb ? k : n, 0f, pc2, n);
            }
            AssertClose(expected, c1, k, $"{isa} packed B m={m} n={n} k={k}");
            AssertClose(expected, c2, k, $"{isa} packed A m={m} n={n} k={k}");
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void InPlaceBMatchesOracle(IsaPath isa)
    {
        // B read in place (1x1 conv input): rows ldb > n apart, the gap filled with NaN so a read past
        // column n shows; odd n (partial last strip), K over one block, every epilogue, beta 0/1, threads.
        using var pool = new IntraOpPool(2);
        var rnd = new Random(17);
        var acts = new[] { FusedActivation.None, FusedActivation.Relu, FusedActivation.Clip, FusedActivation.LeakyRelu };
        var shapes = new[] { (1, 1, 1), (16, 33, 5), (24, 100, 17), (13, 64, 3), (96, 95, 16), (7, 200, 1100), (30, 1500, 40), (12, 32, 7) };
        for (int t = 0; t < shapes.Length; t++)
        {
            var (m, n, k) = shapes[t];
            int ldb = n + 3;
            var a = Random(rnd, m * k);
            var dense = Random(rnd, k * n);
            var b = new float[k * ldb + 8];
            Array.Fill(b, float.NaN);
            for (int p = 0; p < k; p++) Array.Copy(dense, p * n, b, p * ldb, n);
            var bias = Random(rnd, m);
            var c0 = Random(rnd, m * n);
            var act = acts[t % acts.Length];
            float beta = t % 2;
            fixed (float* pA = a, pB = b, pbias = bias)
            {
                var ep = new GemmEpilogue { Bias = t % 3 == 2 ? null : pbias, BiasKind = t % 3 == 2 ? BiasKind.None : BiasKind.PerRow, Activation = act, Min = -0.3f, Max = 0.4f, Alpha = 0.1f };
                var expected = Reference(false, false, m, n, k, 1f, a, dense, beta, c0, ep, t % 3 == 2 ? null : bias);
                using var pa = PackedMatrixA.Create(a, false, m, k, isa);
                var c = (float[])c0.Clone();
                fixed (float* pc = c) SGemm.MultiplyInPlaceB(pa, n, pB, ldb, beta, pc, n, ep, t % 2 == 0 ? pool : null);
                AssertClose(expected, c, k, $"{isa} in-place B {m}x{n}x{k} {act}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void ThreadedSplitMatchesOracle(IsaPath isa)
    {
        using var pool2 = new IntraOpPool(2);
        using var pool3 = new IntraOpPool(3);
        var rnd = new Random(13);
        foreach (var (m, n, k) in new[] { (200, 90, 70), (50, 300, 80), (130, 130, 64), (128, 100, 600), (13, 1000, 33) })
        foreach (var pool in new[] { pool2, pool3 })
        {
            var a = Random(rnd, m * k);
            var b = Random(rnd, k * n);
            var c = new float[m * n];
            SGemm.Multiply(false, false, m, n, k, 1f, a, b, 0f, c, default, pool, isa);
            AssertClose(Reference(false, false, m, n, k, 1f, a, b, 0f, c, default, null), c, k, $"{isa} threaded {m}x{n}x{k}");
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void KBlocksAreBalancedAndCoverK(IsaPath isa)
    {
        int max = Math.Min(GemmDriver.KcOf(isa), GemmDriver.MaxKC);
        for (int k = 1; k <= 5000; k++)
        {
            int kc = GemmDriver.KcFor(isa, k);
            int blocks = (k + kc - 1) / kc;
            Assert.True(kc >= 1 && kc <= max, $"{isa} K={k}: block {kc} outside [1, {max}]");
            Assert.True(blocks == (k + max - 1) / max, $"{isa} K={k}: {blocks} blocks of {kc}, more than needed at {max}");
            // Equal blocks: the last one is short by at most the rounding.
            Assert.True(k - (blocks - 1) * kc >= kc - 2 * blocks, $"{isa} K={k}: tail {k - (blocks - 1) * kc} of block {kc}");
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void PrepackedDeepKWithBiasAndActivationMatchesOracle(IsaPath isa)
    {
        // Transformer shapes in small: B prepacked (a MatMulBias weight), K one block, several equal blocks, or past
        // MaxKC; odd M around the panel height; column bias and a register or post activation; 1 and 2 threads.
        using var pool = new IntraOpPool(2);
        var rnd = new Random(23);
        var shapes = new[] { (64, 70, 768), (37, 33, 1030), (13, 100, 2100), (64, 96, 3072), (25, 40, 4500) };
        for (int t = 0; t < shapes.Length; t++)
        {
            var (m, n, k) = shapes[t];
            var a = Random(rnd, m * k);
            var b = Random(rnd, k * n);
            var bias = Random(rnd, n);
            fixed (float* pA = a, pbias = bias)
            {
                var ep = new GemmEpilogue { Bias = pbias, BiasKind = BiasKind.PerColumn, Activation = t % 2 == 0 ? FusedActivation.Gelu : FusedActivation.Relu };
                var expected = Reference(false, false, m, n, k, 1f, a, b, 0f, new float[m * n], ep, bias);
                using var pb = PackedMatrixB.Create(b, false, k, n, isa);
                foreach (var p in new[] { null, pool })
                {
                    var c = new float[m * n];
                    fixed (float* pc = c) SGemm.Multiply(false, m, 1f, pA, k, pb, 0f, pc, n, ep, p);
                    AssertClose(expected, c, k, $"{isa} prepacked {m}x{n}x{k} threads={(p == null ? 1 : 2)}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void WideNCrossesNBlocksWithOnePackedA(IsaPath isa)
    {
        // N over the N block (4096): one K block and one M chunk pack A once for every N block, several K blocks
        // repack it per block; raw and prepacked B.
        var rnd = new Random(31);
        foreach (var (m, n, k) in new[] { (13, 4200, 40), (30, 8300, 9), (5, 4200, 1100) })
        {
            var a = Random(rnd, m * k);
            var b = Random(rnd, k * n);
            var bias = Random(rnd, n);
            fixed (float* pA = a, pB = b, pbias = bias)
            {
                var ep = new GemmEpilogue { Bias = pbias, BiasKind = BiasKind.PerColumn, Activation = FusedActivation.Relu };
                var expected = Reference(false, false, m, n, k, 1f, a, b, 0f, new float[m * n], ep, bias);
                using var pb = PackedMatrixB.Create(b, false, k, n, isa);
                var c1 = new float[m * n];
                var c2 = new float[m * n];
                fixed (float* pc1 = c1, pc2 = c2)
                {
                    SGemm.Multiply(false, false, m, n, k, 1f, pA, k, pB, n, 0f, pc1, n, ep, null, isa);
                    SGemm.Multiply(false, m, 1f, pA, k, pb, 0f, pc2, n, ep);
                }
                AssertClose(expected, c1, k, $"{isa} raw B {m}x{n}x{k}");
                AssertClose(expected, c2, k, $"{isa} packed B {m}x{n}x{k}");
            }
        }
    }

    [Fact]
    public void PackAWritesEveryPanelSlot()
    {
        // Every slot of every panel is written (dst starts as NaN): values in range, zeros past the last row; both
        // layouts, panel heights of the vector paths (12, 4) and others (6, 5), K tails of the 16- and 4-k loops.
        var rnd = new Random(29);
        for (int trial = 0; trial < 200; trial++)
        {
            int mr = new[] { 12, 4, 6, 5 }[trial % 4];
            bool trans = (trial & 4) != 0;
            int rowsA = rnd.Next(1, 50), colsA = rnd.Next(1, 90);
            int i0 = rnd.Next(0, rowsA), p0 = rnd.Next(0, colsA);
            int mc = rnd.Next(1, rowsA - i0 + 1), kc = rnd.Next(1, colsA - p0 + 1);
            int strideK = kc + rnd.Next(0, 3);
            var a = Random(rnd, rowsA * colsA);
            int panels = (mc + mr - 1) / mr;
            var dst = new float[panels * strideK * mr];
            Array.Fill(dst, float.NaN);
            // op(A) is rowsA x colsA; stored transposed when trans.
            var stored = trans ? new float[colsA * rowsA] : a;
            if (trans) for (int i = 0; i < rowsA; i++) for (int k = 0; k < colsA; k++) stored[k * rowsA + i] = a[i * colsA + k];
            fixed (float* ps = stored, pd = dst) GemmDriver.PackA(ps, trans ? rowsA : colsA, trans, i0, mc, p0, kc, mr, pd, strideK);
            for (int q = 0; q < panels; q++)
                for (int k = 0; k < kc; k++)
                    for (int r = 0; r < mr; r++)
                    {
                        int row = q * mr + r;
                        float expected = row < mc ? a[(i0 + row) * colsA + p0 + k] : 0f;
                        float got = dst[q * strideK * mr + k * mr + r];
                        if (got != expected) Assert.Fail($"MR={mr} trans={trans} {mc}x{kc} at ({i0},{p0}): panel {q} k={k} r={r}: expected {expected}, got {got}");
                    }
        }
    }

    [Fact]
    public void KZeroGivesBetaCPlusBias()
    {
        var c = new float[] { 1, 2, 3, 4 };
        var bias = new float[] { 10, 20 };
        fixed (float* pb = bias)
        {
            var ep = new GemmEpilogue { Bias = pb, BiasKind = BiasKind.PerColumn };
            SGemm.Multiply(false, false, 2, 2, 0, 1f, ReadOnlySpan<float>.Empty, ReadOnlySpan<float>.Empty, 2f, c, ep);
        }
        Assert.Equal(new float[] { 12, 24, 16, 28 }, c);
    }
}
