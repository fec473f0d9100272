using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Onyx.Kernels.Gemm;
using Onyx.Kernels.Threading;

namespace Onyx.Kernels.Gemv;

/// <summary>
/// C = A · B for at most <see cref="MaxRows"/> rows of A against a row-major B [K, N], with nothing
/// packed (MLAS <c>KernelM1Routine</c>, tract's mmv). The packed GEMM pads every call to its 12-row
/// tile and packs A first; for a one-row product (a classifier head, a decoder token) that costs
/// more than the arithmetic: mnist's 1x256 · 256x10 took ~3 µs through it. Here B streams once,
/// row by row, into column accumulators (one group of up to 4 rows shares every B load on AVX-512).
/// </summary>
public static unsafe class SmallRowsGemm
{
    /// <summary>Most rows of A one call takes: beyond it the packed GEMM's tile pays for its packing.</summary>
    public const int MaxRows = 4;

    /// <summary>Columns per thread-split unit (four zmm of C).</summary>
    private const int Unit = 64;

    /// <summary>
    /// C[m x n] = A[m x k] · B[k x n], all row-major with leading dimensions <paramref name="lda"/>,
    /// <paramref name="ldb"/> and <paramref name="ldc"/>; C is overwritten. Splits N across
    /// <paramref name="pool"/> when the product is big enough to pay for the handoff.
    /// </summary>
    public static void Multiply(int m, int n, int k, float* a, nint lda, float* b, nint ldb, float* c, nint ldc,
        IntraOpPool? pool = null, IsaPath? isa = null)
    {
        if (m > MaxRows) throw new ArgumentOutOfRangeException(nameof(m), $"at most {MaxRows} rows, got {m}");
        if (m <= 0 || n <= 0) return;
        IsaPath path = isa ?? KernelIsa.Current;
        if (!KernelIsa.IsSupported(path)) path = KernelIsa.Best;
        var job = new Job { Isa = path, M = m, N = n, K = k, A = a, Lda = lda, B = b, Ldb = ldb, C = c, Ldc = ldc, Parts = 1 };
        int units = (n + Unit - 1) / Unit;
        int threads = pool?.DegreeOfParallelism ?? 1;
        if (threads > 1 && units > 1 && (long)m * n * k >= GemmDriver.ParallelThreshold)
        {
            job.Parts = Math.Min(threads, units);
            pool!.Run(job.Parts, ref job);
        }
        else
        {
            job.Invoke(0);
        }
    }

    private struct Job : IParallelBody
    {
        public IsaPath Isa;
        public int M, N, K, Parts;
        public float* A, B, C;
        public nint Lda, Ldb, Ldc;

        public readonly void Invoke(int index)
        {
            int units = (N + Unit - 1) / Unit;
            var (u0, u1) = IntraOpPool.Share(units, index, Parts);
            int j0 = u0 * Unit, j1 = Math.Min(N, u1 * Unit);
            if (j0 >= j1) return;
            if (Isa == IsaPath.V512)
            {
                if (M == 1) Row1V512(A, B, Ldb, C, K, j0, j1);
                else Rows4V512(A, Lda, M, B, Ldb, C, Ldc, K, j0, j1);
                return;
            }
            for (int r = 0; r < M; r++)
            {
                if (Isa == IsaPath.V256) Row1V256(A + r * Lda, B, Ldb, C + r * Ldc, K, j0, j1);
                else RowScalar(A + r * Lda, B, Ldb, C + r * Ldc, K, j0, j1);
            }
        }
    }

    /// <summary>Lanes [0, count) set: the N tail's loads and stores (masked loads never fault on the lanes left out).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> TailMask(nint count) =>
        Vector512.LessThan(Vector512<int>.Indices, Vector512.Create((int)Math.Min(count, 16))).AsSingle();

