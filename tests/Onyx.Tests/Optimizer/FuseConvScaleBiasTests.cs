using Onnx;
using Onyx.Core.Ir;
using Onyx.Tensors;
using Xunit;
using Xunit.Abstractions;
using static Onyx.Tests.ModelBuilder;
using static Onyx.Tests.Optimizer.FusionTestKit;

namespace Onyx.Tests.Optimizer;

/// <summary>FuseConvScaleBias: a constant scalar / per-channel Add or Mul after a Conv folds into its weights and bias.</summary>
public sealed class FuseConvScaleBiasTests(ITestOutputHelper output)
{
    private const int M = 4;

    /// <summary>x[1,2,6,6] → Conv(W[4,2,3,3] (, b)) → op(c) … → y[1,4,6,6].</summary>
    private static ModelBuilder ConvThen(bool bias, params (string Op, float[] C, long[] Shape, bool ConstFirst)[] ops)
    {
        var m = new ModelBuilder(13).Input("x", F, 1, 2, 6, 6).Output("y", F, 1, M, 6, 6)
            .Initializer("w", Random(M * 2 * 9, 1), M, 2, 3, 3);
        if (bias) m.Initializer("b", Random(M, 2), M);
        m.Node("Conv", bias ? ["x", "w", "b"] : ["x", "w"], ["t0"], Attr("pads", [1L, 1, 1, 1]));
        for (int i = 0; i < ops.Length; i++)
        {
            var (op, c, shape, constFirst) = ops[i];
            string prev = $"t{i}", next = i == ops.Length - 1 ? "y" : $"t{i + 1}";
            m.Initializer($"c{i}", c, shape).Node(op, constFirst ? [$"c{i}", prev] : [prev, $"c{i}"], [next]);
        }
        return m;
    }

    private static InferenceSession Check(ModelBuilder m, int convs, int adds, int muls)
    {
        var (off, on, s) = RunBoth(m, ("x", Random(72, 3), [1, 2, 6, 6]));
        AssertClose(off, on, 1e-5f);
        Assert.Equal(convs, Count(s, "Conv") + Count(s, "FusedConv"));
        Assert.Equal(adds, Count(s, "Add"));
        Assert.Equal(muls, Count(s, "Mul"));
        return s;
    }

    [Theory]
    [InlineData(false, new long[] { M, 1, 1 })]
    [InlineData(true, new long[] { M, 1, 1 })]
    [InlineData(false, new long[] { 1, M, 1, 1 })]
    [InlineData(true, new long[] { 1, M, 1, 1 })]
    public void PerChannelAddFoldsIntoBias(bool bias, long[] shape)
    {
        using var s = Check(ConvThen(bias, ("Add", Random(M, 5), shape, false)), 1, 0, 0);
    }

