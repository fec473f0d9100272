using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Onyx.Kernels.Gemm;

/// <summary>
/// Packing for the int8 GEMM. Both operands are stored as (value - zero point) widened to int16 in
/// k pairs, so one vpmaddwd multiplies two k steps exactly: u8/s8 minus a u8/s8 zero point lies in
/// [-255, 255] and a pair of products stays far inside int32. Subtracting the zero points here
/// (instead of MLAS's row/column-sum correction) makes padding plain zeros and lets every
/// u8/s8 combination share one kernel. K is rounded up to an even count with zeros.
/// </summary>
internal static unsafe class Int8Packing
{
    public static int MrOf(IsaPath isa) => isa switch { IsaPath.V512 => Int8GemmKernelV512.MR, IsaPath.V256 => Int8GemmKernelV256.MR, _ => Int8GemmKernelScalar.MR };
    public static int NrOf(IsaPath isa) => isa switch { IsaPath.V512 => Int8GemmKernelV512.NR, IsaPath.V256 => Int8GemmKernelV256.NR, _ => Int8GemmKernelScalar.NR };

    /// <summary>Shorts needed for an A operand of m rows (panels of MR) or a B operand of n columns (strips of NR).</summary>
    public static nint Size(int rowsOrCols, int k, int unit) => (nint)((rowsOrCols + unit - 1) / unit) * unit * ((k + 1) & ~1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Load(byte* p, bool signed) => signed ? *(sbyte*)p : *p;

    /// <summary>
    /// Packs op(A) (m x k; element (i, kk) at src[i*ld + kk], or src[kk*ld + i] when <paramref name="trans"/>)
    /// into MR-row panels: panel q holds (i, kk) at [q*Kp*MR + (kk/2)*2*MR + 2*(i%MR) + kk%2]; zp has 1 or m entries.
    /// </summary>
    public static void PackA(byte* src, bool signed, int m, int k, nint ld, bool trans, int* zp, int zpCount, int MR, short* dst)
    {
        int kp2 = (k + 1) & ~1;
        for (int q = 0; q * MR < m; q++)
        {
            short* d = dst + (nint)q * kp2 * MR;
            for (int r = 0; r < MR; r++)
            {
                int i = q * MR + r;
                if (i >= m)
                {
                    for (int kk = 0; kk < kp2; kk++) d[(kk >> 1) * 2 * MR + 2 * r + (kk & 1)] = 0;
                    continue;
                }
                int z = zp == null ? 0 : zp[zpCount == 1 ? 0 : i];
                short* dr = d + 2 * r;
                if (!trans)
                {
                    byte* s = src + i * ld;
                    int kk = 0;
                    for (; kk + 1 < k; kk += 2, dr += 2 * MR)
                    {
                        dr[0] = (short)(Load(s + kk, signed) - z);
                        dr[1] = (short)(Load(s + kk + 1, signed) - z);
                    }
                    if (kk < k) { dr[0] = (short)(Load(s + kk, signed) - z); dr[1] = 0; }
                }
                else
                {
                    for (int kk = 0; kk < k; kk++) dr[(kk >> 1) * 2 * MR + (kk & 1)] = (short)(Load(src + kk * ld + i, signed) - z);
                    if ((k & 1) != 0) dr[(k >> 1) * 2 * MR + 1] = 0;
                }
            }
        }
    }

    /// <summary>
    /// Packs op(B) (k x n; element (kk, j) at src[kk*ld + j], or src[j*ld + kk] when <paramref name="trans"/>)
    /// into NR-column strips: strip s holds (kk, j) at [s*Kp*NR + (kk/2)*2*NR + 2*(j%NR) + kk%2]; zp has 1 or n entries.
    /// </summary>
    public static void PackB(byte* src, bool signed, int k, int n, nint ld, bool trans, int* zp, int zpCount, int NR, short* dst)
    {
        int kp2 = (k + 1) & ~1;
        for (int s = 0; s * NR < n; s++)
        {
            short* d = dst + (nint)s * kp2 * NR;
            int col = s * NR, cols = Math.Min(NR, n - col);
            if (!trans && cols == 32 && NR == 32 && Avx512BW.IsSupported && (zp == null || zpCount == 1))
            {
                PackStripV512(src + col, signed, k, ld, zp == null ? 0 : zp[0], d);
                continue;
            }
            for (int j = 0; j < NR; j++)
            {
                short* dj = d + 2 * j;
                if (j >= cols)
                {
                    for (int kk = 0; kk < kp2; kk++) dj[(kk >> 1) * 2 * NR + (kk & 1)] = 0;
                    continue;
                }
                int z = zp == null ? 0 : zp[zpCount == 1 ? 0 : col + j];
                if (trans)
                    for (int kk = 0; kk < k; kk++) dj[(kk >> 1) * 2 * NR + (kk & 1)] = (short)(Load(src + (col + j) * ld + kk, signed) - z);
                else
                    for (int kk = 0; kk < k; kk++) dj[(kk >> 1) * 2 * NR + (kk & 1)] = (short)(Load(src + kk * ld + col + j, signed) - z);
                if ((k & 1) != 0) dj[(k >> 1) * 2 * NR + 1] = 0;
            }
        }
    }

    /// <summary>One full 32-column strip of row-major B: widen two k rows, subtract the zero point, interleave (vpermt2w).</summary>
    private static void PackStripV512(byte* src, bool signed, int k, nint ld, int zp, short* d)
    {
        Vector512<short> vz = Vector512.Create((short)zp);
        // Word interleave of two 32-lane rows: lo takes lanes 0..15 of each, hi lanes 16..31.
        Vector512<short> idxLo = Vector512.Create(0, 32, 1, 33, 2, 34, 3, 35, 4, 36, 5, 37, 6, 38, 7, 39, 8, 40, 9, 41, 10, 42, 11, 43, 12, 44, 13, 45, 14, 46, 15, 47);
        Vector512<short> idxHi = idxLo + Vector512.Create((short)16);
        int kk = 0;
        for (; kk < k; kk += 2, d += 64)
        {
            Vector512<short> r0 = Widen(src + kk * ld, signed) - vz;
            Vector512<short> r1 = kk + 1 < k ? Widen(src + (kk + 1) * ld, signed) - vz : Vector512<short>.Zero;
            Avx512BW.PermuteVar32x16x2(r0, idxLo, r1).StoreUnsafe(ref *d);
            Avx512BW.PermuteVar32x16x2(r0, idxHi, r1).StoreUnsafe(ref *(d + 32));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Widen(byte* p, bool signed) => signed
        ? Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref *((sbyte*)p)))
        : Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref *p)).AsInt16();
}
