using static Onyx.OpenCl.Tests.ModelBuilder;
using static Onyx.OpenCl.Tests.Compare;

namespace Onyx.OpenCl.Tests;

/// <summary>Each GPU kernel against the CPU provider on random inputs, FP32 and FP16.</summary>
public class OpTests
{
    [GpuTheory]
    [InlineData(1, 1, 1, 1, 1, 0, "")]       // plain 3x3
    [InlineData(2, 2, 1, 1, 1, 1, "Relu")]   // grouped, strided, padded, + Relu
    [InlineData(8, 8, 1, 8, 1, 1, "Clip")]   // depthwise + Clip (ReLU6)
    [InlineData(3, 8, 2, 1, 2, 2, "")]       // dilated, stride 2
    [InlineData(4, 12, 1, 2, 1, 1, "LeakyRelu")]
    public void Conv(int c, int m, int dil, int group, int stride, int pad, string act)
    {
        var b = new ModelBuilder().Input("x", 2, c, 11, 9)
            .Weight("w", Random(m * (c / group) * 9, 1), m, c / group, 3, 3).Weight("b", Random(m, 2), m)
            .Node("Conv", ["x", "w", "b"], [act.Length > 0 ? "c" : "y"], Is("dilations", dil, dil), I("group", group), Is("strides", stride, stride), Is("pads", pad, pad, pad, pad), Is("kernel_shape", 3, 3));
        if (act == "Clip") b.Floats("lo", 0f).Floats("hi", 6f).Node("Clip", ["c", "lo", "hi"], ["y"]);
        else if (act == "LeakyRelu") b.Node("LeakyRelu", ["c"], ["y"], F("alpha", 0.1f));
        else if (act.Length > 0) b.Node(act, ["c"], ["y"]);
        var model = b.Output("y").Build();
        Check(model, T(Random(2 * c * 11 * 9, 3), 2, c, 11, 9));
    }

    [GpuFact]
    public void ConvSamePadAndOneByOne()
    {
        var model = new ModelBuilder().Input("x", 1, 8, 7, 7)
            .Weight("w", Random(16 * 8, 1), 16, 8, 1, 1)
            .Weight("w2", Random(16 * 16 * 9, 2), 16, 16, 3, 3)
            .Node("Conv", ["x", "w"], ["a"])
            .Node("Conv", ["a", "w2"], ["y"], S("auto_pad", "SAME_UPPER"), Is("strides", 2, 2))
            .Output("y").Build();
        Check(model, T(Random(8 * 49, 3), 1, 8, 7, 7));
    }

    /// <summary>Pointwise conv runs as a GEMM per image: batch 2, bias, a fused activation with parameters, odd sizes.</summary>
    [GpuFact]
    public void PointwiseConvAsGemmWithBiasAndActivation()
    {
        var model = new ModelBuilder().Input("x", 2, 5, 3, 7)
            .Weight("w", Random(19 * 5, 4), 19, 5, 1, 1).Weight("b", Random(19, 5), 19)
            .Node("Conv", ["x", "w", "b"], ["a"])
            .Node("LeakyRelu", ["a"], ["y"], F("alpha", 0.3f))
            .Output("y").Build();
        Check(model, T(Random(2 * 5 * 21, 6), 2, 5, 3, 7));
    }

    [GpuTheory]
    [InlineData(-1, true)]
    [InlineData(1, false)]
    public void LayerNormalization(int axis, bool bias)
    {
        int len = axis == -1 ? 7 : 6 * 7;
        var b = new ModelBuilder().Opset(17).Input("x", 2, 6, 7)
            .Weight("s", Random(len, 7), axis == -1 ? new[] { 7 } : new[] { 6, 7 });
        if (bias) b.Weight("b", Random(len, 8), 7);
        var model = b.Node("LayerNormalization", bias ? ["x", "s", "b"] : ["x", "s"], ["y"], I("axis", axis), F("epsilon", 1e-4f))
            .Output("y").Build();
        Check(model, T(Random(84, 9), 2, 6, 7));
    }

    [GpuFact]
    public void InstanceNormalization()
    {
        var model = new ModelBuilder().Input("x", 2, 3, 4, 5).Weight("s", Random(3, 10), 3).Weight("b", Random(3, 11), 3)
            .Node("InstanceNormalization", ["x", "s", "b"], ["y"]).Output("y").Build();
        Check(model, T(Random(120, 12), 2, 3, 4, 5));
    }

