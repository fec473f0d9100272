using System.Runtime.Intrinsics.X86;
using Onyx.Kernels.Conv;
using Onyx.Kernels.Gemm;
using Onyx.Kernels.Tests.Conv;
using Onyx.Kernels.Threading;
using Xunit;

namespace Onyx.Kernels.Tests.Gemm;

/// <summary>
/// The post activations (HardSigmoid … FastGelu, with and without the affine) applied by every store:
/// the tile helper, the GEMM driver, each conv path, the small-map transpose store — against the
/// scalar oracle <see cref="GemmEpilogue.Activate"/> on every ISA path.
/// </summary>
public unsafe class PostActivationTests
{
    /// <summary>Every post kind, half of them with an affine after.</summary>
    public static GemmEpilogue[] Epilogues() =>
    [
        new GemmEpilogue { Activation = FusedActivation.HardSigmoid, Alpha = 0.3f, Beta = 0.45f },
        new GemmEpilogue { Activation = FusedActivation.HardSwish, HasAffine = true, Scale = 1.25f, Shift = -0.5f },
        new GemmEpilogue { Activation = FusedActivation.HardSwish },
        new GemmEpilogue { Activation = FusedActivation.Sigmoid },
        new GemmEpilogue { Activation = FusedActivation.Swish, Alpha = 1.702f, HasAffine = true, Scale = 0.5f, Shift = 1f },
        new GemmEpilogue { Activation = FusedActivation.Swish, Alpha = 1f },
        new GemmEpilogue { Activation = FusedActivation.Tanh },
        new GemmEpilogue { Activation = FusedActivation.Gelu, HasAffine = true, Scale = -1f, Shift = 0.25f },
        new GemmEpilogue { Activation = FusedActivation.FastGelu },
    ];

    public static IEnumerable<object[]> Paths() => Enum.GetValues<IsaPath>().Select(p => new object[] { p });

    private static void AssertClose(float expected, float actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 2e-5f * (1 + Math.Abs(expected)), $"{what}: expected {expected}, got {actual}");

    [Theory]
    [MemberData(nameof(Paths))]
    public void ApplyTileMatchesScalarOracleAndLeavesTheRestAlone(IsaPath isa)
    {
        var rnd = new Random(1);
        foreach (var ep in Epilogues())
            foreach (var (rows, cols, ldc) in new[] { (1, 1, 1), (3, 17, 20), (12, 32, 32), (5, 7, 9), (2, 40, 41) })
            {
                Assert.True(ep.HasPost);
                var c0 = ConvF32Tests.Random(rnd, rows * ldc + 16).Select(v => v * 8).ToArray();
                var c = (float[])c0.Clone();
                fixed (float* pc = c) Activations.ApplyTile(pc, ldc, rows, cols, ep, isa);
                for (int i = 0; i < c.Length; i++)
                {
                    int r = i / ldc, j = i % ldc;
                    float expected = r < rows && j < cols ? ep.Activate(c0[i]) : c0[i];
                    AssertClose(expected, c[i], $"{isa} {ep.Activation} {rows}x{cols}/{ldc} [{r},{j}]");
                }
            }
    }

