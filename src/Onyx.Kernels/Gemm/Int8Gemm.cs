using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Onyx.Kernels.Threading;

namespace Onyx.Kernels.Gemm;

/// <summary>
/// Integer GEMM for the quantized ops: C[M x N] (int32) = Σ_k (A[i,k] - za[i]) · (B[k,j] - zb[j]),
/// A and B uint8 or int8 (any mix), zero points per tensor or per row of A / column of B. Exact
/// (int32 accumulation, as ONNX and ORT). Either operand may come prepacked
/// (<see cref="Int8PackedMatrix"/>); a raw operand is packed per call into a per-thread buffer.
/// </summary>
/// <remarks>
/// .NET 10 exposes no AVX512-VNNI (vpdpbusd) on Zen 4 (see PERFORMANCE.md §5), and u8s8 vpmaddubsw
/// saturates int16 unless weights fit in 7 bits, so the vector kernels run vpmaddwd on int16 pairs:
/// exact for every u8/s8 input. The AvxVnni / Avx10v1 path can replace the kernel body when the
/// runtime exposes it, the packing (k groups) staying the caller-invisible detail it is now.
/// </remarks>
public static unsafe class Int8Gemm
{
    /// <summary>Below this many multiply-adds a GEMM runs on one thread.</summary>
    public const long ParallelThreshold = 1L << 19;

    /// <summary>K block in k pairs: a 128-pair x 32-column B strip is 16 KB, half of L1.</summary>
    private const int KcPairs = 128;
    /// <summary>Rows of A per block (bounds the A working set to ~L2).</summary>
    private const int McPanels = 32;

    [ThreadStatic] private static short* t_bufA;
    [ThreadStatic] private static nint t_bufALen;
    [ThreadStatic] private static short* t_bufB;
    [ThreadStatic] private static nint t_bufBLen;

    internal static IsaPath Resolve(IsaPath? isa)
    {
        IsaPath p = isa ?? KernelIsa.Current;
        return KernelIsa.IsSupported(p) ? p : KernelIsa.Best;
    }

    private static short* Buffer(ref short* buf, ref nint len, nint shorts)
    {
        // Grown on demand and kept for the thread's life: steady-state runs allocate nothing.
        if (len < shorts)
        {
            if (buf != null) NativeMemory.AlignedFree(buf);
            buf = (short*)NativeMemory.AlignedAlloc((nuint)shorts * sizeof(short), 64);
            len = shorts;
        }
        return buf;
    }

    /// <summary>Both operands prepacked (same ISA); C row-major with leading dimension <paramref name="ldc"/>.</summary>
    public static void Multiply(Int8PackedMatrix a, Int8PackedMatrix b, int* c, int ldc, IntraOpPool? pool = null)
    {
        if (!a.IsA || b.IsA || a.K != b.K || a.Isa != b.Isa) throw new ArgumentException("need an A and a B operand packed with the same K and ISA");
        Run(a.Isa, a.Data, b.Data, a.Extent, b.Extent, a.K, c, ldc, pool);
        GC.KeepAlive(a); GC.KeepAlive(b);
    }

    /// <summary>A raw (m x b.K, see <see cref="Int8PackedMatrix.PackA"/>), B prepacked.</summary>
    public static void Multiply(byte* a, bool aSigned, nint lda, bool transA, int m, ReadOnlySpan<int> aZeroPoints, Int8PackedMatrix b, int* c, int ldc, IntraOpPool? pool = null)
    {
        if (b.IsA) throw new ArgumentException("b must be a B operand");
        int MR = Int8Packing.MrOf(b.Isa);
        short* pa = Buffer(ref t_bufA, ref t_bufALen, Int8Packing.Size(m, b.K, MR));
        fixed (int* z = aZeroPoints) Int8Packing.PackA(a, aSigned, m, b.K, lda, transA, z, aZeroPoints.Length, MR, pa);
        Run(b.Isa, pa, b.Data, m, b.Extent, b.K, c, ldc, pool);
        GC.KeepAlive(b);
    }

    /// <summary>A prepacked (a conv filter), B raw (b.K... k x n, see <see cref="Int8PackedMatrix.PackB"/>).</summary>
    public static void Multiply(Int8PackedMatrix a, byte* b, bool bSigned, nint ldb, bool transB, int n, ReadOnlySpan<int> bZeroPoints, int* c, int ldc, IntraOpPool? pool = null)
    {
        if (!a.IsA) throw new ArgumentException("a must be an A operand");
        int NR = Int8Packing.NrOf(a.Isa);
        short* pb = Buffer(ref t_bufB, ref t_bufBLen, Int8Packing.Size(n, a.K, NR));
        fixed (int* z = bZeroPoints) PackBParallel(b, bSigned, a.K, n, ldb, transB, z, bZeroPoints.Length, NR, pb, pool);
        Run(a.Isa, a.Data, pb, a.Extent, n, a.K, c, ldc, pool);
        GC.KeepAlive(a);
    }

