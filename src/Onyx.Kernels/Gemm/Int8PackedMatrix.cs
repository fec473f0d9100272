using System.Runtime.InteropServices;

namespace Onyx.Kernels.Gemm;

/// <summary>
/// One operand of the int8 GEMM packed once (a constant weight at session load): (value - zero point)
/// widened to int16 in k pairs, as MR-row panels (the A side) or NR-column strips (the B side).
/// Owns native memory; dispose it (or let the finalizer) with the kernel that holds it. Immutable,
/// so any number of threads may use it.
/// </summary>
public sealed unsafe class Int8PackedMatrix : IDisposable
{
    private short* _data;

    /// <summary>True for an A operand (rows broadcast), false for a B operand (columns in vectors).</summary>
    public bool IsA { get; }
    /// <summary>Rows of an A operand or columns of a B operand.</summary>
    public int Extent { get; }
    /// <summary>The shared dimension.</summary>
    public int K { get; }
    /// <summary>The kernel path the layout was made for.</summary>
    public IsaPath Isa { get; }
    internal short* Data => _data != null ? _data : throw new ObjectDisposedException(nameof(Int8PackedMatrix));

    private Int8PackedMatrix(bool isA, int extent, int k, IsaPath isa)
    {
        IsA = isA; Extent = extent; K = k; Isa = isa;
        int unit = isA ? Int8Packing.MrOf(isa) : Int8Packing.NrOf(isa);
        _data = (short*)NativeMemory.AlignedAlloc((nuint)Math.Max(1, Int8Packing.Size(extent, k, unit)) * sizeof(short), 64);
    }

    /// <summary>
    /// Packs A (m x k): element (i, kk) at <paramref name="src"/>[i*ld + kk], or [kk*ld + i] when
    /// <paramref name="trans"/>; bytes are int8 when <paramref name="signed"/>, else uint8. Zero points: 1 or m values.
    /// </summary>
    public static Int8PackedMatrix PackA(byte* src, bool signed, int m, int k, nint ld, bool trans, ReadOnlySpan<int> zeroPoints, IsaPath? isa = null)
    {
        var p = new Int8PackedMatrix(true, m, k, Int8Gemm.Resolve(isa));
        fixed (int* z = zeroPoints) Int8Packing.PackA(src, signed, m, k, ld, trans, z, zeroPoints.Length, Int8Packing.MrOf(p.Isa), p._data);
        return p;
    }

    /// <summary>
    /// Packs B (k x n): element (kk, j) at <paramref name="src"/>[kk*ld + j], or [j*ld + kk] when
    /// <paramref name="trans"/>. Zero points: 1 or n values.
    /// </summary>
    public static Int8PackedMatrix PackB(byte* src, bool signed, int k, int n, nint ld, bool trans, ReadOnlySpan<int> zeroPoints, IsaPath? isa = null)
    {
        var p = new Int8PackedMatrix(false, n, k, Int8Gemm.Resolve(isa));
        fixed (int* z = zeroPoints) Int8Packing.PackB(src, signed, k, n, ld, trans, z, zeroPoints.Length, Int8Packing.NrOf(p.Isa), p._data);
        return p;
    }

    /// <summary>Frees the packed data.</summary>
    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        short* p = _data;
        _data = null;
        if (p != null) NativeMemory.AlignedFree(p);
    }

    /// <summary>Frees the packed data if nobody disposed it.</summary>
    ~Int8PackedMatrix() => Free();
}