    [Fact]
    public void ScalarOracleMatchesDefinitions()
    {
        foreach (float x in new[] { -7f, -2.5f, -0.3f, 0f, 0.01f, 1.2f, 4f })
        {
            float sig = 1f / (1f + MathF.Exp(-x));
            AssertClose(Math.Clamp(0.3f * x + 0.45f, 0f, 1f), Epilogues()[0].Activate(x), "HardSigmoid");
            AssertClose(1.25f * (x * Math.Clamp(x / 6 + 0.5f, 0f, 1f)) - 0.5f, Epilogues()[1].Activate(x), "HardSwish+affine");
            AssertClose(sig, Epilogues()[3].Activate(x), "Sigmoid");
            AssertClose(0.5f * (x / (1f + MathF.Exp(-1.702f * x))) + 1f, Epilogues()[4].Activate(x), "Swish+affine");
            AssertClose(MathF.Tanh(x), Epilogues()[6].Activate(x), "Tanh");
            AssertClose((float)(-(0.5 * x * (1 + Erf(x / Math.Sqrt(2)))) + 0.25), Epilogues()[7].Activate(x), "Gelu+affine");
            AssertClose((float)(0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)))), Epilogues()[8].Activate(x), "FastGelu");
        }
    }

    // Abramowitz-Stegun 7.1.26 is too coarse for an oracle; the series converges fast for |x| < 5.
    private static double Erf(double x)
    {
        double sum = 0, term = x;
        for (int n = 0; n < 200; n++)
        {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.Sqrt(Math.PI) * sum;
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void GemmStoresApplyPostActivation(IsaPath isa)
    {
        var rnd = new Random(7);
        var eps = Epilogues();
        for (int trial = 0; trial < 18; trial++)
        {
            int m = rnd.Next(1, 40), n = rnd.Next(1, 70), k = trial == 0 ? 700 : rnd.Next(1, 50); // 700 > KC: two K blocks
            var a = ConvF32Tests.Random(rnd, m * k);
            var b = ConvF32Tests.Random(rnd, k * n);
            var bias = ConvF32Tests.Random(rnd, Math.Max(m, n));
            var c0 = ConvF32Tests.Random(rnd, m * n);
            var kind = trial % 3 == 0 ? BiasKind.PerRow : trial % 3 == 1 ? BiasKind.PerColumn : BiasKind.None;
            float beta = trial % 2;
            fixed (float* pbias = bias)
            {
                var ep = eps[trial % eps.Length] with { Bias = kind == BiasKind.None ? null : pbias, BiasKind = kind };
                var c = (float[])c0.Clone();
                SGemm.Multiply(false, trial % 4 == 1, m, n, k, 1f, a, b, beta, c, ep, null, isa);
                var expected = SGemmTests.Reference(false, trial % 4 == 1, m, n, k, 1f, a, b, beta, c0, ep, kind == BiasKind.None ? null : bias);
                for (int i = 0; i < c.Length; i++)
                    Assert.True(Math.Abs(expected[i] - c[i]) <= 1e-4f * (1 + Math.Abs(expected[i])), $"{isa} {ep.Activation} {m}x{n}x{k} [{i}]: expected {expected[i]}, got {c[i]}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(ConvF32Tests.Cases), MemberType = typeof(ConvF32Tests))]
    public void EveryConvPathAppliesPostActivation(int batch, int cin, int cout, int group, int[] spatial, int[] kernel, int[] strides, int[] dilations, int[] pads)
    {
        var rnd = new Random(batch * 31 + cin * 7 + cout);
        int r = spatial.Length;
        var outSp = new int[r];
        for (int d = 0; d < r; d++) outSp[d] = (spatial[d] + pads[d] + pads[r + d] - dilations[d] * (kernel[d] - 1) - 1) / strides[d] + 1;
        var g = ConvGeometry.Create(batch, cin, cout, group, spatial, outSp, kernel, strides, dilations, pads);
        var x = ConvF32Tests.Random(rnd, batch * cin * g.InSize);
        var w = ConvF32Tests.Random(rnd, cout * (cin / group) * g.KernelSize);
        var b = ConvF32Tests.Random(rnd, cout);
        var z = ConvF32Tests.Random(rnd, batch * cout * g.OutSize);
        using var pool = new IntraOpPool(2);
        var eps = Epilogues();
        foreach (var isa in Enum.GetValues<IsaPath>())
            for (int e = 0; e < eps.Length; e++)
            {
                bool accumulate = e % 2 == 1;
                var plain = accumulate ? (float[])z.Clone() : new float[batch * cout * g.OutSize];
                var y = accumulate ? (float[])z.Clone() : new float[plain.Length];
                fixed (float* px = x, pw = w, pb = b, pp = plain, py = y)
                {
                    using var conv = new ConvF32(pw, cout, cin / group, group, g.KD, g.KH, g.KW, isa);
                    conv.Forward(g, px, pp, pb, GemmEpilogue.None, null, accumulate);
                    conv.Forward(g, px, py, pb, eps[e], isa == IsaPath.Scalar ? null : pool, accumulate);
                }
                for (int i = 0; i < y.Length; i++)
                {
                    float expected = eps[e].Activate(plain[i]);
                    Assert.True(Math.Abs(expected - y[i]) <= 1e-4f * (1 + Math.Abs(expected)), $"{isa} {eps[e].Activation}: element {i}: expected {expected}, got {y[i]}");
                }
            }
    }

    [Fact]
    public void SmallMapVectorStoreMatchesScalarStore()
    {
        if (!Avx512F.IsSupported) return; // the vector store needs AVX-512 hardware
        var rnd = new Random(3);
        foreach (var ep in Epilogues())
            foreach (int positions in new[] { 7, 16, 49 })
            {
                const int channels = 32;
                var ct = ConvF32Tests.Random(rnd, positions * channels);
                var bias = ConvF32Tests.Random(rnd, channels);
                var expected = new float[positions * channels + 16];
                var actual = new float[positions * channels + 16];
                fixed (float* pc = ct, pb = bias, pe = expected, pa = actual)
                {
                    SmallMapStore.Scalar(pc, positions, channels, pe, pb, ep, false);
                    SmallMapStore.Vector(pc, positions, channels, pa, pb, ep, false);
                }
                for (int i = 0; i < expected.Length; i++) AssertClose(expected[i], actual[i], $"{ep.Activation} {positions} [{i}]");
            }
    }
}
