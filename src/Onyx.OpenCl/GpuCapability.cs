using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.OpenCl;

/// <summary>
/// Which nodes the OpenCL GPU device claims. <see cref="Supports(Node)"/> looks at the op and its
/// attributes; <see cref="Supports(Node, Graph)"/> also requires the inputs that must be known at
/// compile time (shapes, axes, pads, scales, BatchNorm statistics, Clip bounds) to be constants and
/// the data inputs to be float when the graph states their types.
/// </summary>
public static class GpuCapability
{
    /// <summary>Every ONNX op type the device has kernels for (default domain).</summary>
    public static readonly IReadOnlySet<string> Ops = new HashSet<string>(StringComparer.Ordinal)
    {
        "Relu", "Clip", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Exp", "Log", "Sqrt", "Abs", "Neg",
        "Reciprocal", "Floor", "Ceil", "Elu", "Selu", "Softplus", "Softsign", "Erf", "Gelu", "Sin", "Cos", "Mish", "Sign",
        "Round", "Identity", "Dropout",
        "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "PRelu", "Mod",
        "Conv", "ConvTranspose", "MatMul", "Gemm",
        "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "BatchNormalization",
        "Softmax", "LogSoftmax", "LayerNormalization", "InstanceNormalization", "GroupNormalization",
        "Concat", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Slice", "Split", "Resize", "Pad", "Gather",
        "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceSumSquare", "ReduceL2", "ReduceL1",
        "Constant", "Cast", "CastLike", "Shape", "Size", "ConstantOfShape",
        "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "And", "Or", "Xor", "Not", "Where", "Expand",
    };

    /// <summary>True when the device claims <paramref name="node"/> by op type and attributes.</summary>
    public static bool Supports(Node node) => WhyNot(node, null) is null;

    /// <summary>As <see cref="Supports(Node)"/>, also checking constant and float inputs against <paramref name="graph"/>.</summary>
    public static bool Supports(Node node, Graph graph) => WhyNot(node, graph) is null;

