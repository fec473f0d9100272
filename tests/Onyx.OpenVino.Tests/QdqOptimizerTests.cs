using Google.Protobuf;
using Onnx;
using Xunit;

namespace Onyx.OpenVino.Tests;

/// <summary>The provider's enable_qdq_optimizer hook: when the QDQ fusion runs, and that a compiled CPU subgraph runs QLinearConv.</summary>
public class QdqOptimizerTests
{
    public QdqOptimizerTests() => TestKernels.EnsureRegistered();

    [Theory]
    [InlineData(false, "CPU", true)]
    [InlineData(true, "CPU", true)]
    [InlineData(false, "GPU", false)]
    [InlineData(true, "GPU", true)]
    [InlineData(false, "CPU,GPU", false)]
    public void EnabledByOptionOrCpu(bool option, string devices, bool expected) =>
        Assert.Equal(expected, QdqOptimizer.Enabled(option, devices.Split(',')));

    private static TensorProto Raw(string name, TensorProto.Types.DataType type, byte[] data, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(data) };
        t.Dims.AddRange(dims);
        return t;
    }

    private static TensorProto Floats(string name, float[] data, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        t.FloatData.AddRange(data);
        return t;
    }

    /// <summary>x → Q → DQ → Conv(DQ(w), b) → Q → DQ → y, per-channel weights.</summary>
    private static byte[] QdqConv()
    {
        var g = new GraphProto { Name = "qdq" };
        var w = new byte[4 * 3 * 9];
        new System.Random(3).NextBytes(w);
        g.Initializer.Add(Floats("xs", [0.02f]));
        g.Initializer.Add(Raw("xz", TensorProto.Types.DataType.Uint8, [128]));
        g.Initializer.Add(Raw("wq", TensorProto.Types.DataType.Int8, w, 4, 3, 3, 3));
        g.Initializer.Add(Floats("ws", [0.01f, 0.02f, 0.005f, 0.008f], 4));
        g.Initializer.Add(Raw("wz", TensorProto.Types.DataType.Int8, new byte[4], 4));
        g.Initializer.Add(Floats("b", [0.1f, -0.2f, 0.3f, 0f], 4));
        g.Initializer.Add(Floats("ys", [0.05f]));
        g.Initializer.Add(Raw("yz", TensorProto.Types.DataType.Uint8, [100]));
        void Node(string op, string[] ins, string outp, long? axis = null)
        {
            var n = new NodeProto { OpType = op, Name = outp };
            n.Input.AddRange(ins);
            n.Output.Add(outp);
            if (axis is { } a) n.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = a });
            if (op == "Conv")
            {
                var p = new AttributeProto { Name = "pads", Type = AttributeProto.Types.AttributeType.Ints };
                p.Ints.AddRange([1, 1, 1, 1]);
                n.Attribute.Add(p);
            }
            g.Node.Add(n);
        }
        Node("QuantizeLinear", ["x", "xs", "xz"], "xq");
        Node("DequantizeLinear", ["xq", "xs", "xz"], "xf");
        Node("DequantizeLinear", ["wq", "ws", "wz"], "wf", 0);
        Node("Conv", ["xf", "wf", "b"], "c");
        Node("QuantizeLinear", ["c", "ys", "yz"], "yq");
        Node("DequantizeLinear", ["yq", "ys", "yz"], "y");
        var dims = new TensorShapeProto();
        foreach (long d in new long[] { 1, 3, 6, 6 }) dims.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        g.Input.Add(new ValueInfoProto { Name = "x", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = dims } } });
        g.Output.Add(new ValueInfoProto { Name = "y" });
        var m = new ModelProto { IrVersion = 9, Graph = g, ProducerName = "test" };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return m.ToByteArray();
    }

    [Fact]
    public void CpuSubgraphRunsQLinearConv()
    {
        byte[] model = QdqConv();
        var so = Run.Ov(("enable_qdq_optimizer", "True"));
        so.GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL; // the provider's own compile must do the fusion
        using var ov = new InferenceSession(model, so);
        var compiled = Run.State(ov).Compiled.Subgraphs.Single();
        Assert.Contains(compiled.Optimized.Nodes, n => n.OpType == "QLinearConv");
        Assert.DoesNotContain(compiled.Optimized.Nodes, n => n.OpType == "Conv");

        using var cpu = new InferenceSession(model, new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL });
        var x = Run.Random(3 * 36, 5).Select(v => v * 2).ToArray();
        var a = Run.One(ov, "x", x, 1, 3, 6, 6);
        var b = Run.One(cpu, "x", x, 1, 3, 6, 6);
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) <= 0.0501f, $"[{i}] {a[i]} vs {b[i]}");
    }
}
