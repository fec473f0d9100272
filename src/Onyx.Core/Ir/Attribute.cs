using Onyx.Tensors;

namespace Onyx.Core.Ir;

/// <summary>Kinds of node attributes (ONNX <c>AttributeProto.AttributeType</c> numbering).</summary>
public enum AttributeKind
{
    Undefined = 0, Float = 1, Int = 2, String = 3, Tensor = 4, Graph = 5, SparseTensor = 11, TypeProto = 13,
    Floats = 6, Ints = 7, Strings = 8, Tensors = 9, Graphs = 10, SparseTensors = 12, TypeProtos = 14,
}

/// <summary>One node attribute. Only the field matching <see cref="Kind"/> is meaningful.</summary>
public sealed class Attribute
{
    public required string Name { get; init; }
    public AttributeKind Kind { get; init; }
    public float Float { get; init; }
    public long Int { get; init; }
    /// <summary>STRING attributes as raw bytes (ONNX strings are bytes; usually UTF-8).</summary>
    public byte[]? Bytes { get; init; }
    public Tensor? Tensor { get; init; }
    public Graph? Graph { get; init; }
    public TypeInfo? TypeInfo { get; init; }
    public float[]? Floats { get; init; }
    public long[]? Ints { get; init; }
    public byte[][]? BytesList { get; init; }
    public Tensor[]? Tensors { get; init; }
    public Graph[]? Graphs { get; init; }
    public TypeInfo[]? TypeInfos { get; init; }
    /// <summary>Inside a function body: the name of the caller's attribute this one refers to.</summary>
    public string? RefAttrName { get; init; }

    /// <summary>STRING attribute decoded as UTF-8.</summary>
    public string String => Bytes is null ? "" : System.Text.Encoding.UTF8.GetString(Bytes);

    /// <summary>STRINGS attribute decoded as UTF-8.</summary>
    public string[] Strings => BytesList?.Select(b => System.Text.Encoding.UTF8.GetString(b)).ToArray() ?? [];
}