    /// <summary>Opset 18 (scale/bias per group) and 21 (per channel); 3-D and 4-D inputs.</summary>
    [GpuTheory]
    [InlineData(18, 2, new[] { 2, 6, 4, 5 })]
    [InlineData(21, 3, new[] { 2, 6, 4, 5 })]
    [InlineData(21, 1, new[] { 3, 4, 7 })]
    [InlineData(21, 4, new[] { 1, 4, 3, 2 })]
    public void GroupNormalization(int opset, int groups, int[] shape)
    {
        int c = shape[1], n = opset < 21 ? groups : c, len = shape.Aggregate(1, (p, d) => p * d);
        var model = new ModelBuilder().Opset(opset).Input("x", shape).Weight("s", Random(n, 10), n).Weight("b", Random(n, 11), n)
            .Node("GroupNormalization", ["x", "s", "b"], ["y"], I("num_groups", groups), F("epsilon", 1e-3f)).Output("y").Build();
        Check(model, T(Random(len, 12, -3, 5), shape));
    }

    /// <summary>Any axis, int32/int64, scalar and 2-D indices, negative indices, repeated indices.</summary>
    [GpuTheory]
    [InlineData(0, false, new[] { 2, 2 }, new long[] { 0, 3, -1, 1 })]
    [InlineData(1, true, new[] { 3 }, new long[] { 4, -5, 2 })]
    [InlineData(2, false, new int[0], new long[] { -2 })]
    [InlineData(-1, true, new[] { 1, 4 }, new long[] { 5, 0, 5, -6 })]
    public void Gather(int axis, bool int32, int[] idxShape, long[] idx)
    {
        int[] shape = [4, 5, 6];
        var model = new ModelBuilder().Opset(13).Input("x", shape).Indices("i", int32, idxShape, idx)
            .Node("Gather", ["x", "i"], ["y"], I("axis", axis)).Output("y").Build();
        Check(model, T(Random(120, 13), shape));
    }

    /// <summary>An embedding-style Gather of a float initializer, feeding a claimed op; runtime indices are claimed, float ones are not.</summary>
    [GpuFact]
    public void GatherOfInitializerAndCapability()
    {
        var model = new ModelBuilder().Opset(13).Input("x", 3, 4).Weight("table", Random(40, 14), 10, 4).Indices("i", false, [3], 7, 0, -1)
            .Node("Gather", ["table", "i"], ["g"]).Node("Add", ["g", "x"], ["y"]).Output("y").Build();
        Check(model, T(Random(12, 15), 3, 4));
        var g = Onyx.Onnx.OnnxModelLoader.Load(new ModelBuilder().Opset(13).Input("x", 10, 4).Input("i", global::Onnx.TensorProto.Types.DataType.Int64, 3)
            .Node("Gather", ["x", "i"], ["y"]).Output("y").Build()).Graph;
        Assert.Null(GpuCapability.WhyNot(g.Nodes[0], g));
        var f = Onyx.Onnx.OnnxModelLoader.Load(new ModelBuilder().Opset(13).Input("x", 10, 4).Input("i", 3)
            .Node("Gather", ["x", "i"], ["y"]).Output("y").Build()).Graph;
        Assert.Equal("input 1 is Float32", GpuCapability.WhyNot(f.Nodes[0], f));
    }

    [GpuFact]
    public void ConvTranspose()
    {
        var model = new ModelBuilder().Input("x", 1, 4, 5, 6)
            .Weight("w", Random(4 * 3 * 9, 1), 4, 3, 3, 3).Weight("b", Random(3, 2), 3)
            .Node("ConvTranspose", ["x", "w", "b"], ["y"], Is("strides", 2, 2), Is("pads", 1, 1, 1, 1), Is("output_padding", 1, 1))
            .Output("y").Build();
        Check(model, T(Random(4 * 30, 3), 1, 4, 5, 6));
    }

    [GpuTheory]
    [InlineData(new[] { 5, 7 }, new[] { 7, 3 })]
    [InlineData(new[] { 2, 3, 33, 20 }, new[] { 2, 3, 20, 17 })]
    [InlineData(new[] { 4, 35, 18 }, new[] { 18, 40 })]
    public void MatMul(int[] a, int[] b)
    {
        var model = new ModelBuilder().Input("a", a).Input("b", b).Node("MatMul", ["a", "b"], ["y"]).Output("y").Build();
        Check(model, T(Random(a.Aggregate(1, (p, d) => p * d), 1), a), T(Random(b.Aggregate(1, (p, d) => p * d), 2), b));
    }

