using Onyx.Kernels.Conv;
using Onyx.Kernels.Pool;
using Onyx.Kernels.Threading;
using Xunit;

namespace Onyx.Kernels.Tests.Pool;

public unsafe class PoolingTests
{
    [Fact]
    public void ParallelMaxAndAverageMatchSerialIncludingIndices()
    {
        var rnd = new Random(1);
        int planes = 2 * 13, h = 33, w = 30;
        var x = new float[planes * h * w];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rnd.NextDouble();
        var g = ConvGeometry.Create(2, 13, 13, 1, [h, w], [17, 15], [3, 3], [2, 2], [1, 1], [1, 1, 1, 0]);
        int n = planes * g.OutSize;
        float[] y1 = new float[n], y2 = new float[n], a1 = new float[n], a2 = new float[n];
        long[] i1 = new long[n], i2 = new long[n];
        using var pool = new IntraOpPool(3);
        fixed (float* px = x, py1 = y1, py2 = y2, pa1 = a1, pa2 = a2)
        fixed (long* pi1 = i1, pi2 = i2)
        {
            Pooling.Max(g, planes, px, py1, pi1, false);
            Pooling.Max(g, planes, px, py2, pi2, false, pool);
            Pooling.Average(g, planes, px, pa1, true);
            Pooling.Average(g, planes, px, pa2, true, pool);
        }
        Assert.Equal(y1, y2);
        Assert.Equal(i1, i2);
        // The pooled float path sums in float, the serial one in double.
        for (int i = 0; i < n; i++) Assert.Equal(a1[i], a2[i], 1e-6f);
        for (int i = 0; i < n; i++) Assert.Equal(x[i1[i]], y1[i]);
    }
}
