using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Onyx.Tensors;

/// <summary>
/// A dense, row-major tensor: element type, shape, and a view (byte offset) into a
/// <see cref="NativeBuffer"/> of 64-byte aligned memory. String tensors hold a managed array.
/// </summary>
/// <remarks>
/// Several tensors may view one buffer (Reshape, Squeeze, Flatten and outer-dimension slices are
/// free). Kernels treat input tensors as read-only and write only tensors they were given as outputs.
/// </remarks>
public sealed unsafe class Tensor : OnnxValue
{
    private readonly NativeBuffer? _buffer;
    private readonly long _byteOffset;
    private readonly string[]? _strings;
    private readonly int[] _shape;

    /// <summary>Element type.</summary>
    public DType DType { get; }

    /// <summary>Dimensions, outermost first. Never mutate the returned array.</summary>
    public int[] Shape => _shape;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>Number of elements (product of the shape; 1 for a scalar).</summary>
    public int Length { get; }

    /// <summary>The buffer this tensor views; null for strings.</summary>
    public NativeBuffer? Buffer => _buffer;

    /// <summary>Byte offset of element 0 inside <see cref="Buffer"/>.</summary>
    public long ByteOffset => _byteOffset;

    private Tensor(DType dtype, int[] shape, int length, NativeBuffer? buffer, long byteOffset, string[]? strings)
    {
        DType = dtype;
        _shape = shape;
        Length = length;
        _buffer = buffer;
        _byteOffset = byteOffset;
        _strings = strings;
    }

    /// <inheritdoc/>
    public override TypeInfo Type
    {
        get
        {
            // A loop, not Select(...).ToArray(): LINQ into Dim (a value type) has no ReadyToRun code.
            var dims = new Dim[_shape.Length];
            for (int i = 0; i < dims.Length; i++) dims[i] = Dim.Fixed(_shape[i]);
            return new TensorTypeInfo(DType, dims);
        }
    }

