using System.Runtime.InteropServices;

namespace Onyx.Tensors;

/// <summary>
/// A block of 64-byte aligned memory that tensors view. Either owned (allocated here, freed on
/// <see cref="Dispose"/> or by the finalizer) or borrowed (caller memory or a memory map kept
/// alive through <see cref="Owner"/>; never freed here).
/// </summary>
public sealed unsafe class NativeBuffer : IDisposable
{
    /// <summary>Alignment of every owned buffer: one cache line, one zmm register.</summary>
    public const int Alignment = 64;

    private void* _pointer;
    private readonly bool _owned;
    private readonly bool _disposeOwner;

    /// <summary>Size in bytes.</summary>
    public long ByteLength { get; }

    /// <summary>Whatever keeps borrowed memory alive (a pinned array, a memory map); null when owned.</summary>
    public object? Owner { get; }

    /// <summary>The pool this buffer returns to when no slot holds it any more; null when not pooled.</summary>
    public BufferPool? Pool { get; internal set; }

    // Live references from execution slots; a pooled buffer goes back to its pool at zero.
    private int _refCount;

    /// <summary>Records one more execution slot holding this buffer (pooled buffers only).</summary>
    public void Retain()
    {
        if (Pool is not null) Interlocked.Increment(ref _refCount);
    }

    /// <summary>Marks the buffer as reachable from a value the planner cannot track (a sequence, a returned output): it never returns to the pool.</summary>
    public void Escape()
    {
        if (Pool is not null) Volatile.Write(ref _refCount, int.MinValue / 2);
    }

    /// <summary>
    /// True for a pooled buffer that exactly one execution slot holds (no view of it lives in another
    /// slot, and it never escaped): the executor may then let a dying input's buffer become an output.
    /// </summary>
    public bool HeldByOneSlot => Pool is not null && Volatile.Read(ref _refCount) == 1;

    /// <summary>Drops one slot reference; the last one hands the buffer back to its pool for reuse.</summary>
    public void ReleaseToPool()
    {
        if (Pool is { } pool && Interlocked.Decrement(ref _refCount) == 0) pool.Return(this);
    }

    /// <summary>Start of the memory. Throws once disposed.</summary>
    public void* Pointer => _pointer != null || ByteLength == 0 ? _pointer : throw new ObjectDisposedException(nameof(NativeBuffer));

    private NativeBuffer(void* pointer, long byteLength, bool owned, object? owner, bool disposeOwner = false)
    {
        _disposeOwner = disposeOwner;
        _pointer = pointer;
        ByteLength = byteLength;
        _owned = owned;
        Owner = owner;
    }

    /// <summary>Allocates <paramref name="byteLength"/> bytes, 64-byte aligned, zero-filled when asked.</summary>
    public static NativeBuffer Allocate(long byteLength, bool zero = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(byteLength);
        // Allocate at least one line so the pointer is never null, even for empty tensors.
        nuint size = (nuint)Math.Max(byteLength, Alignment);
        void* p = NativeMemory.AlignedAlloc(size, Alignment);
        if (p == null) throw new OutOfMemoryException($"could not allocate {byteLength} bytes");
        if (zero) NativeMemory.Clear(p, size);
        if (byteLength > 0)
        {
            if (t_batchDepth > 0) t_batchedPressure += byteLength;
            else GC.AddMemoryPressure(byteLength);
        }
        return new NativeBuffer(p, byteLength, owned: true, owner: null);
    }

    [ThreadStatic] private static int t_batchDepth;
    [ThreadStatic] private static long t_batchedPressure;

    /// <summary>
    /// Until the returned scope is disposed, buffers allocated on this thread report their size to the
    /// GC as one sum at the end instead of one by one. Loading a model allocates hundreds of weight
    /// buffers; reported one by one, the growing pressure induced a blocking gen-2 collection every
    /// few dozen (2-6 per load, measured). Each buffer still removes its own share when freed.
    /// </summary>
    public static PressureBatch BatchMemoryPressure()
    {
        t_batchDepth++;
        return new PressureBatch();
    }

    /// <summary>Ends a <see cref="BatchMemoryPressure"/> scope; the outermost one reports the sum.</summary>
    public readonly struct PressureBatch : IDisposable
    {
        public void Dispose()
        {
            if (--t_batchDepth > 0 || t_batchedPressure == 0) return;
            long bytes = t_batchedPressure;
            t_batchedPressure = 0;
            GC.AddMemoryPressure(bytes);
        }
    }

    /// <summary>
    /// Borrows memory the caller owns; <paramref name="owner"/> keeps it alive (and pinned) and is
    /// disposed with this buffer only when <paramref name="disposeOwner"/> is set.
    /// </summary>
    public static NativeBuffer Borrow(void* pointer, long byteLength, object? owner, bool disposeOwner = false) =>
        new(pointer, byteLength, owned: false, owner, disposeOwner);

    /// <summary>Frees owned memory now. Tensors that view this buffer must not be used afterwards.</summary>
    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    private void Release()
    {
        void* p = _pointer;
        if (p == null) return;
        _pointer = null;
        if (_owned)
        {
            NativeMemory.AlignedFree(p);
            if (ByteLength > 0) GC.RemoveMemoryPressure(ByteLength);
        }
        else if (_disposeOwner && Owner is IDisposable d)
        {
            d.Dispose();
        }
    }

    /// <summary>Frees owned memory when a buffer is dropped without Dispose.</summary>
    ~NativeBuffer() => Release();
}
