using Onyx.Kernels.Conv;
using Onyx.Kernels.Gemm;
using Onyx.Kernels.Pool;
using Onyx.Kernels.Threading;
using Xunit;

namespace Onyx.Kernels.Tests.Conv;

public unsafe class ConvF32Tests
{
    static ConvF32Tests() => KernelIsa.EmulateAll = true;

    internal static float[] Random(Random r, int n)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(r.NextDouble() * 2 - 1);
        return x;
    }

    internal static int Out(int i, int k, int s, int d, int pb, int pe) => (i + pb + pe - d * (k - 1) - 1) / s + 1;

    /// <summary>Naive N-D convolution straight from the ONNX definition.</summary>
    internal static float[] Reference(in ConvGeometry g, float[] x, float[] w, float[]? b, GemmEpilogue act, float[]? z = null)
    {
        var y = new float[g.Batch * g.OutChannels * g.OutSize];
        int cinG = g.InPerGroup, coutG = g.OutPerGroup;
        for (int n = 0; n < g.Batch; n++)
            for (int m = 0; m < g.OutChannels; m++)
            {
                int grp = m / coutG;
                for (int od = 0; od < g.OD; od++)
                    for (int oh = 0; oh < g.OH; oh++)
                        for (int ow = 0; ow < g.OW; ow++)
                        {
                            double s = (b?[m] ?? 0) + (z?[(((n * g.OutChannels + m) * g.OD + od) * g.OH + oh) * g.OW + ow] ?? 0);
                            for (int c = 0; c < cinG; c++)
                                for (int kd = 0; kd < g.KD; kd++)
                                    for (int kh = 0; kh < g.KH; kh++)
                                        for (int kw = 0; kw < g.KW; kw++)
                                        {
                                            int id = od * g.SD - g.PD + kd * g.DD, ih = oh * g.SH - g.PH + kh * g.DH, iw = ow * g.SW - g.PW + kw * g.DW;
                                            if (id < 0 || id >= g.ID || ih < 0 || ih >= g.IH || iw < 0 || iw >= g.IW) continue;
                                            int ci = grp * cinG + c;
                                            s += (double)x[(((n * g.InChannels + ci) * g.ID + id) * g.IH + ih) * g.IW + iw]
                                                * w[(((m * cinG + c) * g.KD + kd) * g.KH + kh) * g.KW + kw];
                                        }
                            y[(((n * g.OutChannels + m) * g.OD + od) * g.OH + oh) * g.OW + ow] = act.Activate((float)s);
                        }
            }
        return y;
    }

    public static IEnumerable<object[]> Cases()
    {
        // batch, cin, cout, group, spatial, kernel, stride, dilation, pads(begin..., end...)
        yield return [1, 3, 8, 1, new[] { 9, 11 }, new[] { 3, 3 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }];
        yield return [2, 4, 13, 1, new[] { 7, 6 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }]; // pointwise
        yield return [1, 5, 7, 1, new[] { 10, 9 }, new[] { 3, 2 }, new[] { 2, 3 }, new[] { 2, 1 }, new[] { 0, 1, 2, 1 }];
        yield return [1, 6, 6, 6, new[] { 12, 13 }, new[] { 3, 3 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }]; // depthwise
        yield return [2, 8, 8, 8, new[] { 11, 10 }, new[] { 5, 3 }, new[] { 2, 2 }, new[] { 1, 2 }, new[] { 2, 0, 1, 3 }]; // depthwise strided
        yield return [1, 8, 12, 4, new[] { 9, 9 }, new[] { 3, 3 }, new[] { 1, 2 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }]; // grouped
        yield return [1, 4, 8, 4, new[] { 9, 9 }, new[] { 3, 3 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }]; // depth multiplier 2
        yield return [2, 3, 5, 1, new[] { 17 }, new[] { 4 }, new[] { 3 }, new[] { 2 }, new[] { 2, 1 }]; // 1-D
        yield return [1, 2, 3, 1, new[] { 5, 6, 4 }, new[] { 2, 3, 2 }, new[] { 1, 2, 1 }, new[] { 1, 1, 2 }, new[] { 1, 0, 1, 0, 1, 1 }]; // 3-D
        yield return [2, 16, 20, 1, new[] { 40, 37 }, new[] { 3, 3 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }]; // several chunks, threaded
        yield return [1, 70, 40, 1, new[] { 8, 8 }, new[] { 3, 3 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }]; // K > KC
        yield return [1, 20, 100, 1, new[] { 7, 7 }, new[] { 3, 3 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }]; // few strips: threads split output channels
        yield return [3, 16, 40, 1, new[] { 9, 11 }, new[] { 3, 3 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }]; // thread strip ranges cross images
        yield return [2, 24, 60, 2, new[] { 10, 10 }, new[] { 3, 3 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }]; // strided, grouped, threaded
        yield return [1, 600, 16, 1, new[] { 7, 7 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }]; // pointwise, K > KC
        // 1x1 convs read their input in place: few output channels (16, 24: 12-row panel tails), a partial last strip, K over one block.
        yield return [1, 32, 16, 1, new[] { 23, 21 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }];
        yield return [2, 96, 24, 1, new[] { 19, 17 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }];
        yield return [1, 700, 20, 2, new[] { 12, 11 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }];
        // Small maps: the v512 path runs the GEMM transposed (positions as rows), then transposes back.
        yield return [1, 64, 48, 1, new[] { 7, 7 }, new[] { 3, 3 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }];
        yield return [2, 300, 32, 1, new[] { 5, 5 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }];
        yield return [1, 64, 64, 2, new[] { 6, 6 }, new[] { 3, 3 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }];
        yield return [1, 40, 80, 1, new[] { 13, 13 }, new[] { 3, 3 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }];
        // Small-map 1x1 convs, output channels a multiple of 16: the v512 pixel-major path (ConvF32.Pointwise.cs) with a
        // 16-channel last strip, grouped and batched items split across threads, 14 full pixel blocks, odd K, one pixel.
        yield return [1, 40, 48, 1, new[] { 7, 7 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }];
        yield return [3, 24, 64, 2, new[] { 5, 9 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }];
        yield return [1, 96, 144, 1, new[] { 14, 14 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }];
        yield return [1, 17, 16, 1, new[] { 3, 5 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }];
        yield return [2, 5, 32, 1, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }];
        // 16 x 16 tiles (Panel16KernelV512): large-map 1x1 convs with 16, 32, 96 output channels per group (a masked last
        // strip, groups, whole strips), and few-tap direct convs with output channels in whole vectors (stride 2 with a
        // masked last strip, stride 1 batched, dilated with uneven pads).
        yield return [2, 20, 32, 2, new[] { 17, 19 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }];
        yield return [1, 48, 32, 1, new[] { 16, 20 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }];
        yield return [1, 16, 96, 1, new[] { 17, 23 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }];
        yield return [1, 3, 32, 1, new[] { 56, 57 }, new[] { 3, 3 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }];
        yield return [2, 3, 16, 1, new[] { 12, 30 }, new[] { 3, 3 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }];
        yield return [1, 2, 48, 1, new[] { 20, 61 }, new[] { 3, 2 }, new[] { 1, 2 }, new[] { 2, 1 }, new[] { 1, 0, 2, 1 }];
        // Winograd F(4x4,3x3) (v512, 3x3 stride 1, C*M*positions >= 2^19), with a map that is not whole tiles and a threaded batch.
        yield return [1, 32, 32, 1, new[] { 24, 24 }, new[] { 3, 3 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }];
        yield return [2, 48, 40, 1, new[] { 18, 15 }, new[] { 3, 3 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 0, 1, 1, 0 }];
        // Direct few-tap convs (SmallConv): MNIST's first layer and a MobileNet-style stride-2 stem.
        yield return [1, 1, 8, 1, new[] { 28, 28 }, new[] { 5, 5 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 2, 2, 2, 2 }];
        yield return [1, 3, 32, 1, new[] { 33, 31 }, new[] { 3, 3 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }];
        // Depthwise direct kernels (3x3 stride 2, 5x5 stride 1) on maps wider than one vector.
        yield return [1, 20, 20, 20, new[] { 21, 37 }, new[] { 3, 3 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }];
        yield return [1, 12, 12, 12, new[] { 19, 35 }, new[] { 5, 5 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 2, 2, 2, 2 }];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesNaiveReferenceOnEveryPath(int batch, int cin, int cout, int group, int[] spatial, int[] kernel, int[] strides, int[] dilations, int[] pads)
    {
        var rnd = new Random(batch * 131 + cin * 17 + cout);
        int r = spatial.Length;
        var outSp = new int[r];
        for (int a = 0; a < r; a++) outSp[a] = Out(spatial[a], kernel[a], strides[a], dilations[a], pads[a], pads[r + a]);
        var g = ConvGeometry.Create(batch, cin, cout, group, spatial, outSp, kernel, strides, dilations, pads);
        var x = Random(rnd, batch * cin * g.InSize);
        var w = Random(rnd, cout * (cin / group) * g.KernelSize);
        var b = Random(rnd, cout);
        var act = new GemmEpilogue { Activation = FusedActivation.LeakyRelu, Alpha = 0.2f };
        var expected = Reference(g, x, w, b, act);
        using var pool = new IntraOpPool(2);
        foreach (var isa in Enum.GetValues<IsaPath>())
        {
            var y = new float[expected.Length];
            fixed (float* px = x, pw = w, pb = b, py = y)
            {
                using var conv = new ConvF32(pw, cout, cin / group, group, g.KD, g.KH, g.KW, isa);
                conv.Forward(g, px, py, pb, act, isa == IsaPath.Scalar ? null : pool);
            }
            for (int i = 0; i < y.Length; i++)
                Assert.True(Math.Abs(expected[i] - y[i]) <= 1e-4f * (1 + Math.Abs(expected[i])), $"{isa}: element {i}: expected {expected[i]}, got {y[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ResidualAccumulateThenActivation(int batch, int cin, int cout, int group, int[] spatial, int[] kernel, int[] strides, int[] dilations, int[] pads)
    {
        var rnd = new Random(cin * 7 + cout);
        int r = spatial.Length;
        var outSp = new int[r];
        for (int a = 0; a < r; a++) outSp[a] = Out(spatial[a], kernel[a], strides[a], dilations[a], pads[a], pads[r + a]);
        var g = ConvGeometry.Create(batch, cin, cout, group, spatial, outSp, kernel, strides, dilations, pads);
        var x = Random(rnd, batch * cin * g.InSize);
        var w = Random(rnd, cout * (cin / group) * g.KernelSize);
        var b = Random(rnd, cout);
        var act = new GemmEpilogue { Activation = FusedActivation.Relu };
        var z = Random(rnd, batch * cout * g.OutSize);
        var expected = Reference(g, x, w, b, act, z);
        var y = (float[])z.Clone();
        using var pool = new IntraOpPool(2);
        fixed (float* px = x, pw = w, pb = b, py = y)
        {
            using var conv = new ConvF32(pw, cout, cin / group, group, g.KD, g.KH, g.KW);
            conv.Forward(g, px, py, pb, act, pool, accumulate: true);
        }
        for (int i = 0; i < y.Length; i++)
            Assert.True(Math.Abs(expected[i] - y[i]) <= 1e-4f * (1 + Math.Abs(expected[i])), $"element {i}: expected {expected[i]}, got {y[i]}");
    }

    [Fact]
    public void ConvTransposeIsTheAdjointOfConv()
    {
        // <convT(x), z> == <x, conv(z)> for the same filter read with swapped channel roles.
        var rnd = new Random(9);
        int c = 4, m = 6, group = 2; // convT: C=4 in, M=6 out
        int[] ySp = [9, 8], kernel = [3, 2], strides = [2, 1], dil = [1, 2], pads = [1, 0, 1, 1];
        var xSp = new int[2];
        for (int a = 0; a < 2; a++) xSp[a] = Out(ySp[a], kernel[a], strides[a], dil[a], pads[a], pads[2 + a]);
        var g = ConvGeometry.Create(1, m, c, group, ySp, xSp, kernel, strides, dil, pads);
        var w = Random(rnd, c * (m / group) * g.KernelSize); // [C, M/g, k]
        var x = Random(rnd, c * g.OutSize);
        var z = Random(rnd, m * g.InSize);
        var y = new float[m * g.InSize];
        var convZ = new float[c * g.OutSize];
        // The forward conv with this filter as [C, M/g, k] (C outputs, M/g inputs per group).
        fixed (float* pw = w, px = x, pz = z, py = y, pcz = convZ)
        {
            using var t = new ConvTransposeF32(pw, c, m / group, group, g.KernelSize);
            t.Forward(g, px, py, null, null);
            using var f = new ConvF32(pw, c, m / group, group, g.KD, g.KH, g.KW);
            f.Forward(g, pz, pcz, null, default, null);
        }
        double lhs = 0, rhs = 0;
        for (int i = 0; i < y.Length; i++) lhs += (double)y[i] * z[i];
        for (int i = 0; i < x.Length; i++) rhs += (double)x[i] * convZ[i];
        Assert.True(Math.Abs(lhs - rhs) < 1e-3 * (1 + Math.Abs(lhs)), $"{lhs} vs {rhs}");
    }

    [Fact]
    public void AveragePoolCountIncludePadAndCeilOverflow()
    {
        // 1x1x3x3 ones, kernel 2, stride 2, pads [1,1,0,0]; out 2x2 (plus a ceil column that overflows).
        var x = Enumerable.Repeat(1f, 9).ToArray();
        var g = ConvGeometry.Create(1, 1, 1, 1, [3, 3], [2, 2], [2, 2], [2, 2], [1, 1], [1, 1, 0, 0]);
        var y = new float[4];
        fixed (float* px = x, py = y) Pooling.Average(g, 1, px, py, countIncludePad: true);
        Assert.Equal(new[] { 0.25f, 0.5f, 0.5f, 1f }, y);
        fixed (float* px = x, py = y) Pooling.Average(g, 1, px, py, countIncludePad: false);
        Assert.Equal(new[] { 1f, 1f, 1f, 1f }, y);
    }
}
