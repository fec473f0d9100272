namespace Onyx.Tensors;

/// <summary>
/// A dense row-major tensor over managed memory, shaped like ONNX Runtime's
/// <c>Microsoft.ML.OnnxRuntime.Tensors.DenseTensor&lt;T&gt;</c> so ported code compiles unchanged.
/// </summary>
/// <typeparam name="T">Element type (float, double, Half, BFloat16, integers, bool, string).</typeparam>
public sealed class DenseTensor<T> : IEnumerable<T>
{
    private readonly int[] _dimensions;
    private readonly int[] _strides;

    /// <summary>The elements, row-major. Writes are visible to the tensor.</summary>
    public Memory<T> Buffer { get; }

    /// <summary>Wraps <paramref name="memory"/> (no copy) with the given dimensions.</summary>
    public DenseTensor(Memory<T> memory, ReadOnlySpan<int> dimensions)
    {
        _dimensions = dimensions.ToArray();
        long n = 1;
        foreach (int d in _dimensions)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(dimensions));
            n *= d;
        }
        if (n != memory.Length)
            throw new ArgumentException($"memory has {memory.Length} elements, dimensions [{string.Join(",", _dimensions)}] need {n}");
        Buffer = memory;
        _strides = new int[_dimensions.Length];
        int s = 1;
        for (int i = _dimensions.Length - 1; i >= 0; i--) { _strides[i] = s; s *= _dimensions[i]; }
    }

    /// <summary>Allocates a zeroed tensor.</summary>
    public DenseTensor(ReadOnlySpan<int> dimensions) : this(new T[Count(dimensions)], dimensions) { }

    private static int Count(ReadOnlySpan<int> dims)
    {
        long n = 1;
        foreach (int d in dims) n *= d;
        return checked((int)n);
    }

    /// <summary>Size of each dimension.</summary>
    public ReadOnlySpan<int> Dimensions => _dimensions;

    /// <summary>Row-major strides, in elements.</summary>
    public ReadOnlySpan<int> Strides => _strides;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _dimensions.Length;

    /// <summary>Number of elements.</summary>
    public long Length => Buffer.Length;

    /// <summary>Element at a multi-dimensional index.</summary>
    public T this[params int[] indices]
    {
        get => Buffer.Span[Offset(indices)];
        set => Buffer.Span[Offset(indices)] = value;
    }

    private int Offset(int[] indices)
    {
        if (indices.Length != Rank) throw new ArgumentException($"expected {Rank} indices, got {indices.Length}");
        int o = 0;
        for (int i = 0; i < indices.Length; i++)
        {
            if ((uint)indices[i] >= (uint)_dimensions[i]) throw new IndexOutOfRangeException($"index {indices[i]} out of range for dimension {i} of size {_dimensions[i]}");
            o += indices[i] * _strides[i];
        }
        return o;
    }

    /// <summary>Element at a flat row-major index.</summary>
    public T GetValue(int index) => Buffer.Span[index];

    /// <summary>Sets the element at a flat row-major index.</summary>
    public void SetValue(int index, T value) => Buffer.Span[index] = value;

    /// <summary>Copies the elements into a new array.</summary>
    public T[] ToArray() => Buffer.ToArray();

    /// <summary>Enumerates elements in row-major order.</summary>
    public IEnumerator<T> GetEnumerator()
    {
        for (int i = 0; i < Buffer.Length; i++) yield return Buffer.Span[i];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
