using Onyx.Core.Execution;
using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.OpenVino;

/// <summary>
/// Which nodes the provider claims: the seed's table of ONNX layers validated on the CPU device,
/// plus layers current OpenVINO releases support, provided Onyx has a kernel for the node's opset
/// and every value it touches is a non-string tensor.
/// </summary>
public static class Capability
{
    /// <summary>The seed's "ONNX Layers supported using OpenVINO" table, CPU column = Yes.</summary>
    public static readonly IReadOnlySet<string> SeedOps = new HashSet<string>(StringComparer.Ordinal)
    {
        "Abs", "Acos", "Acosh", "Add", "And", "ArgMax", "ArgMin", "Asin", "Asinh", "Atan", "Atanh", "AveragePool",
        "BatchNormalization", "BitShift", "Ceil", "Celu", "Cast", "Clip", "Concat", "Constant", "ConstantOfShape", "Conv",
        "ConvInteger", "ConvTranspose", "Cos", "Cosh", "CumSum", "DepthToSpace", "DequantizeLinear", "Div", "Dropout", "Elu",
        "Equal", "Erf", "Exp", "Expand", "EyeLike", "Flatten", "Floor", "Gather", "GatherND", "Gemm", "GlobalAveragePool",
        "GlobalLpPool", "GlobalMaxPool", "Greater", "GreaterOrEqual", "GridSample", "Hardmax", "HardSigmoid", "Identity", "If",
        "ImageScaler", "InstanceNormalization", "LeakyRelu", "Less", "LessOrEqual", "Log", "LogSoftmax", "Loop", "LRN", "LSTM",
        "MatMul", "MatMulInteger", "Max", "MaxPool", "Mean", "MeanVarianceNormalization", "Min", "Mod", "Mul", "Neg",
        "NonMaxSuppression", "NonZero", "Not", "OneHot", "Or", "Pad", "Pow", "PRelu", "QuantizeLinear", "QLinearMatMul", "Range",
        "Reciprocal", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin",
        "ReduceProd", "ReduceSum", "ReduceSumSquare", "Relu", "Reshape", "Resize", "ReverseSequence", "RoiAlign", "Round",
        "Scatter", "ScatterElements", "ScatterND", "Selu", "Shape", "Shrink", "Sigmoid", "Sign", "Sin", "Sinh", "Size", "Slice",
        "Softmax", "Softplus", "Softsign", "SpaceToDepth", "Split", "Sqrt", "Squeeze", "Sub", "Sum", "Tan", "Tanh",
        "ThresholdedRelu", "Tile", "TopK", "Transpose", "Unsqueeze", "Upsample", "Where", "Xor",
    };

    /// <summary>Layers current OpenVINO releases add to the seed's table (ONNX domain).</summary>
    public static readonly IReadOnlySet<string> CurrentOps = new HashSet<string>(StringComparer.Ordinal)
    {
        "BitwiseAnd", "BitwiseNot", "BitwiseOr", "BitwiseXor", "CastLike", "DynamicQuantizeLinear", "Einsum", "Gelu",
        "GroupNormalization", "GRU", "HardSwish", "IsInf", "IsNaN", "LayerNormalization", "LpNormalization", "Mish",
        "QLinearConv", "QLinearAdd", "QLinearMul", "RNN", "Scan", "Trilu", "Compress", "DeformConv", "Det", "Unique",
        "AffineGrid", "CenterCropPad", "Col2Im", "MaxRoiPool", "MaxUnpool", "LpPool", "Swish",
        "RMSNormalization", "RotaryEmbedding", "Attention",
    };

    /// <summary>Layers the seed's table marks "No" for the CPU device: refused with that reason.</summary>
    public static readonly IReadOnlySet<string> SeedRefused = new HashSet<string>(StringComparer.Ordinal) { "GatherElements" };

    /// <summary>Ops whose result is random: never claimed (a compiled model must be deterministic to cache and fold).</summary>
    private static readonly HashSet<string> s_nondeterministic = new(StringComparer.Ordinal)
    {
        "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Bernoulli", "Multinomial",
    };

    /// <summary>True when the op type is in the provider's table.</summary>
    public static bool InTable(string domain, string opType) => domain.Length == 0 && (SeedOps.Contains(opType) || CurrentOps.Contains(opType));

    /// <summary>Null when the provider can run <paramref name="node"/>, else why not.</summary>
    public static string? WhyNot(Node node, Graph graph, KernelRegistry kernels)
    {
        if (node.Domain.Length > 0)
            return $"domain '{node.Domain}' is not supported by the OpenVINO provider (ONNX domain only)";
        if (SeedRefused.Contains(node.OpType))
            return $"{node.OpType} is not supported on the CPU device (the provider's op table marks it No)";
        if (s_nondeterministic.Contains(node.OpType))
            return $"{node.OpType} is random; compiled subgraphs must be deterministic";
        if (!InTable(node.Domain, node.OpType))
            return $"{node.OpType} is not in the OpenVINO provider's supported-op table";
        if (!kernels.Supports(node.Domain, node.OpType, node.OpsetVersion))
            return $"no Onyx kernel for {node.OpType} at opset {node.OpsetVersion} yet";
        foreach (var name in node.Inputs.Concat(node.Outputs))
        {
            if (name.Length == 0) continue;
            switch (graph.TypeOf(name))
            {
                case null: break;
                case TensorTypeInfo { ElementType: DType.String }:
                    return $"value '{name}' is a string tensor (the OpenVINO CPU device has no string type)";
                case TensorTypeInfo: break;
                case var t:
                    return $"value '{name}' is {t}, not a tensor";
            }
        }
        foreach (var a in node.Attributes.All)
        {
            var bodies = a.Graph is not null ? [a.Graph] : a.Graphs ?? [];
            foreach (var body in bodies)
                foreach (var inner in body.Nodes)
                    if (WhyNot(inner, body, kernels) is { } why)
                        return $"its '{a.Name}' body has {inner.Describe()} the provider cannot run: {why}";
        }
        return null;
    }
}