    [GpuTheory]
    [InlineData(0, 0)]
    [InlineData(1, 0)]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    public void Gemm(int transA, int transB)
    {
        int m = 19, k = 23, n = 17;
        var model = new ModelBuilder().Input("a", transA == 1 ? [k, m] : [m, k])
            .Weight("b", Random(k * n, 1), transB == 1 ? [n, k] : [k, n]).Weight("c", Random(n, 2), n)
            .Node("Gemm", ["a", "b", "c"], ["g"], I("transA", transA), I("transB", transB), F("alpha", 0.5f), F("beta", 2f))
            .Node("Relu", ["g"], ["y"]).Output("y").Build();
        Check(model, T(Random(m * k, 3), transA == 1 ? [k, m] : [m, k]));
    }

    [GpuTheory]
    [InlineData("Add", new[] { 2, 3, 4, 5 }, new[] { 2, 3, 4, 5 })]
    [InlineData("Add", new[] { 2, 3, 4, 5 }, new[] { 3, 1, 1 })]
    [InlineData("Sub", new[] { 2, 1, 5 }, new[] { 4, 1 })]
    [InlineData("Mul", new[] { 2, 3, 4, 5 }, new[] { 5 })]
    [InlineData("Div", new[] { 3, 4 }, new[] { 1, 4 })]
    [InlineData("Max", new[] { 3, 4 }, new[] { 3, 4 })]
    [InlineData("Min", new[] { 3, 4 }, new[] { 4 })]
    [InlineData("PRelu", new[] { 2, 3, 4, 5 }, new[] { 3, 1, 1 })]
    public void Binary(string op, int[] a, int[] b)
    {
        var model = new ModelBuilder().Input("a", a).Input("b", b).Node(op, ["a", "b"], ["y"]).Output("y").Build();
        var bv = Random(b.Aggregate(1, (p, d) => p * d), 2, op == "Div" ? 0.5f : -1f, op == "Div" ? 2f : 1f);
        Check(model, T(Random(a.Aggregate(1, (p, d) => p * d), 1), a), T(bv, b));
    }

    [GpuTheory]
    [InlineData("Relu")]
    [InlineData("Sigmoid")]
    [InlineData("Tanh")]
    [InlineData("HardSigmoid")]
    [InlineData("HardSwish")]
    [InlineData("Exp")]
    [InlineData("Abs")]
    [InlineData("Neg")]
    [InlineData("Floor")]
    [InlineData("Ceil")]
    [InlineData("Elu")]
    [InlineData("Softplus")]
    [InlineData("Erf")]
    [InlineData("LeakyRelu")]
    [InlineData("Sqrt")]
    [InlineData("Log")]
    public void Unary(string op)
    {
        var model = new ModelBuilder().Input("x", 3, 50).Node(op, ["x"], ["y"]).Output("y").Build();
        bool positive = op is "Sqrt" or "Log";
        // Inputs on a 1/16 grid are exact in half, so Floor/Ceil agree in FP16 too.
        var x = Random(150, 7, positive ? 0.1f : -4f, 4f).Select(v => MathF.Round(v * 16) / 16 + 1f / 32).ToArray();
        Check(model, T(x, 3, 50));
    }

    [GpuTheory]
    [InlineData("MaxPool", 0, 0)]
    [InlineData("MaxPool", 1, 0)]
    [InlineData("AveragePool", 0, 0)]
    [InlineData("AveragePool", 0, 1)]
    [InlineData("AveragePool", 1, 1)]
    public void Pool(string op, int ceil, int countIncludePad)
    {
        var attrs = new List<global::Onnx.AttributeProto> { Is("kernel_shape", 3, 3), Is("strides", 2, 2), Is("pads", 1, 1, 1, 1), I("ceil_mode", ceil) };
        if (op == "AveragePool") attrs.Add(I("count_include_pad", countIncludePad));
        var model = new ModelBuilder().Input("x", 2, 3, 10, 9).Node(op, ["x"], ["y"], attrs.ToArray()).Output("y").Build();
        Check(model, T(Random(2 * 3 * 90, 4), 2, 3, 10, 9));
    }

    [GpuTheory]
    [InlineData("GlobalAveragePool")]
    [InlineData("GlobalMaxPool")]
    public void GlobalPool(string op)
    {
        var model = new ModelBuilder().Input("x", 2, 5, 6, 7).Node(op, ["x"], ["y"]).Output("y").Build();
        Check(model, T(Random(2 * 5 * 42, 5), 2, 5, 6, 7));
    }