    /// <summary>Product of dimensions, checked against overflow and negative sizes.</summary>
    public static int ElementCount(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"negative dimension {d} in shape [{string.Join(",", shape.ToArray())}]");
            n *= d;
            if (n > int.MaxValue) throw new ArgumentException($"shape [{string.Join(",", shape.ToArray())}] has more than {int.MaxValue} elements");
        }
        return (int)n;
    }

    /// <summary>Allocates a tensor; zero-filled unless <paramref name="zero"/> is false (strings are always "").</summary>
    public static Tensor Allocate(DType dtype, ReadOnlySpan<int> shape, bool zero = true)
    {
        int n = ElementCount(shape);
        int[] s = shape.ToArray();
        if (dtype == DType.String)
        {
            var strings = new string[n];
            Array.Fill(strings, string.Empty);
            return new Tensor(dtype, s, n, null, 0, strings);
        }
        return new Tensor(dtype, s, n, NativeBuffer.Allocate((long)n * dtype.SizeOf(), zero), 0, null);
    }

    /// <summary>Copies a managed array into a new tensor of the natural DType for <typeparamref name="T"/>.</summary>
    public static Tensor FromArray<T>(T[] data, params int[] shape) where T : unmanaged =>
        FromSpan<T>(DTypeInfo.FromClr<T>(), data, shape);

    /// <summary>Copies elements into a new tensor of <paramref name="dtype"/> (whose storage type must be T).</summary>
    public static Tensor FromSpan<T>(DType dtype, ReadOnlySpan<T> data, ReadOnlySpan<int> shape) where T : unmanaged
    {
        var t = Allocate(dtype, shape, zero: false);
        if (data.Length != t.Length)
            throw new ArgumentException($"{data.Length} elements given for shape [{string.Join(",", shape.ToArray())}] ({t.Length} elements)");
        data.CopyTo(t.Span<T>());
        return t;
    }

    /// <summary>A string tensor over <paramref name="data"/> (the array is taken, not copied).</summary>
    public static Tensor FromStrings(string[] data, params int[] shape)
    {
        int n = ElementCount(shape);
        if (data.Length != n) throw new ArgumentException($"{data.Length} strings given for {n} elements");
        return new Tensor(DType.String, shape.ToArray(), n, null, 0, data);
    }

    /// <summary>A rank-0 tensor holding one value.</summary>
    public static Tensor Scalar<T>(T value) where T : unmanaged => FromSpan<T>(DTypeInfo.FromClr<T>(), [value], []);

    /// <summary>A view of <paramref name="buffer"/> at <paramref name="byteOffset"/>; no copy.</summary>
    public static Tensor View(DType dtype, ReadOnlySpan<int> shape, NativeBuffer buffer, long byteOffset = 0)
    {
        int n = ElementCount(shape);
        long need = byteOffset + (long)n * dtype.SizeOf();
        if (byteOffset < 0 || need > buffer.ByteLength)
            throw new ArgumentException($"view of {need - byteOffset} bytes at offset {byteOffset} exceeds buffer of {buffer.ByteLength} bytes");
        return new Tensor(dtype, shape.ToArray(), n, buffer, byteOffset, null);
    }

    /// <summary>Address of element 0.</summary>
    public void* Pointer => _buffer is null ? throw new InvalidOperationException("string tensors have no native data") : (byte*)_buffer.Pointer + _byteOffset;

    /// <summary>The elements as a span of the storage type (see <see cref="DType"/> remarks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<T> Span<T>() where T : unmanaged
    {
        if (_buffer is null) throw new InvalidOperationException("string tensors have no native data; use Strings");
        if (sizeof(T) != DType.SizeOf())
            throw new InvalidOperationException($"cannot view a {DType.OnnxName()} tensor as {typeof(T).Name}");
        return new Span<T>((byte*)_buffer.Pointer + _byteOffset, Length);
    }

    /// <summary>The raw bytes of the elements.</summary>
    public Span<byte> Bytes => _buffer is null ? throw new InvalidOperationException("string tensors have no native data")
        : new Span<byte>((byte*)_buffer.Pointer + _byteOffset, checked(Length * DType.SizeOf()));

    /// <summary>The elements of a string tensor. Kernels must not modify an input's array.</summary>
    public string[] Strings => _strings ?? throw new InvalidOperationException($"a {DType.OnnxName()} tensor has no strings");

    /// <summary>A tensor with a new shape of the same element count that shares this one's memory.</summary>
    public Tensor Reshape(ReadOnlySpan<int> shape)
    {
        int n = ElementCount(shape);
        if (n != Length)
            throw new ArgumentException($"cannot reshape [{string.Join(",", _shape)}] ({Length} elements) to [{string.Join(",", shape.ToArray())}] ({n} elements)");
        return new Tensor(DType, shape.ToArray(), n, _buffer, _byteOffset, _strings);
    }

    /// <summary>
    /// A view of <paramref name="count"/> consecutive slices along axis 0 starting at <paramref name="start"/>;
    /// shares memory. Not for string tensors.
    /// </summary>
    public Tensor SliceOuter(int start, int count)
    {
        if (Rank == 0) throw new InvalidOperationException("cannot slice a scalar");
        if (start < 0 || count < 0 || start + count > _shape[0]) throw new ArgumentOutOfRangeException(nameof(start));
        int[] s = (int[])_shape.Clone();
        s[0] = count;
        int inner = _shape[0] == 0 ? 0 : Length / _shape[0];
        if (_strings is not null)
            return FromStrings(_strings.AsSpan(start * inner, count * inner).ToArray(), s);
        return new Tensor(DType, s, inner * count, _buffer, _byteOffset + (long)start * inner * DType.SizeOf(), null);
    }

    /// <summary>A deep copy in a new buffer.</summary>
    public Tensor Clone()
    {
        if (_strings is not null) return FromStrings((string[])_strings.Clone(), _shape);
        var t = Allocate(DType, _shape, zero: false);
        Bytes.CopyTo(t.Bytes);
        return t;
    }

    /// <summary>Copies the elements into a new array.</summary>
    public T[] ToArray<T>() where T : unmanaged => Span<T>().ToArray();

    /// <summary>The single element of a tensor with one element (any rank).</summary>
    public T Scalar<T>() where T : unmanaged
    {
        if (Length != 1) throw new InvalidOperationException($"expected one element, the tensor has shape [{string.Join(",", _shape)}]");
        return Span<T>()[0];
    }

    /// <summary>Reads every element of an integer tensor (any integer DType) as int64 — for shape-like inputs.</summary>
    public long[] ToInt64Array()
    {
        var r = new long[Length];
        switch (DType)
        {
            case DType.Int64: Span<long>().CopyTo(r); break;
            case DType.Int32: { var s = Span<int>(); for (int i = 0; i < r.Length; i++) r[i] = s[i]; break; }
            case DType.Int16: { var s = Span<short>(); for (int i = 0; i < r.Length; i++) r[i] = s[i]; break; }
            case DType.Int8: case DType.Int4: { var s = Span<sbyte>(); for (int i = 0; i < r.Length; i++) r[i] = s[i]; break; }
            case DType.UInt8: case DType.UInt4: case DType.Bool: { var s = Bytes; for (int i = 0; i < r.Length; i++) r[i] = s[i]; break; }
            case DType.UInt16: { var s = Span<ushort>(); for (int i = 0; i < r.Length; i++) r[i] = s[i]; break; }
            case DType.UInt32: { var s = Span<uint>(); for (int i = 0; i < r.Length; i++) r[i] = s[i]; break; }
            case DType.UInt64: { var s = Span<ulong>(); for (int i = 0; i < r.Length; i++) r[i] = (long)s[i]; break; }
            default: throw new InvalidOperationException($"expected an integer tensor, got {DType.OnnxName()}");
        }
        return r;
    }

    /// <summary>Reads every element of a numeric tensor as double (Float16/BFloat16/ints/bool widened).</summary>
    public double[] ToDoubleArray()
    {
        var r = new double[Length];
        switch (DType)
        {
            case DType.Float32: { var s = Span<float>(); for (int i = 0; i < r.Length; i++) r[i] = s[i]; break; }
            case DType.Float64: Span<double>().CopyTo(r); break;
            case DType.Float16: { var s = Span<Half>(); for (int i = 0; i < r.Length; i++) r[i] = (double)s[i]; break; }
            case DType.BFloat16: { var s = Span<BFloat16>(); for (int i = 0; i < r.Length; i++) r[i] = s[i].ToFloat(); break; }
            default:
                var l = ToInt64Array();
                for (int i = 0; i < r.Length; i++) r[i] = DType == DType.UInt64 ? (ulong)l[i] : l[i];
                break;
        }
        return r;
    }

    /// <summary>Shape as text, e.g. <c>[1,3,224,224]</c>.</summary>
    public string ShapeString => "[" + string.Join(",", _shape) + "]";

    /// <inheritdoc/>
    public override string ToString() => $"tensor({DType.OnnxName()}){ShapeString}";
}
