using Onyx.Tensors;

namespace Onyx;

/// <summary>What kind of value an input or output is (ONNX Runtime's OnnxValueType).</summary>
public enum OnnxValueType
{
    /// <summary>Unknown.</summary>
    ONNX_TYPE_UNKNOWN = 0,
    /// <summary>A dense tensor.</summary>
    ONNX_TYPE_TENSOR = 1,
    /// <summary>A sequence.</summary>
    ONNX_TYPE_SEQUENCE = 2,
    /// <summary>A map.</summary>
    ONNX_TYPE_MAP = 3,
    /// <summary>An opaque value.</summary>
    ONNX_TYPE_OPAQUE = 4,
    /// <summary>A sparse tensor.</summary>
    ONNX_TYPE_SPARSETENSOR = 5,
    /// <summary>An optional.</summary>
    ONNX_TYPE_OPTIONAL = 6,
}

/// <summary>Type and shape of one model input or output (ONNX Runtime's NodeMetadata).</summary>
public sealed class NodeMetadata
{
    internal NodeMetadata(string name, TypeInfo? type)
    {
        Name = name;
        TypeInfo = type;
        OnnxValueType = type switch
        {
            TensorTypeInfo => OnnxValueType.ONNX_TYPE_TENSOR,
            SequenceTypeInfo => OnnxValueType.ONNX_TYPE_SEQUENCE,
            MapTypeInfo => OnnxValueType.ONNX_TYPE_MAP,
            OptionalTypeInfo => OnnxValueType.ONNX_TYPE_OPTIONAL,
            SparseTensorTypeInfo => OnnxValueType.ONNX_TYPE_SPARSETENSOR,
            _ => OnnxValueType.ONNX_TYPE_UNKNOWN,
        };
        // Loops, not LINQ over Dim (a value type): that generic code has no ReadyToRun image, and every
        // session builds this metadata while it loads.
        var shape = (type as TensorTypeInfo)?.Shape;
        int rank = shape?.Length ?? 0;
        Dimensions = new int[rank];
        SymbolicDimensions = new string[rank];
        for (int i = 0; i < rank; i++)
        {
            Dimensions[i] = shape![i].Value is long v ? (int)v : -1;
            SymbolicDimensions[i] = shape[i].Symbol ?? "";
        }
        ElementDataType = (type as TensorTypeInfo)?.ElementType ?? DType.Undefined;
    }

    /// <summary>The input or output name.</summary>
    public string Name { get; }

    /// <summary>Tensor, sequence, map or optional.</summary>
    public OnnxValueType OnnxValueType { get; }

    /// <summary>Dimensions; -1 where the dimension is symbolic or unknown.</summary>
    public int[] Dimensions { get; }

    /// <summary>Symbolic names of dimensions ("" where fixed).</summary>
    public string[] SymbolicDimensions { get; }

    /// <summary>True for tensors.</summary>
    public bool IsTensor => OnnxValueType == OnnxValueType.ONNX_TYPE_TENSOR;

    /// <summary>The tensor element type.</summary>
    public DType ElementDataType { get; }

    /// <summary>The CLR element type of a tensor (float for tensor(float)).</summary>
    public Type ElementType => ElementDataType == DType.Undefined ? typeof(object) : ElementDataType.ClrType();

    /// <summary>The full ONNX type.</summary>
    public TypeInfo? TypeInfo { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {TypeInfo}";
}

/// <summary>The model's descriptive metadata (ONNX Runtime's ModelMetadata).</summary>
public sealed class ModelMetadata
{
    internal ModelMetadata(Core.Ir.Model model)
    {
        ProducerName = model.ProducerName;
        GraphName = model.Graph.Name;
        Domain = model.Domain;
        Description = model.DocString;
        Version = model.ModelVersion;
        CustomMetadataMap = new Dictionary<string, string>(model.MetadataProps);
    }

    /// <summary>Producer (e.g. "pytorch").</summary>
    public string ProducerName { get; }
    /// <summary>Main graph name.</summary>
    public string GraphName { get; }
    /// <summary>Model domain.</summary>
    public string Domain { get; }
    /// <summary>Doc string.</summary>
    public string Description { get; }
    /// <summary>Graph description (same as Description in ONNX IR 9+ models without one).</summary>
    public string GraphDescription => Description;
    /// <summary>Model version.</summary>
    public long Version { get; }
    /// <summary>metadata_props.</summary>
    public IReadOnlyDictionary<string, string> CustomMetadataMap { get; }
}
