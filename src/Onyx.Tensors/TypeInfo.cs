namespace Onyx.Tensors;

/// <summary>One dimension of a declared shape: a fixed size, a named symbol (<c>"batch"</c>), or unknown.</summary>
public readonly record struct Dim(long? Value, string? Symbol)
{
    /// <summary>A fixed dimension.</summary>
    public static Dim Fixed(long value) => new(value, null);

    /// <summary>A named symbolic dimension.</summary>
    public static Dim Named(string symbol) => new(null, symbol);

    /// <summary>A dimension nothing is known about.</summary>
    public static readonly Dim Unknown = new(null, null);

    /// <summary>True when the size is known.</summary>
    public bool IsFixed => Value.HasValue;

    /// <inheritdoc/>
    public override string ToString() => Value?.ToString() ?? Symbol ?? "?";

    // Written out rather than the record's generated members, which go through EqualityComparer<long?>,
    // generic code over a value type that the framework does not precompile (JIT-compiled per process).
    /// <inheritdoc/>
    public bool Equals(Dim other) => Value == other.Value && string.Equals(Symbol, other.Symbol, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override int GetHashCode() => (Value ?? long.MinValue).GetHashCode() * 31 + (Symbol?.GetHashCode() ?? 0);
}

/// <summary>The ONNX type of a value (mirrors <c>TypeProto</c>).</summary>
public abstract record TypeInfo
{
    /// <summary>ONNX spelling, e.g. <c>tensor(float)</c> or <c>seq(tensor(int64))</c>.</summary>
    public abstract override string ToString();
}

/// <summary>A tensor type: element type and an optional shape (null when the rank is unknown).</summary>
public sealed record TensorTypeInfo(DType ElementType, Dim[]? Shape) : TypeInfo
{
    /// <inheritdoc/>
    public override string ToString() => $"tensor({ElementType.OnnxName()})" +
        (Shape is null ? "" : "[" + string.Join(",", Shape.Select(d => d.ToString())) + "]");

    /// <inheritdoc/>
    public bool Equals(TensorTypeInfo? other) => other is not null && ElementType == other.ElementType &&
        (Shape is null ? other.Shape is null : other.Shape is not null && SameDims(Shape, other.Shape));

    /// <summary>A loop, not <c>SequenceEqual</c>: that is generic code over <see cref="Dim"/> which no ReadyToRun image holds.</summary>
    private static bool SameDims(Dim[] a, Dim[] b)
    {
        if (a.Length != b.Length) return false;
        for (int i = 0; i < a.Length; i++) if (!a[i].Equals(b[i])) return false;
        return true;
    }

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(ElementType, Shape?.Length ?? -1);
}

/// <summary>A sparse tensor type.</summary>
public sealed record SparseTensorTypeInfo(DType ElementType, Dim[]? Shape) : TypeInfo
{
    /// <inheritdoc/>
    public override string ToString() => $"sparse_tensor({ElementType.OnnxName()})";
}

/// <summary>A sequence of values of one type.</summary>
public sealed record SequenceTypeInfo(TypeInfo? ElementType) : TypeInfo
{
    /// <inheritdoc/>
    public override string ToString() => $"seq({ElementType})";
}

/// <summary>An optional value of one type.</summary>
public sealed record OptionalTypeInfo(TypeInfo? ElementType) : TypeInfo
{
    /// <inheritdoc/>
    public override string ToString() => $"optional({ElementType})";
}

/// <summary>A map from a scalar key type to values.</summary>
public sealed record MapTypeInfo(DType KeyType, TypeInfo? ValueType) : TypeInfo
{
    /// <inheritdoc/>
    public override string ToString() => $"map({KeyType.OnnxName()},{ValueType})";
}
