using Onnx;
using Xunit;
using DT = Onnx.TensorProto.Types.DataType;
using OTensor = Onyx.Tensors.Tensor;

namespace Onyx.Tests.Cpu.TensorOps;

/// <summary>
/// Tensor-family kernels on cases the ONNX backend tests leave out: string and 4-bit element types,
/// the tiled transpose path, views, negative steps, and the float32 Resize path against the double one.
/// Oracles are written out here (naive loops), never Onyx itself.
/// </summary>
public sealed class TensorKernelTests
{
    private static IReadOnlyList<OTensor> Run(ModelBuilder m, params (string Name, OTensor Value)[] inputs)
    {
        using var session = new InferenceSession(m.ToBytes());
        var feeds = inputs.Select(i => NamedOnnxValue.CreateFromOnnxValue(i.Name, i.Value)).ToList();
        using var results = session.Run(feeds);
        return results.Select(r => (OTensor)r.OnnxValue).ToList();
    }

    private static AttributeProto Ints(string name, params long[] v) => ModelBuilder.Attr(name, v);

    private static AttributeProto Str(string name, string v) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8(v) };

    [Theory]
    [InlineData(DT.Float)]
    [InlineData(DT.Int8)]
    [InlineData(DT.Int4)]
    [InlineData(DT.Double)]
    [InlineData(DT.String)]
    public void TransposeMatchesNaiveLoop(DT type)
    {
        int a = 3, b = 37, c = 53;
        var m = new ModelBuilder().Input("x", type, a, b, c).Output("y", type, c, a, b)
            .Node("Transpose", ["x"], ["y"], Ints("perm", 2, 0, 1));
        var x = Make(type, [a, b, c], i => i % 7 - 3);
        var y = Run(m, ("x", x))[0];
        Assert.Equal([c, a, b], y.Shape);
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++)
                for (int k = 0; k < c; k++)
                    Assert.Equal(Get(x, (i * b + j) * c + k), Get(y, (k * a + i) * b + j));
    }

    [Fact]
    public void SliceStringsWithNegativeStep()
    {
        var m = new ModelBuilder(13).Input("x", DT.String, 2, 5).Output("y", DT.String, 2, 2);
        m.Initializer(I64("starts", 4)).Initializer(I64("ends", 0)).Initializer(I64("axes", 1)).Initializer(I64("steps", -2));
        m.Node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"]);
        var x = OTensor.FromStrings(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"], 2, 5);
        var y = Run(m, ("x", x))[0];
        Assert.Equal(["e", "c", "j", "h"], y.Strings);
    }

    [Fact]
    public void SliceOfOuterRowsIsAViewWithTheRightValues()
    {
        var m = new ModelBuilder(13).Input("x", DT.Float, 4, 3).Output("y", DT.Float, 2, 3);
        m.Initializer(I64("starts", 1)).Initializer(I64("ends", 3)).Initializer(I64("axes", 0));
        m.Node("Slice", ["x", "starts", "ends", "axes"], ["y"]);
        var x = OTensor.FromArray(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), 4, 3);
        var y = Run(m, ("x", x))[0];
        Assert.Equal([3f, 4, 5, 6, 7, 8], y.ToArray<float>());
    }

    [Fact]
    public void ConcatAndSplitStrings()
    {
        var m = new ModelBuilder(18).Input("a", DT.String, 2, 1).Input("b", DT.String, 2, 2).Output("y", DT.String, 2, 3)
            .Output("p", DT.String, 2, 1).Output("q", DT.String, 2, 2)
            .Node("Concat", ["a", "b"], ["y"], ModelBuilder.Attr("axis", 1L));
        m.Initializer(I64("split", 1, 2)).Node("Split", ["y", "split"], ["p", "q"], ModelBuilder.Attr("axis", 1L));
        var r = Run(m, ("a", OTensor.FromStrings(["x", "y"], 2, 1)), ("b", OTensor.FromStrings(["1", "2", "3", "4"], 2, 2)));
        Assert.Equal(["x", "1", "2", "y", "3", "4"], r[0].Strings);
        Assert.Equal(["x", "y"], r[1].Strings);
        Assert.Equal(["1", "2", "3", "4"], r[2].Strings);
    }

    [Fact]
    public void TileAndExpandStrings()
    {
        var m = new ModelBuilder(13).Input("x", DT.String, 1, 2).Output("t", DT.String, 2, 4).Output("e", DT.String, 3, 2);
        m.Initializer(I64("rep", 2, 2)).Initializer(I64("shape", 3, 1));
        m.Node("Tile", ["x", "rep"], ["t"]).Node("Expand", ["x", "shape"], ["e"]);
        var r = Run(m, ("x", OTensor.FromStrings(["p", "q"], 1, 2)));
        Assert.Equal(["p", "q", "p", "q", "p", "q", "p", "q"], r[0].Strings);
        Assert.Equal(["p", "q", "p", "q", "p", "q"], r[1].Strings);
    }

    [Fact]
    public void GatherInt4KeepsType()
    {
        var m = new ModelBuilder(21).Input("x", DT.Int4, 2, 3).Output("y", DT.Int4, 2, 2);
        m.Initializer(I64("idx", 2, -3));
        m.Node("Gather", ["x", "idx"], ["y"], ModelBuilder.Attr("axis", 1L));
        var x = OTensor.FromSpan<sbyte>(Onyx.Tensors.DType.Int4, [-8, 1, 7, 2, -3, 4], [2, 3]);
        var y = Run(m, ("x", x))[0];
        Assert.Equal(Onyx.Tensors.DType.Int4, y.DType);
        Assert.Equal(new sbyte[] { 7, -8, 4, 2 }, y.ToArray<sbyte>());
    }

    [Fact]
    public void ResizeLinearFloatMatchesDouble()
    {
        float[] data = Enumerable.Range(0, 2 * 5 * 7).Select(i => MathF.Sin(i * 0.37f) * 10).ToArray();
        OTensor RunAs(DT type)
        {
            var m = new ModelBuilder(19).Input("x", type, 1, 2, 5, 7).Output("y", type, 1, 2, 9, 4);
            m.Initializer(I64("sizes", 1, 2, 9, 4));
            m.Node("Resize", ["x", "", "", "sizes"], ["y"], Str("mode", "linear"),
                Str("coordinate_transformation_mode", "pytorch_half_pixel"));
            OTensor x = type == DT.Float ? OTensor.FromArray(data, 1, 2, 5, 7) : OTensor.FromArray(data.Select(v => (double)v).ToArray(), 1, 2, 5, 7);
            return Run(m, ("x", x))[0];
        }
        var f = RunAs(DT.Float).ToDoubleArray();
        var d = RunAs(DT.Double).ToDoubleArray();
        Assert.Equal(d.Length, f.Length);
        for (int i = 0; i < d.Length; i++) Assert.True(Math.Abs(f[i] - d[i]) <= 1e-4 + 1e-5 * Math.Abs(d[i]), $"[{i}] {f[i]} vs {d[i]}");
    }

    [Fact]
    public void ResizeNearestUpsamplesEveryType()
    {
        var m = new ModelBuilder(19).Input("x", DT.String, 1, 2, 2).Output("y", DT.String, 1, 4, 4);
        var scales = new TensorProto { Name = "scales", DataType = (int)DT.Float };
        scales.Dims.Add(3);
        scales.FloatData.AddRange([1f, 2f, 2f]);
        m.Initializer(scales);
        m.Node("Resize", ["x", "", "scales"], ["y"], Str("coordinate_transformation_mode", "asymmetric"),
            Str("nearest_mode", "floor"));
        var y = Run(m, ("x", OTensor.FromStrings(["a", "b", "c", "d"], 1, 2, 2)))[0];
        Assert.Equal(["a", "a", "b", "b", "a", "a", "b", "b", "c", "c", "d", "d", "c", "c", "d", "d"], y.Strings);
    }

    [Theory]
    [InlineData("reflect", new[] { "c", "b", "a", "b", "c", "b", "a" })]
    [InlineData("edge", new[] { "a", "a", "a", "b", "c", "c", "c" })]
    [InlineData("wrap", new[] { "b", "c", "a", "b", "c", "a", "b" })]
    public void PadModesOnStrings(string mode, string[] expected)
    {
        var m = new ModelBuilder(19).Input("x", DT.String, 3).Output("y", DT.String, 7);
        m.Initializer(I64("pads", 2, 2));
        m.Node("Pad", ["x", "pads"], ["y"], Str("mode", mode));
        var y = Run(m, ("x", OTensor.FromStrings(["a", "b", "c"], 3)))[0];
        Assert.Equal(expected, y.Strings);
    }

    [Fact]
    public void PadNegativeCropsAndConstantFills()
    {
        var m = new ModelBuilder(18).Input("x", DT.Int32, 2, 4).Output("y", DT.Int32, 3, 3);
        m.Initializer(I64("pads", 1, -1, 0, 0));
        var v = new TensorProto { Name = "v", DataType = (int)DT.Int32 };
        v.Int32Data.Add(9);
        m.Initializer(v);
        m.Node("Pad", ["x", "pads", "v"], ["y"]);
        var y = Run(m, ("x", OTensor.FromArray(new[] { 1, 2, 3, 4, 5, 6, 7, 8 }, 2, 4)))[0];
        Assert.Equal(new[] { 9, 9, 9, 2, 3, 4, 6, 7, 8 }, y.ToArray<int>());
    }

    [Fact]
    public void ScatterNDAddOnInt64RepeatsIndices()
    {
        var m = new ModelBuilder(18).Input("x", DT.Int64, 4).Input("u", DT.Int64, 3).Output("y", DT.Int64, 4);
        var idx = new TensorProto { Name = "idx", DataType = (int)DT.Int64 };
        idx.Dims.AddRange([3, 1]);
        idx.Int64Data.AddRange([1, 3, 1]);
        m.Initializer(idx);
        m.Node("ScatterND", ["x", "idx", "u"], ["y"], Str("reduction", "add"));
        var y = Run(m, ("x", OTensor.FromArray(new long[] { 10, 20, 30, 40 }, 4)), ("u", OTensor.FromArray(new long[] { 1, 2, 3 }, 3)))[0];
        Assert.Equal(new long[] { 10, 24, 30, 42 }, y.ToArray<long>());
    }

    [Fact]
    public void UniqueStringsUnsorted()
    {
        var m = new ModelBuilder(11).Input("x", DT.String, 6).Output("y", DT.String, -1).Output("i", DT.Int64, -1)
            .Output("inv", DT.Int64, 6).Output("c", DT.Int64, -1)
            .Node("Unique", ["x"], ["y", "i", "inv", "c"], ModelBuilder.Attr("sorted", 0L));
        var r = Run(m, ("x", OTensor.FromStrings(["q", "b", "q", "a", "b", "q"], 6)));
        Assert.Equal(["q", "b", "a"], r[0].Strings);
        Assert.Equal(new long[] { 0, 1, 3 }, r[1].ToArray<long>());
        Assert.Equal(new long[] { 0, 1, 0, 2, 1, 0 }, r[2].ToArray<long>());
        Assert.Equal(new long[] { 3, 2, 1 }, r[3].ToArray<long>());
    }

    [Fact]
    public void TensorScatterCircularWraps()
    {
        var m = new ModelBuilder(24).Input("past", DT.Float, 1, 4, 1).Input("upd", DT.Float, 1, 2, 1).Output("y", DT.Float, 1, 4, 1);
        m.Initializer(I64("w", 3));
        m.Node("TensorScatter", ["past", "upd", "w"], ["y"], Str("mode", "circular"));
        var y = Run(m, ("past", OTensor.FromArray(new float[] { 1, 2, 3, 4 }, 1, 4, 1)), ("upd", OTensor.FromArray(new float[] { 8, 9 }, 1, 2, 1)))[0];
        Assert.Equal(new float[] { 9, 2, 3, 8 }, y.ToArray<float>());
    }

    private static TensorProto I64(string name, params long[] v)
    {
        var t = new TensorProto { Name = name, DataType = (int)DT.Int64 };
        t.Dims.Add(v.Length);
        t.Int64Data.AddRange(v);
        return t;
    }

    private static OTensor Make(DT type, int[] shape, Func<int, int> value)
    {
        int n = shape.Aggregate(1, (p, d) => p * d);
        return type switch
        {
            DT.Float => OTensor.FromArray(Enumerable.Range(0, n).Select(i => (float)value(i) + i * 0.5f).ToArray(), shape),
            DT.Double => OTensor.FromArray(Enumerable.Range(0, n).Select(i => (double)value(i) + i * 0.25).ToArray(), shape),
            DT.Int8 => OTensor.FromArray(Enumerable.Range(0, n).Select(i => (sbyte)(i * 13)).ToArray(), shape),
            DT.Int4 => OTensor.FromSpan<sbyte>(Onyx.Tensors.DType.Int4, Enumerable.Range(0, n).Select(i => (sbyte)value(i)).ToArray(), shape),
            _ => OTensor.FromStrings(Enumerable.Range(0, n).Select(i => "s" + i).ToArray(), shape),
        };
    }

    private static object Get(OTensor t, int i) => t.DType switch
    {
        Onyx.Tensors.DType.Float32 => t.Span<float>()[i],
        Onyx.Tensors.DType.Float64 => t.Span<double>()[i],
        Onyx.Tensors.DType.String => t.Strings[i],
        _ => t.Span<sbyte>()[i],
    };
}
