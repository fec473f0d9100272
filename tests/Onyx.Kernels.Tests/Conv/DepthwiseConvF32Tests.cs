using Onyx.Kernels.Conv;
using Onyx.Kernels.Gemm;
using Onyx.Kernels.Threading;
using Xunit;

namespace Onyx.Kernels.Tests.Conv;

public unsafe class DepthwiseConvF32Tests
{
    static DepthwiseConvF32Tests() => KernelIsa.EmulateAll = true;

    private static float[] Random(Random r, int n)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(r.NextDouble() * 2 - 1);
        return x;
    }

    private static int Out(int i, int k, int s, int d, int pb, int pe) => (i + pb + pe - d * (k - 1) - 1) / s + 1;

    /// <summary>Naive depthwise 2-D convolution straight from the ONNX definition, in double.</summary>
    private static float[] Reference(in ConvGeometry g, float[] x, float[] w, float[]? b, GemmEpilogue act, float[]? z)
    {
        var y = new float[g.Batch * g.OutChannels * g.OutSize];
        for (int n = 0; n < g.Batch; n++)
            for (int c = 0; c < g.OutChannels; c++)
                for (int oh = 0; oh < g.OH; oh++)
                    for (int ow = 0; ow < g.OW; ow++)
                    {
                        int o = ((n * g.OutChannels + c) * g.OH + oh) * g.OW + ow;
                        double s = (b?[c] ?? 0) + (z?[o] ?? 0);
                        for (int kh = 0; kh < g.KH; kh++)
                            for (int kw = 0; kw < g.KW; kw++)
                            {
                                int ih = oh * g.SH - g.PH + kh * g.DH, iw = ow * g.SW - g.PW + kw * g.DW;
                                if (ih < 0 || ih >= g.IH || iw < 0 || iw >= g.IW) continue;
                                s += (double)x[((n * g.InChannels + c) * g.IH + ih) * g.IW + iw] * w[(c * g.KH + kh) * g.KW + kw];
                            }
                        y[o] = act.Activate((float)s);
                    }
        return y;
    }

    public static IEnumerable<object[]> Cases()
    {
        // batch, channels, (ih, iw), (kh, kw), (sh, sw), (dh, dw), pads (top, left, bottom, right)
        int[][] planes = [[1, 1], [2, 2], [7, 7], [14, 14], [5, 19], [16, 33], [23, 40]];
        int[][] filters = [[3, 3], [5, 5], [7, 7], [1, 3], [3, 1]];
        int i = 0;
        foreach (var p in planes)
            foreach (var k in filters)
                for (int s = 1; s <= 3; s++)
                {
                    i++;
                    int d = i % 4 == 0 ? 2 : 1;
                    int[] pads = i % 3 == 0 ? [k[0] / 2, k[1] / 2, k[0] / 2, k[1] / 2] : i % 3 == 1 ? [k[0] - 1, 0, 0, k[1] / 2 + 1] : [0, 0, 0, 0];
                    if (p[0] + pads[0] + pads[2] < d * (k[0] - 1) + 1 || p[1] + pads[1] + pads[3] < d * (k[1] - 1) + 1) continue;
                    yield return [1 + i % 2, 3 + i % 5, p, k, new[] { s, s == 3 ? 2 : s }, new[] { d, d }, pads];
                }
        yield return [1, 4, new[] { 9, 12 }, new[] { 3, 3 }, new[] { 2, 1 }, new[] { 1, 3 }, new[] { 1, 2, 0, 3 }];
        yield return [1, 40, new[] { 28, 28 }, new[] { 3, 3 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }]; // threaded
        // Rows whose padded width is a whole number of vectors take the AVX-512 row-wise sweep.
        yield return [1, 3, new[] { 9, 62 }, new[] { 3, 3 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }];
        yield return [2, 5, new[] { 12, 30 }, new[] { 3, 3 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }];
        yield return [1, 1, new[] { 1, 50 }, new[] { 1, 5 }, new[] { 1, 2 }, new[] { 1, 1 }, new[] { 0, 2, 0, 2 }]; // 1-D
        // The direct 3x3 kernel: rows of several vectors (plain inner loads, masked edges), whole-vector rows,
        // odd row counts (the last row of a pair alone), asymmetric and missing pads, strides 1 and 2.
        yield return [1, 3, new[] { 9, 64 }, new[] { 3, 3 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }];
        yield return [1, 2, new[] { 8, 70 }, new[] { 3, 3 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }];
        yield return [2, 3, new[] { 7, 49 }, new[] { 3, 3 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 0, 0, 1 }];
        yield return [1, 3, new[] { 11, 100 }, new[] { 3, 3 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }];
        yield return [1, 2, new[] { 10, 97 }, new[] { 3, 3 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 0, 0, 1, 1 }];
        yield return [1, 2, new[] { 9, 66 }, new[] { 3, 3 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 1, 1, 0, 0 }];
        yield return [1, 4, new[] { 14, 14 }, new[] { 3, 3 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 0, 0, 1, 1 }];
        yield return [1, 5, new[] { 14, 14 }, new[] { 3, 3 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }];
        yield return [1, 6, new[] { 7, 7 }, new[] { 3, 3 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }];
        yield return [1, 3, new[] { 5, 33 }, new[] { 3, 3 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }];
        yield return [1, 3, new[] { 6, 32 }, new[] { 3, 3 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }];
        // The direct 5x5 stride-1 kernel: several vectors per row, whole-vector rows, one- and two-column pads.
        yield return [1, 3, new[] { 9, 70 }, new[] { 5, 5 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 2, 2, 2, 2 }];
        yield return [2, 3, new[] { 6, 37 }, new[] { 5, 5 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 2, 1, 1, 2 }];
        yield return [1, 4, new[] { 5, 16 }, new[] { 5, 5 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 2, 2, 2, 2 }];
        yield return [1, 5, new[] { 4, 3 }, new[] { 5, 5 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 2, 2, 2, 2 }];
        yield return [1, 3, new[] { 9, 90 }, new[] { 5, 5 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 2, 2, 2, 2 }];
        yield return [2, 3, new[] { 7, 71 }, new[] { 5, 5 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 2, 1, 2, 2 }];
        yield return [1, 4, new[] { 6, 33 }, new[] { 5, 5 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 2, 2, 2, 2 }];
        yield return [1, 2, new[] { 10, 64 }, new[] { 5, 5 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 1, 2, 2, 1 }];
        // Top pads wider than the filter's reach above (rows read the zero row), on each direct kernel.
        yield return [1, 3, new[] { 9, 40 }, new[] { 3, 3 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 2, 1, 0, 1 }];
        yield return [1, 3, new[] { 9, 40 }, new[] { 3, 3 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 2, 1, 2, 0 }];
        yield return [1, 4, new[] { 6, 6 }, new[] { 3, 3 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 2, 1, 1, 1 }];
        yield return [1, 3, new[] { 8, 40 }, new[] { 5, 5 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 3, 2, 1, 2 }];
        // Narrow planes: two planes per vector (odd plane counts leave one plane for the one-plane kernel).
        yield return [2, 7, new[] { 8, 8 }, new[] { 3, 3 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }];
        yield return [2, 5, new[] { 13, 13 }, new[] { 3, 3 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }];
        yield return [1, 3, new[] { 15, 15 }, new[] { 3, 3 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }];
        yield return [1, 4, new[] { 6, 5 }, new[] { 3, 3 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 0, 1, 1, 0 }];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesNaiveReferenceOnEveryPathAndActivation(int batch, int channels, int[] spatial, int[] kernel, int[] strides, int[] dilations, int[] pads)
    {
        var outSp = new[] { Out(spatial[0], kernel[0], strides[0], dilations[0], pads[0], pads[2]), Out(spatial[1], kernel[1], strides[1], dilations[1], pads[1], pads[3]) };
        var g = ConvGeometry.Create(batch, channels, channels, channels, spatial, outSp, kernel, strides, dilations, pads);
        var rnd = new Random(channels * 977 + g.OutSize);
        var x = Random(rnd, batch * channels * g.InSize);
        var w = Random(rnd, channels * g.KernelSize);
        var b = Random(rnd, channels);
        var z = Random(rnd, batch * channels * g.OutSize);
        GemmEpilogue[] acts =
        [
            GemmEpilogue.None,
            new GemmEpilogue { Activation = FusedActivation.Relu },
            new GemmEpilogue { Activation = FusedActivation.Clip, Min = -0.3f, Max = 0.4f },
            new GemmEpilogue { Activation = FusedActivation.LeakyRelu, Alpha = 0.1f },
        ];
        using var pool = new IntraOpPool(2);
        for (int a = 0; a < acts.Length; a++)
        {
            bool accumulate = a % 2 == 1;
            bool withBias = a != 2;
            var expected = Reference(g, x, w, withBias ? b : null, acts[a], accumulate ? z : null);
            foreach (var isa in Enum.GetValues<IsaPath>())
            {
                var y = accumulate ? (float[])z.Clone() : new float[expected.Length];
                fixed (float* px = x, pw = w, pb = b, py = y)
                    DepthwiseConvF32.Forward(g, px, py, pw, withBias ? pb : null, acts[a], isa == IsaPath.V256 ? null : pool, accumulate, isa);
                for (int i = 0; i < y.Length; i++)
                    Assert.True(Math.Abs(expected[i] - y[i]) <= 1e-4f * (1 + Math.Abs(expected[i])), $"{isa} {acts[a].Activation}: element {i}: expected {expected[i]}, got {y[i]}");
            }
        }
    }

    [Theory]
    [InlineData(FusedActivation.Relu)]
    [InlineData(FusedActivation.Clip)]
    public void NaNPassesThroughTheFusedClamp(FusedActivation activation)
    {
        foreach (int width in new[] { 7, 14, 30 }) // flat sweep (7) and row-wise sweep (14, 30) on AVX-512
        {
            var g = ConvGeometry.Create(1, 2, 2, 2, [9, width], [9, width], [3, 3], [1, 1], [1, 1], [1, 1, 1, 1]);
            var x = Random(new Random(3), 2 * g.InSize);
            var w = Random(new Random(4), 2 * 9);
            x[g.InSize + 2 * width + 3] = float.NaN;
            var act = new GemmEpilogue { Activation = activation, Min = -0.5f, Max = 0.5f };
            var expected = Reference(g, x, w, null, act, null);
            foreach (var isa in Enum.GetValues<IsaPath>())
            {
                var y = new float[expected.Length];
                fixed (float* px = x, pw = w, py = y)
                    DepthwiseConvF32.Forward(g, px, py, pw, null, act, null, false, isa);
                for (int i = 0; i < y.Length; i++)
                    Assert.True(float.IsNaN(expected[i]) ? float.IsNaN(y[i]) : Math.Abs(expected[i] - y[i]) <= 1e-4f, $"{isa} width {width}: element {i}: expected {expected[i]}, got {y[i]}");
            }
        }
    }

    [Fact]
    public void ConvF32RoutesDepthwiseToTheDirectKernel()
    {
        var g = ConvGeometry.Create(1, 8, 8, 8, [10, 10], [5, 5], [3, 3], [2, 2], [1, 1], [1, 1, 0, 0]);
        var rnd = new Random(5);
        var x = Random(rnd, 8 * 100);
        var w = Random(rnd, 8 * 9);
        var expected = Reference(g, x, w, null, GemmEpilogue.None, null);
        var y = new float[expected.Length];
        fixed (float* px = x, pw = w, py = y)
        {
            using var conv = new ConvF32(pw, 8, 1, 8, 1, 3, 3);
            Assert.True(conv.IsDepthwise);
            conv.Forward(g, px, py, null, GemmEpilogue.None, null);
        }
        for (int i = 0; i < y.Length; i++) Assert.Equal(expected[i], y[i], 1e-4f);
    }
}
