namespace Onyx.Tensors;

/// <summary>A runtime value: a <see cref="Tensor"/>, a <see cref="SequenceValue"/>, an <see cref="OptionalValue"/> or a <see cref="MapValue"/>.</summary>
public abstract class OnnxValue
{
    /// <summary>The value's ONNX type, as far as the value itself knows it.</summary>
    public abstract TypeInfo Type { get; }
}

/// <summary>An ONNX sequence: an ordered list of values of one type (usually tensors).</summary>
public sealed class SequenceValue : OnnxValue
{
    /// <summary>The items. Kernels treat values as immutable: build a new list rather than editing an input's.</summary>
    public IReadOnlyList<OnnxValue> Items { get; }

    /// <summary>Declared element type (needed for empty sequences).</summary>
    public TypeInfo? ElementType { get; }

    /// <summary>Creates a sequence.</summary>
    public SequenceValue(IReadOnlyList<OnnxValue> items, TypeInfo? elementType = null)
    {
        Items = items;
        ElementType = elementType ?? (items.Count > 0 ? items[0].Type : null);
    }

    /// <inheritdoc/>
    public override TypeInfo Type => new SequenceTypeInfo(ElementType);
}

/// <summary>An ONNX optional: holds a value or nothing.</summary>
public sealed class OptionalValue : OnnxValue
{
    /// <summary>The held value, or null for an empty optional.</summary>
    public OnnxValue? Value { get; }

    /// <summary>Declared element type (needed when empty).</summary>
    public TypeInfo? ElementType { get; }

    /// <summary>Creates an optional.</summary>
    public OptionalValue(OnnxValue? value, TypeInfo? elementType = null)
    {
        Value = value;
        ElementType = elementType ?? value?.Type;
    }

    /// <summary>True when a value is held.</summary>
    public bool HasValue => Value is not null;

    /// <inheritdoc/>
    public override TypeInfo Type => new OptionalTypeInfo(ElementType);
}

/// <summary>An ONNX map: parallel key and value tensors of equal length (ai.onnx.ml ops).</summary>
public sealed class MapValue : OnnxValue
{
    /// <summary>1-D keys (int64 or string).</summary>
    public Tensor Keys { get; }

    /// <summary>1-D values, same length as <see cref="Keys"/>.</summary>
    public Tensor Values { get; }

    /// <summary>Creates a map.</summary>
    public MapValue(Tensor keys, Tensor values)
    {
        Keys = keys;
        Values = values;
    }

    /// <inheritdoc/>
    public override TypeInfo Type => new MapTypeInfo(Keys.DType, Values.Type);
}
