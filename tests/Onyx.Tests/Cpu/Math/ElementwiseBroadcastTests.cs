using Onyx.Cpu.Common;
using Onyx.Cpu.MathOps;
using Onyx.Kernels.Elementwise;
using Onyx.Kernels.Threading;
using Onyx.Tensors;
using Xunit;

namespace Onyx.Tests.Cpu.MathOps;

/// <summary>The broadcast walker against a per-element oracle built on Broadcast.Offsets, with and without a pool.</summary>
public class ElementwiseBroadcastTests
{
    public static IEnumerable<object[]> Cases() =>
    [
        [new[] { 2, 3, 4 }, new[] { 2, 3, 4 }],
        [new[] { 1 }, new[] { 5, 7 }],
        [new[] { 5, 7 }, Array.Empty<int>()],
        [new[] { 4, 1, 6 }, new[] { 3, 1 }],
        [new[] { 2, 1, 3, 1 }, new[] { 1, 4, 1, 5 }],
        [new[] { 64, 33, 40 }, new[] { 33, 1 }],
        [new[] { 1, 300, 1 }, new[] { 8, 1, 40 }],
        [new[] { 256, 512 }, new[] { 512 }],
        [new[] { 70000 }, new[] { 1 }],
        [new[] { 3, 0, 2 }, new[] { 1, 2 }],
    ];

    private static Tensor Random(int[] shape, int seed)
    {
        var t = Tensor.Allocate(DType.Float32, shape);
        var r = new Random(seed);
        var s = t.Span<float>();
        for (int i = 0; i < s.Length; i++) s[i] = (float)r.NextDouble();
        return t;
    }

    [Theory, MemberData(nameof(Cases))]
    public void SubtractMatchesPerElementOracle(int[] aShape, int[] bShape)
    {
        Tensor a = Random(aShape, 1), b = Random(bShape, 2);
        int[] shape = Broadcast.Shape(aShape, bShape);
        int[] oa = Broadcast.Offsets(aShape, shape), ob = Broadcast.Offsets(bShape, shape);
        using var pool = new IntraOpPool(3);
        foreach (var p in new[] { null, pool })
        {
            Tensor y = Tensor.Allocate(DType.Float32, shape);
            ElementwiseBroadcast.Run<float, float, float, SimdRows<float, SubtractOperator<float>>>(a, b, y, default, p);
            float[] av = a.ToArray<float>(), bv = b.ToArray<float>(), yv = y.ToArray<float>();
            for (int i = 0; i < yv.Length; i++)
                Assert.Equal(av[oa[i]] - bv[ob[i]], yv[i]);
        }
    }

    [Fact]
    public void ExpandRepeatsAlongBroadcastDims()
    {
        Tensor x = Random([3, 1], 3);
        Tensor y = Tensor.Allocate(DType.Float32, [2, 3, 4]);
        ElementwiseBroadcast.Expand(x, y);
        float[] xv = x.ToArray<float>(), yv = y.ToArray<float>();
        for (int i = 0; i < 24; i++) Assert.Equal(xv[(i / 4) % 3], yv[i]);
    }
}
