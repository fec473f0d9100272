// Generated from one template for every row count; edit bench/Onyx.Kernels.Bench/gen_gemm_kernels.py, not the copies.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Onyx.Kernels.Gemm;

/// <summary>AVX2+FMA FP32 GEMM micro-kernel: 6 rows x 16 columns, 12 ymm accumulators, 2 B vectors and one broadcast (15 of 16 ymm).</summary>
internal static unsafe class GemmKernelV256
{
    public const int MR = 6;
    public const int NR = 16;

    /// <summary>6x16 micro-kernel: C[rows x 16] (op)= alpha * A-panel * B-strip, epilogue on request. Rows = <typeparamref name="R"/> (1..6).
    /// B step k is the 16 floats at b + k*ldb: ldb = 16 for a packed strip, the row length when B is read in place (1x1 conv input).</summary>
    public static void Kernel6x16<R>(float* a, float* b, nint ldb, float* c, nint ldc, nint kc, float alpha, int flags, float* biasRow, float* biasCol, float lo, float hi, float slope) where R : struct, IRowCount
    {
        Vector256<float> c0_0 = default; Vector256<float> c0_1 = default;
        Vector256<float> c1_0 = default; Vector256<float> c1_1 = default;
        Vector256<float> c2_0 = default; Vector256<float> c2_1 = default;
        Vector256<float> c3_0 = default; Vector256<float> c3_1 = default;
        Vector256<float> c4_0 = default; Vector256<float> c4_1 = default;
        Vector256<float> c5_0 = default; Vector256<float> c5_1 = default;
        if (Sse.IsSupported && (flags & GemmFlags.Accumulate) != 0)
        {
            Sse.Prefetch0(c + 0 * ldc); Sse.Prefetch0(c + 0 * ldc + 15);
            if (R.Count > 1) { Sse.Prefetch0(c + 1 * ldc); Sse.Prefetch0(c + 1 * ldc + 15); }
            if (R.Count > 2) { Sse.Prefetch0(c + 2 * ldc); Sse.Prefetch0(c + 2 * ldc + 15); }
            if (R.Count > 3) { Sse.Prefetch0(c + 3 * ldc); Sse.Prefetch0(c + 3 * ldc + 15); }
            if (R.Count > 4) { Sse.Prefetch0(c + 4 * ldc); Sse.Prefetch0(c + 4 * ldc + 15); }
            if (R.Count > 5) { Sse.Prefetch0(c + 5 * ldc); Sse.Prefetch0(c + 5 * ldc + 15); }
        }
        nint k = 0;
        for (; k + 1 < kc; k += 2)
        {
            {
                Vector256<float> b0 = Vector256.LoadUnsafe(ref *(b + 0));
                Vector256<float> b1 = Vector256.LoadUnsafe(ref *(b + 8));
                Vector256<float> t;
                t = Vector256.Create(a[0]); c0_0 = Vector256.FusedMultiplyAdd(t, b0, c0_0); c0_1 = Vector256.FusedMultiplyAdd(t, b1, c0_1);
                if (R.Count > 1) { t = Vector256.Create(a[1]); c1_0 = Vector256.FusedMultiplyAdd(t, b0, c1_0); c1_1 = Vector256.FusedMultiplyAdd(t, b1, c1_1); }
                if (R.Count > 2) { t = Vector256.Create(a[2]); c2_0 = Vector256.FusedMultiplyAdd(t, b0, c2_0); c2_1 = Vector256.FusedMultiplyAdd(t, b1, c2_1); }
                if (R.Count > 3) { t = Vector256.Create(a[3]); c3_0 = Vector256.FusedMultiplyAdd(t, b0, c3_0); c3_1 = Vector256.FusedMultiplyAdd(t, b1, c3_1); }
                if (R.Count > 4) { t = Vector256.Create(a[4]); c4_0 = Vector256.FusedMultiplyAdd(t, b0, c4_0); c4_1 = Vector256.FusedMultiplyAdd(t, b1, c4_1); }
                if (R.Count > 5) { t = Vector256.Create(a[5]); c5_0 = Vector256.FusedMultiplyAdd(t, b0, c5_0); c5_1 = Vector256.FusedMultiplyAdd(t, b1, c5_1); }
            }
            {
                Vector256<float> b0 = Vector256.LoadUnsafe(ref *(b + ldb + 0));
                Vector256<float> b1 = Vector256.LoadUnsafe(ref *(b + ldb + 8));
                Vector256<float> t;
                if (R.Count == 1) { t = Vector256.Create(a[6]); c1_0 = Vector256.FusedMultiplyAdd(t, b0, c1_0); c1_1 = Vector256.FusedMultiplyAdd(t, b1, c1_1); } else { t = Vector256.Create(a[6]); c0_0 = Vector256.FusedMultiplyAdd(t, b0, c0_0); c0_1 = Vector256.FusedMultiplyAdd(t, b1, c0_1); }
                if (R.Count > 1) { t = Vector256.Create(a[7]); c1_0 = Vector256.FusedMultiplyAdd(t, b0, c1_0); c1_1 = Vector256.FusedMultiplyAdd(t, b1, c1_1); }
                if (R.Count > 2) { t = Vector256.Create(a[8]); c2_0 = Vector256.FusedMultiplyAdd(t, b0, c2_0); c2_1 = Vector256.FusedMultiplyAdd(t, b1, c2_1); }
                if (R.Count > 3) { t = Vector256.Create(a[9]); c3_0 = Vector256.FusedMultiplyAdd(t, b0, c3_0); c3_1 = Vector256.FusedMultiplyAdd(t, b1, c3_1); }
                if (R.Count > 4) { t = Vector256.Create(a[10]); c4_0 = Vector256.FusedMultiplyAdd(t, b0, c4_0); c4_1 = Vector256.FusedMultiplyAdd(t, b1, c4_1); }
                if (R.Count > 5) { t = Vector256.Create(a[11]); c5_0 = Vector256.FusedMultiplyAdd(t, b0, c5_0); c5_1 = Vector256.FusedMultiplyAdd(t, b1, c5_1); }
            }
            a += 12;
            b += 2 * ldb;
        }
        if (k < kc)
        {
            Vector256<float> b0 = Vector256.LoadUnsafe(ref *(b + 0));
            Vector256<float> b1 = Vector256.LoadUnsafe(ref *(b + 8));
            Vector256<float> t;
            t = Vector256.Create(a[0]); c0_0 = Vector256.FusedMultiplyAdd(t, b0, c0_0); c0_1 = Vector256.FusedMultiplyAdd(t, b1, c0_1);
            if (R.Count > 1) { t = Vector256.Create(a[1]); c1_0 = Vector256.FusedMultiplyAdd(t, b0, c1_0); c1_1 = Vector256.FusedMultiplyAdd(t, b1, c1_1); }
            if (R.Count > 2) { t = Vector256.Create(a[2]); c2_0 = Vector256.FusedMultiplyAdd(t, b0, c2_0); c2_1 = Vector256.FusedMultiplyAdd(t, b1, c2_1); }
            if (R.Count > 3) { t = Vector256.Create(a[3]); c3_0 = Vector256.FusedMultiplyAdd(t, b0, c3_0); c3_1 = Vector256.FusedMultiplyAdd(t, b1, c3_1); }
            if (R.Count > 4) { t = Vector256.Create(a[4]); c4_0 = Vector256.FusedMultiplyAdd(t, b0, c4_0); c4_1 = Vector256.FusedMultiplyAdd(t, b1, c4_1); }
            if (R.Count > 5) { t = Vector256.Create(a[5]); c5_0 = Vector256.FusedMultiplyAdd(t, b0, c5_0); c5_1 = Vector256.FusedMultiplyAdd(t, b1, c5_1); }
        }
        if (R.Count == 1) { c0_0 += c1_0; c0_1 += c1_1; }
        Vector256<float> va = Vector256.Create(alpha), vlo = Vector256.Create(lo), vhi = Vector256.Create(hi), vs = Vector256.Create(slope);
        Vector256<float> bc0 = default; Vector256<float> bc1 = default;
        if ((flags & GemmFlags.BiasCol) != 0) { bc0 = Vector256.LoadUnsafe(ref *(biasCol + 0)); bc1 = Vector256.LoadUnsafe(ref *(biasCol + 8)); }
        Store2(c + 0 * ldc, c0_0, c0_1, flags, va, biasRow, 0, bc0, bc1, vlo, vhi, vs);
        if (R.Count > 1) Store2(c + 1 * ldc, c1_0, c1_1, flags, va, biasRow, 1, bc0, bc1, vlo, vhi, vs);
        if (R.Count > 2) Store2(c + 2 * ldc, c2_0, c2_1, flags, va, biasRow, 2, bc0, bc1, vlo, vhi, vs);
        if (R.Count > 3) Store2(c + 3 * ldc, c3_0, c3_1, flags, va, biasRow, 3, bc0, bc1, vlo, vhi, vs);
        if (R.Count > 4) Store2(c + 4 * ldc, c4_0, c4_1, flags, va, biasRow, 4, bc0, bc1, vlo, vhi, vs);
        if (R.Count > 5) Store2(c + 5 * ldc, c5_0, c5_1, flags, va, biasRow, 5, bc0, bc1, vlo, vhi, vs);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2(float* c, Vector256<float> x0, Vector256<float> x1, int flags, Vector256<float> va, float* biasRow, int r, Vector256<float> bc0, Vector256<float> bc1, Vector256<float> vlo, Vector256<float> vhi, Vector256<float> vs)
    {
        x0 *= va; x1 *= va;
        if ((flags & GemmFlags.Accumulate) != 0) { x0 += Vector256.LoadUnsafe(ref *c); x1 += Vector256.LoadUnsafe(ref *(c + 8)); }
        if ((flags & GemmFlags.BiasRow) != 0) { Vector256<float> br = Vector256.Create(biasRow[r]); x0 += br; x1 += br; }
        if ((flags & GemmFlags.BiasCol) != 0) { x0 += bc0; x1 += bc1; }
        if ((flags & GemmFlags.Clamp) != 0) { x0 = Vector256.Min(Vector256.Max(x0, vlo), vhi); x1 = Vector256.Min(Vector256.Max(x1, vlo), vhi); }
        if ((flags & GemmFlags.Leaky) != 0) { x0 = Vector256.ConditionalSelect(Vector256.LessThan(x0, Vector256<float>.Zero), x0 * vs, x0); x1 = Vector256.ConditionalSelect(Vector256.LessThan(x1, Vector256<float>.Zero), x1 * vs, x1); }
        x0.StoreUnsafe(ref *c); x1.StoreUnsafe(ref *(c + 8));
    }
}
