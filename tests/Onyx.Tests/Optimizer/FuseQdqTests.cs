using Google.Protobuf;
using Onnx;
using Onyx.Tensors;
using Xunit;
using static Onyx.Tests.ModelBuilder;

namespace Onyx.Tests.Optimizer;

/// <summary>FuseQdq: DQ → Conv/MatMul → Q groups become QLinearConv/QLinearMatMul, outputs within one quantization step.</summary>
public sealed class FuseQdqTests
{
    private const TensorProto.Types.DataType F = TensorProto.Types.DataType.Float;

    private static TensorProto Bytes(string name, TensorProto.Types.DataType type, byte[] data, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(data) };
        t.Dims.AddRange(dims);
        return t;
    }

    private static TensorProto Ints(string name, int[] data, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int32 };
        t.Dims.AddRange(dims);
        t.Int32Data.AddRange(data);
        return t;
    }

    private static float[] Random(int n, int seed, float scale = 1f)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1) * scale).ToArray();
    }

    private static byte[] RandomBytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static (float[] Off, float[] On, InferenceSession Optimized) RunBoth(ModelBuilder m, float[] x, int[] shape)
    {
        var feed = new[] { NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(x, shape)) };
        using var plain = new InferenceSession(m.ToBytes(), new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL });
        var optimized = new InferenceSession(m.ToBytes(), new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED });
        using var a = plain.Run(feed);
        using var b = optimized.Run(feed);
        return (a[0].AsTensor<float>().ToArray(), b[0].AsTensor<float>().ToArray(), optimized);
    }

    private static int Count(InferenceSession s, string op) => s.Plan.Nodes.Count(n => n.OpType == op);

    private static void WithinOneStep(float[] off, float[] on, float step)
    {
        Assert.Equal(off.Length, on.Length);
        for (int i = 0; i < off.Length; i++) Assert.True(Math.Abs(off[i] - on[i]) <= step * 1.001f, $"[{i}] fused {on[i]} vs unfused {off[i]} (step {step})");
    }

    /// <summary>x → Q → DQ → Conv(DQ(w per channel), bias) [→ Relu] → Q → DQ → y.</summary>
    private static ModelBuilder ConvModel(bool int32Bias, bool relu, int cout = 6)
    {
        const float xs = 0.02f, ys = 0.05f;
        var ws = Random(cout, 7).Select(v => 0.004f + Math.Abs(v) * 0.01f).ToArray();
        var m = new ModelBuilder(13).Input("x", F, 1, 4, 7, 7).Output("y", F, 1, cout, 7, 7)
            .Initializer("xs", [xs]).Initializer(Bytes("xz", TensorProto.Types.DataType.Uint8, [128]))
            .Initializer("ws", ws, cout).Initializer(Bytes("wz", TensorProto.Types.DataType.Int8, new byte[cout], cout))
            .Initializer(Bytes("wq", TensorProto.Types.DataType.Int8, RandomBytes(cout * 4 * 9, 3), cout, 4, 3, 3))
            .Initializer("ys", [ys]).Initializer(Bytes("yz", TensorProto.Types.DataType.Uint8, [relu ? (byte)0 : (byte)110]))
            .Node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]).Node("DequantizeLinear", ["xq", "xs", "xz"], ["xf"])
            .Node("DequantizeLinear", ["wq", "ws", "wz"], ["wf"], Attr("axis", 0L));
        if (int32Bias)
        {
            var bs = ws.Select(w => w * xs).ToArray();
            m.Initializer(Ints("bq", Random(cout, 9, 3000).Select(v => (int)v).ToArray(), cout)).Initializer("bs", bs, cout)
             .Node("DequantizeLinear", ["bq", "bs"], ["b"], Attr("axis", 0L));
        }
        else m.Initializer("b", Random(cout, 9, 0.5f), cout);
        m.Node("Conv", ["xf", "wf", "b"], ["c"], Attr("pads", [1L, 1, 1, 1]));
        string pre = "c";
        if (relu) { m.Node("Relu", ["c"], ["r"]); pre = "r"; }
        return m.Node("QuantizeLinear", [pre, "ys", "yz"], ["yq"]).Node("DequantizeLinear", ["yq", "ys", "yz"], ["y"]);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void ConvGroupBecomesQLinearConv(bool int32Bias, bool relu)
    {
        var (off, on, s) = RunBoth(ConvModel(int32Bias, relu), Random(4 * 49, 5, 2f), [1, 4, 7, 7]);
        Assert.Equal(1, Count(s, "QLinearConv"));
        Assert.Equal(0, Count(s, "Conv") + Count(s, "FusedConv") + Count(s, "Relu"));
        Assert.Equal(1, Count(s, "QuantizeLinear"));
        Assert.Equal(1, Count(s, "DequantizeLinear"));
        WithinOneStep(off, on, 0.05f);
    }

    [Fact]
    public void Relu6BeforeAFullRangeQIsDropped()
    {
        var m = ConvModel(false, relu: true);
        var relu = m.Graph.Node.First(n => n.OpType == "Relu");
        relu.OpType = "Clip";
        relu.Input.Add("lo");
        relu.Input.Add("hi");
        m.Initializer("lo", [0f]).Initializer("hi", [6f]);
        m.Graph.Initializer.First(t => t.Name == "ys").FloatData[0] = 6f / 255f;
        var (off, on, s) = RunBoth(m, Random(4 * 49, 5, 2f), [1, 4, 7, 7]);
        Assert.Equal(1, Count(s, "QLinearConv"));
        Assert.Equal(0, Count(s, "Clip"));
        WithinOneStep(off, on, 6f / 255f);
    }

    [Fact]
    public void ReluStaysWhenZeroPointIsNotTheMinimum()
    {
        var m = ConvModel(false, relu: true);
        m.Graph.Initializer.First(t => t.Name == "yz").RawData = ByteString.CopyFrom([(byte)10]);
        var (off, on, s) = RunBoth(m, Random(4 * 49, 5, 2f), [1, 4, 7, 7]);
        Assert.Equal(0, Count(s, "QLinearConv"));
        WithinOneStep(off, on, 1e-6f);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void MatMulGroupBecomesQLinearMatMul(bool perColumn)
    {
        int k = 24, n = 10;
        var bs = perColumn ? Random(n, 4).Select(v => 0.003f + Math.Abs(v) * 0.01f).ToArray() : [0.006f];
        long[] sdims = perColumn ? [n] : [];
        var m = new ModelBuilder(13).Input("x", F, 3, k).Output("y", F, 3, n)
            .Initializer("xs", [0.015f]).Initializer(Bytes("xz", TensorProto.Types.DataType.Uint8, [120]))
            .Initializer("bs", bs, sdims).Initializer(Bytes("bz", TensorProto.Types.DataType.Int8, new byte[bs.Length], sdims))
            .Initializer(Bytes("bq", TensorProto.Types.DataType.Int8, RandomBytes(k * n, 8), k, n))
            .Initializer("ys", [0.04f]).Initializer(Bytes("yz", TensorProto.Types.DataType.Uint8, [128]))
            .Node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]).Node("DequantizeLinear", ["xq", "xs", "xz"], ["xf"])
            .Node("DequantizeLinear", ["bq", "bs", "bz"], ["bf"], Attr("axis", 1L))
            .Node("MatMul", ["xf", "bf"], ["c"])
            .Node("QuantizeLinear", ["c", "ys", "yz"], ["yq"]).Node("DequantizeLinear", ["yq", "ys", "yz"], ["y"]);
        var (off, on, s) = RunBoth(m, Random(3 * k, 6, 1.5f), [3, k]);
        Assert.Equal(1, Count(s, "QLinearMatMul"));
        Assert.Equal(0, Count(s, "MatMul") + Count(s, "Gemm"));
        WithinOneStep(off, on, 0.04f);
    }
}
