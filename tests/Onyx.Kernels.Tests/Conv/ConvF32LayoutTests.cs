using Onyx.Kernels.Conv;
using Onyx.Kernels.Gemm;
using Xunit;

namespace Onyx.Kernels.Tests.Conv;

/// <summary>ConvF32 packs the filter layout a call needs on first use and keeps one copy where it can.</summary>
public unsafe class ConvF32LayoutTests
{
    static ConvF32LayoutTests() => KernelIsa.EmulateAll = true;

    private static readonly GemmEpilogue Act = new() { Activation = FusedActivation.Relu };

    /// <summary>Runs <paramref name="conv"/> over <paramref name="spatial"/> (stride 1, same pads) and checks it against the naive conv.</summary>
    private static void RunAndCheck(ConvF32 conv, float[] w, int cin, int cout, int group, int[] spatial, int[] kernel)
    {
        int r = spatial.Length;
        var ones = Enumerable.Repeat(1, r).ToArray();
        var pads = kernel.Select(k => k / 2).Concat(kernel.Select(k => k / 2)).ToArray();
        var outSp = new int[r];
        for (int a = 0; a < r; a++) outSp[a] = ConvF32Tests.Out(spatial[a], kernel[a], 1, 1, pads[a], pads[r + a]);
        var g = ConvGeometry.Create(1, cin, cout, group, spatial, outSp, kernel, ones, ones, pads);
        var rnd = new Random(spatial[0] * 31 + cin);
        var x = ConvF32Tests.Random(rnd, cin * g.InSize);
        var b = ConvF32Tests.Random(rnd, cout);
        var expected = ConvF32Tests.Reference(g, x, w, b, Act);
        var y = new float[expected.Length];
        fixed (float* px = x, pb = b, py = y) conv.Forward(g, px, py, pb, Act, null);
        for (int i = 0; i < y.Length; i++)
            Assert.True(Math.Abs(expected[i] - y[i]) <= 1e-4f * (1 + Math.Abs(expected[i])), $"{string.Join("x", spatial)}: element {i}: expected {expected[i]}, got {y[i]}");
    }

    [Fact]
    public void ConstructorOnlyCopiesTheFilter()
    {
        var w = ConvF32Tests.Random(new Random(1), 48 * 64 * 9);
        fixed (float* pw = w)
        {
            using var conv = new ConvF32(pw, 48, 64, 1, 1, 3, 3, IsaPath.V512);
            Assert.Equal((true, false, false), conv.Held);
        }
    }

    [Fact]
    public void PackForBuildsTheLayoutTheShapeSelectsAtLoad()
    {
        int cin = 64, cout = 48;
        var w = ConvF32Tests.Random(new Random(4), cout * cin * 9);
        fixed (float* pw = w)
        {
            using (var small = new ConvF32(pw, cout, cin, 1, 1, 3, 3, IsaPath.V512))
            {
                small.PackFor(49, depthOne: true); // 7x7 map: the transposed GEMM
                Assert.Equal((false, false, true), small.Held);
                RunAndCheck(small, w, cin, cout, 1, [7, 7], [3, 3]);
                Assert.Equal((false, false, true), small.Held); // the first Run packed nothing more
            }
            using (var unknown = new ConvF32(pw, cout, cin, 1, 1, 3, 3, IsaPath.V512))
            {
                unknown.PackFor(null, depthOne: true); // shape unknown at load: the usual GEMM panels
                Assert.Equal((false, true, false), unknown.Held);
                RunAndCheck(unknown, w, cin, cout, 1, [20, 20], [3, 3]);
            }
        }
        var dw = ConvF32Tests.Random(new Random(5), 32 * 9);
        fixed (float* pw = dw)
        {
            using var depthwise = new ConvF32(pw, 32, 1, 32, 1, 3, 3, IsaPath.V512);
            depthwise.PackFor(400, depthOne: true); // the depthwise kernel reads the raw weights
            Assert.Equal((true, false, false), depthwise.Held);
        }
    }