    /// <summary>Both operands raw: A m x k, B k x n (row-major unless transposed).</summary>
    public static void Multiply(byte* a, bool aSigned, nint lda, bool transA, ReadOnlySpan<int> aZeroPoints,
        byte* b, bool bSigned, nint ldb, bool transB, ReadOnlySpan<int> bZeroPoints,
        int m, int n, int k, int* c, int ldc, IntraOpPool? pool = null, IsaPath? isa = null)
    {
        IsaPath p = Resolve(isa);
        int MR = Int8Packing.MrOf(p), NR = Int8Packing.NrOf(p);
        short* pa = Buffer(ref t_bufA, ref t_bufALen, Int8Packing.Size(m, k, MR));
        short* pb = Buffer(ref t_bufB, ref t_bufBLen, Int8Packing.Size(n, k, NR));
        fixed (int* za = aZeroPoints) Int8Packing.PackA(a, aSigned, m, k, lda, transA, za, aZeroPoints.Length, MR, pa);
        fixed (int* zb = bZeroPoints) Int8Packing.PackB(b, bSigned, k, n, ldb, transB, zb, bZeroPoints.Length, NR, pb);
        Run(p, pa, pb, m, n, k, c, ldc, pool);
    }

    /// <summary>Packs B (conv im2col columns: the per-call operand) split by strips across the pool when it is large.</summary>
    private static void PackBParallel(byte* b, bool signed, int k, int n, nint ldb, bool trans, int* z, int zCount, int NR, short* dst, IntraOpPool? pool)
    {
        int strips = (n + NR - 1) / NR;
        int parts = pool is null ? 1 : Math.Min(pool.DegreeOfParallelism, strips);
        if (parts < 2 || (long)k * n < ParallelThreshold / 8)
        {
            Int8Packing.PackB(b, signed, k, n, ldb, trans, z, zCount, NR, dst);
            return;
        }
        var body = new PackBody { B = b, Signed = signed, K = k, N = n, Ldb = ldb, Trans = trans, Z = z, ZCount = zCount, NR = NR, Dst = dst, Strips = strips, Parts = parts };
        pool!.Run(parts, ref body);
    }

    private struct PackBody : IParallelBody
    {
        public byte* B;
        public bool Signed, Trans;
        public int K, N, ZCount, NR, Strips, Parts;
        public nint Ldb;
        public int* Z;
        public short* Dst;

        public void Invoke(int index)
        {
            var (s0, s1) = IntraOpPool.Share(Strips, index, Parts);
            int j0 = s0 * NR, j1 = Math.Min(N, s1 * NR);
            if (j0 >= j1) return;
            // A column range of B is itself a B operand: shift the source, the zero points and the destination strips.
            byte* src = Trans ? B + j0 * Ldb : B + j0;
            int* z = Z == null || ZCount == 1 ? Z : Z + j0;
            Int8Packing.PackB(src, Signed, K, j1 - j0, Ldb, Trans, z, ZCount == 1 ? 1 : j1 - j0, NR, Dst + (nint)s0 * ((K + 1) & ~1) * NR);
        }
    }

    private struct Args
    {
        public IsaPath Isa;
        public int MR, NR, M, N, Kp;
        public short* A, B;
        public int* C;
        public nint Ldc;
    }

    private static void Run(IsaPath isa, short* a, short* b, int m, int n, int k, int* c, int ldc, IntraOpPool? pool)
    {
        if (m <= 0 || n <= 0) return;
        var g = new Args { Isa = isa, MR = Int8Packing.MrOf(isa), NR = Int8Packing.NrOf(isa), M = m, N = n, Kp = (k + 1) >> 1, A = a, B = b, C = c, Ldc = ldc };
        if (k == 0)
        {
            for (int i = 0; i < m; i++) new Span<int>(c + (nint)i * ldc, n).Clear();
            return;
        }
        int threads = pool?.DegreeOfParallelism ?? 1;
        if (threads > 1 && (long)m * n * k >= ParallelThreshold)
        {
            // Split the longer side in whole tiles (MLAS 1-D split); never split K.
            int nUnits = (n + g.NR - 1) / g.NR, mUnits = (m + g.MR - 1) / g.MR;
            bool splitN = n >= m ? nUnits >= 2 : mUnits < 2;
            int units = splitN ? nUnits : mUnits;
            int parts = Math.Min(threads, units);
            if (parts > 1)
            {
                var body = new SplitBody { G = &g, Parts = parts, Units = units, SplitN = splitN };
                pool!.Run(parts, ref body);
                return;
            }
        }
        RunRange(ref g, 0, m, 0, n);
    }

    private struct SplitBody : IParallelBody
    {
        public Args* G;
        public int Parts, Units;
        public bool SplitN;

