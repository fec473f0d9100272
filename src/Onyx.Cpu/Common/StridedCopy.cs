using System.Runtime.CompilerServices;
using Onyx.Tensors;

namespace Onyx.Cpu.Common;

/// <summary>
/// Type-agnostic element movement for data-layout ops (Transpose, Slice, Concat, Expand, Tile, Pad...):
/// an n-d strided copy that coalesces dimensions, copies contiguous runs as blocks, uses a tiled
/// transpose when the innermost source and destination axes are swapped, and falls back to a
/// per-element loop. Works on every element type (by byte size) and on string tensors.
/// </summary>
public static unsafe class StridedCopy
{
    /// <summary>Row-major element strides of <paramref name="shape"/>.</summary>
    public static long[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var s = new long[shape.Length];
        long acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }

    /// <summary>
    /// For every index i of <paramref name="shape"/>: dst[dstOffset + Σ i_k·dstStrides_k] = src[srcOffset + Σ i_k·srcStrides_k]
    /// (element offsets; strides may be zero or negative on the source). Both tensors must have the same element type.
    /// </summary>
    public static void Copy(Tensor src, long srcOffset, ReadOnlySpan<long> srcStrides,
                            Tensor dst, long dstOffset, ReadOnlySpan<long> dstStrides, ReadOnlySpan<int> shape)
    {
        int rank = shape.Length;
        Span<int> dims = stackalloc int[Math.Max(rank, 1)];
        Span<long> ss = stackalloc long[Math.Max(rank, 1)];
        Span<long> ds = stackalloc long[Math.Max(rank, 1)];
        int r = 0;
        // Drop size-1 dims, then merge neighbours that are contiguous in both tensors.
        for (int i = 0; i < rank; i++)
        {
            if (shape[i] == 0) return;
            if (shape[i] == 1) continue;
            if (r > 0 && ss[r - 1] == srcStrides[i] * shape[i] && ds[r - 1] == dstStrides[i] * shape[i])
            {
                dims[r - 1] *= shape[i];
                ss[r - 1] = srcStrides[i];
                ds[r - 1] = dstStrides[i];
                continue;
            }
            dims[r] = shape[i]; ss[r] = srcStrides[i]; ds[r] = dstStrides[i];
            r++;
        }
        if (r == 0) { dims[0] = 1; ss[0] = 1; ds[0] = 1; r = 1; }
        dims = dims[..r]; ss = ss[..r]; ds = ds[..r];

        if (src.DType == DType.String)
        {
            CopyStrings(src.Strings, srcOffset, ss, dst.Strings, dstOffset, ds, dims);
            return;
        }
        switch (src.DType.SizeOf())
        {
            case 1: CopyTyped<byte>((byte*)src.Pointer, srcOffset, ss, (byte*)dst.Pointer, dstOffset, ds, dims); break;
            case 2: CopyTyped<ushort>((ushort*)src.Pointer, srcOffset, ss, (ushort*)dst.Pointer, dstOffset, ds, dims); break;
            case 4: CopyTyped<uint>((uint*)src.Pointer, srcOffset, ss, (uint*)dst.Pointer, dstOffset, ds, dims); break;
            case 8: CopyTyped<ulong>((ulong*)src.Pointer, srcOffset, ss, (ulong*)dst.Pointer, dstOffset, ds, dims); break;
            case 16: CopyTyped<Int128>((Int128*)src.Pointer, srcOffset, ss, (Int128*)dst.Pointer, dstOffset, ds, dims); break;
            default: throw new NotSupportedException($"element type {src.DType.OnnxName()}");
        }
    }

    /// <summary>Copies the whole of <paramref name="src"/> (read through a permuted/strided view) into contiguous <paramref name="dst"/>.</summary>
    public static void CopyToContiguous(Tensor src, long srcOffset, ReadOnlySpan<long> srcStrides, Tensor dst, ReadOnlySpan<int> shape) =>
        Copy(src, srcOffset, srcStrides, dst, 0, ContiguousStrides(shape), shape);

