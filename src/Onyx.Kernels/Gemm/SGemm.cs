using Onyx.Kernels.Threading;

namespace Onyx.Kernels.Gemm;

/// <summary>
/// Packed, register-blocked single-precision GEMM:
/// C[M x N] = act(alpha * op(A)[M x K] * op(B)[K x N] + beta * C + bias), row-major with leading
/// dimensions. Either operand may come prepacked (<see cref="PackedMatrixA"/>, <see cref="PackedMatrixB"/>)
/// so constant weights are packed once. Pointers are borrowed for the call; C must not alias A or B.
/// With <c>beta == 0</c>, C is write-only (NaNs in it do not propagate).
/// </summary>
public static unsafe class SGemm
{
    /// <summary>Both operands raw: op(A)[i,k] = transA ? a[k*lda+i] : a[i*lda+k]; op(B)[k,j] = transB ? b[j*ldb+k] : b[k*ldb+j].</summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc,
        in GemmEpilogue epilogue = default, IntraOpPool? pool = null, IsaPath? isa = null)
    {
        var g = Args(isa ?? KernelIsa.Current, m, n, k, alpha, beta, c, ldc, epilogue);
        g.A = a; g.Lda = lda; g.TransA = transA;
        g.B = b; g.Ldb = ldb; g.TransB = transB;
        GemmDriver.Run(ref g, pool);
    }

    /// <summary>B prepacked (a constant weight); A raw. M comes from <paramref name="m"/>, K and N from <paramref name="b"/>.</summary>
    public static void Multiply(bool transA, int m, float alpha, float* a, int lda, PackedMatrixB b,
        float beta, float* c, int ldc, in GemmEpilogue epilogue = default, IntraOpPool? pool = null)
    {
        var g = Args(b.Isa, m, b.N, b.K, alpha, beta, c, ldc, epilogue);
        g.A = a; g.Lda = lda; g.TransA = transA;
        g.PackedB = b.Data;
        GemmDriver.Run(ref g, pool);
        GC.KeepAlive(b);
    }

    /// <summary>A prepacked (a conv filter); B raw. M and K come from <paramref name="a"/>.</summary>
    public static void Multiply(PackedMatrixA a, bool transB, int n, float alpha, float* b, int ldb,
        float beta, float* c, int ldc, in GemmEpilogue epilogue = default, IntraOpPool? pool = null)
    {
        var g = Args(a.Isa, a.M, n, a.K, alpha, beta, c, ldc, epilogue);
        g.PackedA = a.Data;
        g.B = b; g.Ldb = ldb; g.TransB = transB;
        GemmDriver.Run(ref g, pool);
        GC.KeepAlive(a);
    }

    /// <summary>
    /// A prepacked; B (K x <paramref name="n"/>, row k at b + k*<paramref name="ldb"/>) read in place by the
    /// micro-kernel, never packed (only a last partial strip is). For a 1x1 conv's input: its rows are long,
    /// so each strip's K rows stream in from memory once and stay in L1 for every panel of A.
    /// </summary>
    internal static void MultiplyInPlaceB(PackedMatrixA a, int n, float* b, int ldb, float beta, float* c, int ldc, in GemmEpilogue epilogue, IntraOpPool? pool)
    {
        var g = Args(a.Isa, a.M, n, a.K, 1f, beta, c, ldc, epilogue);
        g.PackedA = a.Data;
        g.B = b; g.Ldb = ldb; g.InPlaceB = true;
        GemmDriver.Run(ref g, pool);
        GC.KeepAlive(a);
    }

    /// <summary>
    /// Both operands packed: B is <paramref name="n"/> columns already laid out in A's ISA strips
    /// (NR columns, k-major, strip stride a.K*NR), e.g. written directly by im2col.
    /// </summary>
    internal static void MultiplyPacked(PackedMatrixA a, float* packedB, int n, float* c, int ldc, float beta, in GemmEpilogue epilogue, IntraOpPool? pool) =>
        MultiplyPacked(a, 0, a.M, packedB, n, c, ldc, beta, epilogue, pool);

    /// <summary>
    /// <see cref="MultiplyPacked(PackedMatrixA, float*, int, float*, int, float, in GemmEpilogue, IntraOpPool?)"/>
    /// for rows [m0, m1) of A only (m0 a multiple of the ISA's MR): C and a per-row bias are indexed from row 0.
    /// Lets threads split a GEMM by output rows while each gathers its own copy of B.
    /// </summary>
    internal static void MultiplyPacked(PackedMatrixA a, int m0, int m1, float* packedB, int n, float* c, int ldc, float beta, in GemmEpilogue epilogue, IntraOpPool? pool)
    {
        if (m0 % a.MR != 0) throw new ArgumentException($"row offset {m0} is not a multiple of {a.MR}");
        var g = Args(a.Isa, m1 - m0, n, a.K, 1f, beta, c + (nint)m0 * ldc, ldc, epilogue);
        g.PackedA = a.Data + (nint)(m0 / a.MR) * a.K * a.MR;
        g.PackedB = packedB;
        if ((g.EpFlags & GemmFlags.BiasRow) != 0) g.Bias += m0;
        GemmDriver.Run(ref g, pool);
        GC.KeepAlive(a);
    }

    /// <summary>Span overload for row-major contiguous operands (lda/ldb/ldc from the shapes).</summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, float beta, Span<float> c,
        in GemmEpilogue epilogue = default, IntraOpPool? pool = null, IsaPath? isa = null)
    {
        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
            throw new ArgumentException($"GEMM {m}x{k} * {k}x{n}: operand spans too short ({a.Length}, {b.Length}, {c.Length})");
        fixed (float* pa = a, pb = b, pc = c)
            Multiply(transA, transB, m, n, k, alpha, pa, transA ? m : k, pb, transB ? k : n, beta, pc, n, epilogue, pool, isa);
    }

    private static GemmArgs Args(IsaPath isa, int m, int n, int k, float alpha, float beta, float* c, int ldc, in GemmEpilogue ep)
    {
        if (!KernelIsa.IsSupported(isa)) isa = KernelIsa.Best;
        return new GemmArgs
        {
            Isa = isa,
            MR = GemmDriver.MrOf(isa),
            NR = GemmDriver.NrOf(isa),
            M = m, N = n, K = k,
            Alpha = alpha, Beta = beta,
            C = c, Ldc = ldc,
            EpFlags = ep.Flags, Bias = ep.Bias, Lo = ep.Lo, Hi = ep.Hi, Slope = ep.Alpha, Act = ep,
        };
    }
}
