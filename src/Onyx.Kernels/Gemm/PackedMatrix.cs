using System.Runtime.InteropServices;

namespace Onyx.Kernels.Gemm;

/// <summary>
/// The vector operand of a GEMM (B in C = A*B), packed once into k-major strips of NR columns
/// (zero-padded), e.g. a MatMul weight at session load. Owns native memory; dispose it (or let the
/// finalizer) when the kernel that holds it goes away. Immutable, so any number of threads may use it.
/// </summary>
public sealed unsafe class PackedMatrixB : IDisposable
{
    private float* _data;

    /// <summary>Rows of op(B) (the shared dimension).</summary>
    public int K { get; }
    /// <summary>Columns of op(B).</summary>
    public int N { get; }
    /// <summary>The kernel path the layout was made for.</summary>
    public IsaPath Isa { get; }
    internal int NR { get; }
    internal float* Data => _data != null ? _data : throw new ObjectDisposedException(nameof(PackedMatrixB));

    /// <summary>Packs op(B), a K x N matrix: <paramref name="b"/>[k*ldb + n], or [n*ldb + k] when <paramref name="transB"/>.</summary>
    public PackedMatrixB(float* b, int ldb, bool transB, int k, int n, IsaPath? isa = null)
    {
        K = k;
        N = n;
        Isa = isa ?? KernelIsa.Current;
        NR = GemmDriver.NrOf(Isa);
        int strips = (n + NR - 1) / NR;
        nuint bytes = (nuint)Math.Max(1L, (long)strips * k * NR) * sizeof(float);
        _data = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        GemmDriver.PackB(b, ldb, transB, 0, k, 0, n, NR, _data, k);
    }

    /// <summary>Packs a row-major K x N span (ldb = N).</summary>
    public static PackedMatrixB Create(ReadOnlySpan<float> b, bool transB, int k, int n, IsaPath? isa = null)
    {
        if (b.Length < (long)k * n) throw new ArgumentException($"B has {b.Length} elements, K*N = {(long)k * n}");
        fixed (float* p = b) return new PackedMatrixB(p, transB ? k : n, transB, k, n, isa);
    }

    /// <summary>Frees the packed data.</summary>
    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        float* p = _data;
        _data = null;
        if (p != null) NativeMemory.AlignedFree(p);
    }

    /// <summary>Frees the packed data if nobody disposed it.</summary>
    ~PackedMatrixB() => Free();
}

/// <summary>
/// The broadcast operand of a GEMM (A in C = A*B), packed once into k-major panels of MR rows
/// (zero-padded), e.g. a conv filter at session load. Owns native memory; immutable once built.
/// </summary>
public sealed unsafe class PackedMatrixA : IDisposable
{
    private float* _data;

    /// <summary>Rows of op(A).</summary>
    public int M { get; }
    /// <summary>Columns of op(A) (the shared dimension).</summary>
    public int K { get; }
    /// <summary>The kernel path the layout was made for.</summary>
    public IsaPath Isa { get; }
    internal int MR { get; }
    internal float* Data => _data != null ? _data : throw new ObjectDisposedException(nameof(PackedMatrixA));

    /// <summary>Packs op(A), an M x K matrix: <paramref name="a"/>[m*lda + k], or [k*lda + m] when <paramref name="transA"/>.</summary>
    public PackedMatrixA(float* a, int lda, bool transA, int m, int k, IsaPath? isa = null)
    {
        M = m;
        K = k;
        Isa = isa ?? KernelIsa.Current;
        MR = GemmDriver.MrOf(Isa);
        int panels = (m + MR - 1) / MR;
        nuint bytes = (nuint)Math.Max(1L, (long)panels * k * MR) * sizeof(float);
        _data = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        GemmDriver.PackA(a, lda, transA, 0, m, 0, k, MR, _data, k);
    }

    /// <summary>Packs a row-major M x K span (lda = K).</summary>
    public static PackedMatrixA Create(ReadOnlySpan<float> a, bool transA, int m, int k, IsaPath? isa = null)
    {
        if (a.Length < (long)m * k) throw new ArgumentException($"A has {a.Length} elements, M*K = {(long)m * k}");
        fixed (float* p = a) return new PackedMatrixA(p, transA ? m : k, transA, m, k, isa);
    }

    /// <summary>Frees the packed data.</summary>
    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        float* p = _data;
        _data = null;
        if (p != null) NativeMemory.AlignedFree(p);
    }

    /// <summary>Frees the packed data if nobody disposed it.</summary>
    ~PackedMatrixA() => Free();
}
