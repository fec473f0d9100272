using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Onyx.Tensors;

namespace Onyx.Kernels.Elementwise;

/// <summary>
/// The binary elementwise driver over contiguous rows: both operands rows, or one a repeated scalar.
/// Broadcasting walkers reduce every layout to these three loops. y may alias a or b exactly.
/// </summary>
public static class Binary
{
    /// <summary>y[i] = op(a[i], b[i]).</summary>
    public static void Invoke<T, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y, TOp op)
        where T : struct where TOp : struct, IBinaryOperator<T> => Invoke(a, b, y, op, KernelIsa.Current);

    /// <summary>As above on a given path (tests force each one).</summary>
    public static void Invoke<T, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y, TOp op, IsaPath path)
        where T : struct where TOp : struct, IBinaryOperator<T>
    {
        int n = y.Length, i = 0;
        if (a.Length < n || b.Length < n) throw new ArgumentException("operand shorter than destination");
        ref T ar = ref MemoryMarshal.GetReference(a);
        ref T br = ref MemoryMarshal.GetReference(b);
        ref T yr = ref MemoryMarshal.GetReference(y);
        if (TOp.Vectorizable)
        {
            if (path >= IsaPath.V512 && KernelIsa.IsSupported(IsaPath.V512) && Vector512<T>.IsSupported)
                for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
                    op.Invoke(Vector512.LoadUnsafe(ref ar, (nuint)i), Vector512.LoadUnsafe(ref br, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
            if (path >= IsaPath.V256 && KernelIsa.IsSupported(IsaPath.V256) && Vector256<T>.IsSupported)
                for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
                    op.Invoke(Vector256.LoadUnsafe(ref ar, (nuint)i), Vector256.LoadUnsafe(ref br, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref yr, i) = op.Invoke(Unsafe.Add(ref ar, i), Unsafe.Add(ref br, i));
    }

    /// <summary>y[i] = op(a, b[i]).</summary>
    public static void InvokeScalarA<T, TOp>(T a, ReadOnlySpan<T> b, Span<T> y, TOp op)
        where T : struct where TOp : struct, IBinaryOperator<T> => InvokeScalarA(a, b, y, op, KernelIsa.Current);

    /// <summary>As above on a given path (tests force each one).</summary>
    public static void InvokeScalarA<T, TOp>(T a, ReadOnlySpan<T> b, Span<T> y, TOp op, IsaPath path)
        where T : struct where TOp : struct, IBinaryOperator<T>
    {
        int n = y.Length, i = 0;
        if (b.Length < n) throw new ArgumentException("operand shorter than destination");
        ref T br = ref MemoryMarshal.GetReference(b);
        ref T yr = ref MemoryMarshal.GetReference(y);
        if (TOp.Vectorizable)
        {
            if (path >= IsaPath.V512 && KernelIsa.IsSupported(IsaPath.V512) && Vector512<T>.IsSupported)
            {
                var va = Vector512.Create(a);
                for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
                    op.Invoke(va, Vector512.LoadUnsafe(ref br, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
            }
            if (path >= IsaPath.V256 && KernelIsa.IsSupported(IsaPath.V256) && Vector256<T>.IsSupported)
            {
                var va = Vector256.Create(a);
                for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
                    op.Invoke(va, Vector256.LoadUnsafe(ref br, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
            }
        }
        for (; i < n; i++) Unsafe.Add(ref yr, i) = op.Invoke(a, Unsafe.Add(ref br, i));
    }

    /// <summary>y[i] = op(a[i], b).</summary>
    public static void InvokeScalarB<T, TOp>(ReadOnlySpan<T> a, T b, Span<T> y, TOp op)
        where T : struct where TOp : struct, IBinaryOperator<T> => InvokeScalarB(a, b, y, op, KernelIsa.Current);

    /// <summary>As above on a given path (tests force each one).</summary>
    public static void InvokeScalarB<T, TOp>(ReadOnlySpan<T> a, T b, Span<T> y, TOp op, IsaPath path)
        where T : struct where TOp : struct, IBinaryOperator<T>
    {
        int n = y.Length, i = 0;
        if (a.Length < n) throw new ArgumentException("operand shorter than destination");
        ref T ar = ref MemoryMarshal.GetReference(a);
        ref T yr = ref MemoryMarshal.GetReference(y);
        if (TOp.Vectorizable)
        {
            if (path >= IsaPath.V512 && KernelIsa.IsSupported(IsaPath.V512) && Vector512<T>.IsSupported)
            {
                var vb = Vector512.Create(b);
                for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
                    op.Invoke(Vector512.LoadUnsafe(ref ar, (nuint)i), vb).StoreUnsafe(ref yr, (nuint)i);
            }
            if (path >= IsaPath.V256 && KernelIsa.IsSupported(IsaPath.V256) && Vector256<T>.IsSupported)
            {
                var vb = Vector256.Create(b);
                for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
                    op.Invoke(Vector256.LoadUnsafe(ref ar, (nuint)i), vb).StoreUnsafe(ref yr, (nuint)i);
            }
        }
        for (; i < n; i++) Unsafe.Add(ref yr, i) = op.Invoke(Unsafe.Add(ref ar, i), b);
    }
}

/// <summary>Rows of a vectorizable same-type operator.</summary>
public readonly struct SimdRows<T, TOp>(TOp op) : IBinaryRows<T, T, T>
    where T : struct where TOp : struct, IBinaryOperator<T>
{
    public void Same(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => Binary.Invoke(a, b, y, op);
    public void ScalarA(T a, ReadOnlySpan<T> b, Span<T> y) => Binary.InvokeScalarA(a, b, y, op);
    public void ScalarB(ReadOnlySpan<T> a, T b, Span<T> y) => Binary.InvokeScalarB(a, b, y, op);
}

/// <summary>Rows of a scalar operator whose operand and result types may differ.</summary>
public readonly struct ScalarRows<TA, TB, TOut, TOp>(TOp op) : IBinaryRows<TA, TB, TOut>
    where TOp : struct, IBinaryScalarOperator<TA, TB, TOut>
{
    public void Same(ReadOnlySpan<TA> a, ReadOnlySpan<TB> b, Span<TOut> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] = op.Invoke(a[i], b[i]);
    }

    public void ScalarA(TA a, ReadOnlySpan<TB> b, Span<TOut> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] = op.Invoke(a, b[i]);
    }

    public void ScalarB(ReadOnlySpan<TA> a, TB b, Span<TOut> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] = op.Invoke(a[i], b);
    }
}

/// <summary>Rows of a float operator applied to Half data, widened in stack chunks.</summary>
public readonly struct HalfRows<TOp>(TOp op) : IBinaryRows<Half, Half, Half> where TOp : struct, IBinaryOperator<float>
{
    public void Same(ReadOnlySpan<Half> a, ReadOnlySpan<Half> b, Span<Half> y)
    {
        Span<float> fa = stackalloc float[Unary.WideChunk], fb = stackalloc float[Unary.WideChunk];
        for (int i = 0; i < y.Length; i += Unary.WideChunk)
        {
            int n = Math.Min(Unary.WideChunk, y.Length - i);
            Widen.ToSingle(a.Slice(i, n), fa[..n]);
            Widen.ToSingle(b.Slice(i, n), fb[..n]);
            Binary.Invoke(fa[..n], fb[..n], fa[..n], op);
            Widen.ToHalf(fa[..n], y.Slice(i, n));
        }
    }

    public void ScalarA(Half a, ReadOnlySpan<Half> b, Span<Half> y)
    {
        Span<float> fb = stackalloc float[Unary.WideChunk];
        for (int i = 0; i < y.Length; i += Unary.WideChunk)
        {
            int n = Math.Min(Unary.WideChunk, y.Length - i);
            Widen.ToSingle(b.Slice(i, n), fb[..n]);
            Binary.InvokeScalarA((float)a, fb[..n], fb[..n], op);
            Widen.ToHalf(fb[..n], y.Slice(i, n));
        }
    }

    public void ScalarB(ReadOnlySpan<Half> a, Half b, Span<Half> y)
    {
        Span<float> fa = stackalloc float[Unary.WideChunk];
        for (int i = 0; i < y.Length; i += Unary.WideChunk)
        {
            int n = Math.Min(Unary.WideChunk, y.Length - i);
            Widen.ToSingle(a.Slice(i, n), fa[..n]);
            Binary.InvokeScalarB(fa[..n], (float)b, fa[..n], op);
            Widen.ToHalf(fa[..n], y.Slice(i, n));
        }
    }
}

/// <summary>Rows of a float operator applied to BFloat16 data, widened in stack chunks.</summary>
public readonly struct BFloat16Rows<TOp>(TOp op) : IBinaryRows<BFloat16, BFloat16, BFloat16> where TOp : struct, IBinaryOperator<float>
{
    public void Same(ReadOnlySpan<BFloat16> a, ReadOnlySpan<BFloat16> b, Span<BFloat16> y)
    {
        Span<float> fa = stackalloc float[Unary.WideChunk], fb = stackalloc float[Unary.WideChunk];
        for (int i = 0; i < y.Length; i += Unary.WideChunk)
        {
            int n = Math.Min(Unary.WideChunk, y.Length - i);
            Widen.ToSingle(a.Slice(i, n), fa[..n]);
            Widen.ToSingle(b.Slice(i, n), fb[..n]);
            Binary.Invoke(fa[..n], fb[..n], fa[..n], op);
            Widen.ToBFloat16(fa[..n], y.Slice(i, n));
        }
    }

    public void ScalarA(BFloat16 a, ReadOnlySpan<BFloat16> b, Span<BFloat16> y)
    {
        Span<float> fb = stackalloc float[Unary.WideChunk];
        for (int i = 0; i < y.Length; i += Unary.WideChunk)
        {
            int n = Math.Min(Unary.WideChunk, y.Length - i);
            Widen.ToSingle(b.Slice(i, n), fb[..n]);
            Binary.InvokeScalarA(a.ToFloat(), fb[..n], fb[..n], op);
            Widen.ToBFloat16(fb[..n], y.Slice(i, n));
        }
    }

    public void ScalarB(ReadOnlySpan<BFloat16> a, BFloat16 b, Span<BFloat16> y)
    {
        Span<float> fa = stackalloc float[Unary.WideChunk];
        for (int i = 0; i < y.Length; i += Unary.WideChunk)
        {
            int n = Math.Min(Unary.WideChunk, y.Length - i);
            Widen.ToSingle(a.Slice(i, n), fa[..n]);
            Binary.InvokeScalarB(fa[..n], b.ToFloat(), fa[..n], op);
            Widen.ToBFloat16(fa[..n], y.Slice(i, n));
        }
    }
}