    /// <summary>One row: 64 columns at a time in 4 zmm, then 16 (masked at the end) with K split over 4 chains.</summary>
    private static void Row1V512(float* a, float* b, nint ldb, float* c, nint k, nint j0, nint j1)
    {
        nint j = j0;
        for (; j + 64 <= j1; j += 64)
        {
            Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
            float* bp = b + j;
            for (nint p = 0; p < k; p++, bp += ldb)
            {
                var t = Vector512.Create(a[p]);
                c0 = Vector512.FusedMultiplyAdd(t, Vector512.LoadUnsafe(ref *bp), c0);
                c1 = Vector512.FusedMultiplyAdd(t, Vector512.LoadUnsafe(ref *(bp + 16)), c1);
                c2 = Vector512.FusedMultiplyAdd(t, Vector512.LoadUnsafe(ref *(bp + 32)), c2);
                c3 = Vector512.FusedMultiplyAdd(t, Vector512.LoadUnsafe(ref *(bp + 48)), c3);
            }
            Vector512.StoreUnsafe(c0, ref *(c + j));
            Vector512.StoreUnsafe(c1, ref *(c + j + 16));
            Vector512.StoreUnsafe(c2, ref *(c + j + 32));
            Vector512.StoreUnsafe(c3, ref *(c + j + 48));
        }
        for (; j < j1; j += 16)
        {
            // One column vector: four accumulators over alternating k hide the FMA latency.
            var mask = TailMask(j1 - j);
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            float* bp = b + j;
            nint p = 0;
            for (; p + 4 <= k; p += 4, bp += 4 * ldb)
            {
                s0 = Vector512.FusedMultiplyAdd(Vector512.Create(a[p]), Avx512F.MaskLoad(bp, mask, Vector512<float>.Zero), s0);
                s1 = Vector512.FusedMultiplyAdd(Vector512.Create(a[p + 1]), Avx512F.MaskLoad(bp + ldb, mask, Vector512<float>.Zero), s1);
                s2 = Vector512.FusedMultiplyAdd(Vector512.Create(a[p + 2]), Avx512F.MaskLoad(bp + 2 * ldb, mask, Vector512<float>.Zero), s2);
                s3 = Vector512.FusedMultiplyAdd(Vector512.Create(a[p + 3]), Avx512F.MaskLoad(bp + 3 * ldb, mask, Vector512<float>.Zero), s3);
            }
            for (; p < k; p++, bp += ldb)
                s0 = Vector512.FusedMultiplyAdd(Vector512.Create(a[p]), Avx512F.MaskLoad(bp, mask, Vector512<float>.Zero), s0);
            Avx512F.MaskStore(c + j, mask, (s0 + s1) + (s2 + s3));
        }
    }

