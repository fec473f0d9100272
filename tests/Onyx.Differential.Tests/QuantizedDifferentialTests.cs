using Google.Protobuf;
using Onnx;
using Onyx.Tensors;
using Xunit;
using Ort = Microsoft.ML.OnnxRuntime;
using DT = Onnx.TensorProto.Types.DataType;

namespace Onyx.Differential.Tests;

/// <summary>
/// The integer ops (MatMulInteger, QLinearMatMul, ConvInteger, QLinearConv) against ONNX Runtime on
/// seeded random uint8/int8 data, per-tensor and per-channel, constant (prepacked) and fed weights.
/// Integer results must match exactly; requantized ones too (both follow MLAS's float32 requantization).
/// </summary>
public sealed class QuantizedDifferentialTests
{
    /// <summary>One input: fed (Value != null is an initializer) with element type and shape.</summary>
    private sealed record In(string Name, DT Type, long[] Shape, bool Const, float[]? Floats = null, int[]? Ints = null);

    private static byte[] Model(string op, In[] inputs, Dictionary<string, long[]> ints, Dictionary<string, long> scalars, Random rng, out List<(string, DT, long[], byte[])> feeds)
    {
        var g = new GraphProto { Name = op };
        var model = new ModelProto { IrVersion = 9, ProducerName = "onyx-differential", Graph = g };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 21 });
        var node = new NodeProto { OpType = op, Name = "op" };
        feeds = [];
        foreach (var i in inputs)
        {
            if (i.Name == "") { node.Input.Add(""); continue; }
            node.Input.Add(i.Name);
            long count = i.Shape.Aggregate(1L, (a, b) => a * b);
            if (i.Const)
            {
                var t = new TensorProto { Name = i.Name, DataType = (int)i.Type };
                t.Dims.AddRange(i.Shape);
                if (i.Type == DT.Float) t.FloatData.AddRange(i.Floats ?? Enumerable.Range(0, (int)count).Select(_ => (float)(0.002 + rng.NextDouble() * 0.02)));
                else if (i.Type == DT.Int32) t.Int32Data.AddRange(i.Ints ?? Enumerable.Range(0, (int)count).Select(_ => rng.Next(-5000, 5000)));
                else
                {
                    var bytes = new byte[count];
                    if (i.Ints is not null) for (int k = 0; k < count; k++) bytes[k] = (byte)i.Ints[k];
                    else rng.NextBytes(bytes);
                    t.RawData = ByteString.CopyFrom(bytes);
                }
                g.Initializer.Add(t);
            }
            else
            {
                var bytes = new byte[count];
                rng.NextBytes(bytes);
                feeds.Add((i.Name, i.Type, i.Shape, bytes));
                var shape = new TensorShapeProto();
                foreach (var d in i.Shape) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
                g.Input.Add(new ValueInfoProto { Name = i.Name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)i.Type, Shape = shape } } });
            }
        }
        foreach (var (k, v) in ints)
        {
            var a = new AttributeProto { Name = k, Type = AttributeProto.Types.AttributeType.Ints };
            a.Ints.AddRange(v);
            node.Attribute.Add(a);
        }
        foreach (var (k, v) in scalars) node.Attribute.Add(new AttributeProto { Name = k, Type = AttributeProto.Types.AttributeType.Int, I = v });
        node.Output.Add("y");
        g.Output.Add(new ValueInfoProto { Name = "y" });
        g.Node.Add(node);
        return model.ToByteArray();
    }

    private static void Check(string label, byte[] model, List<(string Name, DT Type, long[] Shape, byte[] Data)> feeds)
    {
        using var ort = new Ort.InferenceSession(model);
        var ortIn = feeds.Select(f => f.Type == DT.Int8
            ? Ort.OrtValue.CreateTensorValueFromMemory(f.Data.Select(b => (sbyte)b).ToArray(), f.Shape)
            : Ort.OrtValue.CreateTensorValueFromMemory(f.Data, f.Shape)).ToList();
        using var ortOut = ort.Run(new Ort.RunOptions(), feeds.Select(f => f.Name).ToList(), ortIn, ["y"]);
        using var session = new InferenceSession(model);
        var onyxIn = feeds.Select(f =>
        {
            var t = Tensor.Allocate(f.Type == DT.Int8 ? DType.Int8 : DType.UInt8, f.Shape.Select(d => (int)d).ToArray());
            f.Data.CopyTo(t.Bytes);
            return NamedOnnxValue.CreateFromOnnxValue(f.Name, t);
        }).ToList();
        using var results = session.Run(onyxIn, ["y"]);
        var actual = (Tensor)results[0].OnnxValue;
        var info = ortOut[0].GetTensorTypeAndShape();
        Assert.True(info.Shape.SequenceEqual(actual.Shape.Select(d => (long)d)), $"{label}: shape {actual.ShapeString} vs [{string.Join(",", info.Shape)}]");
        long[] expected = info.ElementDataType switch
        {
            Ort.Tensors.TensorElementType.Int32 => ortOut[0].GetTensorDataAsSpan<int>().ToArray().Select(v => (long)v).ToArray(),
            Ort.Tensors.TensorElementType.UInt8 => ortOut[0].GetTensorDataAsSpan<byte>().ToArray().Select(v => (long)v).ToArray(),
            Ort.Tensors.TensorElementType.Int8 => ortOut[0].GetTensorDataAsSpan<sbyte>().ToArray().Select(v => (long)v).ToArray(),
            var t => throw new InvalidOperationException(t.ToString()),
        };
        long[] got = actual.ToInt64Array();
        for (int i = 0; i < expected.Length; i++)
            if (expected[i] != got[i]) Assert.Fail($"{label}: element {i}: ONNX Runtime {expected[i]}, Onyx {got[i]}");
        foreach (var v in ortIn) v.Dispose();
    }

    public static TheoryData<string, int, int, int, bool, bool> MatMulCases() => new()
    {
        { "2d", 1, 7, 13, true, false }, { "2d_large", 1, 64, 256, true, true }, { "batched", 3, 5, 40, true, false },
        { "fed_b", 2, 9, 17, false, true }, { "gemv", 1, 1, 300, true, true },
    };

    [Theory]
    [MemberData(nameof(MatMulCases))]
    public void MatMulIntegerMatches(string label, int batch, int m, int k, bool constB, bool signedB)
    {
        var rng = new Random(label.Length * 31 + m);
        int n = 37;
        DT bt = signedB ? DT.Int8 : DT.Uint8;
        var model = Model("MatMulInteger", [
            new In("a", DT.Uint8, [batch, m, k], false), new In("b", bt, [k, n], constB),
            new In("azp", DT.Uint8, [], true, Ints: [rng.Next(256)]), new In("bzp", bt, [n], true),
        ], [], [], rng, out var feeds);
        Check("MatMulInteger_" + label, model, feeds);
    }

    [Theory]
    [MemberData(nameof(MatMulCases))]
    public void QLinearMatMulMatches(string label, int batch, int m, int k, bool constB, bool signedB)
    {
        var rng = new Random(label.Length * 17 + k);
        int n = 33;
        DT bt = signedB ? DT.Int8 : DT.Uint8, yt = DT.Uint8;
        bool perColumn = label.Length % 2 == 0;
        var model = Model("QLinearMatMul", [
            new In("a", DT.Uint8, [batch, m, k], false), new In("as", DT.Float, [], true, [0.02f]), new In("azp", DT.Uint8, [], true, Ints: [rng.Next(256)]),
            new In("b", bt, [k, n], constB), new In("bs", DT.Float, perColumn ? [n] : [], true), new In("bzp", bt, perColumn ? [n] : [], true, Ints: perColumn ? new int[n] : null),
            new In("ys", DT.Float, [], true, [0.05f + 0.01f * k / 10]), new In("yzp", yt, [], true, Ints: [signedB ? 3 : 120]),
        ], [], [], rng, out var feeds);
        Check("QLinearMatMul_" + label, model, feeds);
    }

    public static TheoryData<string, int, int, int, int, int, int, int, bool> ConvCases() => new()
    {
        // label, cin, cout, hw, k, stride, pad, group, constW
        { "3x3", 3, 8, 9, 3, 1, 1, 1, true }, { "stride2", 4, 6, 11, 3, 2, 0, 1, true }, { "1x1", 16, 32, 7, 1, 1, 0, 1, true },
        { "group2", 8, 12, 6, 3, 1, 1, 2, true }, { "depthwise", 16, 16, 10, 3, 2, 1, 16, true }, { "fed_w", 5, 7, 8, 3, 1, 1, 1, false },
        { "5x5", 8, 40, 13, 5, 1, 2, 1, true },
    };

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void ConvIntegerMatches(string label, int cin, int cout, int hw, int k, int stride, int pad, int group, bool constW)
    {
        var rng = new Random(label.Length * 7 + cin);
        var model = Model("ConvInteger", [
            new In("x", DT.Uint8, [2, cin, hw, hw], false), new In("w", DT.Uint8, [cout, cin / group, k, k], constW),
            new In("xzp", DT.Uint8, [], true, Ints: [rng.Next(256)]), new In("wzp", DT.Uint8, [], true, Ints: [rng.Next(256)]),
        ], new() { ["pads"] = [pad, pad, pad, pad], ["strides"] = [stride, stride] }, new() { ["group"] = group }, rng, out var feeds);
        Check("ConvInteger_" + label, model, feeds);
    }

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void QLinearConvMatches(string label, int cin, int cout, int hw, int k, int stride, int pad, int group, bool constW)
    {
        var rng = new Random(label.Length * 13 + cout);
        bool signedX = label.Length % 2 == 1;
        DT xt = signedX ? DT.Int8 : DT.Uint8;
        var model = Model("QLinearConv", [
            new In("x", xt, [1, cin, hw, hw], false), new In("xs", DT.Float, [], true, [0.03f]), new In("xzp", xt, [], true, Ints: [signedX ? -5 : 128]),
            new In("w", DT.Int8, [cout, cin / group, k, k], constW), new In("ws", DT.Float, [cout], true), new In("wzp", DT.Int8, [cout], true, Ints: new int[cout]),
            new In("ys", DT.Float, [], true, [0.08f]), new In("yzp", xt, [], true, Ints: [signedX ? 2 : 100]), new In("bias", DT.Int32, [cout], true),
        ], new() { ["pads"] = [pad, pad, pad, pad], ["strides"] = [stride, stride] }, new() { ["group"] = group }, rng, out var feeds);
        Check("QLinearConv_" + label, model, feeds);
    }
}
