using Onyx.Kernels.Conv;
using Onyx.Kernels.Gemm;
using Onyx.Kernels.Threading;
using Xunit;
using static Onyx.Kernels.Tests.Conv.ConvF32Tests;

namespace Onyx.Kernels.Tests.Conv;

/// <summary>ConvF32's direct path (padded, phase-split planes read through a tap offset table) against the naive conv.</summary>
public unsafe class SmallConvTests
{
    static SmallConvTests() => KernelIsa.EmulateAll = true;

    public static IEnumerable<object[]> Cases()
    {
        // batch, cin, cout, group, spatial, kernel, stride, dilation, pads(begin..., end...)
        yield return [1, 3, 32, 1, new[] { 60, 62 }, new[] { 3, 3 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }]; // RGB stem, rows 31 wide
        yield return [1, 1, 8, 1, new[] { 28, 28 }, new[] { 5, 5 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 2, 2, 2, 2 }]; // MNIST conv 1
        yield return [2, 3, 13, 1, new[] { 19, 124 }, new[] { 7, 7 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 3, 3, 3, 3 }]; // 7x7 stem, 2 strips a row
        yield return [1, 4, 26, 2, new[] { 9, 30 }, new[] { 3, 3 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }]; // groups, 13 rows a group (R1 tail)
        yield return [1, 5, 7, 1, new[] { 11, 95 }, new[] { 3, 2 }, new[] { 1, 3 }, new[] { 2, 1 }, new[] { 2, 0, 1, 1 }]; // stride 3, dilation, asymmetric pads
        yield return [1, 2, 9, 1, new[] { 6, 33 }, new[] { 2, 4 }, new[] { 1, 1 }, new[] { 1, 3 }, new[] { 0, 2, 1, 3 }]; // dilated columns
        yield return [2, 16, 20, 1, new[] { 40, 30 }, new[] { 3, 3 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }]; // K = 144, threaded
        yield return [1, 32, 24, 1, new[] { 30, 60 }, new[] { 3, 3 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }]; // K = 288, stride 2
        yield return [1, 3, 6, 1, new[] { 1, 200 }, new[] { 1, 5 }, new[] { 1, 2 }, new[] { 1, 1 }, new[] { 0, 2, 0, 2 }]; // 1-D shaped
        yield return [1, 8, 16, 1, new[] { 50, 57 }, new[] { 1, 3 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 0, 1, 0, 1 }]; // 1x3, stride 2
        // Narrow stride-1 rows (v512): strips wrap across the padded rows.
        yield return [1, 8, 16, 1, new[] { 14, 14 }, new[] { 5, 5 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 2, 2, 2, 2 }]; // MNIST conv 2
        yield return [2, 6, 26, 2, new[] { 13, 20 }, new[] { 3, 3 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }]; // batch, groups, R1 tail
        yield return [1, 4, 12, 1, new[] { 17, 16 }, new[] { 3, 3 }, new[] { 1, 1 }, new[] { 2, 2 }, new[] { 2, 2, 1, 2 }]; // dilated, asymmetric pads
        yield return [1, 16, 30, 1, new[] { 40, 19 }, new[] { 3, 2 }, new[] { 1, 1 }, new[] { 1, 1 }, new[] { 1, 0, 1, 1 }]; // K = 96, threaded
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesNaiveReferenceOnEachVectorPath(int batch, int cin, int cout, int group, int[] spatial, int[] kernel, int[] strides, int[] dilations, int[] pads)
    {
        var rnd = new Random(batch * 31 + cin * 7 + cout);
        var outSp = new int[2];
        for (int a = 0; a < 2; a++) outSp[a] = Out(spatial[a], kernel[a], strides[a], dilations[a], pads[a], pads[2 + a]);
        var g = ConvGeometry.Create(batch, cin, cout, group, spatial, outSp, kernel, strides, dilations, pads);
        var x = Random(rnd, batch * cin * g.InSize);
        var w = Random(rnd, cout * (cin / group) * g.KernelSize);
        var b = Random(rnd, cout);
        var z = Random(rnd, batch * cout * g.OutSize);
        var acts = new[]
        {
            new GemmEpilogue(),
            new GemmEpilogue { Activation = FusedActivation.Relu },
            new GemmEpilogue { Activation = FusedActivation.Clip, Min = -0.2f, Max = 0.5f },
            new GemmEpilogue { Activation = FusedActivation.LeakyRelu, Alpha = 0.1f },
        };
        using var pool = new IntraOpPool(2);
        int ran = 0;
        foreach (var isa in new[] { IsaPath.V512, IsaPath.V256 })
        {
            fixed (float* px = x, pw = w, pb = b)
            {
                using var conv = new ConvF32(pw, cout, cin / group, group, g.KD, g.KH, g.KW, isa);
                if (!conv.TakesDirectPath(g)) continue; // the hardware lacks this path's masked loads
                ran++;
                for (int t = 0; t < 8; t++)
                {
                    var act = acts[t % acts.Length];
                    bool accumulate = t >= 4, withBias = t % 3 != 1;
                    var expected = Reference(g, x, w, withBias ? b : null, act, accumulate ? z : null);
                    var y = accumulate ? (float[])z.Clone() : new float[expected.Length];
                    fixed (float* py = y) conv.Forward(g, px, py, withBias ? pb : null, act, t % 2 == 0 ? pool : null, accumulate);
                    for (int i = 0; i < y.Length; i++)
                        Assert.True(Math.Abs(expected[i] - y[i]) <= 1e-4f * (1 + Math.Abs(expected[i])), $"{isa} {act.Activation} acc={accumulate}: element {i}: expected {expected[i]}, got {y[i]}");
                }
            }
        }
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported) Assert.True(ran > 0, "no vector path took the direct route");
    }
}