    /// <summary>Copies <paramref name="count"/> consecutive elements (any type, strings included).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CopyElements(Tensor src, long srcIndex, Tensor dst, long dstIndex, long count)
    {
        if (count <= 0) return;
        if (src.DType == DType.String)
        {
            Array.Copy(src.Strings, srcIndex, dst.Strings, dstIndex, count);
            return;
        }
        int size = src.DType.SizeOf();
        Buffer.MemoryCopy((byte*)src.Pointer + srcIndex * size, (byte*)dst.Pointer + dstIndex * size, count * size, count * size);
    }

    /// <summary>Copies one element (any type).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CopyElement(Tensor src, long srcIndex, Tensor dst, long dstIndex)
    {
        switch (src.DType.SizeOf())
        {
            case 4: ((uint*)dst.Pointer)[dstIndex] = ((uint*)src.Pointer)[srcIndex]; break;
            case 8: ((ulong*)dst.Pointer)[dstIndex] = ((ulong*)src.Pointer)[srcIndex]; break;
            case 1: ((byte*)dst.Pointer)[dstIndex] = ((byte*)src.Pointer)[srcIndex]; break;
            case 2: ((ushort*)dst.Pointer)[dstIndex] = ((ushort*)src.Pointer)[srcIndex]; break;
            case 16: ((Int128*)dst.Pointer)[dstIndex] = ((Int128*)src.Pointer)[srcIndex]; break;
            default: dst.Strings[dstIndex] = src.Strings[srcIndex]; break;
        }
    }

    /// <summary>
    /// Fills dst[start .. start+count) with the single element value[valueIndex] (any type). Used for
    /// constant padding and ConstantOfShape.
    /// </summary>
    public static void FillElement(Tensor value, long valueIndex, Tensor dst, long start, long count)
    {
        if (count <= 0) return;
        if (dst.DType == DType.String)
        {
            Array.Fill(dst.Strings, value.Strings[valueIndex], (int)start, (int)count);
            return;
        }
        switch (dst.DType.SizeOf())
        {
            case 1: new Span<byte>((byte*)dst.Pointer + start, (int)count).Fill(((byte*)value.Pointer)[valueIndex]); break;
            case 2: new Span<ushort>((ushort*)dst.Pointer + start, (int)count).Fill(((ushort*)value.Pointer)[valueIndex]); break;
            case 4: new Span<uint>((uint*)dst.Pointer + start, (int)count).Fill(((uint*)value.Pointer)[valueIndex]); break;
            case 8: new Span<ulong>((ulong*)dst.Pointer + start, (int)count).Fill(((ulong*)value.Pointer)[valueIndex]); break;
            case 16: new Span<Int128>((Int128*)dst.Pointer + start, (int)count).Fill(((Int128*)value.Pointer)[valueIndex]); break;
        }
    }

    /// <summary>dst[dstBase + j] = src[srcBase + map[j]] for j &lt; map.Length (any element type).</summary>
    public static void Gather<TIndex>(Tensor src, long srcBase, ReadOnlySpan<TIndex> map, Tensor dst, long dstBase)
        where TIndex : unmanaged, System.Numerics.IBinaryInteger<TIndex>
    {
        switch (src.DType == DType.String ? 0 : src.DType.SizeOf())
        {
            case 1: GatherTyped((byte*)src.Pointer + srcBase, map, (byte*)dst.Pointer + dstBase); break;
            case 2: GatherTyped((ushort*)src.Pointer + srcBase, map, (ushort*)dst.Pointer + dstBase); break;
            case 4: GatherTyped((uint*)src.Pointer + srcBase, map, (uint*)dst.Pointer + dstBase); break;
            case 8: GatherTyped((ulong*)src.Pointer + srcBase, map, (ulong*)dst.Pointer + dstBase); break;
            case 16: GatherTyped((Int128*)src.Pointer + srcBase, map, (Int128*)dst.Pointer + dstBase); break;
            default:
            {
                var s = src.Strings; var d = dst.Strings;
                for (int j = 0; j < map.Length; j++) d[dstBase + j] = s[srcBase + long.CreateTruncating(map[j])];
                break;
            }
        }
    }

