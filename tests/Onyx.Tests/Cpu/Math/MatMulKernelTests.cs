using Onnx;
using Onyx.Tensors;
using Xunit;

namespace Onyx.Tests.Cpu.MathOps;

/// <summary>MatMul float paths (batched with broadcast, constant prepacked B) at 1 and 2 threads against a plain loop.</summary>
public sealed class MatMulKernelTests
{
    private const TensorProto.Types.DataType F = TensorProto.Types.DataType.Float;

    private static float[] Random(Random r, int n) => Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();

    /// <summary>y[b] = a[b % batchA] * b[b % batchB] over a flat batch axis (enough for the shapes below).</summary>
    private static float[] Reference(float[] a, float[] b, int batches, int batchA, int batchB, int m, int n, int k)
    {
        var y = new float[batches * m * n];
        for (int t = 0; t < batches; t++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += (double)a[(t % batchA) * m * k + i * k + p] * b[(t % batchB) * k * n + p * n + j];
                    y[(t * m + i) * n + j] = (float)s;
                }
        return y;
    }

    [Theory]
    [InlineData(1, 12, 12, 33, 17, 13)]   // attention-like: many small per-head GEMMs, threads take whole batches
    [InlineData(2, 12, 12, 33, 17, 13)]
    [InlineData(2, 7, 1, 5, 40, 9)]       // B broadcast over the batch
    [InlineData(2, 1, 3, 100, 70, 1)]     // A broadcast, K = 1
    [InlineData(2, 3, 3, 130, 140, 64)]   // few batches: each GEMM splits inside
    public void BatchedMatchesLoop(int threads, int batchA, int batchB, int m, int n, int k)
    {
        var r = new Random(batchA * 31 + m);
        int batches = Math.Max(batchA, batchB);
        var a = Random(r, batchA * m * k);
        var b = Random(r, batchB * k * n);
        byte[] model = new ModelBuilder(13).Input("a", F, batchA, m, k).Input("b", F, batchB, k, n).Output("y", F, batches, m, n)
            .Node("MatMul", ["a", "b"], ["y"]).ToBytes();
        using var session = new InferenceSession(model, new SessionOptions { IntraOpNumThreads = threads });
        var feeds = new[]
        {
            NamedOnnxValue.CreateFromTensor("a", new DenseTensor<float>(a, [batchA, m, k])),
            NamedOnnxValue.CreateFromTensor("b", new DenseTensor<float>(b, [batchB, k, n])),
        };
        using var results = session.Run(feeds);
        float[] y = results[0].AsTensor<float>().ToArray();
        float[] want = Reference(a, b, batches, batchA, batchB, m, n, k);
        Assert.Equal(want.Length, y.Length);
        for (int i = 0; i < y.Length; i++)
            Assert.True(Math.Abs(want[i] - y[i]) <= 1e-4f * (1 + k), $"element {i}: expected {want[i]}, got {y[i]}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ConstantWeightIsPrepackedOnceAndReused(int threads)
    {
        var r = new Random(5);
        int rows = 3 * 41, k = 77, n = 45;
        var a = Random(r, rows * k);
        var w = Random(r, k * n);
        byte[] model = new ModelBuilder(13).Input("a", F, 3, 41, k).Output("y", F, 3, 41, n).Initializer("w", w, k, n)
            .Node("MatMul", ["a", "w"], ["y"]).ToBytes();
        using var session = new InferenceSession(model, new SessionOptions { IntraOpNumThreads = threads });
        var feeds = new[] { NamedOnnxValue.CreateFromTensor("a", new DenseTensor<float>(a, [3, 41, k])) };
        float[] want = Reference(a, w, 1, 1, 1, rows, n, k);
        for (int run = 0; run < 2; run++)
        {
            using var results = session.Run(feeds);
            float[] y = results[0].AsTensor<float>().ToArray();
            for (int i = 0; i < y.Length; i++)
                Assert.True(Math.Abs(want[i] - y[i]) <= 1e-4f * (1 + k), $"run {run} element {i}: expected {want[i]}, got {y[i]}");
        }
    }
    /// <summary>
    /// A few rows of A against a 2-D B (a classifier head: mnist's [1,256]·[256,10]) run unpacked; a
    /// 1-D A drops its row dim; five rows go back to the packed GEMM. Constant and fed B alike.
    /// </summary>
    [Theory]
    [InlineData(new[] { 256 }, 10, true)]
    [InlineData(new[] { 1, 256 }, 10, true)]
    [InlineData(new[] { 1, 256 }, 10, false)]
    [InlineData(new[] { 1, 3, 70 }, 33, true)]
    [InlineData(new[] { 2, 2, 19 }, 65, false)]
    [InlineData(new[] { 5, 19 }, 17, true)]
    public void FewRowsMatchLoop(int[] aShape, int n, bool constantB)
    {
        var r = new Random(aShape.Sum() + n);
        int k = aShape[^1], rows = aShape.Aggregate(1, (x, y) => x * y) / k;
        var a = Random(r, rows * k);
        var w = Random(r, k * n);
        int[] yShape = [.. aShape[..^1], n];
        var builder = new ModelBuilder(13).Input("a", F, aShape.Select(d => (long)d).ToArray()).Output("y", F, yShape.Select(d => (long)d).ToArray());
        builder = constantB ? builder.Initializer("w", w, k, n) : builder.Input("w", F, k, n);
        byte[] model = builder.Node("MatMul", ["a", "w"], ["y"]).ToBytes();
        using var session = new InferenceSession(model, new SessionOptions { IntraOpNumThreads = 1 });
        var feeds = new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor("a", new DenseTensor<float>(a, aShape)) };
        if (!constantB) feeds.Add(NamedOnnxValue.CreateFromTensor("w", new DenseTensor<float>(w, [k, n])));
        using var results = session.Run(feeds);
        var y = results[0].AsTensor<float>();
        Assert.Equal(yShape, y.Dimensions.ToArray());
        float[] got = y.ToArray(), want = Reference(a, w, 1, 1, 1, rows, n, k);
        for (int i = 0; i < got.Length; i++)
            Assert.True(Math.Abs(want[i] - got[i]) <= 1e-4f * (1 + k), $"element {i}: expected {want[i]}, got {got[i]}");
    }
}
