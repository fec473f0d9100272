// Generated from one template for every row count; edit bench/Onyx.Kernels.Bench/gen_gemm_kernels.py, not the copies.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Onyx.Kernels.Gemm;

/// <summary>AVX-512 FP32 GEMM micro-kernel: 12 rows x 32 columns, 24 zmm accumulators, 2 B vectors and one broadcast (MLAS's AVX-512 tile).</summary>
internal static unsafe class GemmKernelV512
{
    public const int MR = 12;
    public const int NR = 32;

    /// <summary>12x32 micro-kernel: C[rows x 32] (op)= alpha * A-panel * B-strip, epilogue on request. Rows = <typeparamref name="R"/> (1..12).
    /// B step k is the 32 floats at b + k*ldb: ldb = 32 for a packed strip, the row length when B is read in place (1x1 conv input).</summary>
    public static void Kernel12x32<R>(float* a, float* b, nint ldb, float* c, nint ldc, nint kc, float alpha, int flags, float* biasRow, float* biasCol, float lo, float hi, float slope) where R : struct, IRowCount
    {
        Vector512<float> c0_0 = default; Vector512<float> c0_1 = default;
        Vector512<float> c1_0 = default; Vector512<float> c1_1 = default;
        Vector512<float> c2_0 = default; Vector512<float> c2_1 = default;
        Vector512<float> c3_0 = default; Vector512<float> c3_1 = default;
        Vector512<float> c4_0 = default; Vector512<float> c4_1 = default;
        Vector512<float> c5_0 = default; Vector512<float> c5_1 = default;
        Vector512<float> c6_0 = default; Vector512<float> c6_1 = default;
        Vector512<float> c7_0 = default; Vector512<float> c7_1 = default;
        Vector512<float> c8_0 = default; Vector512<float> c8_1 = default;
        Vector512<float> c9_0 = default; Vector512<float> c9_1 = default;
        Vector512<float> c10_0 = default; Vector512<float> c10_1 = default;
        Vector512<float> c11_0 = default; Vector512<float> c11_1 = default;
        if (Sse.IsSupported && (flags & GemmFlags.Accumulate) != 0)
        {
            Sse.Prefetch0(c + 0 * ldc); Sse.Prefetch0(c + 0 * ldc + 31);
            if (R.Count > 1) { Sse.Prefetch0(c + 1 * ldc); Sse.Prefetch0(c + 1 * ldc + 31); }
            if (R.Count > 2) { Sse.Prefetch0(c + 2 * ldc); Sse.Prefetch0(c + 2 * ldc + 31); }
            if (R.Count > 3) { Sse.Prefetch0(c + 3 * ldc); Sse.Prefetch0(c + 3 * ldc + 31); }
            if (R.Count > 4) { Sse.Prefetch0(c + 4 * ldc); Sse.Prefetch0(c + 4 * ldc + 31); }
            if (R.Count > 5) { Sse.Prefetch0(c + 5 * ldc); Sse.Prefetch0(c + 5 * ldc + 31); }
            if (R.Count > 6) { Sse.Prefetch0(c + 6 * ldc); Sse.Prefetch0(c + 6 * ldc + 31); }
            if (R.Count > 7) { Sse.Prefetch0(c + 7 * ldc); Sse.Prefetch0(c + 7 * ldc + 31); }
            if (R.Count > 8) { Sse.Prefetch0(c + 8 * ldc); Sse.Prefetch0(c + 8 * ldc + 31); }
            if (R.Count > 9) { Sse.Prefetch0(c + 9 * ldc); Sse.Prefetch0(c + 9 * ldc + 31); }
            if (R.Count > 10) { Sse.Prefetch0(c + 10 * ldc); Sse.Prefetch0(c + 10 * ldc + 31); }
            if (R.Count > 11) { Sse.Prefetch0(c + 11 * ldc); Sse.Prefetch0(c + 11 * ldc + 31); }
        }
        nint k = 0;
        for (; k + 1 < kc; k += 2)
        {
            {
                Vector512<float> b0 = Vector512.LoadUnsafe(ref *(b + 0));
                Vector512<float> b1 = Vector512.LoadUnsafe(ref *(b + 16));
                Vector512<float> t;
                t = Vector512.Create(a[0]); c0_0 = Vector512.FusedMultiplyAdd(t, b0, c0_0); c0_1 = Vector512.FusedMultiplyAdd(t, b1, c0_1);
                if (R.Count > 1) { t = Vector512.Create(a[1]); c1_0 = Vector512.FusedMultiplyAdd(t, b0, c1_0); c1_1 = Vector512.FusedMultiplyAdd(t, b1, c1_1); }
                if (R.Count > 2) { t = Vector512.Create(a[2]); c2_0 = Vector512.FusedMultiplyAdd(t, b0, c2_0); c2_1 = Vector512.FusedMultiplyAdd(t, b1, c2_1); }
                if (R.Count > 3) { t = Vector512.Create(a[3]); c3_0 = Vector512.FusedMultiplyAdd(t, b0, c3_0); c3_1 = Vector512.FusedMultiplyAdd(t, b1, c3_1); }
                if (R.Count > 4) { t = Vector512.Create(a[4]); c4_0 = Vector512.FusedMultiplyAdd(t, b0, c4_0); c4_1 = Vector512.FusedMultiplyAdd(t, b1, c4_1); }
                if (R.Count > 5) { t = Vector512.Create(a[5]); c5_0 = Vector512.FusedMultiplyAdd(t, b0, c5_0); c5_1 = Vector512.FusedMultiplyAdd(t, b1, c5_1); }
                if (R.Count > 6) { t = Vector512.Create(a[6]); c6_0 = Vector512.FusedMultiplyAdd(t, b0, c6_0); c6_1 = Vector512.FusedMultiplyAdd(t, b1, c6_1); }
                if (R.Count > 7) { t = Vector512.Create(a[7]); c7_0 = Vector512.FusedMultiplyAdd(t, b0, c7_0); c7_1 = Vector512.FusedMultiplyAdd(t, b1, c7_1); }
                if (R.Count > 8) { t = Vector512.Create(a[8]); c8_0 = Vector512.FusedMultiplyAdd(t, b0, c8_0); c8_1 = Vector512.FusedMultiplyAdd(t, b1, c8_1); }
                if (R.Count > 9) { t = Vector512.Create(a[9]); c9_0 = Vector512.FusedMultiplyAdd(t, b0, c9_0); c9_1 = Vector512.FusedMultiplyAdd(t, b1, c9_1); }
                if (R.Count > 10) { t = Vector512.Create(a[10]); c10_0 = Vector512.FusedMultiplyAdd(t, b0, c10_0); c10_1 = Vector512.FusedMultiplyAdd(t, b1, c10_1); }
                if (R.Count > 11) { t = Vector512.Create(a[11]); c11_0 = Vector512.FusedMultiplyAdd(t, b0, c11_0); c11_1 = Vector512.FusedMultiplyAdd(t, b1, c11_1); }
            }
            {
                Vector512<float> b0 = Vector512.LoadUnsafe(ref *(b + ldb + 0));
                Vector512<float> b1 = Vector512.LoadUnsafe(ref *(b + ldb + 16));
                Vector512<float> t;
                if (R.Count == 1) { t = Vector512.Create(a[12]); c1_0 = Vector512.FusedMultiplyAdd(t, b0, c1_0); c1_1 = Vector512.FusedMultiplyAdd(t, b1, c1_1); } else { t = Vector512.Create(a[12]); c0_0 = Vector512.FusedMultiplyAdd(t, b0, c0_0); c0_1 = Vector512.FusedMultiplyAdd(t, b1, c0_1); }
                if (R.Count > 1) { t = Vector512.Create(a[13]); c1_0 = Vector512.FusedMultiplyAdd(t, b0, c1_0); c1_1 = Vector512.FusedMultiplyAdd(t, b1, c1_1); }
                if (R.Count > 2) { t = Vector512.Create(a[14]); c2_0 = Vector512.FusedMultiplyAdd(t, b0, c2_0); c2_1 = Vector512.FusedMultiplyAdd(t, b1, c2_1); }
                if (R.Count > 3) { t = Vector512.Create(a[15]); c3_0 = Vector512.FusedMultiplyAdd(t, b0, c3_0); c3_1 = Vector512.FusedMultiplyAdd(t, b1, c3_1); }
                if (R.Count > 4) { t = Vector512.Create(a[16]); c4_0 = Vector512.FusedMultiplyAdd(t, b0, c4_0); c4_1 = Vector512.FusedMultiplyAdd(t, b1, c4_1); }
                if (R.Count > 5) { t = Vector512.Create(a[17]); c5_0 = Vector512.FusedMultiplyAdd(t, b0, c5_0); c5_1 = Vector512.FusedMultiplyAdd(t, b1, c5_1); }
                if (R.Count > 6) { t = Vector512.Create(a[18]); c6_0 = Vector512.FusedMultiplyAdd(t, b0, c6_0); c6_1 = Vector512.FusedMultiplyAdd(t, b1, c6_1); }
                if (R.Count > 7) { t = Vector512.Create(a[19]); c7_0 = Vector512.FusedMultiplyAdd(t, b0, c7_0); c7_1 = Vector512.FusedMultiplyAdd(t, b1, c7_1); }
                if (R.Count > 8) { t = Vector512.Create(a[20]); c8_0 = Vector512.FusedMultiplyAdd(t, b0, c8_0); c8_1 = Vector512.FusedMultiplyAdd(t, b1, c8_1); }
                if (R.Count > 9) { t = Vector512.Create(a[21]); c9_0 = Vector512.FusedMultiplyAdd(t, b0, c9_0); c9_1 = Vector512.FusedMultiplyAdd(t, b1, c9_1); }
                if (R.Count > 10) { t = Vector512.Create(a[22]); c10_0 = Vector512.FusedMultiplyAdd(t, b0, c10_0); c10_1 = Vector512.FusedMultiplyAdd(t, b1, c10_1); }
                if (R.Count > 11) { t = Vector512.Create(a[23]); c11_0 = Vector512.FusedMultiplyAdd(t, b0, c11_0); c11_1 = Vector512.FusedMultiplyAdd(t, b1, c11_1); }
            }
            a += 24;
            b += 2 * ldb;
        }
        if (k < kc)
        {
            Vector512<float> b0 = Vector512.LoadUnsafe(ref *(b + 0));
            Vector512<float> b1 = Vector512.LoadUnsafe(ref *(b + 16));
            Vector512<float> t;
            t = Vector512.Create(a[0]); c0_0 = Vector512.FusedMultiplyAdd(t, b0, c0_0); c0_1 = Vector512.FusedMultiplyAdd(t, b1, c0_1);
            if (R.Count > 1) { t = Vector512.Create(a[1]); c1_0 = Vector512.FusedMultiplyAdd(t, b0, c1_0); c1_1 = Vector512.FusedMultiplyAdd(t, b1, c1_1); }
            if (R.Count > 2) { t = Vector512.Create(a[2]); c2_0 = Vector512.FusedMultiplyAdd(t, b0, c2_0); c2_1 = Vector512.FusedMultiplyAdd(t, b1, c2_1); }
            if (R.Count > 3) { t = Vector512.Create(a[3]); c3_0 = Vector512.FusedMultiplyAdd(t, b0, c3_0); c3_1 = Vector512.FusedMultiplyAdd(t, b1, c3_1); }
            if (R.Count > 4) { t = Vector512.Create(a[4]); c4_0 = Vector512.FusedMultiplyAdd(t, b0, c4_0); c4_1 = Vector512.FusedMultiplyAdd(t, b1, c4_1); }
            if (R.Count > 5) { t = Vector512.Create(a[5]); c5_0 = Vector512.FusedMultiplyAdd(t, b0, c5_0); c5_1 = Vector512.FusedMultiplyAdd(t, b1, c5_1); }
            if (R.Count > 6) { t = Vector512.Create(a[6]); c6_0 = Vector512.FusedMultiplyAdd(t, b0, c6_0); c6_1 = Vector512.FusedMultiplyAdd(t, b1, c6_1); }
            if (R.Count > 7) { t = Vector512.Create(a[7]); c7_0 = Vector512.FusedMultiplyAdd(t, b0, c7_0); c7_1 = Vector512.FusedMultiplyAdd(t, b1, c7_1); }
            if (R.Count > 8) { t = Vector512.Create(a[8]); c8_0 = Vector512.FusedMultiplyAdd(t, b0, c8_0); c8_1 = Vector512.FusedMultiplyAdd(t, b1, c8_1); }
            if (R.Count > 9) { t = Vector512.Create(a[9]); c9_0 = Vector512.FusedMultiplyAdd(t, b0, c9_0); c9_1 = Vector512.FusedMultiplyAdd(t, b1, c9_1); }
            if (R.Count > 10) { t = Vector512.Create(a[10]); c10_0 = Vector512.FusedMultiplyAdd(t, b0, c10_0); c10_1 = Vector512.FusedMultiplyAdd(t, b1, c10_1); }
            if (R.Count > 11) { t = Vector512.Create(a[11]); c11_0 = Vector512.FusedMultiplyAdd(t, b0, c11_0); c11_1 = Vector512.FusedMultiplyAdd(t, b1, c11_1); }
        }
        if (R.Count == 1) { c0_0 += c1_0; c0_1 += c1_1; }
        Vector512<float> va = Vector512.Create(alpha), vlo = Vector512.Create(lo), vhi = Vector512.Create(hi), vs = Vector512.Create(slope);
        Vector512<float> bc0 = default; Vector512<float> bc1 = default;
        if ((flags & GemmFlags.BiasCol) != 0) { bc0 = Vector512.LoadUnsafe(ref *(biasCol + 0)); bc1 = Vector512.LoadUnsafe(ref *(biasCol + 16)); }
        Store2(c + 0 * ldc, c0_0, c0_1, flags, va, biasRow, 0, bc0, bc1, vlo, vhi, vs);
        if (R.Count > 1) Store2(c + 1 * ldc, c1_0, c1_1, flags, va, biasRow, 1, bc0, bc1, vlo, vhi, vs);
        if (R.Count > 2) Store2(c + 2 * ldc, c2_0, c2_1, flags, va, biasRow, 2, bc0, bc1, vlo, vhi, vs);
        if (R.Count > 3) Store2(c + 3 * ldc, c3_0, c3_1, flags, va, biasRow, 3, bc0, bc1, vlo, vhi, vs);
        if (R.Count > 4) Store2(c + 4 * ldc, c4_0, c4_1, flags, va, biasRow, 4, bc0, bc1, vlo, vhi, vs);
        if (R.Count > 5) Store2(c + 5 * ldc, c5_0, c5_1, flags, va, biasRow, 5, bc0, bc1, vlo, vhi, vs);
        if (R.Count > 6) Store2(c + 6 * ldc, c6_0, c6_1, flags, va, biasRow, 6, bc0, bc1, vlo, vhi, vs);
        if (R.Count > 7) Store2(c + 7 * ldc, c7_0, c7_1, flags, va, biasRow, 7, bc0, bc1, vlo, vhi, vs);
        if (R.Count > 8) Store2(c + 8 * ldc, c8_0, c8_1, flags, va, biasRow, 8, bc0, bc1, vlo, vhi, vs);
        if (R.Count > 9) Store2(c + 9 * ldc, c9_0, c9_1, flags, va, biasRow, 9, bc0, bc1, vlo, vhi, vs);
        if (R.Count > 10) Store2(c + 10 * ldc, c10_0, c10_1, flags, va, biasRow, 10, bc0, bc1, vlo, vhi, vs);
        if (R.Count > 11) Store2(c + 11 * ldc, c11_0, c11_1, flags, va, biasRow, 11, bc0, bc1, vlo, vhi, vs);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2(float* c, Vector512<float> x0, Vector512<float> x1, int flags, Vector512<float> va, float* biasRow, int r, Vector512<float> bc0, Vector512<float> bc1, Vector512<float> vlo, Vector512<float> vhi, Vector512<float> vs)
    {
        x0 *= va; x1 *= va;
        if ((flags & GemmFlags.Accumulate) != 0) { x0 += Vector512.LoadUnsafe(ref *c); x1 += Vector512.LoadUnsafe(ref *(c + 16)); }
        if ((flags & GemmFlags.BiasRow) != 0) { Vector512<float> br = Vector512.Create(biasRow[r]); x0 += br; x1 += br; }
        if ((flags & GemmFlags.BiasCol) != 0) { x0 += bc0; x1 += bc1; }
        if ((flags & GemmFlags.Clamp) != 0) { x0 = Vector512.Min(Vector512.Max(x0, vlo), vhi); x1 = Vector512.Min(Vector512.Max(x1, vlo), vhi); }
        if ((flags & GemmFlags.Leaky) != 0) { x0 = Vector512.ConditionalSelect(Vector512.LessThan(x0, Vector512<float>.Zero), x0 * vs, x0); x1 = Vector512.ConditionalSelect(Vector512.LessThan(x1, Vector512<float>.Zero), x1 * vs, x1); }
        x0.StoreUnsafe(ref *c); x1.StoreUnsafe(ref *(c + 16));
    }
}
