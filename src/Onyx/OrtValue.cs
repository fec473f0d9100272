using System.Runtime.InteropServices;
using Onyx.Tensors;

namespace Onyx;

/// <summary>
/// A value passed to or returned from <see cref="InferenceSession.Run(RunOptions, IReadOnlyCollection{string}, IReadOnlyCollection{OrtValue}, IReadOnlyCollection{string})"/>,
/// named as in ONNX Runtime. A tensor value created from caller memory wraps it without copying;
/// the caller keeps that memory alive (arrays are pinned by the value until it is disposed).
/// </summary>
public sealed partial class OrtValue : IDisposable
{
    private GCHandle _pin;

    internal OnnxValue Value { get; }

    internal OrtValue(OnnxValue value, GCHandle pin = default)
    {
        Value = value;
        _pin = pin;
    }

    /// <summary>Tensor, sequence, map or optional.</summary>
    public OnnxValueType OnnxType => Value switch
    {
        Tensor or OpenCl.OpenClBuffer => OnnxValueType.ONNX_TYPE_TENSOR,
        SequenceValue => OnnxValueType.ONNX_TYPE_SEQUENCE,
        MapValue => OnnxValueType.ONNX_TYPE_MAP,
        OptionalValue => OnnxValueType.ONNX_TYPE_OPTIONAL,
        _ => OnnxValueType.ONNX_TYPE_UNKNOWN,
    };

    /// <summary>True when this is a tensor.</summary>
    public bool IsTensor => Value is Tensor;

    /// <summary>Wraps a managed array as a tensor without copying; the array is pinned until Dispose.</summary>
    public static unsafe OrtValue CreateTensorValueFromMemory<T>(T[] data, long[] shape) where T : unmanaged
    {
        var dims = ToIntShape(shape);
        var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
        var buffer = NativeBuffer.Borrow((void*)handle.AddrOfPinnedObject(), (long)data.Length * sizeof(T), data);
        var tensor = Tensor.View(DTypeInfo.FromClr<T>(), dims, buffer);
        return new OrtValue(tensor, handle);
    }

    /// <summary>Wraps a <see cref="DenseTensor{T}"/>; copies only when its memory is not an array.</summary>
    public static OrtValue CreateTensorValueFromDenseTensor<T>(DenseTensor<T> tensor) where T : unmanaged
    {
        long[] shape = tensor.Dimensions.ToArray().Select(d => (long)d).ToArray();
        if (MemoryMarshal.TryGetArray<T>(tensor.Buffer, out var seg) && seg.Offset == 0 && seg.Count == seg.Array!.Length)
            return CreateTensorValueFromMemory(seg.Array, shape);
        return new OrtValue(Tensor.FromSpan<T>(DTypeInfo.FromClr<T>(), tensor.Buffer.Span, ToIntShape(shape)));
    }

    /// <summary>Wraps a System.Numerics.Tensors tensor (copies it into aligned memory).</summary>
    public static OrtValue CreateTensorValueFromSystemNumericsTensorObject<T>(System.Numerics.Tensors.Tensor<T> tensor) where T : unmanaged
    {
        var dims = tensor.Lengths.ToArray().Select(l => checked((int)l)).ToArray();
        var t = Tensor.Allocate(DTypeInfo.FromClr<T>(), dims, zero: false);
        tensor.FlattenTo(t.Span<T>());
        return new OrtValue(t);
    }

    /// <summary>A string tensor.</summary>
    public static OrtValue CreateFromStringTensor(string[] data, long[] shape) => new(Tensor.FromStrings(data, ToIntShape(shape)));

    /// <summary>Allocates a zeroed tensor of an element type and shape.</summary>
    public static OrtValue CreateAllocatedTensorValue(DType elementType, long[] shape) => new(Tensor.Allocate(elementType, ToIntShape(shape)));

    /// <summary>Wraps an Onyx tensor (no copy).</summary>
    public static OrtValue FromTensor(Tensor tensor) => new(tensor);

    /// <summary>The element type and shape of a tensor value.</summary>
    public OrtTensorTypeAndShapeInfo GetTensorTypeAndShape() => Value is OpenCl.OpenClBuffer b
        ? new OrtTensorTypeAndShapeInfo(DType.Float32, b.Shape.Select(d => (long)d).ToArray())
        : AsTensor() is var t
        ? new OrtTensorTypeAndShapeInfo(t.DType, t.Shape.Select(d => (long)d).ToArray())
        : throw new InvalidOperationException();

    /// <summary>The elements of a tensor value, read-only, without copying.</summary>
    public ReadOnlySpan<T> GetTensorDataAsSpan<T>() where T : unmanaged => AsTensor().Span<T>();

    /// <summary>The elements of a tensor value, writable, without copying.</summary>
    public Span<T> GetTensorMutableDataAsSpan<T>() where T : unmanaged => AsTensor().Span<T>();

    /// <summary>The strings of a string tensor.</summary>
    public string[] GetStringTensorAsArray() => AsTensor().Strings;

    /// <summary>Copies a tensor value into a <see cref="DenseTensor{T}"/>.</summary>
    public DenseTensor<T> ToDenseTensor<T>() where T : unmanaged
    {
        var t = AsTensor();
        return new DenseTensor<T>(t.ToArray<T>(), t.Shape);
    }

    /// <summary>Copies a tensor value into a System.Numerics.Tensors tensor.</summary>
    public System.Numerics.Tensors.Tensor<T> ToSystemNumericsTensor<T>() where T : unmanaged
    {
        var t = AsTensor();
        return System.Numerics.Tensors.Tensor.Create(t.ToArray<T>(), t.Shape.Select(d => (nint)d).ToArray());
    }

    /// <summary>The underlying Onyx tensor (no copy). Throws for non-tensor values.</summary>
    public Tensor AsTensor() => Value as Tensor ?? throw new InvalidOperationException($"the value is {Value.Type}, not a tensor");

    /// <summary>The items of a sequence value.</summary>
    public IReadOnlyList<OrtValue> GetSequence() => Value is SequenceValue s
        ? s.Items.Select(i => new OrtValue(i)).ToList()
        : throw new InvalidOperationException($"the value is {Value.Type}, not a sequence");

    internal static int[] ToIntShape(long[] shape) => shape.Select(d => d is < 0 or > int.MaxValue
        ? throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"invalid dimension {d} in shape [{string.Join(",", shape)}]")
        : (int)d).ToArray();

    /// <summary>Unpins caller memory. The value must not be used afterwards.</summary>
    public void Dispose()
    {
        if (_pin.IsAllocated) _pin.Free();
        (Value as OpenCl.OpenClBuffer)?.Dispose(); // releases only buffers the runtime allocated
        GC.SuppressFinalize(this);
    }
}

/// <summary>Element type and shape of a tensor value.</summary>
/// <param name="ElementDataType">The element type.</param>
/// <param name="Shape">The dimensions.</param>
public sealed record OrtTensorTypeAndShapeInfo(DType ElementDataType, long[] Shape)
{
    /// <summary>Number of elements.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}