    [Theory]
    [InlineData("Add", false)]
    [InlineData("Add", true)]
    [InlineData("Mul", false)]
    [InlineData("Mul", true)]
    public void ScalarFoldsInEitherOperandOrder(string op, bool constFirst)
    {
        using var s = Check(ConvThen(true, (op, [1.75f], [], constFirst)), 1, 0, 0);
        using var s1 = Check(ConvThen(false, (op, [-0.5f], [1], constFirst)), 1, 0, 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PerChannelMulScalesWeightsAndBias(bool bias)
    {
        using var s = Check(ConvThen(bias, ("Mul", [0.5f, -2f, 3f, 0.25f], [1, M, 1, 1], false)), 1, 0, 0);
    }

    [Fact]
    public void MulAddChainFoldsAndReluFuses()
    {
        var m = ConvThen(false, ("Mul", [2f, 0.5f, -1f, 1.5f], [M, 1, 1], true), ("Add", Random(M, 7), [M, 1, 1], false), ("Add", [0.25f], [], true));
        m.Graph.Output[0].Name = "z";
        m.Node("Relu", ["y"], ["z"]);
        using var s = Check(m, 1, 0, 0);
        Assert.Equal(1, Count(s, "FusedConv"));
        Assert.Single(s.Plan.Nodes);
    }

    [Fact]
    public void Conv1dPerChannelAddFolds()
    {
        var m = new ModelBuilder(13).Input("x", F, 1, 2, 9).Output("y", F, 1, M, 7)
            .Initializer("w", Random(M * 2 * 3, 1), M, 2, 3).Initializer("c", Random(M, 2), M, 1)
            .Node("Conv", ["x", "w"], ["t"]).Node("Add", ["t", "c"], ["y"]);
        var (off, on, s) = RunBoth(m, ("x", Random(18, 3), [1, 2, 9]));
        using (s)
        {
            Assert.Equal(0, Count(s, "Add"));
            AssertClose(off, on, 1e-5f);
        }
    }

    [Fact]
    public void SharedWeightsStayCorrect()
    {
        // Two Convs read the same W; only the first is followed by a Mul.
        var m = new ModelBuilder(13).Input("x", F, 1, 2, 6, 6).Output("y", F, 1, M, 6, 6)
            .Initializer("w", Random(M * 2 * 9, 1), M, 2, 3, 3).Initializer("k", [3f])
            .Node("Conv", ["x", "w"], ["a"], Attr("pads", [1L, 1, 1, 1])).Node("Mul", ["a", "k"], ["am"])
            .Node("Conv", ["x", "w"], ["b"], Attr("pads", [1L, 1, 1, 1])).Node("Sub", ["am", "b"], ["y"]);
        var (off, on, s) = RunBoth(m, ("x", Random(72, 3), [1, 2, 6, 6]));
        using (s)
        {
            Assert.Equal(0, Count(s, "Mul"));
            AssertClose(off, on, 1e-5f);
        }
    }

    [Theory]
    [InlineData(new long[] { 1, 1, 6, 6 })] // spatial
    [InlineData(new long[] { 1, 1, 1, 6 })]
    [InlineData(new long[] { 6, 1 })]
    [InlineData(new long[] { 1, M, 6, 1 })] // per channel and per row
    public void NonChannelConstantsAreNotFolded(long[] shape)
    {
        int n = (int)shape.Aggregate(1L, (a, d) => a * d);
        using var s = Check(ConvThen(true, ("Add", Random(n, 5), shape, false)), 1, 1, 0);
    }

    [Fact]
    public void VectorConstantBroadcastsAlongWidthAndIsNotFolded()
    {
        // [M] right-aligns with the width axis of [1,M,6,M], not with the channels.
        var m = new ModelBuilder(13).Input("x", F, 1, 2, 6, M).Output("y", F, 1, M, 6, M)
            .Initializer("w", Random(M * 2 * 9, 1), M, 2, 3, 3).Initializer("c", Random(M, 5), M)
            .Node("Conv", ["x", "w"], ["t"], Attr("pads", [1L, 1, 1, 1])).Node("Add", ["t", "c"], ["y"]);
        var (off, on, s) = RunBoth(m, ("x", Random(2 * 6 * M, 3), [1, 2, 6, M]));
        using (s)
        {
            Assert.Equal(1, Count(s, "Add"));
            AssertClose(off, on, 1e-5f);
        }
    }

    [Theory]
    [InlineData(new long[] { 1, 1, M, 1, 1 }, new long[] { 1, 1, M, 6, 6 })] // grows the rank
    [InlineData(new long[] { 2, M, 1, 1 }, new long[] { 2, M, 6, 6 })]       // grows the batch
    public void ConstantsThatGrowTheOutputAreNotFolded(long[] shape, long[] outShape)
    {
        int n = (int)shape.Aggregate(1L, (a, d) => a * d);
        var m = ConvThen(false, ("Mul", Random(n, 5), shape, true));
        m.Graph.Output.Clear();
        m.Output("y", F, outShape);
        using var s = Check(m, 1, 0, 1);
    }

    [Fact]
    public void ConvOutputWithOtherReadersIsNotFolded()
    {
        var m = ConvThen(true, ("Mul", [2f], [], false));
        m.Graph.Output[0].Name = "z";
        // Sub, not Add: t0 + 2·t0 is FuseScaleResidual's x + x·s and would fold to 3·t0.
        m.Node("Sub", ["y", "t0"], ["z"]);
        using var s = Check(m, 1, 0, 1);
    }

    [Fact]
    public void ConvOutputThatIsAGraphOutputIsNotFolded()
    {
        var m = ConvThen(true, ("Add", [2f], [], false));
        m.Output("t0", F, 1, M, 6, 6);
        using var s = Check(m, 1, 1, 0);
    }

    [Fact]
    public void NonConstantWeightsOrOperandAreNotFolded()
    {
        var m = new ModelBuilder(13).Input("x", F, 1, 2, 6, 6).Input("w", F, M, 2, 3, 3).Input("k", F, 1).Output("y", F, 1, M, 6, 6)
            .Initializer("c", [2f], 1)
            .Node("Conv", ["x", "w"], ["a"], Attr("pads", [1L, 1, 1, 1])).Node("Mul", ["a", "c"], ["b"])
            .Node("Add", ["b", "k"], ["y"]);
        var feed = new[]
        {
            NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(Random(72, 3), [1, 2, 6, 6])),
            NamedOnnxValue.CreateFromTensor("w", new DenseTensor<float>(Random(M * 18, 4), [M, 2, 3, 3])),
            NamedOnnxValue.CreateFromTensor("k", new DenseTensor<float>(new[] { 0.5f }, [1])),
        };
        using var s = new InferenceSession(m.ToBytes());
        using var r = s.Run(feed);
        Assert.Equal(1, Count(s, "Mul"));
        Assert.Equal(1, Count(s, "Add"));
    }

    [Fact]
    public void DoubleConvIsNotFolded()
    {
        static TensorProto Doubles(string name, double[] v, params long[] dims)
        {
            var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Double };
            t.Dims.AddRange(dims);
            t.DoubleData.AddRange(v);
            return t;
        }
        var d = TensorProto.Types.DataType.Double;
        var m = new ModelBuilder(13).Input("x", d, 1, 2, 6, 6).Output("y", d, 1, M, 6, 6)
            .Initializer(Doubles("w", Random(M * 18, 1).Select(v => (double)v).ToArray(), M, 2, 3, 3)).Initializer(Doubles("c", [2.0]))
            .Node("Conv", ["x", "w"], ["t"], Attr("pads", [1L, 1, 1, 1])).Node("Mul", ["t", "c"], ["y"]);
        using var s = new InferenceSession(m.ToBytes());
        using var r = s.Run([NamedOnnxValue.CreateFromTensor("x", new DenseTensor<double>(Random(72, 3).Select(v => (double)v).ToArray(), [1, 2, 6, 6]))]);
        Assert.Equal(1, Count(s, "Mul"));
        Assert.Equal(M * 36, r[0].AsTensor<double>().ToArray().Length);
    }

