using System.Runtime.Intrinsics.X86;
using Onyx.Kernels.Conv;
using Onyx.Kernels.Gemm;
using Onyx.Kernels.Threading;
using Xunit;

namespace Onyx.Kernels.Tests.Conv;

/// <summary>ConvF32's Winograd F(4x4, 3x3) path against the naive convolution.</summary>
public unsafe class WinogradTests
{
    public static IEnumerable<object[]> Cases()
    {
        // batch, cin, cout, h, w, pads (top, left, bottom, right)
        yield return [1, 32, 32, 9, 11, new[] { 1, 1, 1, 1 }];
        yield return [2, 40, 48, 7, 7, new[] { 1, 1, 1, 1 }];      // channel tails (40 = 2.5 x 16), 7x7 maps, few tiles
        yield return [1, 33, 35, 13, 6, new[] { 0, 0, 0, 0 }];     // no pads, odd channels
        yield return [1, 64, 32, 17, 20, new[] { 0, 1, 2, 1 }];    // asymmetric pads, 16-pixel pack blocks plus tails
        yield return [2, 32, 64, 40, 37, new[] { 1, 1, 1, 1 }];    // many tiles: several blocks per thread
        yield return [1, 48, 32, 3, 3, new[] { 2, 2, 2, 2 }];      // pads bigger than the map
        yield return [1, 16, 24, 57, 30, new[] { 1, 1, 1, 1 }];    // fewest channels, 24 -> one padded 32-column strip
    }

    public static IEnumerable<object[]> Activations()
    {
        yield return [FusedActivation.None];
        yield return [FusedActivation.Relu];
        yield return [FusedActivation.Clip];
        yield return [FusedActivation.LeakyRelu];
    }