    /// <summary>
    /// 2 to 4 rows: 32 columns x 4 rows in 8 zmm, each B load shared by every row; then 16 columns
    /// (masked at the end). Rows past <paramref name="m"/> alias row 0 and are computed but not stored.
    /// </summary>
    private static void Rows4V512(float* a, nint lda, int m, float* b, nint ldb, float* c, nint ldc, nint k, nint j0, nint j1)
    {
        float* a0 = a, a1 = a + lda, a2 = m > 2 ? a + 2 * lda : a, a3 = m > 3 ? a + 3 * lda : a;
        nint j = j0;
        for (; j + 32 <= j1; j += 32)
        {
            Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
            Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
            float* bp = b + j;
            for (nint p = 0; p < k; p++, bp += ldb)
            {
                var b0 = Vector512.LoadUnsafe(ref *bp);
                var b1 = Vector512.LoadUnsafe(ref *(bp + 16));
                var t = Vector512.Create(a0[p]);
                c00 = Vector512.FusedMultiplyAdd(t, b0, c00); c01 = Vector512.FusedMultiplyAdd(t, b1, c01);
                t = Vector512.Create(a1[p]);
                c10 = Vector512.FusedMultiplyAdd(t, b0, c10); c11 = Vector512.FusedMultiplyAdd(t, b1, c11);
                t = Vector512.Create(a2[p]);
                c20 = Vector512.FusedMultiplyAdd(t, b0, c20); c21 = Vector512.FusedMultiplyAdd(t, b1, c21);
                t = Vector512.Create(a3[p]);
                c30 = Vector512.FusedMultiplyAdd(t, b0, c30); c31 = Vector512.FusedMultiplyAdd(t, b1, c31);
            }
            Vector512.StoreUnsafe(c00, ref *(c + j)); Vector512.StoreUnsafe(c01, ref *(c + j + 16));
            Vector512.StoreUnsafe(c10, ref *(c + ldc + j)); Vector512.StoreUnsafe(c11, ref *(c + ldc + j + 16));
            if (m > 2) { Vector512.StoreUnsafe(c20, ref *(c + 2 * ldc + j)); Vector512.StoreUnsafe(c21, ref *(c + 2 * ldc + j + 16)); }
            if (m > 3) { Vector512.StoreUnsafe(c30, ref *(c + 3 * ldc + j)); Vector512.StoreUnsafe(c31, ref *(c + 3 * ldc + j + 16)); }
        }
        for (; j < j1; j += 16)
        {
            var mask = TailMask(j1 - j);
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            float* bp = b + j;
            for (nint p = 0; p < k; p++, bp += ldb)
            {
                var bv = Avx512F.MaskLoad(bp, mask, Vector512<float>.Zero);
                s0 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[p]), bv, s0);
                s1 = Vector512.FusedMultiplyAdd(Vector512.Create(a1[p]), bv, s1);
                s2 = Vector512.FusedMultiplyAdd(Vector512.Create(a2[p]), bv, s2);
                s3 = Vector512.FusedMultiplyAdd(Vector512.Create(a3[p]), bv, s3);
            }
            Avx512F.MaskStore(c + j, mask, s0);
            Avx512F.MaskStore(c + ldc + j, mask, s1);
            if (m > 2) Avx512F.MaskStore(c + 2 * ldc + j, mask, s2);
            if (m > 3) Avx512F.MaskStore(c + 3 * ldc + j, mask, s3);
        }
    }

    /// <summary>One row on AVX2: 32 columns in 4 ymm, then 8 with K over 4 chains, then the scalar tail.</summary>
    private static void Row1V256(float* a, float* b, nint ldb, float* c, nint k, nint j0, nint j1)
    {
        nint j = j0;
        for (; j + 32 <= j1; j += 32)
        {
            Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
            float* bp = b + j;
            for (nint p = 0; p < k; p++, bp += ldb)
            {
                var t = Vector256.Create(a[p]);
                c0 = Vector256.FusedMultiplyAdd(t, Vector256.LoadUnsafe(ref *bp), c0);
                c1 = Vector256.FusedMultiplyAdd(t, Vector256.LoadUnsafe(ref *(bp + 8)), c1);
                c2 = Vector256.FusedMultiplyAdd(t, Vector256.LoadUnsafe(ref *(bp + 16)), c2);
                c3 = Vector256.FusedMultiplyAdd(t, Vector256.LoadUnsafe(ref *(bp + 24)), c3);
            }
            Vector256.StoreUnsafe(c0, ref *(c + j));
            Vector256.StoreUnsafe(c1, ref *(c + j + 8));
            Vector256.StoreUnsafe(c2, ref *(c + j + 16));
            Vector256.StoreUnsafe(c3, ref *(c + j + 24));
        }
        for (; j + 8 <= j1; j += 8)
        {
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            float* bp = b + j;
            nint p = 0;
            for (; p + 4 <= k; p += 4, bp += 4 * ldb)
            {
                s0 = Vector256.FusedMultiplyAdd(Vector256.Create(a[p]), Vector256.LoadUnsafe(ref *bp), s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.Create(a[p + 1]), Vector256.LoadUnsafe(ref *(bp + ldb)), s1);
                s2 = Vector256.FusedMultiplyAdd(Vector256.Create(a[p + 2]), Vector256.LoadUnsafe(ref *(bp + 2 * ldb)), s2);
                s3 = Vector256.FusedMultiplyAdd(Vector256.Create(a[p + 3]), Vector256.LoadUnsafe(ref *(bp + 3 * ldb)), s3);
            }
            for (; p < k; p++, bp += ldb)
                s0 = Vector256.FusedMultiplyAdd(Vector256.Create(a[p]), Vector256.LoadUnsafe(ref *bp), s0);
            Vector256.StoreUnsafe((s0 + s1) + (s2 + s3), ref *(c + j));
        }
        RowScalar(a, b, ldb, c, k, j, j1);
    }

    /// <summary>The scalar path (and the AVX2 tail): each column a dot product over K in 4 chains.</summary>
    private static void RowScalar(float* a, float* b, nint ldb, float* c, nint k, nint j0, nint j1)
    {
        for (nint j = j0; j < j1; j++)
        {
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            float* bp = b + j;
            nint p = 0;
            for (; p + 4 <= k; p += 4, bp += 4 * ldb)
            {
                s0 = MathF.FusedMultiplyAdd(a[p], bp[0], s0);
                s1 = MathF.FusedMultiplyAdd(a[p + 1], bp[ldb], s1);
                s2 = MathF.FusedMultiplyAdd(a[p + 2], bp[2 * ldb], s2);
                s3 = MathF.FusedMultiplyAdd(a[p + 3], bp[3 * ldb], s3);
            }
            for (; p < k; p++, bp += ldb) s0 = MathF.FusedMultiplyAdd(a[p], bp[0], s0);
            c[j] = (s0 + s1) + (s2 + s3);
        }
    }
}
