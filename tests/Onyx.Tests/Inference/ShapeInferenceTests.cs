using Google.Protobuf;
using Onnx;
using Onyx.Core.Inference;
using Onyx.Core.Ir;
using Onyx.Tensors;
using Xunit;
using static Onyx.Tests.ModelBuilder;

namespace Onyx.Tests.Inference;

/// <summary>Static shape and type inference on small built graphs.</summary>
public sealed class ShapeInferenceTests
{
    private const TensorProto.Types.DataType F = TensorProto.Types.DataType.Float;
    private const TensorProto.Types.DataType I64 = TensorProto.Types.DataType.Int64;

    internal static TensorProto Ints(string name, long[] values, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)I64 };
        t.Dims.AddRange(dims);
        t.Int64Data.AddRange(values);
        return t;
    }

    internal static TensorProto Floats(string name, float[] values, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)F };
        t.Dims.AddRange(dims);
        t.FloatData.AddRange(values);
        return t;
    }

    private static AttributeProto Str(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    private static AttributeProto TensorAttr(string name, TensorProto t) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = t };

    private static Graph Infer(ModelBuilder m)
    {
        var model = Onyx.Onnx.OnnxModelLoader.Load(m.ToBytes());
        ShapeInference.Infer(model.Graph);
        return model.Graph;
    }

    private static string T(Graph g, string name) => g.TypeOf(name)?.ToString() ?? "none";

    [Fact]
    public void UnaryAndBroadcastKeepSymbols()
    {
        var g = Infer(new ModelBuilder(17).Input("x", F, -1, 3, 1).Input("y", F, 4).Input("z", F, -1, 1, 1)
            .Node("Relu", ["x"], ["r"]).Node("Add", ["r", "y"], ["a"]).Node("Mul", ["a", "z"], ["m"])
            .Node("Greater", ["m", "y"], ["c"]).Node("Where", ["c", "m", "y"], ["w"]).Node("Not", ["c"], ["n"])
            .Node("Sum", ["x", "y", "z"], ["s"]));
        Assert.Equal("tensor(float)[d0,3,1]", T(g, "r"));
        Assert.Equal("tensor(float)[d0,3,4]", T(g, "a"));
        Assert.Equal("tensor(float)[d0,3,4]", T(g, "m")); // d0 (x) and d0 (z) are the same symbol
        Assert.Equal("tensor(bool)[d0,3,4]", T(g, "c"));
        Assert.Equal("tensor(float)[d0,3,4]", T(g, "w"));
        Assert.Equal("tensor(bool)[d0,3,4]", T(g, "n"));
        Assert.Equal("tensor(float)[d0,3,4]", T(g, "s"));
    }

    [Fact]
    public void BroadcastContradictionThrowsNamingNode()
    {
        var m = new ModelBuilder(17).Input("x", F, 2, 3).Input("y", F, 4).Node("Add", ["x", "y"], ["a"]);
        var e = Assert.Throws<OnnxRuntimeException>(() => Infer(m));
        Assert.Equal(ErrorCode.InvalidGraph, e.ErrorCode);
        Assert.Contains("add_0", e.Message);
    }

    [Fact]
    public void MatMulShapesAndContradiction()
    {
        var g = Infer(new ModelBuilder(17).Input("a", F, -1, 8, 2, 3).Input("b", F, 3, 5).Input("v", F, 3).Input("w", F, 5)
            .Node("MatMul", ["a", "b"], ["ab"]).Node("MatMul", ["v", "b"], ["vb"]).Node("MatMul", ["a", "v"], ["av"])
            .Node("MatMul", ["vb", "w"], ["dot"]));
        Assert.Equal("tensor(float)[d0,8,2,5]", T(g, "ab"));
        Assert.Equal("tensor(float)[5]", T(g, "vb"));
        Assert.Equal("tensor(float)[d0,8,2]", T(g, "av"));
        Assert.Equal("tensor(float)[]", T(g, "dot"));

        var bad = new ModelBuilder(17).Input("a", F, 2, 3).Input("b", F, 4, 5).Node("MatMul", ["a", "b"], ["y"]);
        var e = Assert.Throws<OnnxRuntimeException>(() => Infer(bad));
        Assert.Equal(ErrorCode.InvalidGraph, e.ErrorCode);
        Assert.Contains("MatMul", e.Message);
        Assert.Contains("'b'", e.Message);
        Assert.Contains("3 vs 4", e.Message);
    }

    [Fact]
    public void GemmAndTransposes()
    {
        var g = Infer(new ModelBuilder(13).Input("a", F, -1, 16).Input("b", F, 10, 16).Input("c", F, 10)
            .Node("Gemm", ["a", "b", "c"], ["y"], Attr("transB", 1L))
            .Node("Transpose", ["y"], ["yt"]).Node("Flatten", ["a"], ["f"], Attr("axis", 0L)));
        Assert.Equal("tensor(float)[d0,10]", T(g, "y"));
        Assert.Equal("tensor(float)[10,d0]", T(g, "yt"));
        Assert.Equal("tensor(float)[1,?]", T(g, "f"));
    }

    [Fact]
    public void ConvPoolingShapes()
    {
        var g = Infer(new ModelBuilder(13).Input("x", F, -1, 3, 32, 31).Initializer("w", new float[8 * 3 * 9], 8, 3, 3, 3)
            .Node("Conv", ["x", "w"], ["c1"], Attr("strides", new long[] { 2, 2 }), Attr("pads", new long[] { 1, 1, 1, 1 }))
            .Node("Conv", ["x", "w"], ["c2"], Str("auto_pad", "SAME_UPPER"), Attr("strides", new long[] { 2, 2 }))
            .Node("Conv", ["x", "w"], ["c3"], Attr("dilations", new long[] { 2, 2 }))
            .Node("MaxPool", ["c1"], ["p1"], Attr("kernel_shape", new long[] { 3, 3 }), Attr("strides", new long[] { 2, 2 }), Attr("ceil_mode", 1L))
            .Node("AveragePool", ["c1"], ["p2"], Attr("kernel_shape", new long[] { 2, 2 }), Attr("strides", new long[] { 2, 2 }))
            .Node("GlobalAveragePool", ["c1"], ["gp"])
            .Initializer("wt", new float[8 * 4 * 4], 8, 4, 2, 2)
            .Node("ConvTranspose", ["c1", "wt"], ["ct"], Attr("strides", new long[] { 2, 2 })));
        Assert.Equal("tensor(float)[d0,8,16,16]", T(g, "c1"));
        Assert.Equal("tensor(float)[d0,8,16,16]", T(g, "c2"));
        Assert.Equal("tensor(float)[d0,8,28,27]", T(g, "c3"));
        Assert.Equal("tensor(float)[d0,8,8,8]", T(g, "p1"));
        Assert.Equal("tensor(float)[d0,8,8,8]", T(g, "p2"));
        Assert.Equal("tensor(float)[d0,8,1,1]", T(g, "gp"));
        Assert.Equal("tensor(float)[d0,4,32,32]", T(g, "ct"));
    }

    [Fact]
    public void ConvChannelMismatchThrows()
    {
        var m = new ModelBuilder(13).Input("x", F, 1, 4, 8, 8).Initializer("w", new float[8 * 3 * 9], 8, 3, 3, 3).Node("Conv", ["x", "w"], ["y"]);
        Assert.Equal(ErrorCode.InvalidGraph, Assert.Throws<OnnxRuntimeException>(() => Infer(m)).ErrorCode);
    }

    [Fact]
    public void ReshapeFromShapeArithmetic()
    {
        // x[batch,3,4] -> Shape -> Gather(0) -> Unsqueeze -> Concat with [-1] -> Reshape
        var g = Infer(new ModelBuilder(13).Input("x", F, -1, 3, 4)
            .Initializer(Ints("zero", [0])).Initializer(Ints("axes0", [0], 1)).Initializer(Ints("minus1", [-1], 1))
            .Node("Shape", ["x"], ["s"]).Node("Gather", ["s", "zero"], ["b"]).Node("Unsqueeze", ["b", "axes0"], ["b1"])
            .Node("Concat", ["b1", "minus1"], ["ns"], Attr("axis", 0L)).Node("Reshape", ["x", "ns"], ["y"])
            .Initializer(Ints("shape2", [0, -1, 2], 3)).Node("Reshape", ["x", "shape2"], ["y2"])
            .Initializer(Ints("shape3", [2, -1], 2)).Node("Reshape", ["y", "shape3"], ["y3"]));
        Assert.Equal("tensor(int64)[3]", T(g, "s"));
        Assert.Equal("tensor(int64)[]", T(g, "b"));
        Assert.Equal("tensor(int64)[2]", T(g, "ns"));
        Assert.Equal("tensor(float)[d0,12]", T(g, "y"));
        Assert.Equal("tensor(float)[d0,6,2]", T(g, "y2"));
        Assert.Equal("tensor(float)[2,?]", T(g, "y3"));
    }

    [Fact]
    public void ShapeArithmeticOnFixedDims()
    {
        var g = Infer(new ModelBuilder(13).Input("x", F, 2, 3, 4)
            .Initializer(Ints("start", [1], 1)).Initializer(Ints("end", [3], 1)).Initializer(Ints("two", [2]))
            .Node("Shape", ["x"], ["s"]).Node("Slice", ["s", "start", "end"], ["hw"]).Node("Mul", ["hw", "two"], ["hw2"])
            .Node("Cast", ["hw2"], ["hw2i"], Attr("to", 7L))
            .Node("ConstantOfShape", ["hw2i"], ["zeros"]).Node("Size", ["x"], ["n"]));
        Assert.Equal("tensor(int64)[2]", T(g, "hw"));
        Assert.Equal("tensor(float)[6,8]", T(g, "zeros"));
        Assert.Equal("tensor(int64)[]", T(g, "n"));
    }

    [Fact]
    public void ReshapeElementCountContradictionThrows()
    {
        var m = new ModelBuilder(13).Input("x", F, 2, 3).Initializer(Ints("s", [4, 2], 2)).Node("Reshape", ["x", "s"], ["y"]);
        Assert.Equal(ErrorCode.InvalidGraph, Assert.Throws<OnnxRuntimeException>(() => Infer(m)).ErrorCode);
    }

    [Fact]
    public void ConcatShapesAndRankMismatch()
    {
        var g = Infer(new ModelBuilder(13).Input("a", F, -1, 3).Input("b", F, -1, 5).Node("Concat", ["a", "b"], ["c"], Attr("axis", 1L)));
        Assert.Equal("tensor(float)[d0,8]", T(g, "c"));
        var m = new ModelBuilder(13).Input("a", F, 2, 3).Input("b", F, 2, 3, 1).Node("Concat", ["a", "b"], ["c"], Attr("axis", 0L));
        var e = Assert.Throws<OnnxRuntimeException>(() => Infer(m));
        Assert.Contains("rank", e.Message);
        Assert.Contains("'b'", e.Message);
    }

    [Fact]
    public void SqueezeUnsqueezeAttrAndInputForms()
    {
        var g11 = Infer(new ModelBuilder(11).Input("x", F, 1, -1, 1, 4)
            .Node("Squeeze", ["x"], ["s"], Attr("axes", new long[] { 0, 2 })).Node("Unsqueeze", ["s"], ["u"], Attr("axes", new long[] { 0, -1 })));
        Assert.Equal("tensor(float)[d1,4]", T(g11, "s"));
        Assert.Equal("tensor(float)[1,d1,4,1]", T(g11, "u"));
        var g13 = Infer(new ModelBuilder(13).Input("x", F, 1, 3, 1, 4).Initializer(Ints("ax", [0, 2], 2))
            .Node("Squeeze", ["x", "ax"], ["s"]).Node("Unsqueeze", ["s", "ax"], ["u"]).Node("Squeeze", ["x"], ["all"]));
        Assert.Equal("tensor(float)[3,4]", T(g13, "s"));
        Assert.Equal("tensor(float)[1,3,1,4]", T(g13, "u"));
        Assert.Equal("tensor(float)[3,4]", T(g13, "all"));
    }

    [Fact]
    public void SplitSliceGather()
    {
        var g = Infer(new ModelBuilder(18).Input("x", F, -1, 10, 6).Initializer(Ints("sp", [3, 7], 2))
            .Node("Split", ["x", "sp"], ["a", "b"], Attr("axis", 1L))
            .Node("Split", ["x"], ["p", "q", "r"], Attr("axis", 2L), Attr("num_outputs", 3L))
            .Initializer(Ints("st", [1, -4], 2)).Initializer(Ints("en", [100, -1], 2)).Initializer(Ints("axs", [1, 2], 2)).Initializer(Ints("stp", [2, 1], 2))
            .Node("Slice", ["x", "st", "en", "axs", "stp"], ["sl"])
            .Input("idx", I64, 2, 5).Node("Gather", ["x", "idx"], ["ga"], Attr("axis", 1L))
            .Node("GatherElements", ["x", "idx"], ["ge"]));
        Assert.Equal("tensor(float)[d0,3,6]", T(g, "a"));
        Assert.Equal("tensor(float)[d0,7,6]", T(g, "b"));
        Assert.Equal("tensor(float)[d0,10,2]", T(g, "q"));
        Assert.Equal("tensor(float)[d0,5,3]", T(g, "sl"));
        Assert.Equal("tensor(float)[d0,2,5,6]", T(g, "ga"));
        Assert.Equal("tensor(float)[2,5]", T(g, "ge"));
    }

    [Fact]
    public void ExpandTilePadResize()
    {
        var g = Infer(new ModelBuilder(18).Input("x", F, -1, 3, 1, 4)
            .Initializer(Ints("es", [2, 1, 5, 1], 4)).Node("Expand", ["x", "es"], ["e"])
            .Initializer(Ints("rep", [1, 2, 3, 1], 4)).Node("Tile", ["x", "rep"], ["t"])
            .Initializer(Ints("pads", [0, 0, 1, 2, 0, 0, 1, 2], 8)).Node("Pad", ["x", "pads"], ["p"])
            .Initializer(Floats("scales", [1, 1, 2, 2], 4)).Node("Resize", ["x", "", "scales"], ["r"])
            .Initializer(Ints("sizes", [1, 3, 8, 8], 4)).Node("Resize", ["x", "", "", "sizes"], ["rs"]));
        Assert.Equal("tensor(float)[2,3,5,4]", T(g, "e")); // d0 must be 1 or 2; either way the result is 2
        Assert.Equal("tensor(float)[d0,6,3,4]", T(g, "t"));
        Assert.Equal("tensor(float)[d0,3,3,8]", T(g, "p"));
        Assert.Equal("tensor(float)[d0,3,2,8]", T(g, "r"));
        Assert.Equal("tensor(float)[1,3,8,8]", T(g, "rs"));
    }

    [Fact]
    public void ReductionsArgTopK()
    {
        var g = Infer(new ModelBuilder(18).Input("x", F, -1, 3, 4)
            .Initializer(Ints("ax", [1], 1)).Node("ReduceMean", ["x", "ax"], ["m"])
            .Node("ReduceSum", ["x", "ax"], ["s"], Attr("keepdims", 0L)).Node("ReduceMax", ["x"], ["all"], Attr("keepdims", 0L))
            .Node("ArgMax", ["x"], ["am"], Attr("axis", -1L), Attr("keepdims", 0L))
            .Initializer(Ints("k", [2], 1)).Node("TopK", ["x", "k"], ["tv", "ti"]));
        Assert.Equal("tensor(float)[d0,1,4]", T(g, "m"));
        Assert.Equal("tensor(float)[d0,4]", T(g, "s"));
        Assert.Equal("tensor(float)[]", T(g, "all"));
        Assert.Equal("tensor(int64)[d0,3]", T(g, "am"));
        Assert.Equal("tensor(float)[d0,3,2]", T(g, "tv"));
        Assert.Equal("tensor(int64)[d0,3,2]", T(g, "ti"));
        var g11 = Infer(new ModelBuilder(11).Input("x", F, 2, 3, 4).Node("ReduceL2", ["x"], ["r"], Attr("axes", new long[] { 0, 2 })));
        Assert.Equal("tensor(float)[1,3,1]", T(g11, "r"));
    }

    [Fact]
    public void CastNormsSoftmaxQuantize()
    {
        var g = Infer(new ModelBuilder(21).Input("x", F, -1, 8, 4)
            .Node("Cast", ["x"], ["h"], Attr("to", 10L)).Node("Softmax", ["x"], ["sm"])
            .Initializer("g", new float[4], 4).Initializer("b", new float[4], 4)
            .Node("LayerNormalization", ["x", "g", "b"], ["ln", "mean", "isd"], Attr("axis", -1L))
            .Initializer("sc", [0.1f]).Node("QuantizeLinear", ["x", "sc"], ["q"]).Node("DequantizeLinear", ["q", "sc"], ["dq"])
            .Node("CastLike", ["q", "x"], ["cl"]).Node("Dropout", ["x"], ["d", "mask"]));
        Assert.Equal("tensor(float16)[d0,8,4]", T(g, "h"));
        Assert.Equal("tensor(float)[d0,8,4]", T(g, "sm"));
        Assert.Equal("tensor(float)[d0,8,4]", T(g, "ln"));
        Assert.Equal("tensor(float)[d0,8,1]", T(g, "mean"));
        Assert.Equal("tensor(uint8)[d0,8,4]", T(g, "q"));
        Assert.Equal("tensor(float)[d0,8,4]", T(g, "dq"));
        Assert.Equal("tensor(float)[d0,8,4]", T(g, "cl"));
        Assert.Equal("tensor(bool)[d0,8,4]", T(g, "mask"));
    }

    [Fact]
    public void ConstantRangeDepthToSpaceEinsum()
    {
        var g = Infer(new ModelBuilder(13)
            .Node("Constant", [], ["c"], TensorAttr("value", Ints("v", [5], 1)))
            .Initializer(Ints("zero", [0])).Initializer(Ints("one", [1]))
            .Node("Squeeze", ["c"], ["cs"], Attr("axes", new long[] { 0 }))
            .Node("Range", ["zero", "c5", "one"], ["bad"])
            .Initializer(Ints("c5", [5])).Node("Range", ["zero", "c5", "one"], ["r"])
            .Input("x", F, 1, 8, 2, 3).Node("DepthToSpace", ["x"], ["d2s"], Attr("blocksize", 2L))
            .Node("SpaceToDepth", ["d2s"], ["s2d"], Attr("blocksize", 2L))
            .Input("a", F, -1, 4, 5).Input("bb", F, 5, 6).Node("Einsum", ["a", "bb"], ["es"], Str("equation", "bij,jk->bik")));
        Assert.Equal("tensor(int64)[1]", T(g, "c"));
        Assert.Equal("tensor(int64)[5]", T(g, "r"));
        Assert.Equal("tensor(float)[1,2,4,6]", T(g, "d2s"));
        Assert.Equal("tensor(float)[1,8,2,3]", T(g, "s2d"));
        Assert.Equal("tensor(float)[d0,4,6]", T(g, "es"));
    }

    [Fact]
    public void RecurrentAndDataDependentOps()
    {
        var g = Infer(new ModelBuilder(14).Input("x", F, 7, -1, 10)
            .Initializer("w", new float[2 * 4 * 16 * 10], 2, 64, 10).Initializer("r", new float[2 * 64 * 16], 2, 64, 16)
            .Node("LSTM", ["x", "w", "r"], ["y", "yh", "yc"], Attr("hidden_size", 16L), Str("direction", "bidirectional"))
            .Node("NonZero", ["x"], ["nz"]).Node("Unique", ["x"], ["u", "ui", "uinv", "uc"]));
        Assert.Equal("tensor(float)[7,2,d1,16]", T(g, "y"));
        Assert.Equal("tensor(float)[2,d1,16]", T(g, "yh"));
        Assert.Equal("tensor(float)[2,d1,16]", T(g, "yc"));
        Assert.Equal("tensor(int64)[3,?]", T(g, "nz"));
        Assert.Equal("tensor(float)[?]", T(g, "u"));
    }

    [Fact]
    public void AttentionMatMulChain()
    {
        var g = Infer(new ModelBuilder(13).Input("q", F, -1, 4, -1, 16).Input("k", F, -1, 4, -1, 16).Input("v", F, -1, 4, -1, 16)
            .Node("Transpose", ["k"], ["kt"], Attr("perm", new long[] { 0, 1, 3, 2 }))
            .Node("MatMul", ["q", "kt"], ["s"]).Node("Softmax", ["s"], ["p"], Attr("axis", -1L)).Node("MatMul", ["p", "v"], ["o"]));
        Assert.Equal("tensor(float)[d0,4,d2,d2]", T(g, "s"));
        Assert.Equal("tensor(float)[d0,4,d2,16]", T(g, "o"));
    }

    [Fact]
    public void UnknownOpLeavesOutputsUnknownAndDeclaredTypesWin()
    {
        var m = new ModelBuilder(13).Input("x", F, 2, 3).Node("NoSuchOp", ["x"], ["y"]).Node("Relu", ["y"], ["z"])
            .Node("Relu", ["x"], ["w"]).Output("w", F, 2, 3);
        m.Graph.ValueInfo.Add(ValueInfo("x2", F, [-1, 3]));
        m.Node("Identity", ["x"], ["x2"]);
        var g = Infer(m);
        Assert.Equal("none", T(g, "y"));
        Assert.Equal("none", T(g, "z"));
        Assert.Equal("tensor(float)[2,3]", T(g, "w"));
        Assert.Equal("tensor(float)[2,3]", T(g, "x2")); // the declared symbol is refined by the fixed inferred dim
    }

    [Fact]
    public void IfBranchesAgreeingGiveOutputType()
    {
        var then = new GraphProto { Name = "then" };
        then.Node.Add(new NodeProto { OpType = "Relu", Input = { "x" }, Output = { "t" } });
        then.Output.Add(new ValueInfoProto { Name = "t" });
        var els = new GraphProto { Name = "else" };
        els.Node.Add(new NodeProto { OpType = "Neg", Input = { "x" }, Output = { "e" } });
        els.Output.Add(new ValueInfoProto { Name = "e" });
        var m = new ModelBuilder(13).Input("x", F, -1, 3).Input("c", TensorProto.Types.DataType.Bool)
            .Node("If", ["c"], ["y"],
                new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = then },
                new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = els });
        var g = Infer(m);
        Assert.Equal("tensor(float)[d0,3]", T(g, "y"));
    }

    [Fact]
    public void SessionOutputMetadataUsesInferredShape()
    {
        var m = new ModelBuilder(13).Input("x", F, -1, 3).Initializer("w", new float[12], 3, 4).Node("MatMul", ["x", "w"], ["y"]);
        m.Graph.Output.Add(new ValueInfoProto { Name = "y", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)F } } });
        using var s = new InferenceSession(m.ToBytes());
        Assert.Equal("tensor(float)[d0,4]", s.OutputMetadata["y"].TypeInfo!.ToString());
    }

    [Fact]
    public void SessionRejectsDefiniteContradiction()
    {
        var m = new ModelBuilder(13).Input("x", F, 2, 3).Initializer("w", new float[20], 4, 5).Node("MatMul", ["x", "w"], ["y"]).Output("y", F, 2, 5);
        Assert.Equal(ErrorCode.InvalidGraph, Assert.Throws<OnnxRuntimeException>(() => new InferenceSession(m.ToBytes())).ErrorCode);
    }
}
