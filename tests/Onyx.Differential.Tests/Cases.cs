using Onnx;

namespace Onyx.Differential.Tests;

/// <summary>
/// The differential cases: the ops real models spend their time in, each over shapes that include
/// empty tensors, size-1 and broadcast dims, permuted (strided-upstream) inputs and large values.
/// </summary>
public static class Cases
{
    private static FloatInput X(params long[] s) => new("x", s);
    private static FloatInput Y(params long[] s) => new("y", s);
    private static AttributeProto I(string n, long v) => new() { Name = n, Type = AttributeProto.Types.AttributeType.Int, I = v };
    private static AttributeProto Fl(string n, float v) => new() { Name = n, Type = AttributeProto.Types.AttributeType.Float, F = v };
    private static AttributeProto S(string n, string v) => new() { Name = n, Type = AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8(v) };
    private static AttributeProto Is(string n, params long[] v)
    {
        var a = new AttributeProto { Name = n, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(v);
        return a;
    }

    private static OpCase C(string label, string op, InputSpec[] inputs, params AttributeProto[] attrs) => new(label, op, 17, inputs, attrs);

    public static IEnumerable<OpCase> All()
    {
        // Binary elementwise with broadcasting: same shape, scalar, row, column, 4-D, empty, size-1.
        foreach (var op in new[] { "Add", "Sub", "Mul", "Div", "Max", "Min" })
        {
            yield return C($"{op}_same", op, [X(3, 4), Y(3, 4)]);
            yield return C($"{op}_scalar", op, [X(2, 3, 4), Y()]);
            yield return C($"{op}_row", op, [X(2, 3, 4), Y(4)]);
            yield return C($"{op}_col", op, [X(2, 3, 4), Y(3, 1)]);
            yield return C($"{op}_both", op, [X(2, 1, 4), Y(1, 3, 1)]);
            yield return C($"{op}_empty", op, [X(0, 4), Y(4)]);
            yield return C($"{op}_nchw_bias", op, [X(1, 8, 5, 5), Y(1, 8, 1, 1)]);
        }
        yield return C("Pow_pos", "Pow", [new PositiveInput("x", [3, 4]), new FloatInput("y", [4], 2f)]);
        yield return C("Add_large", "Add", [new FloatInput("x", [64], 1e30f), new FloatInput("y", [64], 1e30f)]);
        yield return C("Mul_transposed", "Mul", [X(4, 3), Y(4, 3)]) with { Pre = "transpose0" };
        yield return C("Sum3", "Sum", [X(2, 3), Y(3), new FloatInput("z", [2, 1])]);
        yield return C("Mean3", "Mean", [X(2, 3), Y(3), new FloatInput("z", [2, 1])]);

        // Unary math and activations.
        foreach (var op in new[] { "Abs", "Neg", "Exp", "Tanh", "Sigmoid", "Relu", "Erf", "Floor", "Ceil", "Round", "Sign", "Softsign", "Softplus", "Sin", "Cos", "Atan" })
        {
            yield return C($"{op}", op, [new FloatInput("x", [2, 3, 17], 3f)]);
            yield return C($"{op}_empty", op, [X(0, 3)]);
        }
        yield return C("Exp_large", "Exp", [new FloatInput("x", [100], 100f)]);
        foreach (var op in new[] { "Log", "Sqrt", "Reciprocal" })
            yield return C(op, op, [new PositiveInput("x", [5, 33])]);
        yield return C("LeakyRelu", "LeakyRelu", [X(3, 40)], Fl("alpha", 0.2f));
        yield return C("Elu", "Elu", [X(3, 40)], Fl("alpha", 0.7f));
        yield return C("Selu", "Selu", [X(3, 40)]);
        yield return C("HardSigmoid", "HardSigmoid", [new FloatInput("x", [3, 40], 5f)], Fl("alpha", 0.3f));
        yield return C("HardSwish", "HardSwish", [new FloatInput("x", [3, 40], 5f)]);
        yield return new OpCase("Gelu_erf", "Gelu", 20, [new FloatInput("x", [3, 40], 4f)], []);
        yield return new OpCase("Gelu_tanh", "Gelu", 20, [new FloatInput("x", [3, 40], 4f)], [S("approximate", "tanh")]);
        yield return C("Clip", "Clip", [new FloatInput("x", [3, 40], 8f), new ConstFloats("lo", [0f], []), new ConstFloats("hi", [6f], [])]);
        yield return C("Clip_min_only", "Clip", [new FloatInput("x", [3, 40], 8f), new ConstFloats("lo", [-1f], [])]);
        yield return C("PRelu", "PRelu", [X(1, 4, 3, 3), new FloatInput("slope", [4, 1, 1])]);
        yield return C("Softmax_last", "Softmax", [new FloatInput("x", [2, 3, 50], 10f)], I("axis", -1));
        yield return C("Softmax_mid", "Softmax", [X(2, 3, 5)], I("axis", 1));
        yield return C("LogSoftmax", "LogSoftmax", [new FloatInput("x", [4, 33], 10f)], I("axis", -1));

        // Matrix products.
        yield return C("MatMul_2d", "MatMul", [X(7, 13), Y(13, 9)]);
        yield return C("MatMul_batched", "MatMul", [X(2, 3, 5, 8), Y(8, 6)]);
        yield return C("MatMul_broadcast", "MatMul", [X(2, 1, 4, 8), Y(3, 8, 5)]);
        yield return C("MatMul_vec", "MatMul", [X(8), Y(8, 5)]);
        yield return C("MatMul_large", "MatMul", [X(64, 256), Y(256, 96)]);
        yield return C("MatMul_empty", "MatMul", [X(0, 8), Y(8, 5)]);
        yield return C("Gemm_bias", "Gemm", [X(6, 10), Y(10, 7), new FloatInput("c", [7])]);
        yield return C("Gemm_trans", "Gemm", [X(10, 6), Y(7, 10), new FloatInput("c", [6, 1])], I("transA", 1), I("transB", 1), Fl("alpha", 0.5f), Fl("beta", 2f));

        // Convolution and pooling.
        yield return C("Conv_3x3", "Conv", [X(1, 3, 9, 9), new FloatInput("w", [8, 3, 3, 3]), new FloatInput("b", [8])], Is("pads", 1, 1, 1, 1));
        yield return C("Conv_stride2", "Conv", [X(2, 4, 11, 10), new FloatInput("w", [6, 4, 3, 3])], Is("strides", 2, 2), Is("pads", 1, 0, 1, 0));
        yield return C("Conv_1x1", "Conv", [X(1, 16, 7, 7), new FloatInput("w", [32, 16, 1, 1]), new FloatInput("b", [32])]);
        yield return C("Conv_depthwise", "Conv", [X(1, 16, 8, 8), new FloatInput("w", [16, 1, 3, 3])], I("group", 16), Is("pads", 1, 1, 1, 1));
        yield return C("Conv_grouped_dilated", "Conv", [X(1, 8, 12, 12), new FloatInput("w", [8, 2, 3, 3])], I("group", 4), Is("dilations", 2, 2));
        yield return C("Conv_same_upper", "Conv", [X(1, 3, 10, 10), new FloatInput("w", [4, 3, 4, 4])], S("auto_pad", "SAME_UPPER"), Is("strides", 2, 2));
        yield return C("Conv_1d", "Conv", [X(2, 3, 20), new FloatInput("w", [5, 3, 5])], Is("pads", 2, 2));
        yield return C("ConvTranspose", "ConvTranspose", [X(1, 4, 5, 5), new FloatInput("w", [4, 3, 3, 3])], Is("strides", 2, 2), Is("pads", 1, 1, 1, 1), Is("output_padding", 1, 1));
        yield return C("MaxPool", "MaxPool", [X(1, 3, 9, 9)], Is("kernel_shape", 3, 3), Is("strides", 2, 2), Is("pads", 1, 1, 1, 1));
        yield return C("MaxPool_ceil", "MaxPool", [X(1, 2, 10, 10)], Is("kernel_shape", 3, 3), Is("strides", 2, 2), I("ceil_mode", 1));
        yield return C("AveragePool", "AveragePool", [X(1, 3, 9, 9)], Is("kernel_shape", 3, 3), Is("pads", 1, 1, 1, 1), I("count_include_pad", 0));
        yield return C("AveragePool_incl", "AveragePool", [X(1, 3, 9, 9)], Is("kernel_shape", 2, 2), Is("strides", 2, 2), Is("pads", 1, 1, 1, 1), I("count_include_pad", 1));
        yield return C("GlobalAveragePool", "GlobalAveragePool", [X(2, 5, 7, 7)]);
        yield return C("GlobalMaxPool", "GlobalMaxPool", [X(2, 5, 7, 7)]);

        // Normalisations.
        yield return C("BatchNormalization", "BatchNormalization", [X(2, 4, 5, 5), new FloatInput("s", [4]), new FloatInput("b", [4]), new FloatInput("m", [4]), new PositiveInput("v", [4])]);
        yield return C("InstanceNormalization", "InstanceNormalization", [X(2, 4, 5, 5), new FloatInput("s", [4]), new FloatInput("b", [4])]);
        yield return C("LayerNormalization", "LayerNormalization", [X(2, 5, 64), new FloatInput("s", [64]), new FloatInput("b", [64])], I("axis", -1));
        yield return C("LayerNormalization_2axes", "LayerNormalization", [X(2, 5, 8), new FloatInput("s", [5, 8]), new FloatInput("b", [5, 8])], I("axis", 1));
        yield return new OpCase("GroupNormalization", "GroupNormalization", 21, [X(2, 6, 4, 4), new FloatInput("s", [6]), new FloatInput("b", [6])], [I("num_groups", 3)]);
        yield return C("LpNormalization", "LpNormalization", [X(3, 7)], I("axis", -1), I("p", 2));

        // Reductions.
        foreach (var op in new[] { "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL2", "ReduceLogSumExp", "ReduceSumSquare", "ReduceL1" })
        {
            yield return new OpCase($"{op}_last", op, 18, [X(3, 4, 5), new ConstInts("axes", [-1])], [I("keepdims", 1)]);
            yield return new OpCase($"{op}_middle", op, 18, [X(3, 4, 5), new ConstInts("axes", [1])], [I("keepdims", 0)]);
            yield return new OpCase($"{op}_all", op, 18, [X(3, 4, 5)], [I("keepdims", 0)]);
        }
        yield return C("ArgMax", "ArgMax", [X(3, 4, 5)], I("axis", 1));
        yield return C("ArgMin_last", "ArgMin", [X(3, 4, 5)], I("axis", -1), I("keepdims", 0));
        yield return new OpCase("TopK", "TopK", 17, [X(3, 20), new ConstInts("k", [5])], [I("axis", -1)], Outputs: 2);
        yield return C("CumSum", "CumSum", [X(3, 6), new ConstInts("axis", [1], [])]);

        // Shape and data movement.
        yield return C("Reshape", "Reshape", [X(2, 3, 4), new ConstInts("shape", [4, -1])]);
        yield return C("Reshape_zero", "Reshape", [X(2, 3, 4), new ConstInts("shape", [0, 12])]);
        yield return C("Transpose", "Transpose", [X(2, 3, 4, 5)], Is("perm", 0, 2, 3, 1));
        yield return C("Transpose_2d", "Transpose", [X(33, 17)]);
        yield return C("Concat", "Concat", [X(2, 3), Y(2, 5), new FloatInput("z", [2, 0])], I("axis", 1));
        yield return new OpCase("Split", "Split", 18, [X(6, 4), new ConstInts("split", [2, 4])], [I("axis", 0)], Outputs: 2);
        yield return C("Slice", "Slice", [X(5, 6, 7), new ConstInts("starts", [1, -5]), new ConstInts("ends", [4, 100]), new ConstInts("axes", [0, 2]), new ConstInts("steps", [2, 1])]);
        yield return C("Slice_negative_step", "Slice", [X(5, 6), new ConstInts("starts", [-1]), new ConstInts("ends", [-100]), new ConstInts("axes", [1]), new ConstInts("steps", [-2])]);
        yield return C("Squeeze", "Squeeze", [X(1, 3, 1, 4), new ConstInts("axes", [0, 2])]);
        yield return C("Unsqueeze", "Unsqueeze", [X(3, 4), new ConstInts("axes", [0, 3])]);
        yield return C("Flatten", "Flatten", [X(2, 3, 4, 5)], I("axis", 2));
        yield return C("Expand", "Expand", [X(3, 1), new ConstInts("shape", [2, 3, 4])]);
        yield return C("Tile", "Tile", [X(2, 3), new ConstInts("repeats", [2, 3])]);
        yield return C("Pad_constant", "Pad", [X(2, 3), new ConstInts("pads", [1, 2, 0, 1]), new ConstFloats("v", [1.5f], [])]);
        yield return C("Pad_reflect", "Pad", [X(1, 2, 4, 4), new ConstInts("pads", [0, 0, 1, 2, 0, 0, 2, 1])], S("mode", "reflect"));
        yield return C("Pad_edge", "Pad", [X(3, 4), new ConstInts("pads", [2, 1, 1, 2])], S("mode", "edge"));
        yield return C("Gather", "Gather", [X(5, 4), new IntInput("i", [3, 2], -5, 5)], I("axis", 0));
        yield return C("Gather_axis1", "Gather", [X(3, 6, 2), new IntInput("i", [4], 0, 6)], I("axis", 1));
        yield return C("GatherElements", "GatherElements", [X(3, 4), new IntInput("i", [3, 2], 0, 4)], I("axis", 1));
        yield return C("GatherND", "GatherND", [X(3, 4, 5), new IntInput("i", [2, 2], 0, 3)]);
        yield return C("ScatterElements", "ScatterElements", [X(3, 4), new ConstInts("i", [0, 3, 1, 2, 2, 0], [3, 2]), new FloatInput("u", [3, 2])], I("axis", 1));
        yield return C("ScatterND", "ScatterND", [X(4, 3), new ConstInts("i", [1, 3], [2, 1]), new FloatInput("u", [2, 3])]);
        yield return C("Where", "Where", [new BoolInput("c", [3, 4]), X(3, 4), Y(4)]);
        yield return C("Where_broadcast", "Where", [new BoolInput("c", [3, 1]), X(1, 4), Y()]);
        yield return C("Equal", "Equal", [new IntInput("x", [3, 4], 0, 3), new IntInput("y", [4], 0, 3)]);
        yield return C("Less", "Less", [X(3, 4), Y(4)]);
        yield return C("Greater", "Greater", [X(3, 4), Y(3, 1)]);
        yield return new OpCase("Cast_to_int", "Cast", 17, [new FloatInput("x", [20], 100f)], [I("to", 7)]);
        yield return new OpCase("Cast_to_half", "Cast", 17, [new FloatInput("x", [20], 100f)], [I("to", 10)]);
        yield return new OpCase("Resize_linear", "Resize", 18, [X(1, 2, 4, 5), new Missing(), new ConstFloats("scales", [1f, 1f, 2f, 1.5f])], [S("mode", "linear")]);
        yield return new OpCase("Resize_nearest", "Resize", 18, [X(1, 2, 4, 5), new Missing(), new ConstFloats("scales", [1f, 1f, 2f, 3f])], [S("mode", "nearest")]);
        yield return new OpCase("Resize_cubic_sizes", "Resize", 18, [X(1, 1, 6, 6), new Missing(), new Missing(), new ConstInts("sizes", [1, 1, 9, 4])], [S("mode", "cubic")]);
        yield return C("DepthToSpace", "DepthToSpace", [X(1, 8, 2, 3)], I("blocksize", 2));
        yield return C("SpaceToDepth", "SpaceToDepth", [X(1, 2, 4, 6)], I("blocksize", 2));
    }
}
