using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Onyx.Tensors;

namespace Onyx.Kernels.Elementwise;

/// <summary>
/// The unary elementwise driver: owns width choice and tails; operators never loop.
/// <paramref name="x"/> and <paramref name="y"/> may be the same memory (in place), never partially overlapping.
/// </summary>
public static class Unary
{
    /// <summary>Chunk (elements) in which Half/BFloat16 data is widened to float on the stack.</summary>
    internal const int WideChunk = 256;

    /// <summary>y[i] = op(x[i]).</summary>
    public static void Invoke<T, TOp>(ReadOnlySpan<T> x, Span<T> y, TOp op)
        where T : struct where TOp : struct, IUnaryOperator<T> => Invoke(x, y, op, KernelIsa.Current);

    /// <summary>y[i] = op(x[i]) on a given path (tests force each one).</summary>
    public static void Invoke<T, TOp>(ReadOnlySpan<T> x, Span<T> y, TOp op, IsaPath path)
        where T : struct where TOp : struct, IUnaryOperator<T>
    {
        if (y.Length < x.Length) throw new ArgumentException("destination too short");
        int n = x.Length, i = 0;
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T yr = ref MemoryMarshal.GetReference(y);
        if (TOp.Vectorizable)
        {
            // Full vectors only: an overlapping last vector would apply op twice when in place.
            if (path >= IsaPath.V512 && KernelIsa.IsSupported(IsaPath.V512) && Vector512<T>.IsSupported)
                for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
                    op.Invoke(Vector512.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
            if (path >= IsaPath.V256 && KernelIsa.IsSupported(IsaPath.V256) && Vector256<T>.IsSupported)
                for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
                    op.Invoke(Vector256.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref yr, i) = op.Invoke(Unsafe.Add(ref xr, i));
    }

    /// <summary>y[i] = op(x[i]) computed in float, for Half data.</summary>
    public static void Invoke<TOp>(ReadOnlySpan<Half> x, Span<Half> y, TOp op) where TOp : struct, IUnaryOperator<float>
    {
        Span<float> buf = stackalloc float[WideChunk];
        for (int i = 0; i < x.Length; i += WideChunk)
        {
            int n = Math.Min(WideChunk, x.Length - i);
            Span<float> b = buf[..n];
            TensorPrimitives.ConvertToSingle(x.Slice(i, n), b);
            Invoke<float, TOp>(b, b, op);
            TensorPrimitives.ConvertToHalf(b, y.Slice(i, n));
        }
    }

    /// <summary>y[i] = op(x[i]) computed in float, for BFloat16 data.</summary>
    public static void Invoke<TOp>(ReadOnlySpan<BFloat16> x, Span<BFloat16> y, TOp op) where TOp : struct, IUnaryOperator<float>
    {
        Span<float> buf = stackalloc float[WideChunk];
        for (int i = 0; i < x.Length; i += WideChunk)
        {
            int n = Math.Min(WideChunk, x.Length - i);
            Span<float> b = buf[..n];
            Widen.ToSingle(x.Slice(i, n), b);
            Invoke<float, TOp>(b, b, op);
            Widen.ToBFloat16(b, y.Slice(i, n));
        }
    }
}

/// <summary>Half/BFloat16 ↔ float conversions for the widened paths.</summary>
public static class Widen
{
    public static void ToSingle(ReadOnlySpan<BFloat16> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i].ToFloat();
    }

    public static void ToBFloat16(ReadOnlySpan<float> x, Span<BFloat16> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = BFloat16.FromFloat(x[i]);
    }

    public static void ToSingle(ReadOnlySpan<Half> x, Span<float> y) => TensorPrimitives.ConvertToSingle(x, y);

    public static void ToHalf(ReadOnlySpan<float> x, Span<Half> y) => TensorPrimitives.ConvertToHalf(x, y);
}