    private static GemmEpilogue Act(FusedActivation a) =>
        new() { Activation = a, Min = -0.5f, Max = 0.75f, Alpha = 0.2f };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesNaiveConvolution(int batch, int cin, int cout, int h, int w, int[] pads)
    {
        foreach (var a in Enum.GetValues<FusedActivation>())
            foreach (bool accumulate in new[] { false, true })
                foreach (int threads in new[] { 1, 2 })
                    Check(batch, cin, cout, h, w, pads, Act(a), accumulate, threads, bias: a != FusedActivation.Clip, prepacked: false);
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void BuildsFromTheGemmLayoutOnceTheRawCopyIsGone(FusedActivation a)
    {
        // PackFor at session load packs the im2col layout and frees the raw weights; Winograd then unpacks that.
        Check(1, 48, 40, 14, 14, [1, 1, 1, 1], Act(a), accumulate: false, threads: 2, bias: true, prepacked: true);
    }

    private static void Check(int batch, int cin, int cout, int h, int w, int[] pads, GemmEpilogue act, bool accumulate, int threads, bool bias, bool prepacked)
    {
        var rnd = new Random(batch * 1000 + cin * 31 + cout + h);
        int oh = ConvF32Tests.Out(h, 3, 1, 1, pads[0], pads[2]), ow = ConvF32Tests.Out(w, 3, 1, 1, pads[1], pads[3]);
        var g = ConvGeometry.Create(batch, cin, cout, 1, [h, w], [oh, ow], [3, 3], [1, 1], [1, 1], pads);
        var x = ConvF32Tests.Random(rnd, batch * cin * h * w);
        var wt = ConvF32Tests.Random(rnd, cout * cin * 9);
        var b = bias ? ConvF32Tests.Random(rnd, cout) : null;
        var z = accumulate ? ConvF32Tests.Random(rnd, batch * cout * oh * ow) : null;
        var expected = ConvF32Tests.Reference(g, x, wt, b, act, z);
        // Winograd's rounding error scales with the pre-activation outputs (Clip alone would hide it).
        double scale = ConvF32Tests.Reference(g, x, wt, b, default, z).Max(v => Math.Abs(v));
        var y = z is null ? new float[expected.Length] : (float[])z.Clone();
        if (z is null) Array.Fill(y, float.NaN); // the path must write every element
        using var pool = threads > 1 ? new IntraOpPool(threads) : null;
        fixed (float* px = x, pw = wt, pb = b, py = y)
        {
            using var conv = new ConvF32(pw, cout, cin, 1, 1, 3, 3, IsaPath.V512);
            conv.WinogradMinWork = 0; // odd small shapes too (the default gate sends them to im2col)
            if (prepacked) conv.PackFor(oh * ow, true);
            Assert.Equal(Avx512F.IsSupported, conv.WinogradApplies(g));
            conv.Forward(g, px, py, pb, act, pool, accumulate);
        }
        double worst = 0;
        for (int i = 0; i < y.Length; i++)
        {
            Assert.False(float.IsNaN(y[i]), $"element {i} not written");
            worst = Math.Max(worst, Math.Abs(expected[i] - y[i]));
        }
        Console.WriteLine($"winograd {batch}x{cin}->{cout} {h}x{w} {act.Activation} acc={accumulate} t={threads}: max abs err {worst:E2}, max |y| {scale:F2}");
        Assert.True(worst <= 1e-5 * Math.Max(1, scale), $"{act.Activation} acc={accumulate} t={threads}: max error {worst} at output scale {scale}");
    }

    [Fact]
    public void AStridedCallAfterWinogradStillFindsTheRawFilter()
    {
        // The Winograd build keeps the raw weights, so a later call with another geometry can pack the GEMM panels.
        var rnd = new Random(11);
        int cin = 32, cout = 40;
        var wt = ConvF32Tests.Random(rnd, cout * cin * 9);
        var act = Act(FusedActivation.Relu);
        fixed (float* pw = wt)
        {
            using var conv = new ConvF32(pw, cout, cin, 1, 1, 3, 3, IsaPath.V512);
            foreach (int stride in new[] { 1, 2 })
            {
                int o = ConvF32Tests.Out(30, 3, stride, 1, 1, 1);
                var g = ConvGeometry.Create(1, cin, cout, 1, [30, 30], [o, o], [3, 3], [stride, stride], [1, 1], [1, 1, 1, 1]);
                Assert.Equal(stride == 1 && Avx512F.IsSupported, conv.WinogradApplies(g));
                var x = ConvF32Tests.Random(rnd, cin * 900);
                var expected = ConvF32Tests.Reference(g, x, wt, null, act);
                var y = new float[expected.Length];
                fixed (float* px = x, py = y) conv.Forward(g, px, py, null, act, null);
                for (int i = 0; i < y.Length; i++)
                    Assert.True(Math.Abs(expected[i] - y[i]) <= 1e-4f * (1 + Math.Abs(expected[i])), $"stride {stride}: element {i}: expected {expected[i]}, got {y[i]}");
            }
        }
    }

    [Fact]
    public void Transpose16SwapsRowsAndColumns()
    {
        if (!Avx512F.IsSupported) return;
        var src = new float[16 * 20];
        var dst = new float[16 * 18];
        for (int i = 0; i < src.Length; i++) src[i] = i;
        fixed (float* s = src, d = dst) WinogradTiles.Transpose16(s + 1, 20, d, 18);
        for (int r = 0; r < 16; r++)
            for (int c = 0; c < 16; c++)
                Assert.Equal(src[c * 20 + 1 + r], dst[r * 18 + c]);
    }

    [Fact]
    public void SmallWorkFewChannelsAndStridesStayOnTheGemmPaths()
    {
        var weights = new float[32 * 32 * 9];
        var strided = ConvGeometry.Create(1, 32, 32, 1, [29, 29], [15, 15], [3, 3], [2, 2], [1, 1], [1, 1, 1, 1]);
        var dilated = ConvGeometry.Create(1, 32, 32, 1, [29, 29], [27, 27], [3, 3], [1, 1], [2, 2], [1, 1, 1, 1]);
        var small = ConvGeometry.Create(1, 32, 32, 1, [14, 14], [14, 14], [3, 3], [1, 1], [1, 1], [1, 1, 1, 1]);
        var narrow = ConvGeometry.Create(1, 8, 32, 1, [56, 56], [56, 56], [3, 3], [1, 1], [1, 1], [1, 1, 1, 1]);
        var wide = ConvGeometry.Create(1, 32, 32, 1, [28, 28], [28, 28], [3, 3], [1, 1], [1, 1], [1, 1, 1, 1]);
        fixed (float* w = weights)
        {
            using var conv32 = new ConvF32(w, 32, 32, 1, 1, 3, 3, IsaPath.V512);
            using var conv8 = new ConvF32(w, 32, 8, 1, 1, 3, 3, IsaPath.V512);
            using var scalar = new ConvF32(w, 32, 32, 1, 1, 3, 3, IsaPath.Scalar);
            using var avx2 = new ConvF32(w, 32, 32, 1, 1, 3, 3, IsaPath.V256);
            Assert.False(conv32.WinogradApplies(strided));
            Assert.False(conv32.WinogradApplies(dilated));
            Assert.False(conv32.WinogradApplies(small));
            Assert.False(conv8.WinogradApplies(narrow));
            Assert.False(scalar.WinogradApplies(wide));
            Assert.False(avx2.WinogradApplies(wide));
            Assert.Equal(Avx512F.IsSupported, conv32.WinogradApplies(wide));
        }
        // 512 -> 512 on one 7x7 map: 38 MB of transformed filter for 4 tiles stays direct; a batch of 4 shares it.
        var big = new float[512 * 512 * 9];
        fixed (float* w = big)
        {
            using var conv512 = new ConvF32(w, 512, 512, 1, 1, 3, 3, IsaPath.V512);
            Assert.False(conv512.WinogradApplies(ConvGeometry.Create(1, 512, 512, 1, [7, 7], [7, 7], [3, 3], [1, 1], [1, 1], [1, 1, 1, 1])));
            Assert.Equal(Avx512F.IsSupported, conv512.WinogradApplies(ConvGeometry.Create(4, 512, 512, 1, [7, 7], [7, 7], [3, 3], [1, 1], [1, 1], [1, 1, 1, 1])));
        }
    }
}