    [Fact]
    public void SmallMapLayerKeepsOnlyTheTransposedLayoutThenRebuildsThePanelsFromIt()
    {
        int cin = 64, cout = 48;
        var w = ConvF32Tests.Random(new Random(2), cout * cin * 9);
        ConvF32 conv;
        fixed (float* pw = w) conv = new ConvF32(pw, cout, cin, 1, 1, 3, 3, IsaPath.V512);
        using (conv)
        {
            RunAndCheck(conv, w, cin, cout, 1, [7, 7], [3, 3]); // 49 positions: the transposed GEMM
            Assert.Equal((false, false, true), conv.Held);
            // 144 positions: im2col, panels unpacked from W^T (a bigger map would take the Winograd path instead).
            RunAndCheck(conv, w, cin, cout, 1, [12, 12], [3, 3]);
            Assert.Equal((false, true, true), conv.Held);
            RunAndCheck(conv, w, cin, cout, 1, [7, 7], [3, 3]);
        }
    }

    [Fact]
    public void LargeMapLayerKeepsOnlyThePanelsThenBuildsTheTransposedLayoutFromThem()
    {
        int cin = 64, cout = 64, group = 2;
        var w = ConvF32Tests.Random(new Random(3), cout * (cin / group) * 9);
        ConvF32 conv;
        fixed (float* pw = w) conv = new ConvF32(pw, cout, cin / group, group, 1, 3, 3, IsaPath.V512);
        using (conv)
        {
            RunAndCheck(conv, w, cin, cout, group, [18, 18], [3, 3]);
            Assert.Equal((false, true, false), conv.Held);
            RunAndCheck(conv, w, cin, cout, group, [6, 6], [3, 3]);
            Assert.Equal((false, true, true), conv.Held);
        }
    }

    [Fact]
    public void PointwiseLayerPacksWTransposedForSmallMapsAtLoadAndForLargeOnesOnFirstUse()
    {
        int cin = 40, cout = 48;
        var w = ConvF32Tests.Random(new Random(6), cout * cin);
        fixed (float* pw = w)
        {
            // 7x7: the pixel-major 1x1 path reads the W^T strips; the first Run packs nothing more.
            using (var small = new ConvF32(pw, cout, cin, 1, 1, 1, 1, IsaPath.V512))
            {
                small.PackFor(49, depthOne: true);
                Assert.Equal((false, false, true), small.Held);
                RunAndCheck(small, w, cin, cout, 1, [7, 7], [1, 1]);
                Assert.Equal((false, false, true), small.Held);
                // 32x32 (1024 positions, whole 32-lane strips): the 16 x 16 tiles, also on W^T.
                RunAndCheck(small, w, cin, cout, 1, [32, 32], [1, 1]);
                Assert.Equal((false, false, true), small.Held);
            }
            using (var large = new ConvF32(pw, cout, cin, 1, 1, 1, 1, IsaPath.V512))
            {
                // Load packs the panels (a 1x1 layer's strides are unknown there); the 16 x 16 tiles add W^T on first use.
                large.PackFor(1024, depthOne: true);
                Assert.Equal((false, true, false), large.Held);
                RunAndCheck(large, w, cin, cout, 1, [32, 32], [1, 1]);
                Assert.Equal((false, true, true), large.Held);
            }
        }
    }

    [Fact]
    public void DepthwiseKeepsTheRawFilterAndPacksOnlyForA3DInput()
    {
        int c = 8;
        var w = ConvF32Tests.Random(new Random(4), c * 9);
        ConvF32 conv;
        fixed (float* pw = w) conv = new ConvF32(pw, c, 1, c, 1, 3, 3);
        using (conv)
        {
            RunAndCheck(conv, w, c, c, c, [9, 10], [3, 3]);
            Assert.Equal((true, false, false), conv.Held);
        }
        // A 3-D depthwise conv with a depth-1 filter: ID > 1 leaves the direct kernel, so the panels are made then.
        fixed (float* pw = w) conv = new ConvF32(pw, c, 1, c, 1, 3, 3);
        using (conv)
        {
            RunAndCheck(conv, w, c, c, c, [3, 9, 10], [1, 3, 3]);
            Assert.Equal((true, true, false), conv.Held);
            RunAndCheck(conv, w, c, c, c, [9, 10], [3, 3]);
        }
    }

    [Fact]
    public void ConcurrentFirstCallsBuildOneLayout()
    {
        int cin = 64, cout = 48;
        var w = ConvF32Tests.Random(new Random(5), cout * cin * 9);
        ConvF32 conv;
        fixed (float* pw = w) conv = new ConvF32(pw, cout, cin, 1, 1, 3, 3, IsaPath.V512);
        using (conv)
            Parallel.For(0, 8, i => RunAndCheck(conv, w, cin, cout, 1, i % 2 == 0 ? [7, 7] : [20, 20], [3, 3]));
    }
}
