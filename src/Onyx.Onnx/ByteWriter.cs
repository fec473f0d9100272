namespace Onyx.Onnx;

/// <summary>
/// An append-only byte buffer for <see cref="InitializerStripper"/>: what <c>ArrayBufferWriter&lt;byte&gt;</c>
/// does, but compiled ahead of time with this assembly (the framework's writer and its <c>Write</c>
/// extension are generic code that each process would JIT-compile on its first model load).
/// </summary>
internal sealed class ByteWriter(int capacity)
{
    private byte[] _buffer = new byte[capacity];

    public int Count { get; private set; }

    public ReadOnlySpan<byte> Written => new(_buffer, 0, Count);

    public void Clear() => Count = 0;

    public void Write(ReadOnlySpan<byte> bytes)
    {
        Reserve(bytes.Length);
        bytes.CopyTo(new Span<byte>(_buffer, Count, bytes.Length));
        Count += bytes.Length;
    }

    public void WriteByte(byte b)
    {
        Reserve(1);
        _buffer[Count++] = b;
    }

    public void WriteVarint(ulong v)
    {
        Reserve(10);
        while (v >= 0x80)
        {
            _buffer[Count++] = (byte)(v | 0x80);
            v >>= 7;
        }
        _buffer[Count++] = (byte)v;
    }

    public byte[] ToArray() => Written.ToArray();

    private void Reserve(int more)
    {
        if (Count + more <= _buffer.Length) return;
        var grown = new byte[Math.Max(_buffer.Length * 2, Count + more)];
        Array.Copy(_buffer, grown, Count);
        _buffer = grown;
    }
}
