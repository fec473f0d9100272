using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Onyx.Tensors;

/// <summary>
/// A session's arena: 64-byte aligned buffers in power-of-two size classes, handed out for kernel
/// outputs and taken back when the execution plan drops the last slot that holds one. In steady
/// state a Run reuses the previous Run's intermediates instead of allocating. Thread-safe.
/// </summary>
public sealed unsafe class BufferPool : IDisposable
{
    private const int MinClass = 6; // 64 bytes
    private readonly ConcurrentBag<NativeBuffer>[] _classes = new ConcurrentBag<NativeBuffer>[48];
    private long _cachedBytes;

    /// <summary>Most bytes kept idle in the pool; buffers returned beyond it are freed (bounds memory under varied shapes).</summary>
    public long MaxCachedBytes { get; init; } = 2L << 30;

    /// <summary>Bytes currently idle in the pool.</summary>
    public long CachedBytes => Interlocked.Read(ref _cachedBytes);

    public BufferPool()
    {
        for (int i = 0; i < _classes.Length; i++) _classes[i] = [];
    }

    /// <summary>A zero-filled tensor whose buffer comes from (and returns to) this pool.</summary>
    public Tensor Allocate(DType dtype, ReadOnlySpan<int> shape) => Allocate(dtype, shape, zero: true);

    /// <summary>A tensor from this pool, zero-filled only when <paramref name="zero"/> (otherwise its contents are stale).</summary>
    public Tensor Allocate(DType dtype, ReadOnlySpan<int> shape, bool zero)
    {
        if (dtype == DType.String) return Tensor.Allocate(dtype, shape);
        long bytes = (long)Tensor.ElementCount(shape) * dtype.SizeOf();
        int cls = Math.Max(MinClass, 64 - BitOperations.LeadingZeroCount((ulong)Math.Max(bytes - 1, 1)));
        if (!_classes[cls].TryTake(out var buffer))
        {
            buffer = NativeBuffer.Allocate(1L << cls, zero: false);
            buffer.Pool = this;
        }
        else
        {
            Interlocked.Add(ref _cachedBytes, -buffer.ByteLength);
        }
        if (zero) NativeMemory.Clear(buffer.Pointer, (nuint)bytes);
        return Tensor.View(dtype, shape, buffer);
    }

    internal void Return(NativeBuffer buffer)
    {
        if (Interlocked.Add(ref _cachedBytes, buffer.ByteLength) > MaxCachedBytes)
        {
            Interlocked.Add(ref _cachedBytes, -buffer.ByteLength);
            buffer.Pool = null;
            buffer.Dispose();
            return;
        }
        int cls = BitOperations.Log2((ulong)buffer.ByteLength);
        _classes[cls].Add(buffer);
    }

    /// <summary>Frees every idle buffer. Buffers still held by outputs stay valid (the GC frees them).</summary>
    public void Dispose()
    {
        foreach (var bag in _classes)
            while (bag.TryTake(out var b))
            {
                b.Pool = null;
                b.Dispose();
            }
        Interlocked.Exchange(ref _cachedBytes, 0);
    }
}