    /// <summary>Null when claimed; else the reason (for `onyx inspect`).</summary>
    public static string? WhyNot(Node node, Graph? graph)
    {
        if (node.Domain.Length != 0) return $"domain {node.Domain}";
        if (!Ops.Contains(node.OpType)) return "no GPU kernel";
        var at = node.Attributes;
        switch (node.OpType)
        {
            case "Conv":
            case "ConvTranspose":
                if (at.GetInts("kernel_shape") is { } ks && ks.Length != 2) return "only 2-D convolution";
                if (node.OpType == "ConvTranspose" && at.GetInts("output_shape") is not null) return "ConvTranspose output_shape";
                if (graph is not null && (RankOf(graph, node.Inputs[0]) is { } r && r != 4 || RankOf(graph, node.Inputs[1]) is { } rw && rw != 4))
                    return "only 2-D convolution (4-D input and weight)";
                break;
            case "Dropout":
                if (node.Inputs.Count(i => i.Length > 0) > 1 || node.Outputs.Count(o => o.Length > 0) > 1) return "Dropout with ratio/training_mode inputs or a mask output";
                break;
            case "MatMul":
                if (graph is not null && ShapeOf(graph, node.Inputs[0]) is { Length: > 2 } a && ShapeOf(graph, node.Inputs[1]) is { Length: > 2 } b
                    && !BatchBroadcastSupported(a, b))
                    return "MatMul batch broadcasting on both sides";
                break;
            case "MaxPool":
                if (node.HasOutput(1)) return "MaxPool indices output";
                if (at.GetInt("storage_order", 0) != 0) return "storage_order";
                if (at.GetInts("kernel_shape") is not { Length: 2 }) return "only 2-D pooling";
                break;
            case "AveragePool":
                if (at.GetInts("kernel_shape") is not { Length: 2 }) return "only 2-D pooling";
                break;
            case "BatchNormalization":
                if (at.GetInt("training_mode", 0) != 0 || node.Outputs.Count(o => o.Length > 0) > 1) return "training mode";
                break;
            case "Resize":
                if (node.OpsetVersion is > 0 and < 11) return "Resize before opset 11";
                if (at.GetString("mode", "nearest") is not ("nearest" or "linear")) return "cubic resize";
                if (at.GetInt("antialias", 0) != 0 || at.GetInts("axes") is not null) return "antialias/axes";
                if (at.GetString("coordinate_transformation_mode", "half_pixel") is "tf_crop_and_resize") return "tf_crop_and_resize";
                if (at.GetString("keep_aspect_ratio_policy", "stretch") != "stretch") return "keep_aspect_ratio_policy";
                break;
            case "Pad":
                if (at.GetString("mode", "constant") is not ("constant" or "edge" or "reflect")) return "pad mode";
                break;
            case "Mod":
                // Float Mod needs fmod=1 (ONNX); the float kernel computes fmod.
                if (at.GetInt("fmod", 0) == 0 && graph is not null && graph.TypeOf(node.Inputs[0]) is TensorTypeInfo { ElementType: DType.Float32 }) return "float Mod without fmod=1";
                break;
            case "LayerNormalization":
                if (at.GetInt("stash_type", 1) != 1) return "stash_type other than float";
                break;
            case "Cast":
                if (CastOp.Target(node) is null) return $"Cast to {(DType)(int)at.GetInt("to", 0)} (the device holds float32/float16/float64/int64/int32/bool)";
                break;
            case "ConstantOfShape":
                if (at.GetTensor("value") is { } fillValue && !(fillValue.DType == DType.Float32 || DeviceTypes.IsInt(fillValue.DType)))
                    return $"ConstantOfShape of {fillValue.DType}";
                break;
            case "Constant":
                if (ConstantValue(node) is not { } cv) return "Constant without a value/value_float(s)/value_int(s) attribute";
                if (cv.DType is not (DType.Float32 or DType.Int64 or DType.Int32)) return $"{cv.DType} constant";
                break;
        }
        if (graph is null) return null;

        // Inputs that must be constants.
        foreach (int i in ConstantInputs(node))
            if (node.HasInput(i) && !IsConstant(graph, node.Inputs[i])) return $"input {i} ('{node.Inputs[i]}') is not a constant";
        // LayerNormalization's Scale/B must cover the normalised dims exactly (the kernel does not broadcast them).
        if (node.OpType == "LayerNormalization" && RankOf(graph, node.Inputs[0]) is { } xr)
        {
            long axis = at.GetInt("axis", -1);
            if (axis < 0) axis += xr;
            var xs = ShapeOf(graph, node.Inputs[0]);
            for (int i = 1; i < 3; i++)
            {
                if (!node.HasInput(i)) continue;
                // Constant or run-time (a graph input): its static shape must be known and span the normalised dims.
                if (ShapeOf(graph, node.Inputs[i]) is not { } p || p.Any(d => d.Value is null)) return $"input {i} has no static shape";
                if (p.Length != xr - axis) return $"input {i} does not span the normalised dims";
                for (int d = 0; d < p.Length && xs is not null; d++)
                    if (xs[axis + d].Value is { } v && v != p[d].Value) return $"input {i} broadcasts over the normalised dims";
            }
        }
        // Data inputs must have a type the op's kernels take (float32 for most), when typed.
        foreach (int i in DataInputs(node))
        {
            if (!node.HasInput(i)) continue;
            var accepts = InputTypes(node, i);
            if (graph.TypeOf(node.Inputs[i]) is TensorTypeInfo { ElementType: var dt } && !accepts(dt)) return $"input {i} is {dt}";
            if (graph.Initializers.TryGetValue(node.Inputs[i], out var t) && !accepts(t.DType)) return $"input {i} is {t.DType}";
        }
        return null;
    }

    /// <summary>The tensor of a Constant node (value, value_float(s), value_int(s)); null for other forms.</summary>
    public static Tensor? ConstantValue(Node n)
    {
        var a = n.Attributes;
        if (a.Has("value")) return a.GetTensor("value");
        if (a.Has("value_float")) return Tensor.Scalar(a.GetFloat("value_float"));
        if (a.GetFloats("value_floats") is { } fs) return Tensor.FromArray(fs, fs.Length);
        if (a.Has("value_int")) return Tensor.Scalar(a.GetInt("value_int"));
        if (a.GetInts("value_ints") is { } ls) return Tensor.FromArray(ls, ls.Length);
        return null;
    }

    /// <summary>True when input <paramref name="i"/> of <paramref name="n"/> may be a tensor of <paramref name="type"/> (checked at subgraph boundaries).</summary>
    internal static bool Accepts(Node n, int i, DType type) => !DataInputs(n).Contains(i) || InputTypes(n, i)(type);

