using Onyx.Kernels.Conv;
using Onyx.Kernels.Gemm;
using Onyx.Kernels.Threading;
using Xunit;

namespace Onyx.Kernels.Tests.Conv;

/// <summary>
/// The conv paths' thread splits give the same bits as one thread: small maps split by output positions
/// (transposed GEMM), few-strip maps gathering shared windows, the parallel window gather itself, and the
/// few-tap direct path whose threads pad their own input rows.
/// </summary>
public unsafe class ConvF32ThreadingTests
{
    static ConvF32ThreadingTests() => KernelIsa.EmulateAll = true;

    public static IEnumerable<object[]> Cases()
    {
        // batch, cin, cout, group, spatial, kernel, stride, pad
        yield return [1, 96, 64, 1, 14, 3, 2, 1];   // transposed, 3x3 stride 2 onto 7x7, 2 channel strips: positions split 25 | 24
        yield return [1, 64, 64, 1, 28, 3, 2, 1];   // transposed onto 14x14: positions split 98 | 98
        yield return [1, 64, 256, 1, 13, 3, 2, 1];  // transposed onto 7x7, 8 channel strips: shared gather, GEMM split by channels
        yield return [1, 32, 512, 1, 13, 3, 2, 1];  // ... and the store split by channels (49 x 512)
        yield return [1, 320, 128, 1, 7, 1, 1, 0];  // transposed 1x1: the input read in place from each thread's first position
        yield return [2, 128, 64, 2, 13, 3, 2, 1];  // transposed, grouped, two images
        yield return [1, 40, 100, 1, 7, 3, 1, 1];   // 100 channels (not whole vectors): shared windows, 2 strips
        yield return [1, 24, 50, 1, 14, 3, 1, 1];   // shared windows, 7 strips split between the threads
        yield return [1, 160, 100, 1, 5, 3, 1, 1];  // shared windows, one strip split by input channels
        yield return [1, 3, 32, 1, 119, 3, 2, 1];   // RGB stem in 16 x 16 tiles: each thread pads the rows it reads
        yield return [1, 2, 16, 1, 50, 5, 1, 2];    // ... stride 1, 5x5 (four halo rows)
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TwoThreadsGiveTheSameBitsAsOne(int batch, int cin, int cout, int group, int hw, int k, int stride, int pad)
    {
        int o = (hw + 2 * pad - k) / stride + 1;
        var g = ConvGeometry.Create(batch, cin, cout, group, [hw, hw], [o, o], [k, k], [stride, stride], [1, 1], [pad, pad, pad, pad]);
        var rnd = new Random(cin * 31 + cout);
        var x = ConvF32Tests.Random(rnd, batch * cin * g.InSize);
        var w = ConvF32Tests.Random(rnd, cout * (cin / group) * k * k);
        var b = ConvF32Tests.Random(rnd, cout);
        var z = ConvF32Tests.Random(rnd, batch * cout * g.OutSize);
        var act = new GemmEpilogue { Activation = FusedActivation.Clip, Min = -0.5f, Max = 0.75f };
        using var pool = new IntraOpPool(2);
        foreach (var isa in new[] { IsaPath.V512, IsaPath.V256 })
            foreach (bool accumulate in new[] { false, true })
            {
                var one = (float[])z.Clone();
                var two = (float[])z.Clone();
                fixed (float* px = x, pw = w, pb = b, p1 = one, p2 = two)
                {
                    using var conv = new ConvF32(pw, cout, cin / group, group, 1, k, k, isa);
                    conv.Forward(g, px, p1, pb, act, null, accumulate);
                    conv.Forward(g, px, p2, pb, act, pool, accumulate);
                }
                var expected = ConvF32Tests.Reference(g, x, w, b, act, accumulate ? z : null);
                for (int i = 0; i < one.Length; i++)
                {
                    Assert.True(BitConverter.SingleToInt32Bits(one[i]) == BitConverter.SingleToInt32Bits(two[i]), $"{isa} accumulate={accumulate}: element {i}: one thread {one[i]}, two {two[i]}");
                    Assert.True(Math.Abs(expected[i] - one[i]) <= 1e-4f * (1 + Math.Abs(expected[i])), $"{isa}: element {i}: expected {expected[i]}, got {one[i]}");
                }
            }
    }

    [Theory]
    [InlineData(64, 28, 28, 3, 2, 32)]  // 196 positions: 7 strips split between the threads
    [InlineData(200, 7, 7, 3, 1, 64)]   // 49 positions as one 64-lane strip: split by input channels
    [InlineData(9, 12, 12, 3, 1, 32)]   // below the threshold: one thread
    public void ParallelGatherMatchesSerial(int channels, int ih, int iw, int k, int stride, int nr)
    {
        int oh = (ih + 2 - k) / stride + 1, ow = (iw + 2 - k) / stride + 1;
        var g = ConvGeometry.Create(1, channels, 8, 1, [ih, iw], [oh, ow], [k, k], [stride, stride], [1, 1], [1, 1, 1, 1]);
        var x = ConvF32Tests.Random(new Random(channels), channels * ih * iw);
        int count = oh * ow, strips = (count + nr - 1) / nr;
        var serial = new float[strips * channels * k * k * nr];
        var parallel = new float[serial.Length];
        Array.Fill(serial, float.NaN);
        Array.Fill(parallel, float.NaN);
        using var pool = new IntraOpPool(2);
        fixed (float* px = x, ps = serial, pp = parallel)
        {
            Im2Col.GatherPacked(g, px, channels, 0, count, ps, nr);
            Im2ColParallel.GatherPacked(g, px, channels, 0, count, pp, nr, pool);
        }
        for (int i = 0; i < serial.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(serial[i]) == BitConverter.SingleToInt32Bits(parallel[i]), $"float {i}: serial {serial[i]}, parallel {parallel[i]}");
    }
}
