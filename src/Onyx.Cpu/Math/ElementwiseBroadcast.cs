using Onyx.Core.Execution;
using Onyx.Cpu.Common;
using Onyx.Kernels.Elementwise;
using Onyx.Kernels.Threading;
using Onyx.Tensors;

namespace Onyx.Cpu.MathOps;

/// <summary>
/// Walks a numpy-broadcast binary op as contiguous rows: same-shape and scalar operands are one
/// row; otherwise dims are collapsed where both operands stay contiguous (or both repeat), and the
/// innermost collapsed dim becomes a row that is either contiguous or a repeated element.
/// Large outputs are split across the session's intra-op pool (by element chunks or by rows).
/// </summary>
internal static class ElementwiseBroadcast
{
    /// <summary>
    /// Below this many output elements an op runs on the calling thread. Elementwise work is one
    /// memory-bound pass (~4-5 us per 64K floats in L2): under ~256K elements the ~1 us fork-join and
    /// the risk of waiting on a preempted worker (PERFORMANCE.md section 4) outweigh the split.
    /// </summary>
    internal const int ParallelThreshold = 1 << 18;

    /// <summary>The session's intra-op pool, if any.</summary>
    public static IntraOpPool? Pool(KernelContext context) => context.Run.IntraOpPool as IntraOpPool;

    /// <summary>How one op's output decomposes into rows.</summary>
    private sealed class Plan
    {
        /// <summary>0: single Same row, 1: single ScalarA row, 2: single ScalarB row, 3: general rows.</summary>
        public int Kind;
        public int Rank, Inner, Outer, InnerA, InnerB;
        public int[] Dims = [], StrideA = [], StrideB = [];
    }

    private static readonly Plan SamePlan = new() { Kind = 0 }, ScalarAPlan = new() { Kind = 1 }, ScalarBPlan = new() { Kind = 2 };

