using Onyx.Kernels.Conv;
using Onyx.Kernels.Pool;
using Onyx.Kernels.Threading;
using Xunit;

namespace Onyx.Kernels.Tests.Pool;

public unsafe class PoolingF32Tests
{
    static PoolingF32Tests() => KernelIsa.EmulateAll = true;

    /// <summary>Output extent, floor or ceil (ceil windows must start inside the input or left pad).</summary>
    private static int Out(int i, int k, int s, int d, int pb, int pe, bool ceil)
    {
        int span = i + pb + pe - d * (k - 1) - 1;
        int o = (ceil ? (span + s - 1) / s : span / s) + 1;
        if (ceil && (o - 1) * s >= i + pb) o--;
        return o;
    }

    public static IEnumerable<object[]> Cases()
    {
        // (ih, iw), (kh, kw), (sh, sw), (dh, dw), pads (top, left, bottom, right), ceil
        int[][] planes = [[1, 1], [2, 2], [7, 7], [5, 19], [16, 33], [24, 40]];
        int[][] windows = [[2, 2], [3, 3], [5, 5], [1, 3], [7, 7]];
        int i = 0;
        foreach (var p in planes)
            foreach (var k in windows)
                for (int s = 1; s <= 3; s++)
                {
                    i++;
                    int d = i % 5 == 0 ? 2 : 1;
                    int[] pads = i % 3 == 0 ? [k[0] / 2, k[1] / 2, k[0] / 2, k[1] / 2] : i % 3 == 1 ? [k[0] / 2, 0, 0, k[1] / 2] : [0, 0, 0, 0];
                    bool ceil = i % 2 == 0;
                    if (p[0] + pads[0] + pads[2] < d * (k[0] - 1) + 1 || p[1] + pads[1] + pads[3] < d * (k[1] - 1) + 1) continue;
                    yield return [p, k, new[] { s, s == 3 ? 1 : s }, new[] { d, d }, pads, ceil];
                }
        yield return [new[] { 1, 50 }, new[] { 1, 4 }, new[] { 1, 2 }, new[] { 1, 1 }, new[] { 0, 1, 0, 2 }, true]; // 1-D
        // MNIST's pools (2x2/2 and 3x3/3), a column stride of 3 with dilation and ceil, and wide rows (several vectors per row).
        yield return [new[] { 28, 28 }, new[] { 2, 2 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }, false];
        yield return [new[] { 14, 14 }, new[] { 3, 3 }, new[] { 3, 3 }, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }, false];
        yield return [new[] { 13, 50 }, new[] { 3, 3 }, new[] { 2, 3 }, new[] { 1, 2 }, new[] { 1, 1, 1, 1 }, true];
        yield return [new[] { 9, 71 }, new[] { 3, 3 }, new[] { 2, 2 }, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }, true];
        yield return [new[] { 6, 67 }, new[] { 3, 5 }, new[] { 1, 1 }, new[] { 1, 2 }, new[] { 1, 2, 1, 2 }, false];
        yield return [new[] { 5, 40 }, new[] { 1, 2 }, new[] { 1, 2 }, new[] { 1, 1 }, new[] { 0, 0, 0, 1 }, true];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MaxAndAverageMatchTheScalarPoolOnEveryPath(int[] spatial, int[] kernel, int[] strides, int[] dilations, int[] pads, bool ceil)
    {
        var outSp = new[]
        {
            Out(spatial[0], kernel[0], strides[0], dilations[0], pads[0], pads[2], ceil),
            Out(spatial[1], kernel[1], strides[1], dilations[1], pads[1], pads[3], ceil),
        };
        int planes = 2 * 5;
        var g = ConvGeometry.Create(2, 5, 5, 1, spatial, outSp, kernel, strides, dilations, pads);
        var rnd = new Random(g.InSize * 31 + g.OutSize);
        var x = new float[planes * g.InSize];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rnd.NextDouble() * 2 - 1);
        if (x.Length > 40) x[37] = float.NaN; // max must propagate NaN like the scalar pool
        int n = planes * g.OutSize;
        var expMax = new float[n];
        var expAvg = new[] { new float[n], new float[n] };
        fixed (float* px = x, pm = expMax, pa0 = expAvg[0], pa1 = expAvg[1])
        {
            Pooling.Max(g, planes, px, pm, null, false);
            Pooling.Average(g, planes, px, pa0, false);
            Pooling.Average(g, planes, px, pa1, true);
        }
        using var pool = new IntraOpPool(2);
        foreach (var isa in Enum.GetValues<IsaPath>())
        {
            var y = new float[n];
            fixed (float* px = x, py = y)
                PoolingF32.Run(g, planes, px, py, max: true, countIncludePad: false, isa == IsaPath.V256 ? null : pool, isa);
            for (int i = 0; i < n; i++)
                Assert.True(expMax[i].Equals(y[i]), $"{isa} max: element {i}: expected {expMax[i]}, got {y[i]}");
            for (int c = 0; c < 2; c++)
            {
                fixed (float* px = x, py = y)
                    PoolingF32.Run(g, planes, px, py, max: false, countIncludePad: c == 1, pool, isa);
                for (int i = 0; i < n; i++)
                {
                    float e = expAvg[c][i];
                    Assert.True(float.IsNaN(e) ? float.IsNaN(y[i]) : Math.Abs(e - y[i]) <= 1e-5f * (1 + Math.Abs(e)),
                        $"{isa} average (include pad {c == 1}): element {i}: expected {e}, got {y[i]}");
                }
            }
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 49)]
    [InlineData(3, 100)]
    [InlineData(300, 49)]
    [InlineData(64, 1000)]
    [InlineData(300, 3600)] // past the parallel threshold
    public void GlobalPoolsMatchAScalarReduction(int planes, int size)
    {
        var rnd = new Random(planes + size);
        var x = new float[planes * size];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rnd.NextDouble() * 2 - 1);
        if (planes > 2) x[size + size / 2] = float.NaN;
        using var pool = new IntraOpPool(2);
        foreach (var isa in Enum.GetValues<IsaPath>())
        {
            float[] avg = new float[planes], max = new float[planes];
            fixed (float* px = x, pa = avg, pm = max)
            {
                GlobalPoolF32.Run(px, pa, planes, size, max: false, pool, isa);
                GlobalPoolF32.Run(px, pm, planes, size, max: true, pool, isa);
            }
            for (int p = 0; p < planes; p++)
            {
                double s = 0;
                float m = float.NegativeInfinity;
                for (int i = 0; i < size; i++)
                {
                    float v = x[p * size + i];
                    s += v;
                    m = float.IsNaN(v) || float.IsNaN(m) ? float.NaN : Math.Max(m, v);
                }
                float e = (float)(s / size);
                Assert.True(float.IsNaN(e) ? float.IsNaN(avg[p]) : Math.Abs(e - avg[p]) <= 1e-5f, $"{isa} average plane {p}: expected {e}, got {avg[p]}");
                Assert.True(m.Equals(max[p]), $"{isa} max plane {p}: expected {m}, got {max[p]}");
            }
        }
    }
}
