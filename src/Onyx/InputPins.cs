using System.Buffers;
using Onyx.Tensors;

namespace Onyx;

/// <summary>
/// Caller memory one Run reads in place: each <see cref="DenseTensor{T}"/> input is pinned and
/// viewed instead of copied into a fresh native buffer (which cost an aligned allocation, a copy
/// and a finalizer per input per Run: ~2 µs of mnist's 50). The pins last until
/// <see cref="Dispose"/>, after the Run; <see cref="Detach"/> first copies any output that still
/// views pinned memory (an Identity or Reshape of an input), so no result outlives its pin.
/// </summary>
internal sealed class InputPins : IDisposable
{
    private readonly List<(MemoryHandle Pin, NativeBuffer Buffer)> _pins = [];

    /// <summary>A tensor over <paramref name="dense"/>'s memory, pinned until <see cref="Dispose"/>.</summary>
    public unsafe Tensor View<T>(DenseTensor<T> dense) where T : unmanaged
    {
        var pin = dense.Buffer.Pin();
        var buffer = NativeBuffer.Borrow(pin.Pointer, (long)dense.Buffer.Length * sizeof(T), owner: null);
        _pins.Add((pin, buffer));
        return Tensor.View(DTypeInfo.FromClr<T>(), dense.Dimensions, buffer);
    }

    /// <summary><paramref name="value"/>, with every tensor in it that views pinned memory replaced by a copy.</summary>
    public OnnxValue Detach(OnnxValue value)
    {
        if (_pins.Count == 0 || !Views(value)) return value;
        return value switch
        {
            Tensor t => t.Clone(),
            SequenceValue s => new SequenceValue(s.Items.Select(Detach).ToList(), s.ElementType),
            OptionalValue o => new OptionalValue(o.Value is null ? null : Detach(o.Value), o.ElementType),
            MapValue m => new MapValue((Tensor)Detach(m.Keys), (Tensor)Detach(m.Values)),
            _ => value,
        };
    }

    private bool Views(OnnxValue value) => value switch
    {
        Tensor { Buffer: { } b } => _pins.Exists(p => ReferenceEquals(p.Buffer, b)),
        SequenceValue s => s.Items.Any(Views),
        OptionalValue { Value: { } inner } => Views(inner),
        MapValue m => Views(m.Keys) || Views(m.Values),
        _ => false,
    };

    /// <summary>Unpins everything; a tensor left viewing a released buffer fails on access instead of reading moved memory.</summary>
    public void Dispose()
    {
        foreach (var (pin, buffer) in _pins)
        {
            buffer.Dispose();
            pin.Dispose();
        }
        _pins.Clear();
    }
}