    private static Plan MakePlan(int lenA, int[] aShape, int lenB, int[] bShape, int n, int[] yShape)
    {
        // The single-row plans carry no per-shape data: shared, so the common cases allocate nothing.
        if (lenA == n && lenB == n) return SamePlan;
        if (lenA == 1 && lenB == n) return ScalarAPlan;
        if (lenB == 1 && lenA == n) return ScalarBPlan;
        int[] sa = Broadcast.Strides(aShape, yShape), sb = Broadcast.Strides(bShape, yShape);
        var dims = new int[yShape.Length];
        var ta = new int[yShape.Length];
        var tb = new int[yShape.Length];
        int r = 0;
        for (int i = 0; i < yShape.Length; i++)
        {
            if (yShape[i] == 1) continue;
            // Merge into the outer neighbour when both operands continue it contiguously (or both repeat).
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
        return new Plan
        {
            Kind = 3, Rank = r, Dims = dims, StrideA = ta, StrideB = tb,
            Inner = dims[r - 1], Outer = n / dims[r - 1], InnerA = ta[r - 1], InnerB = tb[r - 1],
        };
    }

    /// <summary>Output elements [start, start+count) of a single-row plan.</summary>
    private static void RunChunk<TA, TB, TOut, TRows>(Plan p, ReadOnlySpan<TA> a, ReadOnlySpan<TB> b, Span<TOut> y, int start, int count, TRows rows)
        where TRows : struct, IBinaryRows<TA, TB, TOut>
    {
        Span<TOut> dst = y.Slice(start, count);
        switch (p.Kind)
        {
            case 0: rows.Same(a.Slice(start, count), b.Slice(start, count), dst); break;
            case 1: rows.ScalarA(a[0], b.Slice(start, count), dst); break;
            default: rows.ScalarB(a.Slice(start, count), b[0], dst); break;
        }
    }

    /// <summary>Rows [o0, o1) of a general plan.</summary>
    private static void RunRows<TA, TB, TOut, TRows>(Plan p, ReadOnlySpan<TA> a, ReadOnlySpan<TB> b, Span<TOut> y, int o0, int o1, TRows rows)
        where TRows : struct, IBinaryRows<TA, TB, TOut>
    {
        int r = p.Rank, inner = p.Inner, ia = p.InnerA, ib = p.InnerB;
        int[] dims = p.Dims, ta = p.StrideA, tb = p.StrideB;
        Span<int> idx = stackalloc int[r];
        idx.Clear();
        int offA = 0, offB = 0;
        for (int d = r - 2, rem = o0; d >= 0; d--)
        {
            idx[d] = rem % dims[d];
            rem /= dims[d];
            offA += idx[d] * ta[d];
            offB += idx[d] * tb[d];
        }
        for (int o = o0, offY = o0 * inner; o < o1; o++, offY += inner)
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

    /// <summary>y = op(a, b) with a and b broadcast to <paramref name="yShape"/> (which may be larger than their own broadcast); single-threaded.</summary>
    public static void Run<TA, TB, TOut, TRows>(ReadOnlySpan<TA> a, int[] aShape, ReadOnlySpan<TB> b, int[] bShape, Span<TOut> y, int[] yShape, TRows rows)
        where TRows : struct, IBinaryRows<TA, TB, TOut>
    {
        int n = y.Length;
        if (n == 0) return;
        Plan p = MakePlan(a.Length, aShape, b.Length, bShape, n, yShape);
        if (p.Kind == 3) RunRows(p, a, b, y, 0, p.Outer, rows);
        else RunChunk(p, a, b, y, 0, n, rows);
    }

    /// <summary>Runs over tensors; <paramref name="y"/>'s shape is the loop shape. Large outputs use <paramref name="pool"/>.</summary>
    public static void Run<TA, TB, TOut, TRows>(Tensor a, Tensor b, Tensor y, TRows rows, IntraOpPool? pool = null)
        where TA : unmanaged where TB : unmanaged where TOut : unmanaged
        where TRows : struct, IBinaryRows<TA, TB, TOut>
    {
        int n = y.Length;
        if (n == 0) return;
        Plan p = MakePlan(a.Length, a.Shape, b.Length, b.Shape, n, y.Shape);
        if (pool is null || pool.DegreeOfParallelism == 1 || n < ParallelThreshold)
        {
            if (p.Kind == 3) RunRows(p, a.Span<TA>(), b.Span<TB>(), y.Span<TOut>(), 0, p.Outer, rows);
            else RunChunk(p, a.Span<TA>(), b.Span<TB>(), y.Span<TOut>(), 0, n, rows);
            KeepAlive(a, b, y);
            return;
        }
        // About four items per thread for balance, each at least a quarter of the threshold.
        int items = System.Math.Min(pool.DegreeOfParallelism * 4, System.Math.Max(1, n / (ParallelThreshold / 4)));
        int units = p.Kind == 3 ? p.Outer : n;
        items = System.Math.Min(items, units);
        var body = new Body<TA, TB, TOut, TRows>(p, a, b, y, rows, units, items);
        pool.Run(items, ref body);
        KeepAlive(a, b, y);
    }

    /// <summary>
    /// Spans view native memory that a tensor's finalizer frees: keep the tensors reachable until
    /// the loops over their spans are done (a caller may hold no other reference, e.g. a temporary).
    /// </summary>
    internal static void KeepAlive(Tensor a, Tensor b, Tensor y)
    {
        GC.KeepAlive(a);
        GC.KeepAlive(b);
        GC.KeepAlive(y);
    }

    private readonly struct Body<TA, TB, TOut, TRows>(Plan p, Tensor a, Tensor b, Tensor y, TRows rows, int units, int items) : IParallelBody
        where TA : unmanaged where TB : unmanaged where TOut : unmanaged
        where TRows : struct, IBinaryRows<TA, TB, TOut>
    {
        public void Invoke(int index)
        {
            int s = (int)((long)units * index / items), e = (int)((long)units * (index + 1) / items);
            if (p.Kind == 3) RunRows(p, a.Span<TA>(), b.Span<TB>(), y.Span<TOut>(), s, e, rows);
            else RunChunk(p, a.Span<TA>(), b.Span<TB>(), y.Span<TOut>(), s, e - s, rows);
        }
    }

    /// <summary>Copies <paramref name="x"/> broadcast to <paramref name="y"/>'s shape (same element type).</summary>
    public static void Expand(Tensor x, Tensor y, IntraOpPool? pool = null)
    {
        if (x.DType == DType.String)
        {
            var offs = Broadcast.Offsets(x.Shape, y.Shape);
            for (int i = 0; i < offs.Length; i++) y.Strings[i] = x.Strings[offs[i]];
            return;
        }
        if (x.Length == y.Length)
        {
            x.Bytes.CopyTo(y.Bytes);
            return;
        }
        switch (x.DType.SizeOf())
        {
            case 1: Run<byte, byte, byte, ScalarRows<byte, byte, byte, First<byte>>>(x, x, y, default, pool); break;
            case 2: Run<ushort, ushort, ushort, ScalarRows<ushort, ushort, ushort, First<ushort>>>(x, x, y, default, pool); break;
            case 4: Run<uint, uint, uint, ScalarRows<uint, uint, uint, First<uint>>>(x, x, y, default, pool); break;
            default: Run<ulong, ulong, ulong, ScalarRows<ulong, ulong, ulong, First<ulong>>>(x, x, y, default, pool); break;
        }
    }

    private readonly struct First<T> : IBinaryScalarOperator<T, T, T>
    {
        public T Invoke(T a, T b) => a;
    }
}

/// <summary>Unary driver calls split across the intra-op pool for large tensors.</summary>
internal static class ParallelUnary
{
    private const int ParallelThreshold = ElementwiseBroadcast.ParallelThreshold;

    /// <summary>y = op(x) over tensors of storage type T.</summary>
    public static void Run<T, TOp>(Tensor x, Tensor y, TOp op, IntraOpPool? pool)
        where T : unmanaged where TOp : struct, IUnaryOperator<T>
    {
        int n = x.Length;
        if (pool is null || pool.DegreeOfParallelism == 1 || n < ParallelThreshold)
            Unary.Invoke(x.Span<T>(), y.Span<T>(), op);
        else
        {
            int items = System.Math.Min(pool.DegreeOfParallelism * 4, n / (ParallelThreshold / 4));
            var body = new Body<T, TOp>(x, y, op, n, items);
            pool.Run(items, ref body);
        }
        ElementwiseBroadcast.KeepAlive(x, x, y);
    }

    private readonly struct Body<T, TOp>(Tensor x, Tensor y, TOp op, int n, int items) : IParallelBody
        where T : unmanaged where TOp : struct, IUnaryOperator<T>
    {
        public void Invoke(int index)
        {
            // Chunk bounds rounded to 64 elements so vectors stay aligned to the buffer.
            int s = (int)((long)n * index / items) & ~63, e = index == items - 1 ? n : (int)((long)n * (index + 1) / items) & ~63;
            Unary.Invoke(x.Span<T>().Slice(s, e - s), y.Span<T>().Slice(s, e - s), op);
        }
    }
}
