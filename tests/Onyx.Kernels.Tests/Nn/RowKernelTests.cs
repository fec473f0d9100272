using Onyx.Kernels.Nn;
using Xunit;

namespace Onyx.Kernels.Tests.Nn;

/// <summary>SoftmaxF32 and LayerNormF32 rows against double-precision two-pass oracles, lengths 0..256, every path.</summary>
public unsafe class RowKernelTests
{
    static RowKernelTests() => KernelIsa.EmulateAll = true;

    public static IEnumerable<object[]> Paths() => Enum.GetValues<IsaPath>().Select(p => new object[] { p });

    private static float[] Random(int seed, int n, float lo, float hi)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(lo + r.NextDouble() * (hi - lo))).ToArray();
    }

    private static void Close(double expected, float actual, string what, double rtol = 2e-6, double atol = 1e-7)
    {
        if (!(Math.Abs(expected - actual) <= rtol * Math.Abs(expected) + atol)) Assert.Fail($"{what}: expected {expected}, got {actual}");
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void SoftmaxMatchesOracle(IsaPath path)
    {
        for (int n = 0; n <= 256; n++)
        {
            float[] x = Random(n, n, -12, 12), y = new float[n];
            fixed (float* px = x, py = y) SoftmaxF32.Row(px, py, n, path);
            double max = n == 0 ? 0 : x.Max(), sum = x.Sum(v => Math.Exp(v - max));
            for (int i = 0; i < n; i++) Close(Math.Exp(x[i] - max) / sum, y[i], $"n={n} [{i}]", 4e-6, 1e-9);
            fixed (float* px = x) SoftmaxF32.Row(px, px, n, path); // in place
            Assert.Equal(y, x);
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void SoftmaxUnderflowsToZero(IsaPath path)
    {
        // Scores far below the max (masked positions, −10000 biases) must come out as (near) zero, not garbage.
        float[] x = Random(3, 100, -200, 10), y = new float[100];
        x[7] = -10000f; x[8] = float.NegativeInfinity;
        fixed (float* px = x, py = y) SoftmaxF32.Row(px, py, 100, path);
        double max = x.Max(), sum = x.Sum(v => Math.Exp(v - max));
        for (int i = 0; i < 100; i++) Close(Math.Exp(x[i] - max) / sum, y[i], $"[{i}]", 4e-6, 1e-30);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void LayerNormMatchesOracle(IsaPath path)
    {
        for (int n = 0; n <= 256; n++)
        {
            // A large offset: a one-pass variance without the shift would lose most of its digits here.
            float[] x = Random(n, n, 995, 1005), g = Random(n + 1, n, 0.5f, 1.5f), b = Random(n + 2, n, -1, 1), y = new float[n];
            (float mean, float inv) r;
            fixed (float* px = x, py = y, pg = g, pb = b) r = LayerNormF32.Row(px, py, pg, pb, n, 1e-5f, path);
            if (n == 0) continue;
            double mean = x.Average(v => (double)v), variance = x.Average(v => (v - mean) * (v - mean)), inv = 1 / Math.Sqrt(variance + 1e-5);
            Close(mean, r.mean, $"n={n} mean");
            Close(inv, r.inv, $"n={n} inv", 1e-4);
            for (int i = 0; i < n; i++) Close((x[i] - mean) * inv * g[i] + b[i], y[i], $"n={n} [{i}]", 1e-4, 2e-4);
        }
    }

    [Fact]
    public void LayerNormWithoutBetaInPlace()
    {
        float[] x = Random(9, 100, -3, 3), g = Random(10, 100, 0.5f, 1.5f), want = new float[100];
        fixed (float* px = x, pg = g, pw = want)
        {
            LayerNormF32.Row(px, pw, pg, null, 100, 1e-5f);
            LayerNormF32.Row(px, px, pg, null, 100, 1e-5f);
        }
        Assert.Equal(want, x);
    }
}
