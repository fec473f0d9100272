using Onyx.Cpu.Common;
using Onyx.Kernels.Elementwise;
using Onyx.Tensors;

namespace Onyx.Cpu.MathOps;

/// <summary>
/// Walks a numpy-broadcast binary op as contiguous rows: same-shape and scalar operands are one
/// row call; otherwise dims are collapsed where both operands stay contiguous (or both repeat),
/// and the innermost collapsed dim becomes a row that is either contiguous or a repeated element.
/// </summary>
internal static class ElementwiseBroadcast
{
    /// <summary>y = op(a, b) with a and b broadcast to <paramref name="yShape"/> (which may be larger than their own broadcast).</summary>
    public static void Run<TA, TB, TOut, TRows>(ReadOnlySpan<TA> a, int[] aShape, ReadOnlySpan<TB> b, int[] bShape, Span<TOut> y, int[] yShape, TRows rows)
        where TRows : struct, IBinaryRows<TA, TB, TOut>
    {
        int n = y.Length;
        if (n == 0) return;
        if (a.Length == n && b.Length == n) { rows.Same(a, b, y); return; }
        if (a.Length == 1 && b.Length == n) { rows.ScalarA(a[0], b, y); return; }
        if (b.Length == 1 && a.Length == n) { rows.ScalarB(a, b[0], y); return; }

        int[] sa = Broadcast.Strides(aShape, yShape), sb = Broadcast.Strides(bShape, yShape);
        // Collapse: drop size-1 dims, merge a dim into its inner neighbour when both operands' strides allow it.
        Span<int> dims = stackalloc int[yShape.Length], ta = stackalloc int[yShape.Length], tb = stackalloc int[yShape.Length];
        int r = 0;
        for (int i = 0; i < yShape.Length; i++)
        {
            if (yShape[i] == 1) continue;
            if (r > 0 && ta[r - 1] == sa[i] * yShape[i] && tb[r - 1] == sb[i] * yShape[i])
            {
                dims[r - 1] *= yShape[i];
                ta[r - 1] = sa[i];
                tb[r - 1] = sb[i];
                continue;
            }
            dims[r] = yShape[i]; ta[r] = sa[i]; tb[r] = sb[i];
            r++;
        }
        int inner = dims[r - 1], ia = ta[r - 1], ib = tb[r - 1];
        int outer = n / inner;
        Span<int> idx = stackalloc int[r];
        idx.Clear();
        int offA = 0, offB = 0;
        for (int o = 0, offY = 0; o < outer; o++, offY += inner)
        {
            Span<TOut> row = y.Slice(offY, inner);
            if (ia != 0 && ib != 0) rows.Same(a.Slice(offA, inner), b.Slice(offB, inner), row);
            else if (ia == 0 && ib != 0) rows.ScalarA(a[offA], b.Slice(offB, inner), row);
            else if (ia != 0) rows.ScalarB(a.Slice(offA, inner), b[offB], row);
            else
            {
                // Both repeat along the row (only when y is wider than a and b, e.g. Where, Sum):
                // per element, since rows may read y (Where's select) and must not be assumed pure.
                for (int j = 0; j < inner; j++) rows.ScalarA(a[offA], b.Slice(offB, 1), row.Slice(j, 1));
            }
            for (int d = r - 2; d >= 0; d--)
            {
                offA += ta[d]; offB += tb[d];
                if (++idx[d] < dims[d]) break;
                offA -= ta[d] * dims[d]; offB -= tb[d] * dims[d];
                idx[d] = 0;
            }
        }
    }

    /// <summary>Runs over tensors; <paramref name="y"/>'s shape is the loop shape.</summary>
    public static void Run<TA, TB, TOut, TRows>(Tensor a, Tensor b, Tensor y, TRows rows)
        where TA : unmanaged where TB : unmanaged where TOut : unmanaged
        where TRows : struct, IBinaryRows<TA, TB, TOut> =>
        Run<TA, TB, TOut, TRows>(a.Span<TA>(), a.Shape, b.Span<TB>(), b.Shape, y.Span<TOut>(), y.Shape, rows);

    /// <summary>Copies <paramref name="x"/> broadcast to <paramref name="y"/>'s shape (same element type).</summary>
    public static void Expand(Tensor x, Tensor y)
    {
        if (x.DType == DType.String)
        {
            var offs = Broadcast.Offsets(x.Shape, y.Shape);
            for (int i = 0; i < offs.Length; i++) y.Strings[i] = x.Strings[offs[i]];
            return;
        }
        switch (x.DType.SizeOf())
        {
            case 1: Run<byte, byte, byte, ScalarRows<byte, byte, byte, First<byte>>>(x, x, y, default); break;
            case 2: Run<ushort, ushort, ushort, ScalarRows<ushort, ushort, ushort, First<ushort>>>(x, x, y, default); break;
            case 4: Run<uint, uint, uint, ScalarRows<uint, uint, uint, First<uint>>>(x, x, y, default); break;
            default: Run<ulong, ulong, ulong, ScalarRows<ulong, ulong, ulong, First<ulong>>>(x, x, y, default); break;
        }
    }

    private readonly struct First<T> : IBinaryScalarOperator<T, T, T>
    {
        public T Invoke(T a, T b) => a;
    }
}