    [GpuFact]
    public void BatchNormWithRelu()
    {
        var model = new ModelBuilder().Input("x", 2, 4, 3, 5)
            .Weight("s", Random(4, 1), 4).Weight("b", Random(4, 2), 4).Weight("m", Random(4, 3), 4).Weight("v", Random(4, 4, 0.5f, 2f), 4)
            .Node("BatchNormalization", ["x", "s", "b", "m", "v"], ["n"], F("epsilon", 1e-3f)).Node("Relu", ["n"], ["y"]).Output("y").Build();
        Check(model, T(Random(120, 5), 2, 4, 3, 5));
    }

    [GpuTheory]
    [InlineData(-1, 13)]
    [InlineData(1, 13)]
    [InlineData(1, 11)]
    public void Softmax(int axis, int opset)
    {
        var model = new ModelBuilder().Opset(opset).Input("x", 2, 6, 7).Node("Softmax", ["x"], ["y"], I("axis", axis)).Output("y").Build();
        Check(model, T(Random(84, 6, -5, 5), 2, 6, 7));
    }

    [GpuFact]
    public void ConcatTransposeReshapeFlatten()
    {
        var model = new ModelBuilder().Input("a", 2, 3, 4).Input("b", 2, 5, 4).Ints("shape", 4, -1)
            .Node("Concat", ["a", "b"], ["c"], I("axis", 1))
            .Node("Transpose", ["c"], ["t"], Is("perm", 2, 0, 1))
            .Node("Reshape", ["t", "shape"], ["r"])
            .Node("Flatten", ["r"], ["y"], I("axis", 1)).Output("y").Build();
        Check(model, T(Random(24, 1), 2, 3, 4), T(Random(40, 2), 2, 5, 4));
    }

    [GpuFact]
    public void SliceSplitSqueezePad()
    {
        var model = new ModelBuilder().Input("x", 2, 6, 8).Ints("st", 1, -1).Ints("en", 5, 0).Ints("ax", 1, 2).Ints("sp", 1, -2)
            .Ints("sq", 0).Ints("pads", 0, 1, 2, 0, 0, 1).Ints("split", 1, 3)
            .Node("Slice", ["x", "st", "en", "ax", "sp"], ["s"])
            .Node("Split", ["s", "split"], ["p", "q"], I("axis", 1))
            .Node("Pad", ["q", "pads"], ["y"], S("mode", "reflect"))
            .Node("Unsqueeze", ["p", "sq"], ["u"])
            .Output("y").Output("u").Build();
        Check(model, T(Random(96, 1), 2, 6, 8));
    }

    [GpuTheory]
    [InlineData("nearest", "asymmetric", "floor")]
    [InlineData("nearest", "half_pixel", "round_prefer_floor")]
    [InlineData("linear", "half_pixel", "round_prefer_floor")]
    [InlineData("linear", "align_corners", "round_prefer_floor")]
    [InlineData("linear", "pytorch_half_pixel", "round_prefer_floor")]
    public void Resize(string mode, string coord, string nearest)
    {
        var model = new ModelBuilder().Input("x", 1, 2, 5, 7).Floats("scales", 1, 1, 2, 3f)
            .Node("Resize", ["x", "", "scales"], ["y"], S("mode", mode), S("coordinate_transformation_mode", coord), S("nearest_mode", nearest))
            .Output("y").Build();
        Check(model, T(Random(70, 1), 1, 2, 5, 7));
    }

    [GpuFact]
    public void ResizeSizes()
    {
        var model = new ModelBuilder().Input("x", 1, 2, 5, 7).Ints("sizes", 1, 2, 9, 4)
            .Node("Resize", ["x", "", "", "sizes"], ["y"], S("mode", "linear")).Output("y").Build();
        Check(model, T(Random(70, 1), 1, 2, 5, 7));
    }

    [GpuTheory]
    [InlineData("ReduceMean", 1)]
    [InlineData("ReduceMean", 0)]
    [InlineData("ReduceSum", 1)]
    [InlineData("ReduceMax", 0)]
    public void Reduce(string op, int keep)
    {
        var b = new ModelBuilder().Opset(18).Input("x", 2, 3, 4, 5).Ints("axes", 1, -1);
        var model = b.Node(op, ["x", "axes"], ["y"], I("keepdims", keep)).Output("y").Build();
        Check(model, T(Random(120, 1), 2, 3, 4, 5));
    }

    [GpuFact]
    public void ReduceMeanOpset13Attribute()
    {
        var model = new ModelBuilder().Opset(13).Input("x", 2, 3, 4).Node("ReduceMean", ["x"], ["y"], Is("axes", 2)).Output("y").Build();
        Check(model, T(Random(24, 1), 2, 3, 4));
    }
}
