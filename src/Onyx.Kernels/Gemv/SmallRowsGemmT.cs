using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Onyx.Kernels.Gemm;
using Onyx.Kernels.Threading;

namespace Onyx.Kernels.Gemv;

/// <summary>
/// Y = A · Bᵀ for at most <see cref="SmallRowsGemm.MaxRows"/> rows of A against a B stored [N, K]
/// (a Gemm with transB = 1: every classifier head, mobilenetv2's 1x1280 · 1000x1280ᵀ). Each output
/// is the dot product of an A row with a B row, so B streams once, row by row, contiguous, unpacked,
/// several B rows at a time (more streams in flight) with one accumulator chain per output and each B
/// load shared by every A row: on AVX-512 16 B rows for one A row, 8 for 2 or 3, 6 for 4 (24 chains at most);
/// on AVX2 and scalar 8 for one A row, 4 otherwise. Horizontal sums at the end, the K tail scalar. The packed GEMM would pad the row to its 12-row tile and walk a 5 MB packed
/// copy; this is bandwidth-bound on B alone. N splits across the pool for big products.
/// </summary>
public static unsafe class SmallRowsGemmT
{
    /// <summary>B rows per thread-split unit.</summary>
    private const int Unit = 16;

    /// <summary>
    /// Y[m x n] = addend(A[m x k] · B[n x k]ᵀ), A and B row-major with leading dimensions
    /// <paramref name="lda"/> and <paramref name="ldb"/>; Y row-major with <paramref name="ldy"/>.
    /// </summary>
    public static void Multiply(int m, int n, int k, float* a, nint lda, float* b, nint ldb, float* y, nint ldy,
        in SmallRowsAddend addend, IntraOpPool? pool = null, IsaPath? isa = null)
    {
        if (m > SmallRowsGemm.MaxRows) throw new ArgumentOutOfRangeException(nameof(m), $"at most {SmallRowsGemm.MaxRows} rows, got {m}");
        if (m <= 0 || n <= 0) return;
        IsaPath path = isa ?? KernelIsa.Current;
        if (!KernelIsa.IsSupported(path)) path = KernelIsa.Best;
        var job = new Job { Isa = path, M = m, N = n, K = k, A = a, Lda = lda, B = b, Ldb = ldb, Y = y, Ldy = ldy, Addend = addend, Parts = 1 };
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
        public float* A, B, Y;
        public nint Lda, Ldb, Ldy;
        public SmallRowsAddend Addend;

        public readonly void Invoke(int index)
        {
            int units = (N + Unit - 1) / Unit;
            var (u0, u1) = IntraOpPool.Share(units, index, Parts);
            int j0 = u0 * Unit, j1 = Math.Min(N, u1 * Unit);
            if (j0 >= j1) return;
            nint kv = Isa switch { IsaPath.V512 => K & ~15, IsaPath.V256 => K & ~7, _ => 0 };
            nint j = j0;
            if (M == 1)
            {
                if (Isa == IsaPath.V512)
                    for (; j + 16 <= j1; j += 16) Row1x16V512(A, B + j * Ldb, Ldb, K, kv, Y, j);
                for (; j + 8 <= j1; j += 8) Row1x8(A, B + j * Ldb, Ldb, K, kv, Y, j);
            }
            else if (M <= 3 && Isa == IsaPath.V512)
            {
                for (; j + 8 <= j1; j += 8) Rows3x8V512(A, Lda, M, B + j * Ldb, Ldb, K, kv, Y, Ldy, j);
            }
            else if (Isa == IsaPath.V512)
            {
                for (; j + 6 <= j1; j += 6) Rows4x6V512(A, Lda, B + j * Ldb, Ldb, K, kv, Y, Ldy, j);
            }
            else
            {
                for (; j + 4 <= j1; j += 4) Rows4x4(A, Lda, M, B + j * Ldb, Ldb, K, kv, Y, Ldy, j);
            }
            // Leftover B rows one at a time, every A row.
            for (; j < j1; j++)
                for (int i = 0; i < M; i++)
                    Y[i * Ldy + j] = Addend.Apply(Dot(A + i * Lda, B + j * Ldb, K, kv), i, j);
        }

        /// <summary>One A row against 16 B rows on AVX-512: 16 chains, 16 B streams in flight.</summary>
        private readonly void Row1x16V512(float* a, float* b, nint ldb, nint k, nint kv, float* y, nint j)
        {
            float* b0 = b + 0 * ldb;
            float* b1 = b + 1 * ldb;
            float* b2 = b + 2 * ldb;
            float* b3 = b + 3 * ldb;
            float* b4 = b + 4 * ldb;
            float* b5 = b + 5 * ldb;
            float* b6 = b + 6 * ldb;
            float* b7 = b + 7 * ldb;
            float* b8 = b + 8 * ldb;
            float* b9 = b + 9 * ldb;
            float* b10 = b + 10 * ldb;
            float* b11 = b + 11 * ldb;
            float* b12 = b + 12 * ldb;
            float* b13 = b + 13 * ldb;
            float* b14 = b + 14 * ldb;
            float* b15 = b + 15 * ldb;
            Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default, c12 = default, c13 = default, c14 = default, c15 = default;
            nint p = 0;
            for (; p < kv; p += 16)
            {
                var av = Vector512.LoadUnsafe(ref *(a + p));
                c0 = Vector512.FusedMultiplyAdd(av, Vector512.LoadUnsafe(ref *(b0 + p)), c0);
                c1 = Vector512.FusedMultiplyAdd(av, Vector512.LoadUnsafe(ref *(b1 + p)), c1);
                c2 = Vector512.FusedMultiplyAdd(av, Vector512.LoadUnsafe(ref *(b2 + p)), c2);
                c3 = Vector512.FusedMultiplyAdd(av, Vector512.LoadUnsafe(ref *(b3 + p)), c3);
                c4 = Vector512.FusedMultiplyAdd(av, Vector512.LoadUnsafe(ref *(b4 + p)), c4);
                c5 = Vector512.FusedMultiplyAdd(av, Vector512.LoadUnsafe(ref *(b5 + p)), c5);
                c6 = Vector512.FusedMultiplyAdd(av, Vector512.LoadUnsafe(ref *(b6 + p)), c6);
                c7 = Vector512.FusedMultiplyAdd(av, Vector512.LoadUnsafe(ref *(b7 + p)), c7);
                c8 = Vector512.FusedMultiplyAdd(av, Vector512.LoadUnsafe(ref *(b8 + p)), c8);
                c9 = Vector512.FusedMultiplyAdd(av, Vector512.LoadUnsafe(ref *(b9 + p)), c9);
                c10 = Vector512.FusedMultiplyAdd(av, Vector512.LoadUnsafe(ref *(b10 + p)), c10);
                c11 = Vector512.FusedMultiplyAdd(av, Vector512.LoadUnsafe(ref *(b11 + p)), c11);
                c12 = Vector512.FusedMultiplyAdd(av, Vector512.LoadUnsafe(ref *(b12 + p)), c12);
                c13 = Vector512.FusedMultiplyAdd(av, Vector512.LoadUnsafe(ref *(b13 + p)), c13);
                c14 = Vector512.FusedMultiplyAdd(av, Vector512.LoadUnsafe(ref *(b14 + p)), c14);
                c15 = Vector512.FusedMultiplyAdd(av, Vector512.LoadUnsafe(ref *(b15 + p)), c15);
            }
            float s0 = Vector512.Sum(c0);
            float s1 = Vector512.Sum(c1);
            float s2 = Vector512.Sum(c2);
            float s3 = Vector512.Sum(c3);
            float s4 = Vector512.Sum(c4);
            float s5 = Vector512.Sum(c5);
            float s6 = Vector512.Sum(c6);
            float s7 = Vector512.Sum(c7);
            float s8 = Vector512.Sum(c8);
            float s9 = Vector512.Sum(c9);
            float s10 = Vector512.Sum(c10);
            float s11 = Vector512.Sum(c11);
            float s12 = Vector512.Sum(c12);
            float s13 = Vector512.Sum(c13);
            float s14 = Vector512.Sum(c14);
            float s15 = Vector512.Sum(c15);
            for (; p < k; p++)
            {
                float t = a[p];
                s0 = MathF.FusedMultiplyAdd(t, b0[p], s0);
                s1 = MathF.FusedMultiplyAdd(t, b1[p], s1);
                s2 = MathF.FusedMultiplyAdd(t, b2[p], s2);
                s3 = MathF.FusedMultiplyAdd(t, b3[p], s3);
                s4 = MathF.FusedMultiplyAdd(t, b4[p], s4);
                s5 = MathF.FusedMultiplyAdd(t, b5[p], s5);
                s6 = MathF.FusedMultiplyAdd(t, b6[p], s6);
                s7 = MathF.FusedMultiplyAdd(t, b7[p], s7);
                s8 = MathF.FusedMultiplyAdd(t, b8[p], s8);
                s9 = MathF.FusedMultiplyAdd(t, b9[p], s9);
                s10 = MathF.FusedMultiplyAdd(t, b10[p], s10);
                s11 = MathF.FusedMultiplyAdd(t, b11[p], s11);
                s12 = MathF.FusedMultiplyAdd(t, b12[p], s12);
                s13 = MathF.FusedMultiplyAdd(t, b13[p], s13);
                s14 = MathF.FusedMultiplyAdd(t, b14[p], s14);
                s15 = MathF.FusedMultiplyAdd(t, b15[p], s15);
            }
            y[j + 0] = Addend.Apply(s0, 0, j + 0);
            y[j + 1] = Addend.Apply(s1, 0, j + 1);
            y[j + 2] = Addend.Apply(s2, 0, j + 2);
            y[j + 3] = Addend.Apply(s3, 0, j + 3);
            y[j + 4] = Addend.Apply(s4, 0, j + 4);
            y[j + 5] = Addend.Apply(s5, 0, j + 5);
            y[j + 6] = Addend.Apply(s6, 0, j + 6);
            y[j + 7] = Addend.Apply(s7, 0, j + 7);
            y[j + 8] = Addend.Apply(s8, 0, j + 8);
            y[j + 9] = Addend.Apply(s9, 0, j + 9);
            y[j + 10] = Addend.Apply(s10, 0, j + 10);
            y[j + 11] = Addend.Apply(s11, 0, j + 11);
            y[j + 12] = Addend.Apply(s12, 0, j + 12);
            y[j + 13] = Addend.Apply(s13, 0, j + 13);
            y[j + 14] = Addend.Apply(s14, 0, j + 14);
            y[j + 15] = Addend.Apply(s15, 0, j + 15);
        }

        /// <summary>One A row against 8 B rows: 8 chains, the A vector loaded once per step.</summary>
        private readonly void Row1x8(float* a, float* b, nint ldb, nint k, nint kv, float* y, nint j)
        {
            float* b0 = b, b1 = b + ldb, b2 = b + 2 * ldb, b3 = b + 3 * ldb;
            float* b4 = b + 4 * ldb, b5 = b + 5 * ldb, b6 = b + 6 * ldb, b7 = b + 7 * ldb;
            float s0, s1, s2, s3, s4, s5, s6, s7;
            nint p = 0;
            if (Isa == IsaPath.V512)
            {
                Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
                for (; p < kv; p += 16)
                {
                    var av = Vector512.LoadUnsafe(ref *(a + p));
                    c0 = Vector512.FusedMultiplyAdd(av, Vector512.LoadUnsafe(ref *(b0 + p)), c0);
                    c1 = Vector512.FusedMultiplyAdd(av, Vector512.LoadUnsafe(ref *(b1 + p)), c1);
                    c2 = Vector512.FusedMultiplyAdd(av, Vector512.LoadUnsafe(ref *(b2 + p)), c2);
                    c3 = Vector512.FusedMultiplyAdd(av, Vector512.LoadUnsafe(ref *(b3 + p)), c3);
                    c4 = Vector512.FusedMultiplyAdd(av, Vector512.LoadUnsafe(ref *(b4 + p)), c4);
                    c5 = Vector512.FusedMultiplyAdd(av, Vector512.LoadUnsafe(ref *(b5 + p)), c5);
                    c6 = Vector512.FusedMultiplyAdd(av, Vector512.LoadUnsafe(ref *(b6 + p)), c6);
                    c7 = Vector512.FusedMultiplyAdd(av, Vector512.LoadUnsafe(ref *(b7 + p)), c7);
                }
                s0 = Vector512.Sum(c0); s1 = Vector512.Sum(c1); s2 = Vector512.Sum(c2); s3 = Vector512.Sum(c3);
                s4 = Vector512.Sum(c4); s5 = Vector512.Sum(c5); s6 = Vector512.Sum(c6); s7 = Vector512.Sum(c7);
            }
            else if (Isa == IsaPath.V256)
            {
                Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
                for (; p < kv; p += 8)
                {
                    var av = Vector256.LoadUnsafe(ref *(a + p));
                    c0 = Vector256.FusedMultiplyAdd(av, Vector256.LoadUnsafe(ref *(b0 + p)), c0);
                    c1 = Vector256.FusedMultiplyAdd(av, Vector256.LoadUnsafe(ref *(b1 + p)), c1);
                    c2 = Vector256.FusedMultiplyAdd(av, Vector256.LoadUnsafe(ref *(b2 + p)), c2);
                    c3 = Vector256.FusedMultiplyAdd(av, Vector256.LoadUnsafe(ref *(b3 + p)), c3);
                    c4 = Vector256.FusedMultiplyAdd(av, Vector256.LoadUnsafe(ref *(b4 + p)), c4);
                    c5 = Vector256.FusedMultiplyAdd(av, Vector256.LoadUnsafe(ref *(b5 + p)), c5);
                    c6 = Vector256.FusedMultiplyAdd(av, Vector256.LoadUnsafe(ref *(b6 + p)), c6);
                    c7 = Vector256.FusedMultiplyAdd(av, Vector256.LoadUnsafe(ref *(b7 + p)), c7);
                }
                s0 = Vector256.Sum(c0); s1 = Vector256.Sum(c1); s2 = Vector256.Sum(c2); s3 = Vector256.Sum(c3);
                s4 = Vector256.Sum(c4); s5 = Vector256.Sum(c5); s6 = Vector256.Sum(c6); s7 = Vector256.Sum(c7);
            }
            else
            {
                s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0f;
            }
            // The K tail (all of K on the scalar path), still 8 chains.
            for (; p < k; p++)
            {
                float t = a[p];
                s0 = MathF.FusedMultiplyAdd(t, b0[p], s0); s1 = MathF.FusedMultiplyAdd(t, b1[p], s1);
                s2 = MathF.FusedMultiplyAdd(t, b2[p], s2); s3 = MathF.FusedMultiplyAdd(t, b3[p], s3);
                s4 = MathF.FusedMultiplyAdd(t, b4[p], s4); s5 = MathF.FusedMultiplyAdd(t, b5[p], s5);
                s6 = MathF.FusedMultiplyAdd(t, b6[p], s6); s7 = MathF.FusedMultiplyAdd(t, b7[p], s7);
            }
            y[j] = Addend.Apply(s0, 0, j); y[j + 1] = Addend.Apply(s1, 0, j + 1);
            y[j + 2] = Addend.Apply(s2, 0, j + 2); y[j + 3] = Addend.Apply(s3, 0, j + 3);
            y[j + 4] = Addend.Apply(s4, 0, j + 4); y[j + 5] = Addend.Apply(s5, 0, j + 5);
            y[j + 6] = Addend.Apply(s6, 0, j + 6); y[j + 7] = Addend.Apply(s7, 0, j + 7);
        }

        /// <summary>
        /// 2 or 3 A rows against 8 B rows on AVX-512: 24 chains, the A vectors loaded once per step and
        /// each B vector used by every A row. Eight B streams keep more of B in flight than four (hot in
        /// L3, 2 x 1000 x 1280: 0.101 ms with 4 rows of B at a time, the packed GEMM 0.083). Row 2 aliases
        /// row 0 when <paramref name="m"/> is 2 and is not stored.
        /// </summary>
        private readonly void Rows3x8V512(float* a, nint lda, int m, float* b, nint ldb, nint k, nint kv, float* y, nint ldy, nint j)
        {
            float* a0 = a, a1 = a + lda, a2 = m > 2 ? a + 2 * lda : a;
            Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default, c04 = default, c05 = default, c06 = default, c07 = default;
            Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default, c14 = default, c15 = default, c16 = default, c17 = default;
            Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default, c24 = default, c25 = default, c26 = default, c27 = default;
            nint p = 0;
            for (; p < kv; p += 16)
            {
                var t0 = Vector512.LoadUnsafe(ref *(a0 + p)); var t1 = Vector512.LoadUnsafe(ref *(a1 + p)); var t2 = Vector512.LoadUnsafe(ref *(a2 + p));
                var v = Vector512.LoadUnsafe(ref *(b + p));
                c00 = Vector512.FusedMultiplyAdd(t0, v, c00); c10 = Vector512.FusedMultiplyAdd(t1, v, c10); c20 = Vector512.FusedMultiplyAdd(t2, v, c20);
                v = Vector512.LoadUnsafe(ref *(b + ldb + p));
                c01 = Vector512.FusedMultiplyAdd(t0, v, c01); c11 = Vector512.FusedMultiplyAdd(t1, v, c11); c21 = Vector512.FusedMultiplyAdd(t2, v, c21);
                v = Vector512.LoadUnsafe(ref *(b + 2 * ldb + p));
                c02 = Vector512.FusedMultiplyAdd(t0, v, c02); c12 = Vector512.FusedMultiplyAdd(t1, v, c12); c22 = Vector512.FusedMultiplyAdd(t2, v, c22);
                v = Vector512.LoadUnsafe(ref *(b + 3 * ldb + p));
                c03 = Vector512.FusedMultiplyAdd(t0, v, c03); c13 = Vector512.FusedMultiplyAdd(t1, v, c13); c23 = Vector512.FusedMultiplyAdd(t2, v, c23);
                v = Vector512.LoadUnsafe(ref *(b + 4 * ldb + p));
                c04 = Vector512.FusedMultiplyAdd(t0, v, c04); c14 = Vector512.FusedMultiplyAdd(t1, v, c14); c24 = Vector512.FusedMultiplyAdd(t2, v, c24);
                v = Vector512.LoadUnsafe(ref *(b + 5 * ldb + p));
                c05 = Vector512.FusedMultiplyAdd(t0, v, c05); c15 = Vector512.FusedMultiplyAdd(t1, v, c15); c25 = Vector512.FusedMultiplyAdd(t2, v, c25);
                v = Vector512.LoadUnsafe(ref *(b + 6 * ldb + p));
                c06 = Vector512.FusedMultiplyAdd(t0, v, c06); c16 = Vector512.FusedMultiplyAdd(t1, v, c16); c26 = Vector512.FusedMultiplyAdd(t2, v, c26);
                v = Vector512.LoadUnsafe(ref *(b + 7 * ldb + p));
                c07 = Vector512.FusedMultiplyAdd(t0, v, c07); c17 = Vector512.FusedMultiplyAdd(t1, v, c17); c27 = Vector512.FusedMultiplyAdd(t2, v, c27);
            }
            Span<float> s =
            [
                Vector512.Sum(c00), Vector512.Sum(c01), Vector512.Sum(c02), Vector512.Sum(c03), Vector512.Sum(c04), Vector512.Sum(c05), Vector512.Sum(c06), Vector512.Sum(c07),
                Vector512.Sum(c10), Vector512.Sum(c11), Vector512.Sum(c12), Vector512.Sum(c13), Vector512.Sum(c14), Vector512.Sum(c15), Vector512.Sum(c16), Vector512.Sum(c17),
                Vector512.Sum(c20), Vector512.Sum(c21), Vector512.Sum(c22), Vector512.Sum(c23), Vector512.Sum(c24), Vector512.Sum(c25), Vector512.Sum(c26), Vector512.Sum(c27),
            ];
            // The K tail, scalar.
            for (; p < k; p++)
                for (int q = 0; q < 8; q++)
                {
                    float x = b[q * ldb + p];
                    s[q] = MathF.FusedMultiplyAdd(a0[p], x, s[q]);
                    s[8 + q] = MathF.FusedMultiplyAdd(a1[p], x, s[8 + q]);
                    s[16 + q] = MathF.FusedMultiplyAdd(a2[p], x, s[16 + q]);
                }
            for (int i = 0; i < m; i++)
                for (int q = 0; q < 8; q++) y[i * ldy + j + q] = Addend.Apply(s[i * 8 + q], i, j + q);
        }

        /// <summary>Four A rows against 6 B rows on AVX-512: 24 chains (8 B rows would need 32 and spill).</summary>
        private readonly void Rows4x6V512(float* a, nint lda, float* b, nint ldb, nint k, nint kv, float* y, nint ldy, nint j)
        {
            float* a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda;
            Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default, c04 = default, c05 = default;
            Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default, c14 = default, c15 = default;
            Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default, c24 = default, c25 = default;
            Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default, c34 = default, c35 = default;
            nint p = 0;
            for (; p < kv; p += 16)
            {
                var t0 = Vector512.LoadUnsafe(ref *(a0 + p)); var t1 = Vector512.LoadUnsafe(ref *(a1 + p)); var t2 = Vector512.LoadUnsafe(ref *(a2 + p)); var t3 = Vector512.LoadUnsafe(ref *(a3 + p));
                var v = Vector512.LoadUnsafe(ref *(b + p));
                c00 = Vector512.FusedMultiplyAdd(t0, v, c00); c10 = Vector512.FusedMultiplyAdd(t1, v, c10); c20 = Vector512.FusedMultiplyAdd(t2, v, c20); c30 = Vector512.FusedMultiplyAdd(t3, v, c30);
                v = Vector512.LoadUnsafe(ref *(b + ldb + p));
                c01 = Vector512.FusedMultiplyAdd(t0, v, c01); c11 = Vector512.FusedMultiplyAdd(t1, v, c11); c21 = Vector512.FusedMultiplyAdd(t2, v, c21); c31 = Vector512.FusedMultiplyAdd(t3, v, c31);
                v = Vector512.LoadUnsafe(ref *(b + 2 * ldb + p));
                c02 = Vector512.FusedMultiplyAdd(t0, v, c02); c12 = Vector512.FusedMultiplyAdd(t1, v, c12); c22 = Vector512.FusedMultiplyAdd(t2, v, c22); c32 = Vector512.FusedMultiplyAdd(t3, v, c32);
                v = Vector512.LoadUnsafe(ref *(b + 3 * ldb + p));
                c03 = Vector512.FusedMultiplyAdd(t0, v, c03); c13 = Vector512.FusedMultiplyAdd(t1, v, c13); c23 = Vector512.FusedMultiplyAdd(t2, v, c23); c33 = Vector512.FusedMultiplyAdd(t3, v, c33);
                v = Vector512.LoadUnsafe(ref *(b + 4 * ldb + p));
                c04 = Vector512.FusedMultiplyAdd(t0, v, c04); c14 = Vector512.FusedMultiplyAdd(t1, v, c14); c24 = Vector512.FusedMultiplyAdd(t2, v, c24); c34 = Vector512.FusedMultiplyAdd(t3, v, c34);
                v = Vector512.LoadUnsafe(ref *(b + 5 * ldb + p));
                c05 = Vector512.FusedMultiplyAdd(t0, v, c05); c15 = Vector512.FusedMultiplyAdd(t1, v, c15); c25 = Vector512.FusedMultiplyAdd(t2, v, c25); c35 = Vector512.FusedMultiplyAdd(t3, v, c35);
            }
            Span<float> s =
            [
                Vector512.Sum(c00), Vector512.Sum(c01), Vector512.Sum(c02), Vector512.Sum(c03), Vector512.Sum(c04), Vector512.Sum(c05),
                Vector512.Sum(c10), Vector512.Sum(c11), Vector512.Sum(c12), Vector512.Sum(c13), Vector512.Sum(c14), Vector512.Sum(c15),
                Vector512.Sum(c20), Vector512.Sum(c21), Vector512.Sum(c22), Vector512.Sum(c23), Vector512.Sum(c24), Vector512.Sum(c25),
                Vector512.Sum(c30), Vector512.Sum(c31), Vector512.Sum(c32), Vector512.Sum(c33), Vector512.Sum(c34), Vector512.Sum(c35),
            ];
            // The K tail, scalar.
            for (; p < k; p++)
                for (int q = 0; q < 6; q++)
                {
                    float x = b[q * ldb + p];
                    s[q] = MathF.FusedMultiplyAdd(a0[p], x, s[q]);
                    s[6 + q] = MathF.FusedMultiplyAdd(a1[p], x, s[6 + q]);
                    s[12 + q] = MathF.FusedMultiplyAdd(a2[p], x, s[12 + q]);
                    s[18 + q] = MathF.FusedMultiplyAdd(a3[p], x, s[18 + q]);
                }
            for (int i = 0; i < 4; i++)
                for (int q = 0; q < 6; q++) y[i * ldy + j + q] = Addend.Apply(s[i * 6 + q], i, j + q);
        }

        /// <summary>
        /// 2 to 4 A rows against 4 B rows on AVX2 and scalar: 16 chains, each B vector shared by every A row. Rows past
        /// <paramref name="m"/> alias row 0 and are computed but not stored.
        /// </summary>
        private readonly void Rows4x4(float* a, nint lda, int m, float* b, nint ldb, nint k, nint kv, float* y, nint ldy, nint j)
        {
            float* a0 = a, a1 = a + lda, a2 = m > 2 ? a + 2 * lda : a, a3 = m > 3 ? a + 3 * lda : a;
            float* b0 = b, b1 = b + ldb, b2 = b + 2 * ldb, b3 = b + 3 * ldb;
            Span<float> s = stackalloc float[16];
            nint p = 0;
            if (Isa == IsaPath.V512)
            {
                Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
                Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
                for (; p < kv; p += 16)
                {
                    var v0 = Vector512.LoadUnsafe(ref *(b0 + p)); var v1 = Vector512.LoadUnsafe(ref *(b1 + p));
                    var v2 = Vector512.LoadUnsafe(ref *(b2 + p)); var v3 = Vector512.LoadUnsafe(ref *(b3 + p));
                    var t = Vector512.LoadUnsafe(ref *(a0 + p));
                    c00 = Vector512.FusedMultiplyAdd(t, v0, c00); c01 = Vector512.FusedMultiplyAdd(t, v1, c01);
                    c02 = Vector512.FusedMultiplyAdd(t, v2, c02); c03 = Vector512.FusedMultiplyAdd(t, v3, c03);
                    t = Vector512.LoadUnsafe(ref *(a1 + p));
                    c10 = Vector512.FusedMultiplyAdd(t, v0, c10); c11 = Vector512.FusedMultiplyAdd(t, v1, c11);
                    c12 = Vector512.FusedMultiplyAdd(t, v2, c12); c13 = Vector512.FusedMultiplyAdd(t, v3, c13);
                    t = Vector512.LoadUnsafe(ref *(a2 + p));
                    c20 = Vector512.FusedMultiplyAdd(t, v0, c20); c21 = Vector512.FusedMultiplyAdd(t, v1, c21);
                    c22 = Vector512.FusedMultiplyAdd(t, v2, c22); c23 = Vector512.FusedMultiplyAdd(t, v3, c23);
                    t = Vector512.LoadUnsafe(ref *(a3 + p));
                    c30 = Vector512.FusedMultiplyAdd(t, v0, c30); c31 = Vector512.FusedMultiplyAdd(t, v1, c31);
                    c32 = Vector512.FusedMultiplyAdd(t, v2, c32); c33 = Vector512.FusedMultiplyAdd(t, v3, c33);
                }
                s[0] = Vector512.Sum(c00); s[1] = Vector512.Sum(c01); s[2] = Vector512.Sum(c02); s[3] = Vector512.Sum(c03);
                s[4] = Vector512.Sum(c10); s[5] = Vector512.Sum(c11); s[6] = Vector512.Sum(c12); s[7] = Vector512.Sum(c13);
                s[8] = Vector512.Sum(c20); s[9] = Vector512.Sum(c21); s[10] = Vector512.Sum(c22); s[11] = Vector512.Sum(c23);
                s[12] = Vector512.Sum(c30); s[13] = Vector512.Sum(c31); s[14] = Vector512.Sum(c32); s[15] = Vector512.Sum(c33);
            }
            else if (Isa == IsaPath.V256)
            {
                Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
                Vector256<float> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
                for (; p < kv; p += 8)
                {
                    var v0 = Vector256.LoadUnsafe(ref *(b0 + p)); var v1 = Vector256.LoadUnsafe(ref *(b1 + p));
                    var v2 = Vector256.LoadUnsafe(ref *(b2 + p)); var v3 = Vector256.LoadUnsafe(ref *(b3 + p));
                    var t = Vector256.LoadUnsafe(ref *(a0 + p));
                    c00 = Vector256.FusedMultiplyAdd(t, v0, c00); c01 = Vector256.FusedMultiplyAdd(t, v1, c01);
                    c02 = Vector256.FusedMultiplyAdd(t, v2, c02); c03 = Vector256.FusedMultiplyAdd(t, v3, c03);
                    t = Vector256.LoadUnsafe(ref *(a1 + p));
                    c10 = Vector256.FusedMultiplyAdd(t, v0, c10); c11 = Vector256.FusedMultiplyAdd(t, v1, c11);
                    c12 = Vector256.FusedMultiplyAdd(t, v2, c12); c13 = Vector256.FusedMultiplyAdd(t, v3, c13);
                    t = Vector256.LoadUnsafe(ref *(a2 + p));
                    c20 = Vector256.FusedMultiplyAdd(t, v0, c20); c21 = Vector256.FusedMultiplyAdd(t, v1, c21);
                    c22 = Vector256.FusedMultiplyAdd(t, v2, c22); c23 = Vector256.FusedMultiplyAdd(t, v3, c23);
                    t = Vector256.LoadUnsafe(ref *(a3 + p));
                    c30 = Vector256.FusedMultiplyAdd(t, v0, c30); c31 = Vector256.FusedMultiplyAdd(t, v1, c31);
                    c32 = Vector256.FusedMultiplyAdd(t, v2, c32); c33 = Vector256.FusedMultiplyAdd(t, v3, c33);
                }
                s[0] = Vector256.Sum(c00); s[1] = Vector256.Sum(c01); s[2] = Vector256.Sum(c02); s[3] = Vector256.Sum(c03);
                s[4] = Vector256.Sum(c10); s[5] = Vector256.Sum(c11); s[6] = Vector256.Sum(c12); s[7] = Vector256.Sum(c13);
                s[8] = Vector256.Sum(c20); s[9] = Vector256.Sum(c21); s[10] = Vector256.Sum(c22); s[11] = Vector256.Sum(c23);
                s[12] = Vector256.Sum(c30); s[13] = Vector256.Sum(c31); s[14] = Vector256.Sum(c32); s[15] = Vector256.Sum(c33);
            }
            else
            {
                s.Clear();
            }
            // The K tail (all of K on the scalar path).
            for (; p < k; p++)
            {
                float x0 = b0[p], x1 = b1[p], x2 = b2[p], x3 = b3[p];
                float t = a0[p];
                s[0] = MathF.FusedMultiplyAdd(t, x0, s[0]); s[1] = MathF.FusedMultiplyAdd(t, x1, s[1]);
                s[2] = MathF.FusedMultiplyAdd(t, x2, s[2]); s[3] = MathF.FusedMultiplyAdd(t, x3, s[3]);
                t = a1[p];
                s[4] = MathF.FusedMultiplyAdd(t, x0, s[4]); s[5] = MathF.FusedMultiplyAdd(t, x1, s[5]);
                s[6] = MathF.FusedMultiplyAdd(t, x2, s[6]); s[7] = MathF.FusedMultiplyAdd(t, x3, s[7]);
                t = a2[p];
                s[8] = MathF.FusedMultiplyAdd(t, x0, s[8]); s[9] = MathF.FusedMultiplyAdd(t, x1, s[9]);
                s[10] = MathF.FusedMultiplyAdd(t, x2, s[10]); s[11] = MathF.FusedMultiplyAdd(t, x3, s[11]);
                t = a3[p];
                s[12] = MathF.FusedMultiplyAdd(t, x0, s[12]); s[13] = MathF.FusedMultiplyAdd(t, x1, s[13]);
                s[14] = MathF.FusedMultiplyAdd(t, x2, s[14]); s[15] = MathF.FusedMultiplyAdd(t, x3, s[15]);
            }
            for (int i = 0; i < m; i++)
                for (int q = 0; q < 4; q++) y[i * ldy + j + q] = Addend.Apply(s[i * 4 + q], i, j + q);
        }

        /// <summary>One dot product (the leftover B rows), vector body then scalar tail.</summary>
        private readonly float Dot(float* a, float* b, nint k, nint kv)
        {
            nint p = 0;
            float s = 0f;
            if (Isa == IsaPath.V512)
            {
                Vector512<float> c = default;
                for (; p < kv; p += 16) c = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref *(a + p)), Vector512.LoadUnsafe(ref *(b + p)), c);
                s = Vector512.Sum(c);
            }
            else if (Isa == IsaPath.V256)
            {
                Vector256<float> c = default;
                for (; p < kv; p += 8) c = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref *(a + p)), Vector256.LoadUnsafe(ref *(b + p)), c);
                s = Vector256.Sum(c);
            }
            for (; p < k; p++) s = MathF.FusedMultiplyAdd(a[p], b[p], s);
            return s;
        }
    }
}