    /// <summary>Specialised per index type by the JIT (int and long maps both compile to a plain indexed load).</summary>
    private static void GatherTyped<T, TIndex>(T* src, ReadOnlySpan<TIndex> map, T* dst)
        where T : unmanaged where TIndex : unmanaged, System.Numerics.IBinaryInteger<TIndex>
    {
        for (int j = 0; j < map.Length; j++) dst[j] = src[long.CreateTruncating(map[j])];
    }

    private static void CopyStrings(string[] src, long srcOffset, ReadOnlySpan<long> ss, string[] dst, long dstOffset, ReadOnlySpan<long> ds, ReadOnlySpan<int> dims)
    {
        int r = dims.Length;
        Span<int> idx = stackalloc int[r];
        long so = srcOffset, dO = dstOffset;
        int inner = dims[r - 1];
        long sIn = ss[r - 1], dIn = ds[r - 1];
        while (true)
        {
            if (sIn == 1 && dIn == 1) Array.Copy(src, so, dst, dO, inner);
            else for (int i = 0; i < inner; i++) dst[dO + i * dIn] = src[so + i * sIn];
            int d = r - 2;
            for (; d >= 0; d--)
            {
                idx[d]++;
                so += ss[d]; dO += ds[d];
                if (idx[d] < dims[d]) break;
                so -= ss[d] * dims[d]; dO -= ds[d] * dims[d];
                idx[d] = 0;
            }
            if (d < 0) return;
        }
    }

    private static void CopyTyped<T>(T* src, long srcOffset, ReadOnlySpan<long> ss, T* dst, long dstOffset, ReadOnlySpan<long> ds, ReadOnlySpan<int> dims)
        where T : unmanaged
    {
        int r = dims.Length;
        int inner = dims[r - 1];
        long sIn = ss[r - 1], dIn = ds[r - 1];
        // Transposed innermost pair: dst walks axis r-1 contiguously while src walks axis r-2 contiguously.
        bool transpose2d = r >= 2 && dIn == 1 && sIn != 1 && ss[r - 2] == 1 && inner >= 8 && dims[r - 2] >= 8;
        int outerRank = transpose2d ? r - 2 : r - 1;
        Span<int> idx = stackalloc int[Math.Max(outerRank, 1)];
        long so = srcOffset, dO = dstOffset;
        long bytes = (long)inner * sizeof(T);
        while (true)
        {
            if (transpose2d) Transpose2D(src + so, sIn, dst + dO, ds[r - 2], dims[r - 2], inner);
            else if (sIn == 1 && dIn == 1) Buffer.MemoryCopy(src + so, dst + dO, bytes, bytes);
            else if (dIn == 1)
            {
                T* s = src + so; T* d = dst + dO;
                for (int i = 0; i < inner; i++) d[i] = s[i * sIn];
            }
            else
            {
                T* s = src + so; T* d = dst + dO;
                for (int i = 0; i < inner; i++) d[i * dIn] = s[i * sIn];
            }
            int k = outerRank - 1;
            for (; k >= 0; k--)
            {
                idx[k]++;
                so += ss[k]; dO += ds[k];
                if (idx[k] < dims[k]) break;
                so -= ss[k] * dims[k]; dO -= ds[k] * dims[k];
                idx[k] = 0;
            }
            if (k < 0) return;
        }
    }

    /// <summary>
    /// dst[i*dRow + j] = src[i + j*sCol] for i &lt; rows, j &lt; cols, in cache-sized tiles
    /// (src is contiguous along i, dst along j).
    /// </summary>
    private static void Transpose2D<T>(T* src, long sCol, T* dst, long dRow, int rows, int cols) where T : unmanaged
    {
        const int Tile = 16;
        for (int i0 = 0; i0 < rows; i0 += Tile)
        {
            int i1 = Math.Min(i0 + Tile, rows);
            for (int j0 = 0; j0 < cols; j0 += Tile)
            {
                int j1 = Math.Min(j0 + Tile, cols);
                for (int i = i0; i < i1; i++)
                {
                    T* d = dst + i * dRow;
                    T* s = src + i;
                    for (int j = j0; j < j1; j++) d[j] = s[j * sCol];
                }
            }
        }
    }
}