        public void Invoke(int index)
        {
            ref Args g = ref *G;
            var (u0, u1) = IntraOpPool.Share(Units, index, Parts);
            if (SplitN) RunRange(ref g, 0, g.M, u0 * g.NR, Math.Min(g.N, u1 * g.NR));
            else RunRange(ref g, u0 * g.MR, Math.Min(g.M, u1 * g.MR), 0, g.N);
        }
    }

    /// <summary>C[m0..m1, n0..n1]; m0 is a multiple of MR and n0 of NR.</summary>
    [SkipLocalsInit]
    private static void RunRange(ref Args g, int m0, int m1, int n0, int n1)
    {
        int MR = g.MR, NR = g.NR, Kp = g.Kp;
        int* scratch = stackalloc int[12 * 32];
        nint aPanel = (nint)Kp * 2 * MR, bStrip = (nint)Kp * 2 * NR;
        int MC = McPanels * MR;
        for (int pc = 0; pc < Kp; pc += KcPairs)
        {
            int kc = Math.Min(KcPairs, Kp - pc);
            bool acc = pc > 0;
            for (int ic = m0; ic < m1; ic += MC)
            {
                int icEnd = Math.Min(m1, ic + MC);
                // Strip outer, panel inner (BLIS): the kc x NR B strip stays in L1 while A panels stream from L2.
                for (int col = n0; col < n1; col += NR)
                {
                    int cols = Math.Min(NR, n1 - col);
                    short* bp = g.B + (col / NR) * bStrip + (nint)pc * 2 * NR;
                    for (int row = ic; row < icEnd; row += MR)
                    {
                        int rows = Math.Min(MR, icEnd - row);
                        short* ap = g.A + (row / MR) * aPanel + (nint)pc * 2 * MR;
                        int* c = g.C + row * g.Ldc + col;
                        if (cols == NR) Tile(g.Isa, rows, ap, bp, c, g.Ldc, kc, acc);
                        else
                        {
                            // N edge: the padded strip computes into scratch, then the valid columns land in C.
                            Tile(g.Isa, rows, ap, bp, scratch, NR, kc, false);
                            for (int r = 0; r < rows; r++)
                                for (int j = 0; j < cols; j++)
                                    c[r * g.Ldc + j] = acc ? c[r * g.Ldc + j] + scratch[r * NR + j] : scratch[r * NR + j];
                        }
                    }
                }
            }
        }
    }

    private static void Tile(IsaPath isa, int rows, short* a, short* b, int* c, nint ldc, nint kp, bool acc)
    {
        switch (isa)
        {
            case IsaPath.V512:
                switch (rows)
                {
                    case 12: Int8GemmKernelV512.Kernel<R12>(a, b, c, ldc, kp, acc); break;
                    case 11: Int8GemmKernelV512.Kernel<R11>(a, b, c, ldc, kp, acc); break;
                    case 10: Int8GemmKernelV512.Kernel<R10>(a, b, c, ldc, kp, acc); break;
                    case 9: Int8GemmKernelV512.Kernel<R9>(a, b, c, ldc, kp, acc); break;
                    case 8: Int8GemmKernelV512.Kernel<R8>(a, b, c, ldc, kp, acc); break;
                    case 7: Int8GemmKernelV512.Kernel<R7>(a, b, c, ldc, kp, acc); break;
                    case 6: Int8GemmKernelV512.Kernel<R6>(a, b, c, ldc, kp, acc); break;
                    case 5: Int8GemmKernelV512.Kernel<R5>(a, b, c, ldc, kp, acc); break;
                    case 4: Int8GemmKernelV512.Kernel<R4>(a, b, c, ldc, kp, acc); break;
                    case 3: Int8GemmKernelV512.Kernel<R3>(a, b, c, ldc, kp, acc); break;
                    case 2: Int8GemmKernelV512.Kernel<R2>(a, b, c, ldc, kp, acc); break;
                    default: Int8GemmKernelV512.Kernel<R1>(a, b, c, ldc, kp, acc); break;
                }
                break;
            case IsaPath.V256:
                switch (rows)
                {
                    case 6: Int8GemmKernelV256.Kernel<R6>(a, b, c, ldc, kp, acc); break;
                    case 5: Int8GemmKernelV256.Kernel<R5>(a, b, c, ldc, kp, acc); break;
                    case 4: Int8GemmKernelV256.Kernel<R4>(a, b, c, ldc, kp, acc); break;
                    case 3: Int8GemmKernelV256.Kernel<R3>(a, b, c, ldc, kp, acc); break;
                    case 2: Int8GemmKernelV256.Kernel<R2>(a, b, c, ldc, kp, acc); break;
                    default: Int8GemmKernelV256.Kernel<R1>(a, b, c, ldc, kp, acc); break;
                }
                break;
            default:
                Int8GemmKernelScalar.Kernel(rows, a, b, c, ldc, kp, acc);
                break;
        }
    }
}
