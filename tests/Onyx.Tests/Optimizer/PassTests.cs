using Onnx;
using Onyx.Tensors;
using Xunit;
using static Onyx.Tests.ModelBuilder;

namespace Onyx.Tests.Optimizer;

/// <summary>Each rewrite: op counts before/after, and outputs equal with the optimizer on and off.</summary>
public sealed class PassTests
{
    private const TensorProto.Types.DataType F = TensorProto.Types.DataType.Float;

    private static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
    }

    private static (float[] Off, float[] On, InferenceSession Optimized) RunBoth(ModelBuilder m, string input, float[] x, int[] shape)
    {
        var feed = new[] { NamedOnnxValue.CreateFromTensor(input, new DenseTensor<float>(x, shape)) };
        using var plain = new InferenceSession(m.ToBytes(), new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL });
        var optimized = new InferenceSession(m.ToBytes(), new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL });
        using var a = plain.Run(feed);
        using var b = optimized.Run(feed);
        return (a[0].AsTensor<float>().ToArray(), b[0].AsTensor<float>().ToArray(), optimized);
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f + 1e-4f * Math.Abs(expected[i]), $"[{i}] {actual[i]} vs {expected[i]}");
    }

    private static int Count(InferenceSession s, string op) => s.Plan.Nodes.Count(n => n.OpType == op);

    [Fact]
    public void ConvBatchNormFoldsIntoConv()
    {
        var m = new ModelBuilder(13).Input("x", F, 1, 2, 5, 5).Output("y", F, 1, 3, 5, 5)
            .Initializer("w", Random(3 * 2 * 9, 1), 3, 2, 3, 3).Initializer("b", Random(3, 2), 3)
            .Initializer("scale", [1.5f, 0.5f, 2f], 3).Initializer("beta", [0.1f, -0.2f, 0.3f], 3)
            .Initializer("mean", [0.2f, 0.1f, -0.3f], 3).Initializer("var", [0.9f, 1.2f, 0.4f], 3)
            .Node("Conv", ["x", "w", "b"], ["c"], Attr("pads", [1L, 1, 1, 1]))
            .Node("BatchNormalization", ["c", "scale", "beta", "mean", "var"], ["y"]);
        var (off, on, s) = RunBoth(m, "x", Random(50, 3), [1, 2, 5, 5]);
        Assert.Equal(0, Count(s, "BatchNormalization"));
        Assert.Equal(1, Count(s, "Conv"));
        AssertClose(off, on);
    }

    [Theory]
    [InlineData("Relu")]
    [InlineData("Sigmoid")]
    [InlineData("LeakyRelu")]
    public void ConvActivationBecomesFusedConv(string activation)
    {
        var m = new ModelBuilder(13).Input("x", F, 1, 2, 6, 6).Output("y", F, 1, 4, 6, 6)
            .Initializer("w", Random(4 * 2 * 9, 11), 4, 2, 3, 3).Initializer("b", Random(4, 12), 4)
            .Node("Conv", ["x", "w", "b"], ["c"], Attr("pads", [1L, 1, 1, 1]))
            .Node(activation, ["c"], ["y"]);
        var (off, on, s) = RunBoth(m, "x", Random(72, 13), [1, 2, 6, 6]);
        Assert.Equal(1, Count(s, "FusedConv"));
        Assert.Equal(0, Count(s, activation));
        AssertClose(off, on);
    }

    [Fact]
    public void HardSwishPatternIsFused()
    {
        var m = new ModelBuilder(13).Input("x", F, 2, 40).Output("y", F, 2, 40)
            .Initializer("three", [3f]).Initializer("zero", [0f]).Initializer("six", [6f]).Initializer("six2", [6f])
            .Node("Add", ["x", "three"], ["a"]).Node("Clip", ["a", "zero", "six"], ["c"])
            .Node("Mul", ["x", "c"], ["m"]).Node("Div", ["m", "six2"], ["y"]);
        var (off, on, s) = RunBoth(m, "x", Random(80, 21).Select(v => v * 8).ToArray(), [2, 40]);
        Assert.Equal(1, Count(s, "HardSwish"));
        Assert.Equal(0, Count(s, "Clip"));
        AssertClose(off, on);
    }

    [Fact]
    public void IdentityIsRemoved()
    {
        var m = new ModelBuilder().Input("x", F, 4).Output("y", F, 4)
            .Node("Identity", ["x"], ["a"]).Node("Relu", ["a"], ["y"]);
        var (off, on, s) = RunBoth(m, "x", [-1, 2, -3, 4], [4]);
        Assert.Equal(0, Count(s, "Identity"));
        AssertClose(off, on);
    }

    [Fact]
    public void ConstantSubgraphIsFolded()
    {
        var m = new ModelBuilder().Input("x", F, 3).Output("y", F, 3)
            .Initializer("a", [1, 2, 3], 3).Initializer("b", [4, 5, 6], 3)
            .Node("Mul", ["a", "b"], ["ab"]).Node("Exp", ["ab"], ["e"]).Node("Add", ["x", "e"], ["y"]);
        var (off, on, s) = RunBoth(m, "x", [0.5f, 0.25f, 0.125f], [3]);
        Assert.Equal(0, Count(s, "Mul"));
        Assert.Equal(0, Count(s, "Exp"));
        Assert.Equal(1, Count(s, "Add"));
        AssertClose(off, on);
    }

    [Fact]
    public void DeadNodesAreRemoved()
    {
        var m = new ModelBuilder().Input("x", F, 3).Output("y", F, 3)
            .Node("Exp", ["x"], ["unused"]).Node("Relu", ["x"], ["y"]);
        var (off, on, s) = RunBoth(m, "x", [1, -1, 2], [3]);
        Assert.Equal(0, Count(s, "Exp"));
        AssertClose(off, on);
    }

    [Fact]
    public void MatMulAddBecomesGemm()
    {
        var m = new ModelBuilder().Input("x", F, 2, 3).Output("y", F, 2, 4)
            .Initializer("w", Random(12, 5), 3, 4).Initializer("b", Random(4, 6), 4)
            .Node("MatMul", ["x", "w"], ["mm"]).Node("Add", ["mm", "b"], ["y"]);
        var (off, on, s) = RunBoth(m, "x", Random(6, 7), [2, 3]);
        Assert.Equal(1, Count(s, "Gemm"));
        Assert.Equal(0, Count(s, "MatMul"));
        AssertClose(off, on);
    }
}
