using Onyx.Kernels.Conv;
using Onyx.Kernels.Threading;
using Xunit;

namespace Onyx.Kernels.Tests.Conv;

/// <summary>ConvTransposeF32's exact-tiling path (kernel = stride, no pads) against the naive definition, on every ISA and thread count.</summary>
public unsafe class ConvTransposeF32Tests
{
    static ConvTransposeF32Tests() => KernelIsa.EmulateAll = true;

    /// <summary>y[n, g*mg + m, oh*kh' + i, ow*kw' + j] = sum over the group's c of x[n, c, oh, ow] * w[c, m, i, j] + b, in double.</summary>
    private static float[] Reference(int batch, int c, int mg, int group, int oh, int ow, int kh, int kw, float[] x, float[] w, float[]? b)
    {
        int m = mg * group, ih = oh * kh, iw = ow * kw, cg = c / group;
        var y = new float[batch * m * ih * iw];
        for (int n = 0; n < batch; n++)
            for (int g = 0; g < group; g++)
                for (int mm = 0; mm < mg; mm++)
                    for (int r = 0; r < ih; r++)
                        for (int s = 0; s < iw; s++)
                        {
                            double acc = b?[g * mg + mm] ?? 0;
                            for (int cc = 0; cc < cg; cc++)
                            {
                                int ci = g * cg + cc;
                                acc += (double)x[((n * c + ci) * oh + r / kh) * ow + s / kw] * w[((ci * mg + mm) * kh + r % kh) * kw + s % kw];
                            }
                            y[((n * m + g * mg + mm) * ih + r) * iw + s] = (float)acc;
                        }
        return y;
    }

    [Theory]
    [InlineData(1, 24, 24, 1, 97, 21, 2, 2)]  // PP-OCR's 2x2 upsampling shape, odd sizes: 16 + 5 column tail, 4 row chunks
    [InlineData(1, 24, 1, 1, 40, 40, 2, 2)]   // one output channel (PP-OCR's last upsampling)
    [InlineData(2, 6, 5, 2, 31, 17, 2, 2)]    // two images, two groups
    [InlineData(1, 8, 3, 1, 9, 11, 3, 3)]     // 3x3 stride 3: the scalar interleave
    [InlineData(1, 16, 7, 1, 33, 50, 2, 1)]   // 2x1 stride (2, 1)
    public void TiledPathMatchesTheDefinitionAndOneThread(int batch, int c, int mg, int group, int oh, int ow, int kh, int kw)
    {
        int ih = oh * kh, iw = ow * kw;
        var g = ConvGeometry.Create(batch, mg * group, c, group, [ih, iw], [oh, ow], [kh, kw], [kh, kw], [1, 1], [0, 0, 0, 0]);
        Assert.True(ConvTransposeF32.Tiles(g));
        var rnd = new Random(c * 13 + mg * 7 + oh);
        var x = ConvF32Tests.Random(rnd, batch * c * oh * ow);
        var w = ConvF32Tests.Random(rnd, c * mg * kh * kw);
        var b = ConvF32Tests.Random(rnd, mg * group);
        using var pool = new IntraOpPool(2);
        foreach (bool withBias in new[] { true, false })
        {
            var expected = Reference(batch, c, mg, group, oh, ow, kh, kw, x, w, withBias ? b : null);
            foreach (var isa in new[] { IsaPath.V512, IsaPath.V256, IsaPath.Scalar })
            {
                var one = new float[expected.Length];
                var two = new float[expected.Length];
                Array.Fill(one, float.NaN); // every element must be written: the path does not clear y first
                Array.Fill(two, float.NaN);
                fixed (float* px = x, pw = w, pb = b, p1 = one, p2 = two)
                {
                    using var t = new ConvTransposeF32(pw, c, mg, group, kh * kw, isa);
                    t.Forward(g, px, p1, withBias ? pb : null, null);
                    t.Forward(g, px, p2, withBias ? pb : null, pool);
                }
                for (int i = 0; i < expected.Length; i++)
                {
                    Assert.True(BitConverter.SingleToInt32Bits(one[i]) == BitConverter.SingleToInt32Bits(two[i]), $"{isa}: element {i}: one thread {one[i]}, two {two[i]}");
                    Assert.True(Math.Abs(expected[i] - one[i]) <= 1e-4f * (1 + Math.Abs(expected[i])), $"{isa} bias={withBias}: element {i}: expected {expected[i]}, got {one[i]}");
                }
            }
        }
    }

    [Fact]
    public void OverlappingOrPaddedFiltersDoNotTile()
    {
        Assert.False(ConvTransposeF32.Tiles(ConvGeometry.Create(1, 4, 4, 1, [19, 19], [10, 10], [3, 3], [2, 2], [1, 1], [1, 1, 1, 1])));
        Assert.False(ConvTransposeF32.Tiles(ConvGeometry.Create(1, 4, 4, 1, [21, 21], [10, 10], [2, 2], [2, 2], [1, 1], [0, 0, 1, 1]))); // output padding
        Assert.False(ConvTransposeF32.Tiles(ConvGeometry.Create(1, 4, 4, 1, [20, 20], [10, 10], [2, 2], [2, 2], [2, 2], [0, 0, 0, 0]))); // dilated
    }
}
