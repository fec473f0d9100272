using Onyx.Kernels.Gemm;
using Onyx.Kernels.Threading;
using Xunit;

namespace Onyx.Kernels.Tests.Gemm;

public unsafe class Int8GemmTests
{
    static Int8GemmTests() => KernelIsa.EmulateAll = true;

    public static IEnumerable<object[]> Cases()
    {
        int[][] shapes = [[1, 1, 1], [3, 5, 7], [12, 32, 16], [13, 33, 17], [25, 70, 300], [1, 100, 257], [40, 3, 9], [64, 64, 0]];
        foreach (IsaPath p in Enum.GetValues<IsaPath>())
            foreach (int[] s in shapes)
                foreach (int signs in new[] { 0, 1, 2, 3 })
                    yield return [p, s[0], s[1], s[2], signs];
    }

    /// <summary>The oracle: a plain triple loop over (a - za)(b - zb) in long.</summary>
    private static int[] Reference(byte[] a, bool sa, int[] za, byte[] b, bool sb, int[] zb, int m, int n, int k, bool ta, bool tb)
    {
        var c = new int[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                long s = 0;
                for (int p = 0; p < k; p++)
                {
                    byte av = ta ? a[p * m + i] : a[i * k + p], bv = tb ? b[j * k + p] : b[p * n + j];
                    s += (long)((sa ? (sbyte)av : av) - za[za.Length == 1 ? 0 : i]) * ((sb ? (sbyte)bv : bv) - zb[zb.Length == 1 ? 0 : j]);
                }
                c[i * n + j] = (int)s;
            }
        return c;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesReference(IsaPath isa, int m, int n, int k, int signs)
    {
        var r = new Random(m * 1000 + n * 10 + k + signs);
        bool sa = (signs & 1) != 0, sb = (signs & 2) != 0;
        var a = new byte[m * k]; r.NextBytes(a);
        var b = new byte[k * n]; r.NextBytes(b);
        int[] za = [r.Next(sa ? -128 : 0, sa ? 128 : 256)];
        int[] zb = Enumerable.Range(0, n).Select(_ => r.Next(sb ? -128 : 0, sb ? 128 : 256)).ToArray();
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
            {
                var expected = Reference(a, sa, za, b, sb, zb, m, n, k, ta, tb);
                var c = new int[m * n];
                fixed (byte* pa = a, pb = b)
                fixed (int* pc = c)
                {
                    Int8Gemm.Multiply(pa, sa, ta ? m : k, ta, za, pb, sb, tb ? k : n, tb, zb, m, n, k, pc, n, null, isa);
                    Assert.Equal(expected, c);
                    using var packedB = Int8PackedMatrix.PackB(pb, sb, k, n, tb ? k : n, tb, zb, isa);
                    Array.Clear(c);
                    Int8Gemm.Multiply(pa, sa, ta ? m : k, ta, m, za, packedB, pc, n);
                    Assert.Equal(expected, c);
                    using var packedA = Int8PackedMatrix.PackA(pa, sa, m, k, ta ? m : k, ta, za, isa);
                    Array.Clear(c);
                    Int8Gemm.Multiply(packedA, pb, sb, tb ? k : n, tb, n, zb, pc, n);
                    Assert.Equal(expected, c);
                }
            }
    }

    [Fact]
    public void ThreadedMatchesSingle()
    {
        using var pool = new IntraOpPool(2);
        var r = new Random(5);
        foreach ((int m, int n, int k) in new[] { (200, 70, 300), (30, 500, 100), (16, 3000, 99) })
        {
            var a = new byte[m * k]; r.NextBytes(a);
            var b = new byte[k * n]; r.NextBytes(b);
            var c1 = new int[m * n]; var c2 = new int[m * n];
            fixed (byte* pa = a, pb = b)
            fixed (int* p1 = c1, p2 = c2)
            {
                Int8Gemm.Multiply(pa, false, k, false, [128], pb, true, n, false, [3], m, n, k, p1, n);
                Int8Gemm.Multiply(pa, false, k, false, [128], pb, true, n, false, [3], m, n, k, p2, n, pool);
                Assert.Equal(c1, c2);
                // Prepacked A, raw B: B is packed in parallel by strips.
                using var packedA = Int8PackedMatrix.PackA(pa, false, m, k, k, false, [128]);
                Array.Clear(c2);
                Int8Gemm.Multiply(packedA, pb, true, n, false, n, [3], p2, n, pool);
            }
            Assert.Equal(c1, c2);
        }
    }

    [Theory]
    [InlineData(IsaPath.Scalar)]
    [InlineData(IsaPath.V512)]
    public void RequantizeRoundsHalfEvenAndSaturates(IsaPath isa)
    {
        int n = 40;
        var acc = new int[n];
        var r = new Random(2);
        for (int i = 0; i < n; i++) acc[i] = r.Next(-2000, 2000);
        acc[0] = 5; acc[1] = 7; acc[2] = int.MaxValue - 10; acc[3] = int.MinValue + 10;
        var scales = Enumerable.Range(0, n).Select(i => 0.5f + 0.01f * i).ToArray();
        foreach (bool signedOut in new[] { false, true })
        {
            var y = new byte[n];
            fixed (int* pa = acc) fixed (float* ps = scales) fixed (byte* py = y)
                Int8Requantize.Row(pa, n, 0, null, 0f, ps, signedOut ? -3 : 10, py, signedOut, isa);
            for (int i = 0; i < n; i++)
            {
                float f = (float)acc[i] * scales[i];
                long q = (long)Math.Round((double)f, MidpointRounding.ToEven) + (signedOut ? -3 : 10);
                long e = Math.Clamp(q, signedOut ? -128 : 0, signedOut ? 127 : 255);
                Assert.Equal((byte)e, y[i]);
            }
        }
    }

    [Theory]
    [InlineData(IsaPath.Scalar)]
    [InlineData(IsaPath.V512)]
    public void QuantizeMatchesDefinitionIncludingTies(IsaPath isa)
    {
        // Halves (ties) and out-of-range values at every lane position and in the scalar tail.
        var x = Enumerable.Range(0, 83).Select(i => (i - 40) * 0.25f * (i % 3 == 0 ? 7 : 1)).ToArray();
        foreach (bool signedOut in new[] { false, true })
        {
            int zp = signedOut ? -3 : 100;
            var y = new byte[x.Length];
            fixed (float* px = x) fixed (byte* py = y)
                Int8Quantize.Quantize(px, x.Length, 0.5f, zp, py, signedOut, isa);
            for (int i = 0; i < x.Length; i++)
            {
                double q = Math.Round(x[i] / 0.5, MidpointRounding.ToEven) + zp;
                Assert.Equal((byte)(int)Math.Clamp(q, signedOut ? -128 : 0, signedOut ? 127 : 255), y[i]);
            }
        }
    }
}
