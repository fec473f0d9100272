using Google.Protobuf;
using Onnx;
using Onyx.Onnx;
using Onyx.Tensors;
using Xunit;
using DT = Onnx.TensorProto.Types.DataType;

namespace Onyx.Tests.Loading;

/// <summary>
/// The loader strips the main graph's raw_data payloads before protobuf parsing and copies each one
/// straight from the file: the loaded model must be exactly what parsing the whole file gives, and
/// anything the stripper does not understand must fall back to the plain parse.
/// </summary>
public sealed class InitializerStripperTests
{
    private static TensorProto Raw(string name, DT type, byte[] bytes, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        t.Dims.AddRange(dims);
        return t;
    }

    /// <summary>A model with raw, typed, packed 4-bit, bool, string and empty initializers, a Constant, and a subgraph initializer.</summary>
    private static ModelBuilder Mixed()
    {
        var rng = new Random(3);
        var floats = new float[37];
        for (int i = 0; i < floats.Length; i++) floats[i] = (float)rng.NextDouble() - 0.5f;
        var b = new ModelBuilder().Input("x", DT.Float, 37).Output("y", DT.Float, 37)
            .Initializer(Raw("w_raw", DT.Float, floats.SelectMany(BitConverter.GetBytes).ToArray(), 37))
            .Initializer("w_typed", [1f, 2f, 3f], 3)
            .Initializer(Raw("i64", DT.Int64, BitConverter.GetBytes(-5L).Concat(BitConverter.GetBytes(7L)).ToArray(), 2))
            .Initializer(Raw("nibbles", DT.Int4, [0x9F, 0x01], 3))
            .Initializer(Raw("flags", DT.Bool, [0, 2, 1], 3))
            .Initializer(Raw("empty", DT.Float, [], 0));
        var s = new TensorProto { Name = "names", DataType = (int)DT.String };
        s.Dims.Add(2);
        s.StringData.Add(ByteString.CopyFromUtf8("a"));
        s.StringData.Add(ByteString.CopyFromUtf8("bc"));
        b.Initializer(s);
        // raw_data written before the name and dims: field order must not matter.
        var early = new TensorProto { RawData = ByteString.CopyFrom(BitConverter.GetBytes(4.5f)), DataType = (int)DT.Float, Name = "early" };
        b.Initializer(early);
        var body = new GraphProto { Name = "then" };
        body.Initializer.Add(Raw("inner", DT.Float, BitConverter.GetBytes(9f)));
        body.Node.Add(new NodeProto { OpType = "Identity", Input = { "inner" }, Output = { "t" } });
        body.Output.Add(ModelBuilder.ValueInfo("t", DT.Float, []));
        b.Node("Add", ["x", "w_raw"], ["y"]);
        b.Graph.Node.Add(new NodeProto { OpType = "Constant", Output = { "c" },
            Attribute = { new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = Raw("cv", DT.Float, BitConverter.GetBytes(2f)) } } });
        b.Graph.Node.Add(new NodeProto { OpType = "If", Input = { "cond" }, Output = { "z" },
            Attribute = { new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = body },
                          new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = body } } });
        return b;
    }

    private static void AssertSameModel(Core.Ir.Model expected, Core.Ir.Model actual)
    {
        Assert.Equal(expected.Graph.Initializers.Keys, actual.Graph.Initializers.Keys);
        foreach (var (name, e) in expected.Graph.Initializers)
        {
            var a = actual.Graph.Initializers[name];
            Assert.Equal(e.DType, a.DType);
            Assert.Equal(e.Shape, a.Shape);
            if (e.DType == DType.String) Assert.Equal(e.Strings.ToArray(), a.Strings.ToArray());
            else Assert.Equal(e.Bytes.ToArray(), a.Bytes.ToArray());
        }
        Assert.Equal(expected.Graph.Nodes.Select(n => n.OpType), actual.Graph.Nodes.Select(n => n.OpType));
        var ifNode = actual.Graph.Nodes.Single(n => n.OpType == "If");
        Assert.Equal(9f, ifNode.Attributes.GetGraph("then_branch")!.Initializers["inner"].Span<float>()[0]);
        Assert.Equal(2f, actual.Graph.Nodes.Single(n => n.OpType == "Constant").Attributes.Get("value")!.Tensor!.Span<float>()[0]);
    }

    [Fact]
    public void StrippedLoadEqualsPlainParse()
    {
        var bytes = Mixed().ToBytes();
        var plain = OnnxModelLoader.Load(new MemoryStream(bytes), null);
        AssertSameModel(plain, OnnxModelLoader.Load(bytes));
        string path = Path.Combine(Path.GetTempPath(), $"onyx-strip-{Guid.NewGuid():N}.onnx");
        try
        {
            File.WriteAllBytes(path, bytes);
            AssertSameModel(plain, OnnxModelLoader.Load(path));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void StripperRemovesOnlyMainGraphPayloadsAndPointsAtThem()
    {
        var bytes = Mixed().ToBytes();
        var result = InitializerStripper.Strip(bytes);
        Assert.NotNull(result);
        var proto = ModelProto.Parser.ParseFrom(result.Model);
        var original = ModelProto.Parser.ParseFrom(bytes);
        Assert.Equal(original.Graph.Initializer.Count, result.Raw.Count);
        for (int i = 0; i < result.Raw.Count; i++)
        {
            Assert.True(proto.Graph.Initializer[i].RawData.IsEmpty);
            var (offset, length) = (result.Raw.Offset(i), result.Raw.Length(i));
            // A FLOAT tensor's packed float_data is taken as its raw_data (the same little-endian bytes).
            var orig = original.Graph.Initializer[i];
            bool floatsAsRaw = orig.RawData.IsEmpty && orig.DataType == (int)DT.Float && orig.FloatData.Count > 0;
            var payload = floatsAsRaw ? orig.FloatData.SelectMany(BitConverter.GetBytes).ToArray() : orig.RawData.ToByteArray();
            Assert.Equal(payload, bytes.AsSpan((int)offset, length).ToArray());
            // Everything else about the tensor is kept.
            var expected = orig.Clone();
            expected.RawData = ByteString.Empty;
            if (floatsAsRaw) expected.FloatData.Clear();
            Assert.Equal(expected, proto.Graph.Initializer[i]);
        }
        // A main-graph Constant's value is stripped too; subgraph tensors keep their bytes.
        int constant = proto.Graph.Node.IndexOf(proto.Graph.Node.Single(n => n.OpType == "Constant"));
        Assert.True(proto.Graph.Node[constant].Attribute[0].T.RawData.IsEmpty);
        Assert.Equal(1, result.AttributeRaw.Count);
        Assert.Equal((constant, 0), (result.AttributeRaw.TagA(0), result.AttributeRaw.TagB(0)));
        var (cOffset, cLength) = (result.AttributeRaw.Offset(0), result.AttributeRaw.Length(0));
        Assert.Equal(BitConverter.GetBytes(2f), bytes.AsSpan((int)cOffset, cLength).ToArray());
        Assert.False(proto.Graph.Node.Single(n => n.OpType == "If").Attribute[0].G.Initializer[0].RawData.IsEmpty);
        // Nothing else changed.
        var expectedModel = original.Clone();
        expectedModel.Graph.Initializer.Clear();
        expectedModel.Graph.Node[constant].Attribute[0].T.RawData = ByteString.Empty;
        var strippedModel = proto.Clone();
        strippedModel.Graph.Initializer.Clear();
        Assert.Equal(expectedModel, strippedModel);
    }

    [Fact]
    public void FloatDataIsTakenAsRawOnlyWhenItIsExactlyTheElements()
    {
        var b = new ModelBuilder().Input("x", DT.Float, 2).Output("y", DT.Float, 2).Node("Identity", ["x"], ["y"]);
        void Add(string name, DT type, long[] dims, Action<TensorProto> fill)
        {
            var t = new TensorProto { Name = name, DataType = (int)type };
            t.Dims.AddRange(dims);
            fill(t);
            b.Initializer(t);
        }
        Add("taken", DT.Float, [2, 3], t => t.FloatData.AddRange([1f, -2f, 3.5f, float.NaN, 0f, -0f]));
        Add("complex", DT.Complex64, [1], t => t.FloatData.AddRange([1f, 2f]));
        Add("scalar", DT.Float, [], t => t.FloatData.Add(7f));
        var bytes = b.ToBytes();
        var result = InitializerStripper.Strip(bytes)!;
        var proto = ModelProto.Parser.ParseFrom(result.Model);
        Assert.Empty(proto.Graph.Initializer[0].FloatData); // taken as raw
        Assert.Equal(24, result.Raw.Length(0));
        Assert.Equal(2, proto.Graph.Initializer[1].FloatData.Count); // COMPLEX64 keeps its float_data
        Assert.Empty(proto.Graph.Initializer[2].FloatData); // a scalar has one element
        AssertSameModelNoControlFlow(OnnxModelLoader.Load(new MemoryStream(bytes), null), OnnxModelLoader.Load(bytes));

        // A count that does not match the dims keeps float_data, so the error is the plain parse's.
        var bad = new ModelBuilder().Input("x", DT.Float, 2).Output("y", DT.Float, 2).Node("Identity", ["x"], ["y"]);
        var wrong = new TensorProto { Name = "wrong", DataType = (int)DT.Float };
        wrong.Dims.Add(3);
        wrong.FloatData.AddRange([1f, 2f]);
        bad.Initializer(wrong);
        var badBytes = bad.ToBytes();
        Assert.NotEmpty(ModelProto.Parser.ParseFrom(InitializerStripper.Strip(badBytes)!.Model).Graph.Initializer[0].FloatData);
        var plainError = Assert.Throws<OnnxRuntimeException>(() => OnnxModelLoader.Load(new MemoryStream(badBytes), null));
        var strippedError = Assert.Throws<OnnxRuntimeException>(() => OnnxModelLoader.Load(badBytes));
        Assert.Equal(plainError.Message, strippedError.Message);
    }

    private static void AssertSameModelNoControlFlow(Core.Ir.Model expected, Core.Ir.Model actual)
    {
        Assert.Equal(expected.Graph.Initializers.Keys, actual.Graph.Initializers.Keys);
        foreach (var (name, e) in expected.Graph.Initializers)
        {
            var a = actual.Graph.Initializers[name];
            Assert.Equal(e.DType, a.DType);
            Assert.Equal(e.Shape, a.Shape);
            Assert.Equal(e.Bytes.ToArray(), a.Bytes.ToArray());
        }
    }

    [Fact]
    public void ByteWriterAndByteRangesGrowPastTheirFirstCapacity()
    {
        var writer = new ByteWriter(3);
        var expected = new List<byte>();
        var rng = new Random(5);
        for (int i = 0; i < 200; i++)
        {
            var chunk = new byte[rng.Next(0, 9)];
            rng.NextBytes(chunk);
            writer.Write(chunk);
            expected.AddRange(chunk);
            ulong v = (ulong)rng.NextInt64() >> rng.Next(0, 64);
            writer.WriteVarint(v);
            for (; v >= 0x80; v >>= 7) expected.Add((byte)(v | 0x80));
            expected.Add((byte)v);
        }
        Assert.Equal(expected.ToArray(), writer.ToArray());
        Assert.Equal(expected.Count, writer.Count);
        writer.Clear();
        writer.WriteByte(7);
        Assert.Equal(new byte[] { 7 }, writer.Written.ToArray());

        var ranges = new ByteRanges();
        for (int i = 0; i < 100; i++) ranges.Add(i * 1000L + int.MaxValue, i, i + 1, i + 2);
        Assert.Equal(100, ranges.Count);
        for (int i = 0; i < 100; i++)
            Assert.Equal((i * 1000L + int.MaxValue, i, i + 1, i + 2), (ranges.Offset(i), ranges.Length(i), ranges.TagA(i), ranges.TagB(i)));
    }

    [Fact]
    public void UnusualWireFormatIsLeftToTheParser()
    {
        var bytes = Mixed().ToBytes();
        Assert.Null(InitializerStripper.Strip(bytes.AsSpan(0, bytes.Length - 3))); // truncated
        Assert.Null(InitializerStripper.Strip([0x0B, 0x0C])); // a group (wire type 3)
        var twice = bytes.Concat(new ModelProto { Graph = new GraphProto { Name = "second" } }.ToByteArray()).ToArray();
        Assert.Null(InitializerStripper.Strip(twice)); // graph field repeated: protobuf would merge them
        // The loader still loads (or rejects) such input exactly as the plain parser does.
        AssertSameModel(OnnxModelLoader.Load(new MemoryStream(twice), null), OnnxModelLoader.Load(twice));
        Assert.Throws<OnnxRuntimeException>(() => OnnxModelLoader.Load(bytes.AsSpan(0, bytes.Length - 3).ToArray()));
    }

    [Fact]
    public void ModelLocalFunctionWithTensorAttributeLoadsLikeThePlainParse()
    {
        var b = new ModelBuilder().Input("x", DT.Float, 1).Output("y", DT.Float, 1);
        var fn = new FunctionProto { Name = "AddConst", Domain = "local", Input = { "a" }, Output = { "b" }, Attribute = { "c" } };
        fn.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 21 });
        fn.Node.Add(new NodeProto { OpType = "Constant", Output = { "k" },
            Attribute = { new AttributeProto { Name = "value", RefAttrName = "c", Type = AttributeProto.Types.AttributeType.Tensor } } });
        fn.Node.Add(new NodeProto { OpType = "Add", Input = { "a", "k" }, Output = { "b" } });
        b.Proto.Functions.Add(fn);
        b.Proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "local", Version = 1 });
        b.Graph.Node.Add(new NodeProto { OpType = "AddConst", Domain = "local", Input = { "x" }, Output = { "y" },
            Attribute = { new AttributeProto { Name = "c", Type = AttributeProto.Types.AttributeType.Tensor, T = Raw("cv", DT.Float, BitConverter.GetBytes(3f), 1) } } });
        var model = OnnxModelLoader.Load(b.ToBytes());
        Assert.Equal(3f, model.Graph.Nodes.Single(n => n.OpType == "Constant").Attributes.Get("value")!.Tensor!.Span<float>()[0]);
    }
}
