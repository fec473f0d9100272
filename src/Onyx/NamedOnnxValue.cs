using Onyx.Tensors;

namespace Onyx;

/// <summary>A named input or output value, as in ONNX Runtime's C# API.</summary>
public class NamedOnnxValue
{
    /// <summary>Creates a named value around an object (a <see cref="DenseTensor{T}"/>, an Onyx <see cref="Tensor"/>, or an <see cref="OnnxValue"/>).</summary>
    protected NamedOnnxValue(string name, object value)
    {
        Name = name;
        Value = value;
    }

    /// <summary>The input or output name.</summary>
    public string Name { get; set; }

    /// <summary>The value object.</summary>
    public object Value { get; set; }

    /// <summary>A named tensor (the tensor's memory is used without copying when it is an array).</summary>
    public static NamedOnnxValue CreateFromTensor<T>(string name, DenseTensor<T> value) => new(name, value);

    /// <summary>A named Onyx value (tensor, sequence, map, optional).</summary>
    public static NamedOnnxValue CreateFromOnnxValue(string name, OnnxValue value) => new(name, value);

    /// <summary>A named System.Numerics.Tensors tensor.</summary>
    public static NamedOnnxValue CreateFromSystemNumericsTensor<T>(string name, System.Numerics.Tensors.Tensor<T> value) where T : unmanaged =>
        new(name, OrtValue.CreateTensorValueFromSystemNumericsTensorObject(value).Value);

    /// <summary>The value as a <see cref="DenseTensor{T}"/> (copies from an Onyx tensor).</summary>
    public DenseTensor<T> AsTensor<T>() where T : unmanaged => Value switch
    {
        DenseTensor<T> d => d,
        Tensor t => new DenseTensor<T>(t.ToArray<T>(), t.Shape),
        _ => throw new InvalidCastException($"value '{Name}' is {Value.GetType().Name}, not a tensor of {typeof(T).Name}"),
    };

    /// <summary>
    /// The value as an Onyx value: Onyx values as they are; a DenseTensor viewed in place and pinned
    /// through <paramref name="pins"/> when given (the caller releases them after the Run), else copied.
    /// </summary>
    internal OnnxValue ToOnnxValue(InputPins? pins = null) => Value switch
    {
        OnnxValue v => v,
        DenseTensor<string> s => Tensor.FromStrings(s.ToArray(), s.Dimensions.ToArray()),
        _ => WrapDense(Value, pins),
    };

    private static OnnxValue WrapDense(object value, InputPins? pins)
    {
        var type = value.GetType();
        // One reflection lookup per element type, then a cached delegate: feeding a DenseTensor is on every Run.
        var wrap = s_wrappers.GetOrAdd(type, static t =>
        {
            if (!t.IsGenericType || t.GetGenericTypeDefinition() != typeof(DenseTensor<>)) return null;
            return typeof(NamedOnnxValue).GetMethod(nameof(WrapObject), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                .MakeGenericMethod(t.GetGenericArguments()[0]).CreateDelegate<Func<object, InputPins?, OnnxValue>>();
        });
        return wrap is not null ? wrap(value, pins)
            : throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"unsupported input value type {type.Name}");
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, Func<object, InputPins?, OnnxValue>?> s_wrappers = new();

    private static OnnxValue WrapObject<T>(object d, InputPins? pins) where T : unmanaged =>
        pins is not null ? pins.View((DenseTensor<T>)d) : WrapTyped((DenseTensor<T>)d);

    private static OnnxValue WrapTyped<T>(DenseTensor<T> d) where T : unmanaged =>
        Tensor.FromSpan<T>(DTypeInfo.FromClr<T>(), d.Buffer.Span, d.Dimensions);
}

/// <summary>A named output of <see cref="InferenceSession.Run(IReadOnlyCollection{NamedOnnxValue})"/>; dispose it when done.</summary>
public sealed class DisposableNamedOnnxValue : NamedOnnxValue, IDisposable
{
    internal DisposableNamedOnnxValue(string name, OnnxValue value) : base(name, value) { }

    /// <summary>The output as an Onyx value.</summary>
    public OnnxValue OnnxValue => (OnnxValue)Value;

    /// <summary>
    /// Ends the caller's use of the value. Output memory may be shared with the session (an output
    /// that is a constant or an input), so it is returned to the GC rather than freed here.
    /// </summary>
    public void Dispose() { }
}

/// <summary>A read-only collection whose items are disposed with it.</summary>
public interface IDisposableReadOnlyCollection<T> : IReadOnlyList<T>, IDisposable { }

internal sealed class DisposableList<T>(List<T> items) : IDisposableReadOnlyCollection<T> where T : IDisposable
{
    public T this[int index] => items[index];
    public int Count => items.Count;
    public IEnumerator<T> GetEnumerator() => items.GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    public void Dispose() { foreach (var i in items) i.Dispose(); }
}