    [Fact]
    public void MnistAddIsFolded()
    {
        string path = Path.Combine(RepoPaths.Models, "mnist", "mnist-8.onnx");
        using var plain = new InferenceSession(path, new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL });
        using var optimized = new InferenceSession(path);
        Assert.Equal(2, plain.Plan.Nodes.Count(n => n.OpType == "Add" && Producer(plain, n.Inputs[0])?.OpType == "Conv"));
        Assert.DoesNotContain(optimized.Plan.Nodes, n => n.OpType == "Add" && Producer(optimized, n.Inputs[0])?.OpType is "Conv" or "FusedConv");
        Assert.Equal(2, Count(optimized, "FusedConv"));
        string input = plain.InputNames[0];
        var feed = new[] { NamedOnnxValue.CreateFromTensor(input, new DenseTensor<float>(Random(28 * 28, 9), [1, 1, 28, 28])) };
        using var a = plain.Run(feed);
        using var b = optimized.Run(feed);
        AssertClose(a[0].AsTensor<float>().ToArray(), b[0].AsTensor<float>().ToArray(), 1e-5f);
    }

    [Fact]
    public void PpocrRecScaledConvsFold()
    {
        // PP-OCRv4 rec (MobileOne blocks) scales 28 convolutions by a constant after the (folded) BatchNorm.
        string path = Path.Combine(RepoPaths.Models, "ppocr", "ch_PP-OCRv4_rec_infer.onnx");
        using var plain = new InferenceSession(path, new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL });
        using var optimized = new InferenceSession(path);
        int before = FoldableAfterConv(plain), after = FoldableAfterConv(optimized);
        output.WriteLine($"constant Add/Mul solely reading a Conv output: {before} before, {after} after");
        Assert.True(before >= 28, $"{before}");
        Assert.Equal(0, after);
        var feed = new[] { NamedOnnxValue.CreateFromTensor(plain.InputNames[0], new DenseTensor<float>(Random(3 * 48 * 320, 4), [1, 3, 48, 320])) };
        using var a = plain.Run(feed);
        using var b = optimized.Run(feed);
        AssertClose(a[0].AsTensor<float>().ToArray(), b[0].AsTensor<float>().ToArray(), 1e-4f);
    }

    private static Node? Producer(InferenceSession s, string value) => s.Plan.Nodes.FirstOrDefault(n => n.Outputs.Contains(value));

    /// <summary>Add/Mul nodes that are the only reader of a Conv output and whose other operand is a constant.</summary>
    private static int FoldableAfterConv(InferenceSession s) =>
        s.Plan.Nodes.Count(op => op.OpType is "Add" or "Mul" && op.Inputs.Count == 2 && op.Inputs.Any(i =>
            Producer(s, i) is { OpType: "Conv" or "FusedConv" } && s.Plan.Nodes.Count(x => x.Inputs.Contains(i)) == 1
            && op.Inputs.FirstOrDefault(x => x != i) is { } other && Producer(s, other) is null or { OpType: "Constant" }));
}