    /// <summary>
    /// The element types input <paramref name="i"/> of <paramref name="n"/> may have. Integer tensors live on the
    /// device (int32 storage), so Gather takes run-time indices; ops that only move or re-label data take any device type.
    /// </summary>
    private static Func<DType, bool> InputTypes(Node n, int i) => n.OpType switch
    {
        "Cast" or "CastLike" or "Shape" or "Size" or "Reshape" or "Flatten" or "Squeeze" or "Unsqueeze" or "Identity" or "Dropout" when i == 0 => DeviceTypes.IsSupported,
        "CastLike" => DeviceTypes.IsSupported,
        "Gather" when i == 0 => t => t == DType.Float32 || DeviceTypes.IsInt(t),
        "Gather" => t => t is DType.Int32 or DType.Int64,
        "ConstantOfShape" => DeviceTypes.IsInt,
        "Equal" or "Less" or "LessOrEqual" or "Greater" or "GreaterOrEqual" or "Expand" or "Concat" or "Slice" or "Transpose" or "Split" => t => t == DType.Float32 || DeviceTypes.IsInt(t),
        "Add" or "Sub" or "Mul" or "Div" or "Max" or "Min" or "Sum" or "Mod" => t => t is DType.Float32 or DType.Int64 or DType.Int32,
        "Where" when i == 0 => t => t == DType.Bool,
        "Where" => t => t == DType.Float32 || DeviceTypes.IsInt(t),
        "And" or "Or" or "Xor" or "Not" => t => t == DType.Bool,
        _ => t => t == DType.Float32,
    };

    private static int? RankOf(Graph graph, string name) =>
        graph.Initializers.TryGetValue(name, out var t) ? t.Rank : graph.TypeOf(name) is TensorTypeInfo { Shape: { } s } ? s.Length : null;

    private static Dim[]? ShapeOf(Graph graph, string name) =>
        graph.Initializers.TryGetValue(name, out var t) ? t.Shape.Select(d => Dim.Fixed(d)).ToArray() : (graph.TypeOf(name) as TensorTypeInfo)?.Shape;

    /// <summary>The kernel broadcasts one side's batch only: batch dims equal, or one side's batch all 1 (or absent).</summary>
    private static bool BatchBroadcastSupported(Dim[] a, Dim[] b)
    {
        var ba = a[..^2];
        var bb = b[..^2];
        static bool AllOne(Dim[] d) => d.All(x => x.Value == 1);
        if (AllOne(ba) || AllOne(bb)) return true;
        return ba.Length == bb.Length && ba.Zip(bb).All(p => p.First.Value is { } x && p.Second.Value is { } y ? x == y : p.First == p.Second);
    }

    private static bool IsConstant(Graph graph, string name)
    {
        if (graph.Inputs.Any(v => v.Name == name)) return false;
        if (graph.Initializers.ContainsKey(name)) return true;
        return graph.Nodes.Any(n => n.OpType == "Constant" && n.Outputs.Contains(name));
    }

    private static int[] ConstantInputs(Node n) => n.OpType switch
    {
        // Shape-like int inputs of Reshape/Squeeze/Unsqueeze/Split/Slice/Pad/Reduce* may be run-time tensors: their
        // values are read on the host (boundary inputs and Shape results carry a host copy; others are read back).
        "Resize" => [1, 2, 3],
        "Pad" => [2],
        "Clip" => [1, 2],
        "BatchNormalization" => [1, 2, 3, 4],
        _ => [],
    };

    private static int[] DataInputs(Node n) => n.OpType switch
    {
        "Conv" or "ConvTranspose" or "Gemm" or "LayerNormalization" or "InstanceNormalization" or "GroupNormalization" => [0, 1, 2],
        "Concat" or "Sum" or "Max" or "Min" => Enumerable.Range(0, n.Inputs.Count).ToArray(),
        "Add" or "Sub" or "Mul" or "Div" or "Pow" or "PRelu" or "MatMul" or "Gather" or "CastLike" or "Mod" => [0, 1],
        "Equal" or "Less" or "LessOrEqual" or "Greater" or "GreaterOrEqual" or "And" or "Or" or "Xor" => [0, 1],
        "Where" => [0, 1, 2],
        "Constant" => [],
        _ => [0],
    };
}
