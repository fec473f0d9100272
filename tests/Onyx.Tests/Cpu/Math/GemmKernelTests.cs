using Onnx;
using Onyx.Core.Execution;
using Onyx.Cpu.MathOps;
using Onyx.Tensors;
using Xunit;

namespace Onyx.Tests.Cpu.MathOps;

/// <summary>
/// Gemm with few rows of A (the unpacked A·Bᵀ and A·B paths) and with more (packed GEMM, a constant B
/// packed lazily), every transpose, alpha/beta and each broadcast shape of C, against a plain loop.
/// </summary>
public sealed class GemmKernelTests
{
    private const TensorProto.Types.DataType F = TensorProto.Types.DataType.Float;

    private static float[] Random(Random r, int n) => Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();

    /// <summary>alpha · A'·B' + beta · C, C broadcast from <paramref name="cShape"/> (null: none).</summary>
    private static float[] Reference(float[] a, float[] b, float[]? c, int[]? cShape, int m, int n, int k, bool transA, bool transB, float alpha, float beta)
    {
        var y = new float[m * n];
        int cm = cShape is { Length: 2 } ? cShape[0] : 1, cn = cShape is { Length: >= 1 } ? cShape[^1] : 1;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double)(transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]);
                s *= alpha;
                if (c is not null) s += beta * c[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)];
                y[i * n + j] = (float)s;
            }
        return y;
    }

    private static void Run(InferenceSession session, int m, int n, int k, bool transA, bool transB, float alpha, float beta,
        float[]? c, int[]? cShape, float[] b, bool constantB, Random r)
    {
        var a = Random(r, m * k);
        var feeds = new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor("a", new DenseTensor<float>(a, transA ? [k, m] : [m, k])) };
        if (!constantB) feeds.Add(NamedOnnxValue.CreateFromTensor("b", new DenseTensor<float>(b, transB ? [n, k] : [k, n])));
        if (c is not null) feeds.Add(NamedOnnxValue.CreateFromTensor("c", new DenseTensor<float>(c, cShape!)));
        using var results = session.Run(feeds);
        float[] got = results[0].AsTensor<float>().ToArray();
        float[] want = Reference(a, b, c, cShape, m, n, k, transA, transB, alpha, beta);
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < got.Length; i++)
            Assert.True(Math.Abs(want[i] - got[i]) <= 1e-4f * (1 + k), $"m={m} element {i}: expected {want[i]}, got {got[i]}");
    }

    public static IEnumerable<object?[]> Cases()
    {
        int[]?[] cShapes = [null, [], [1], [21], [1, 21], [4, 1], [4, 21]];
        foreach (bool transA in new[] { false, true })
            foreach (bool transB in new[] { false, true })
                foreach (var cs in cShapes)
                    foreach (bool constantB in new[] { false, true })
                    {
                        yield return [transA, transB, cs, constantB, 1f, 1f];
                        yield return [transA, transB, cs, constantB, 0.5f, -2f];
                    }
    }

    /// <summary>
    /// A's rows symbolic: runs of 1, 2, 4, 6 and 1 rows go few-rows, packed (a constant B packed at that
    /// first run), and few-rows again. C's row dim, where it has one, is as many rows as the run.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesLoop(bool transA, bool transB, int[]? cShape, bool constantB, float alpha, float beta)
    {
        const int n = 21, k = 37;
        var r = new Random(n + (transA ? 1 : 0) + (transB ? 2 : 0) + (cShape?.Length ?? 5) * 4);
        var b = Random(r, k * n);
        long[] aDims = transA ? [k, -1] : [-1, k];
        var builder = new ModelBuilder(13).Input("a", F, aDims).Output("y", F, -1, n);
        builder = constantB ? builder.Initializer("b", b, transB ? [n, k] : [k, n]) : builder.Input("b", F, transB ? [n, k] : [k, n]);
        string[] inputs = cShape is null ? ["a", "b"] : ["a", "b", "c"];
        if (cShape is not null) builder = builder.Input("c", F, cShape.Select(d => d == 4 ? -1L : d).ToArray());
        byte[] model = builder.Node("Gemm", inputs, ["y"], ModelBuilder.Attr("alpha", alpha), ModelBuilder.Attr("beta", beta),
            ModelBuilder.Attr("transA", transA ? 1L : 0L), ModelBuilder.Attr("transB", transB ? 1L : 0L)).ToBytes();
        foreach (int threads in new[] { 1, 2 })
        {
            using var session = new InferenceSession(model, new SessionOptions { IntraOpNumThreads = threads });
            foreach (int m in new[] { 1, 2, 4, 6, 1 })
            {
                int[]? cs = cShape is { Length: 2 } && cShape[0] == 4 ? [m, cShape[1]] : cShape;
                float[]? c = cs is null ? null : Random(r, cs.Aggregate(1, (x, y) => x * y));
                Run(session, m, n, k, transA, transB, alpha, beta, c, cs, b, constantB, r);
            }
        }
    }

    /// <summary>A classifier head: one row against a constant [1000, 1280] B with a [1000] bias, split over threads.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ClassifierHeadMatchesLoop(int threads)
    {
        const int n = 1000, k = 1280;
        var r = new Random(3);
        var b = Random(r, n * k);
        var bias = Random(r, n);
        byte[] model = new ModelBuilder(13).Input("a", F, 1, k).Input("c", F, n).Output("y", F, 1, n).Initializer("b", b, n, k)
            .Node("Gemm", ["a", "b", "c"], ["y"], ModelBuilder.Attr("transB", 1L)).ToBytes();
        using var session = new InferenceSession(model, new SessionOptions { IntraOpNumThreads = threads });
        for (int run = 0; run < 2; run++) Run(session, 1, n, k, false, true, 1f, 1f, bias, [n], b, true, r);
    }

    /// <summary>
    /// A constant B is packed at load only when A may have more than four rows: A [1, K] never packs,
    /// A [8, K] packs at load, A [?, K] waits for a run with more rows.
    /// </summary>
    [Theory]
    [InlineData(1L, false)]
    [InlineData(4L, false)]
    [InlineData(8L, true)]
    [InlineData(-1L, false)]
    public void PacksConstantBOnlyWhenARowsMayExceedFour(long rows, bool packedAtLoad)
    {
        const int n = 9, k = 11;
        byte[] bytes = new ModelBuilder(13).Input("a", F, rows, k).Output("y", F, rows, n).Initializer("b", Random(new Random(1), n * k), n, k)
            .Node("Gemm", ["a", "b"], ["y"], ModelBuilder.Attr("transB", 1L)).ToBytes();
        var graph = Onyx.Onnx.OnnxModelLoader.Load(bytes).Graph;
        using var kernel = new GemmKernel(new KernelInfo(graph.Nodes[0], graph, null));
        Assert.Equal(packedAtLoad, kernel.HoldsPackedB);
    }

    /// <summary>The few-rows path allocates nothing of its own per Run: only the output's tensor header and shape remain (320 bytes measured, both thread counts).</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void FewRowsRunAllocatesOnlyTheOutputHeader(int threads)
    {
        const int n = 1000, k = 1280;
        var r = new Random(4);
        byte[] model = new ModelBuilder(13).Input("a", F, 1, k).Input("c", F, n).Output("y", F, 1, n).Initializer("b", Random(r, n * k), n, k)
            .Node("Gemm", ["a", "b", "c"], ["y"], ModelBuilder.Attr("transB", 1L), ModelBuilder.Attr("alpha", 0.5f)).ToBytes();
        using var session = new InferenceSession(model, new SessionOptions { IntraOpNumThreads = threads });
        var feeds = new List<(string, OnnxValue)> { ("a", Tensor.FromArray(Random(r, k), 1, k)), ("c", Tensor.FromArray(Random(r, n), n)) };
        var outputs = session.OutputNames;
        for (int i = 0; i < 3; i++) session.RunCore(feeds, outputs, null);
        long before = GC.GetAllocatedBytesForCurrentThread();
        const int runs = 20;
        for (int i = 0; i < runs; i++) session.RunCore(feeds, outputs, null);
        long perRun = (GC.GetAllocatedBytesForCurrentThread() - before) / runs;
        Assert.True(perRun < 512, $"{perRun} managed bytes allocated per Run");
    }
}
