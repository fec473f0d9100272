using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Onyx.Kernels.Threading;

namespace Onyx.Kernels.Gemm;

/// <summary>Everything one GEMM call needs, read by every thread that works on it.</summary>
internal unsafe struct GemmArgs
{
    public IsaPath Isa;
    public int MR, NR, M, N, K;
    public float Alpha, Beta;
    public float* A; public nint Lda; public bool TransA; public float* PackedA;
    public float* B; public nint Ldb; public bool TransB; public float* PackedB;
    /// <summary>B (not transposed) is read in place, row k of a strip at B + k*Ldb: no packing (1x1 conv input, few rows).</summary>
    public bool InPlaceB;
    public float* C; public nint Ldc;
    public int EpFlags; public float* Bias; public float Lo, Hi, Slope;
    /// <summary>The caller's epilogue, for the <see cref="GemmFlags.Post"/> activations applied per finished tile.</summary>
    public GemmEpilogue Act;
}

/// <summary>
/// The blocked GEMM loop nest (BLIS order: N block, K block, MR-row panels, NR-column strips),
/// packing, edges and the thread split. Micro-kernels live in GemmKernel*.
/// </summary>
internal static unsafe class GemmDriver
{
    /// <summary>
    /// Largest K block. The loop runs strip-outer / panel-inner: the KC x NR B strip is reused by every A panel.
    /// v256: 384 (measured best of 128..512 on Zen 3). v512: 1024, measured on Zen 4 (1024^3, B prepacked,
    /// thread CPU time): KC 128/192/256/384/512/1024 = 89/94/97/101/103-108/110 GFLOP/s. The strip (128 KB)
    /// overflows L1, but L2 feeds the 7 bytes/cycle the 12x32 tile needs; fewer K blocks means fewer C round trips.
    /// </summary>
    public static int KcOf(IsaPath isa) => Tune("KC", isa switch { IsaPath.V512 => 1024, IsaPath.V256 => 384, _ => 256 });
    /// <summary>Largest K block of any path (sizes the per-thread A buffer).</summary>
    public const int MaxKC = 2048;

    /// <summary>
    /// The K block for depth <paramref name="k"/>: K split into the fewest blocks of at most <see cref="KcOf"/>,
    /// all the same size (rounded up to even: the kernels step K by 2). A fixed KC leaves thin tails (K=576 at KC 512: 512 + 64; K=768:
    /// 512 + 256), each a full extra round trip of C for little work. Measured on Zen 4, B prepacked, 1 thread:
    /// 64x2304x768 104.8 -> 112.0 GFLOP/s, 64x50257x768 (GPT-2 logits) 102 -> 108 (one block instead of two).
    /// </summary>
    public static int KcFor(IsaPath isa, int k)
    {
        int max = Math.Min(KcOf(isa), MaxKC);
        if (k <= max) return Math.Max(k, 1);
        int blocks = (k + max - 1) / max;
        return Math.Min(max, ((k + blocks - 1) / blocks + 1) & ~1);
    }

    public static int MrOf(IsaPath isa) => isa switch { IsaPath.V512 => GemmKernelV512.MR, IsaPath.V256 => GemmKernelV256.MR, _ => GemmKernelScalar.MR };
    public static int NrOf(IsaPath isa) => isa switch { IsaPath.V512 => GemmKernelV512.NR, IsaPath.V256 => GemmKernelV256.NR, _ => GemmKernelScalar.NR };
    /// <summary>N block: bounds the per-thread buffer of a raw B (KC x NC floats) and, over several K blocks, the C block revisited.</summary>
    public static int NcOf(IsaPath isa) => Tune("NC", 4096);
    /// <summary>
    /// M chunk packed at once (bounds the A buffer): 16 panels, not fewer for deeper K blocks, since a second
    /// M chunk streams every B strip again (BERT's M = 128 at KC 768 would split 120 + 8), and with A prepacked
    /// (a conv filter) more chunks repack the in-place B's partial strip (960 -> 320 on a 7x7 map: 4% slower).
    /// </summary>
    public static int McOf(IsaPath isa) => Tune("MC", 16) * MrOf(isa);
    private static int Tune(string name, int dflt) => int.TryParse(Environment.GetEnvironmentVariable("ONYX_GEMM_" + name), out int v) ? v : dflt;

    /// <summary>Below this many multiply-adds a GEMM runs on one thread (handoff costs ~1 us).</summary>
    public const long ParallelThreshold = 1L << 19;

    private struct PackAScratch { }
    private struct PackBScratch { }

    // Per-thread packing buffers, grown on demand and kept for the thread's life: nothing is allocated per call.
    private static float* BufferA(nint floats) => ThreadScratch<PackAScratch>.Floats(floats);
    private static float* BufferB(nint floats) => ThreadScratch<PackBScratch>.Floats(floats);

    /// <summary>Runs the GEMM, split across <paramref name="pool"/> when it is big enough.</summary>
    public static void Run(ref GemmArgs g, IntraOpPool? pool)
    {
        if (g.M <= 0 || g.N <= 0) return;
        int threads = pool?.DegreeOfParallelism ?? 1;
        long work = (long)g.M * g.N * Math.Max(g.K, 1);
        if (threads > 1 && work >= ParallelThreshold)
        {
            // Split one side in whole tiles (MLAS 1-D split; never K): the side whose largest share is smaller,
            // e.g. 384 x 400 at 2 threads: N gives 7 and 6 strips (224 vs 176 columns), M gives 16 and 16 panels.
            int nUnits = (g.N + g.NR - 1) / g.NR, mUnits = (g.M + g.MR - 1) / g.MR;
            long nShare = (long)Math.Min(g.N, (nUnits + threads - 1) / threads * g.NR) * g.M;
            long mShare = (long)Math.Min(g.M, (mUnits + threads - 1) / threads * g.MR) * g.N;
            bool splitN = nUnits >= 2 && (nShare < mShare || (nShare == mShare && g.N >= g.M) || mUnits < 2);
            int units = splitN ? nUnits : mUnits;
            int parts = Math.Min(threads, units);
            if (parts > 1)
            {
                var body = new SplitBody { Args = (GemmArgs*)Unsafe.AsPointer(ref g), Parts = parts, Units = units, SplitN = splitN };
                pool!.Run(parts, ref body);
                return;
            }
        }
        RunRange(ref g, 0, g.M, 0, g.N);
    }

    private struct SplitBody : IParallelBody
    {
        public GemmArgs* Args;
        public int Parts, Units;
        public bool SplitN;

        public void Invoke(int index)
        {
            ref GemmArgs g = ref *Args;
            var (u0, u1) = IntraOpPool.Share(Units, index, Parts);
            if (SplitN) RunRange(ref g, 0, g.M, u0 * g.NR, Math.Min(g.N, u1 * g.NR));
            else RunRange(ref g, u0 * g.MR, Math.Min(g.M, u1 * g.MR), 0, g.N);
        }
    }

    /// <summary>C[m0..m1, n0..n1] on the calling thread. m0 is a multiple of MR and n0 of NR.</summary>
    [SkipLocalsInit]
    public static void RunRange(ref GemmArgs g, int m0, int m1, int n0, int n1)
    {
        if (m0 >= m1 || n0 >= n1) return;
        int K = g.K, MR = g.MR, NR = g.NR;
        bool accFirst = g.Beta != 0f;
        if (accFirst && g.Beta != 1f)
            for (int i = m0; i < m1; i++)
            {
                float* c = g.C + i * g.Ldc;
                for (int j = n0; j < n1; j++) c[j] *= g.Beta;
            }
        if (K == 0)
        {
            for (int i = m0; i < m1; i++)
            {
                float* c = g.C + i * g.Ldc;
                for (int j = n0; j < n1; j++)
                    c[j] = Finish(0f, accFirst ? c[j] : 0f, 1f, g.EpFlags | GemmFlags.Accumulate, g.Bias + i, g.Bias + j, 0, 0, g.Lo, g.Hi, g.Slope);
                if ((g.EpFlags & GemmFlags.Post) != 0) Activations.ApplyTile(c + n0, g.Ldc, 1, n1 - n0, g.Act, g.Isa);
            }
            return;
        }

        int KC = KcFor(g.Isa, K);
        // N block no wider than this call's columns: it sizes the B buffer (KC x NC floats per thread).
        int NC = Math.Min(NcOf(g.Isa), (n1 - n0 + NR - 1) / NR * NR), MC = McOf(g.Isa);
        float* scratch = stackalloc float[12 * 32];
        float* bufA = g.PackedA == null ? BufferA((nint)MC * KC) : null;
        float* bufB = g.PackedB == null ? BufferB((nint)KC * ((g.InPlaceB ? 0 : NC) + NR)) : null;
        float* biasRow = (g.EpFlags & GemmFlags.BiasRow) != 0 ? g.Bias : null;
        float* biasCol = (g.EpFlags & GemmFlags.BiasCol) != 0 ? g.Bias : null;
        // N edge on the vector paths: the masked-tail kernel stores straight into C, its B strip read through
        // offsets k*NR. The scratch tile's scalar finish of e.g. 17 columns x 960 rows (a 7x7 map) cost ~10% of
        // the conv. That kernel has no alpha or column bias: those GEMMs keep the scratch tile.
        bool maskedEdge = g.Alpha == 1f && biasCol == null && HasMaskedTail(g.Isa) && n1 % NR != 0;
        nint* edgeOff = stackalloc nint[maskedEdge ? Math.Min(KC, K) : 0];
        if (maskedEdge) for (int k = 0; k < Math.Min(KC, K); k++) edgeOff[k] = (nint)k * NR;

        bool aHeld = false;
        for (int jc = n0; jc < n1; jc += NC)
        {
            int nc = Math.Min(NC, n1 - jc);
            int strips = (nc + NR - 1) / NR;
            for (int pc = 0; pc < K; pc += KC)
            {
                int kc = Math.Min(KC, K - pc);
                int flags = (pc > 0 || accFirst ? GemmFlags.Accumulate : 0) | (pc + kc == K ? g.EpFlags : 0);
                float* bBase;
                nint bStride;
                if (g.InPlaceB)
                {
                    bBase = g.B + (nint)pc * g.Ldb + jc;
                    bStride = NR;
                }
                else if (g.PackedB != null)
                {
                    bBase = g.PackedB + (nint)(jc / NR) * K * NR + (nint)pc * NR;
                    bStride = (nint)K * NR;
                }
                else
                {
                    PackB(g.B, g.Ldb, g.TransB, pc, kc, jc, nc, NR, bufB, kc);
                    bBase = bufB;
                    bStride = (nint)kc * NR;
                }
                for (int ic = m0; ic < m1; ic += MC)
                {
                    int mc = Math.Min(MC, m1 - ic);
                    float* aBase;
                    nint aStride;
                    if (g.PackedA != null)
                    {
                        aBase = g.PackedA + (nint)(ic / MR) * K * MR + (nint)pc * MR;
                        aStride = (nint)K * MR;
                    }
                    else
                    {
                        // One K block and one M chunk: every N block uses the same packed A (GPT-2's logits, 13 blocks).
                        if (!aHeld) PackA(g.A, g.Lda, g.TransA, ic, mc, pc, kc, MR, bufA, kc);
                        aHeld = K <= KC && m1 - m0 <= MC;
                        aBase = bufA;
                        aStride = (nint)kc * MR;
                    }
                    int panels = (mc + MR - 1) / MR;
                    // Strip outer, panel inner (BLIS): the kc x NR B strip stays in L1 while the A panels stream from L2.
                    // B read in place: blocks of strips, panel outer within a block (see InPlaceStrips).
                    int block = g.InPlaceB ? InPlaceStrips(kc, NR) : 1;
                    for (int s0 = 0; s0 < strips; s0 += block)
                    {
                        int s1 = Math.Min(strips, s0 + block);
                        int lastCol = jc + (s1 - 1) * NR;
                        // The last, partial strip of an in-place B would read past the end of B's rows: pack it, once.
                        if (g.InPlaceB && n1 - lastCol < NR) PackB(g.B, g.Ldb, false, pc, kc, lastCol, n1 - lastCol, NR, bufB, kc);
                        for (int p = 0; p < panels; p++)
                        {
                            int row = ic + p * MR;
                            int rows = Math.Min(MR, m1 - row);
                            float* ap = aBase + p * aStride;
                            float* br = biasRow != null ? biasRow + row : null;
                            for (int s = s0; s < s1; s++)
                            {
                                int col = jc + s * NR;
                                int cols = Math.Min(NR, n1 - col);
                                float* bp = bBase + s * bStride;
                                nint bk = NR;
                                if (g.InPlaceB)
                                {
                                    if (cols == NR) bk = g.Ldb;
                                    else bp = bufB;
                                }
                                float* bc = biasCol != null ? biasCol + col : null;
                                float* c = g.C + row * g.Ldc + col;
                                if (cols == NR)
                                {
                                    Tile(g.Isa, rows, ap, bp, bk, c, g.Ldc, kc, g.Alpha, flags, br, bc, g.Lo, g.Hi, g.Slope);
                                }
                                else if (maskedEdge)
                                {
                                    IndirectTile(g.Isa, rows, ap, bp, edgeOff, c, g.Ldc, kc, cols, flags, br, g.Lo, g.Hi, g.Slope);
                                }
                                else
                                {
                                    // N edge: compute the full padded tile into scratch, then finish the valid part.
                                    Tile(g.Isa, rows, ap, bp, bk, scratch, NR, kc, 1f, 0, null, null, 0, 0, 0);
                                    for (int r = 0; r < rows; r++)
                                        for (int j = 0; j < cols; j++)
                                            c[r * g.Ldc + j] = Finish(scratch[r * NR + j], c[r * g.Ldc + j], g.Alpha, flags, br, bc, r, j, g.Lo, g.Hi, g.Slope);
                                }
                            }
                        }
                    }
                }
            }
            // Post activations (HardSwish, Sigmoid, ...) over the finished NC block while it is in L2: per tile
            // would be in L1, but a conv's C rows sit a plane apart and their lines alias into the same L1 sets.
            if ((g.EpFlags & GemmFlags.Post) != 0) Activations.ApplyTile(g.C + m0 * g.Ldc + jc, g.Ldc, m1 - m0, nc, g.Act, g.Isa);
        }
    }

    /// <summary>
    /// Strips per block when B is read in place. Within a block each A panel sweeps all the strips, so C is
    /// written as MR sequential row streams the hardware prefetches, not as M rows touched 128 bytes at a
    /// time (a 1x1 conv with K=16 and M=96 is bound by its 4.8 MB of output); the block's B (kc x NR x
    /// strips, about 128 KB) stays in L2 for every panel. Large K gives one strip: the BLIS order.
    /// <c>ONYX_GEMM_INPLACE_BLOCK</c> sets the floats per block (1 = strip outer, A/B timing).
    /// </summary>
    private static int InPlaceStrips(int kc, int nr) => Math.Max(1, InPlaceBlockFloats / (kc * nr));

    private static readonly int InPlaceBlockFloats = Tune("INPLACE_BLOCK", 32 * 1024);

    /// <summary>Whether <see cref="IndirectTile"/> runs on <paramref name="isa"/> here: its masked loads and stores need the hardware.</summary>
    public static bool HasMaskedTail(IsaPath isa) => isa switch
    {
        IsaPath.V512 => Avx512F.IsSupported,
        IsaPath.V256 => Avx2.IsSupported && Fma.IsSupported,
        _ => false,
    };

    /// <summary>
    /// C[rows x cols] (op)= A-panel * B with B step k at b + off[k] and cols &lt;= NR (masked stores), on the
    /// <see cref="GemmIndirectKernelV512"/> / <see cref="GemmIndirectKernelV256"/> tile (alpha 1, no column bias).
    /// </summary>
    public static void IndirectTile(IsaPath isa, int rows, float* a, float* b, nint* off, float* c, nint ldc, nint kc, int cols, int flags, float* br, float lo, float hi, float slope)
    {
        if (isa == IsaPath.V512)
            switch (rows)
            {
                case 12: GemmIndirectKernelV512.Kernel12x32<R12>(a, b, off, c, ldc, kc, cols, flags, br, lo, hi, slope); break;
                case 11: GemmIndirectKernelV512.Kernel12x32<R11>(a, b, off, c, ldc, kc, cols, flags, br, lo, hi, slope); break;
                case 10: GemmIndirectKernelV512.Kernel12x32<R10>(a, b, off, c, ldc, kc, cols, flags, br, lo, hi, slope); break;
                case 9: GemmIndirectKernelV512.Kernel12x32<R9>(a, b, off, c, ldc, kc, cols, flags, br, lo, hi, slope); break;
                case 8: GemmIndirectKernelV512.Kernel12x32<R8>(a, b, off, c, ldc, kc, cols, flags, br, lo, hi, slope); break;
                case 7: GemmIndirectKernelV512.Kernel12x32<R7>(a, b, off, c, ldc, kc, cols, flags, br, lo, hi, slope); break;
                case 6: GemmIndirectKernelV512.Kernel12x32<R6>(a, b, off, c, ldc, kc, cols, flags, br, lo, hi, slope); break;
                case 5: GemmIndirectKernelV512.Kernel12x32<R5>(a, b, off, c, ldc, kc, cols, flags, br, lo, hi, slope); break;
                case 4: GemmIndirectKernelV512.Kernel12x32<R4>(a, b, off, c, ldc, kc, cols, flags, br, lo, hi, slope); break;
                case 3: GemmIndirectKernelV512.Kernel12x32<R3>(a, b, off, c, ldc, kc, cols, flags, br, lo, hi, slope); break;
                case 2: GemmIndirectKernelV512.Kernel12x32<R2>(a, b, off, c, ldc, kc, cols, flags, br, lo, hi, slope); break;
                default: GemmIndirectKernelV512.Kernel12x32<R1>(a, b, off, c, ldc, kc, cols, flags, br, lo, hi, slope); break;
            }
        else
            switch (rows)
            {
                case 6: GemmIndirectKernelV256.Kernel6x16<R6>(a, b, off, c, ldc, kc, cols, flags, br, lo, hi, slope); break;
                case 5: GemmIndirectKernelV256.Kernel6x16<R5>(a, b, off, c, ldc, kc, cols, flags, br, lo, hi, slope); break;
                case 4: GemmIndirectKernelV256.Kernel6x16<R4>(a, b, off, c, ldc, kc, cols, flags, br, lo, hi, slope); break;
                case 3: GemmIndirectKernelV256.Kernel6x16<R3>(a, b, off, c, ldc, kc, cols, flags, br, lo, hi, slope); break;
                case 2: GemmIndirectKernelV256.Kernel6x16<R2>(a, b, off, c, ldc, kc, cols, flags, br, lo, hi, slope); break;
                default: GemmIndirectKernelV256.Kernel6x16<R1>(a, b, off, c, ldc, kc, cols, flags, br, lo, hi, slope); break;
            }
    }

    /// <summary>The scalar store: the same math as the vector kernels' epilogue.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Finish(float acc, float old, float alpha, int flags, float* biasRow, float* biasCol, int r, int j, float lo, float hi, float slope)
    {
        float v = acc * alpha;
        if ((flags & GemmFlags.Accumulate) != 0) v += old;
        if ((flags & GemmFlags.BiasRow) != 0) v += biasRow[r];
        if ((flags & GemmFlags.BiasCol) != 0) v += biasCol[j];
        if ((flags & GemmFlags.Clamp) != 0) v = v < lo ? lo : (v > hi ? hi : v);
        if ((flags & GemmFlags.Leaky) != 0 && v < 0f) v *= slope;
        return v;
    }

    private static void Tile(IsaPath isa, int rows, float* a, float* b, nint ldb, float* c, nint ldc, nint kc, float alpha, int flags, float* biasRow, float* biasCol, float lo, float hi, float slope)
    {
        switch (isa)
        {
            case IsaPath.V512:
                switch (rows)
                {
                    case 12: GemmKernelV512.Kernel12x32<R12>(a, b, ldb, c, ldc, kc, alpha, flags, biasRow, biasCol, lo, hi, slope); break;
                    case 11: GemmKernelV512.Kernel12x32<R11>(a, b, ldb, c, ldc, kc, alpha, flags, biasRow, biasCol, lo, hi, slope); break;
                    case 10: GemmKernelV512.Kernel12x32<R10>(a, b, ldb, c, ldc, kc, alpha, flags, biasRow, biasCol, lo, hi, slope); break;
                    case 9: GemmKernelV512.Kernel12x32<R9>(a, b, ldb, c, ldc, kc, alpha, flags, biasRow, biasCol, lo, hi, slope); break;
                    case 8: GemmKernelV512.Kernel12x32<R8>(a, b, ldb, c, ldc, kc, alpha, flags, biasRow, biasCol, lo, hi, slope); break;
                    case 7: GemmKernelV512.Kernel12x32<R7>(a, b, ldb, c, ldc, kc, alpha, flags, biasRow, biasCol, lo, hi, slope); break;
                    case 6: GemmKernelV512.Kernel12x32<R6>(a, b, ldb, c, ldc, kc, alpha, flags, biasRow, biasCol, lo, hi, slope); break;
                    case 5: GemmKernelV512.Kernel12x32<R5>(a, b, ldb, c, ldc, kc, alpha, flags, biasRow, biasCol, lo, hi, slope); break;
                    case 4: GemmKernelV512.Kernel12x32<R4>(a, b, ldb, c, ldc, kc, alpha, flags, biasRow, biasCol, lo, hi, slope); break;
                    case 3: GemmKernelV512.Kernel12x32<R3>(a, b, ldb, c, ldc, kc, alpha, flags, biasRow, biasCol, lo, hi, slope); break;
                    case 2: GemmKernelV512.Kernel12x32<R2>(a, b, ldb, c, ldc, kc, alpha, flags, biasRow, biasCol, lo, hi, slope); break;
                    default: GemmKernelV512.Kernel12x32<R1>(a, b, ldb, c, ldc, kc, alpha, flags, biasRow, biasCol, lo, hi, slope); break;
                }
                break;
            case IsaPath.V256:
                switch (rows)
                {
                    case 6: GemmKernelV256.Kernel6x16<R6>(a, b, ldb, c, ldc, kc, alpha, flags, biasRow, biasCol, lo, hi, slope); break;
                    case 5: GemmKernelV256.Kernel6x16<R5>(a, b, ldb, c, ldc, kc, alpha, flags, biasRow, biasCol, lo, hi, slope); break;
                    case 4: GemmKernelV256.Kernel6x16<R4>(a, b, ldb, c, ldc, kc, alpha, flags, biasRow, biasCol, lo, hi, slope); break;
                    case 3: GemmKernelV256.Kernel6x16<R3>(a, b, ldb, c, ldc, kc, alpha, flags, biasRow, biasCol, lo, hi, slope); break;
                    case 2: GemmKernelV256.Kernel6x16<R2>(a, b, ldb, c, ldc, kc, alpha, flags, biasRow, biasCol, lo, hi, slope); break;
                    default: GemmKernelV256.Kernel6x16<R1>(a, b, ldb, c, ldc, kc, alpha, flags, biasRow, biasCol, lo, hi, slope); break;
                }
                break;
            default:
                GemmKernelScalar.Kernel4x8(rows, a, b, ldb, c, ldc, kc, alpha, flags, biasRow, biasCol, lo, hi, slope);
                break;
        }
    }

    /// <summary>
    /// Packs rows [i0, i0+mc) x cols [p0, p0+kc) of op(A) into MR-row panels; panel q starts at
    /// dst + q*strideK*MR and holds element (r, k) at [k*MR + r]; rows past the end are zero.
    /// </summary>
    public static void PackA(float* a, nint lda, bool trans, int i0, int mc, int p0, int kc, int MR, float* dst, int strideK)
    {
        for (int q = 0; q * MR < mc; q++)
        {
            int rows = Math.Min(MR, mc - q * MR);
            float* d = dst + (nint)q * strideK * MR;
            int rowBase = i0 + q * MR;
            // k columns [0, zeroFrom) already hold zeros in the rows past the end (the vector loops write them).
            int zeroFrom = 0;
            if (!trans)
            {
                int k0 = 0;
                if (Avx512F.IsSupported && MR % 4 == 0)
                {
                    // The 4-row transposes below, 16 k at a time: every 128-bit lane of a zmm is one 4 x 4 block, so
                    // the shuffles per float halve and each row is read in whole 64-byte lines. Rows past the end
                    // (the 4 rows of 64 = 5 x 12 + 4) transpose as zeros instead of a scalar copy and fill.
                    for (; k0 + 16 <= kc; k0 += 16)
                        for (int r = 0; r < MR; r += 4)
                        {
                            float* s = a + (rowBase + r) * lda + p0 + k0;
                            Vector512<float> x0 = r < rows ? Vector512.LoadUnsafe(ref *s) : default;
                            Vector512<float> x1 = r + 1 < rows ? Vector512.LoadUnsafe(ref *(s + lda)) : default;
                            Vector512<float> x2 = r + 2 < rows ? Vector512.LoadUnsafe(ref *(s + 2 * lda)) : default;
                            Vector512<float> x3 = r + 3 < rows ? Vector512.LoadUnsafe(ref *(s + 3 * lda)) : default;
                            Vector512<float> t0 = Avx512F.UnpackLow(x0, x1), t1 = Avx512F.UnpackLow(x2, x3);
                            Vector512<float> t2 = Avx512F.UnpackHigh(x0, x1), t3 = Avx512F.UnpackHigh(x2, x3);
                            // Lane l of u_j holds rows r..r+3 at k = k0 + 4l + j.
                            Vector512<float> u0 = Avx512F.Shuffle(t0, t1, 0x44), u1 = Avx512F.Shuffle(t0, t1, 0xEE);
                            Vector512<float> u2 = Avx512F.Shuffle(t2, t3, 0x44), u3 = Avx512F.Shuffle(t2, t3, 0xEE);
                            float* o = d + k0 * MR + r;
                            StoreLanes(o, MR, u0, u1, u2, u3, 0);
                            StoreLanes(o + 4 * MR, MR, u0, u1, u2, u3, 1);
                            StoreLanes(o + 8 * MR, MR, u0, u1, u2, u3, 2);
                            StoreLanes(o + 12 * MR, MR, u0, u1, u2, u3, 3);
                        }
                }
                if (Sse.IsSupported && MR % 4 == 0)
                {
                    // 4 x 4 register transposes: 4 rows x 4 k in, 4 k x 4 rows out (3-4x the scalar copy,
                    // which cost 4% of a 128x768x768 MatMul and twice that per thread when N is split).
                    for (; k0 + 4 <= kc; k0 += 4)
                        for (int r = 0; r < MR; r += 4)
                        {
                            float* s = a + (rowBase + r) * lda + p0 + k0;
                            Vector128<float> x0 = r < rows ? Sse.LoadVector128(s) : default;
                            Vector128<float> x1 = r + 1 < rows ? Sse.LoadVector128(s + lda) : default;
                            Vector128<float> x2 = r + 2 < rows ? Sse.LoadVector128(s + 2 * lda) : default;
                            Vector128<float> x3 = r + 3 < rows ? Sse.LoadVector128(s + 3 * lda) : default;
                            Vector128<float> t0 = Sse.UnpackLow(x0, x1), t1 = Sse.UnpackLow(x2, x3);
                            Vector128<float> t2 = Sse.UnpackHigh(x0, x1), t3 = Sse.UnpackHigh(x2, x3);
                            float* o = d + k0 * MR + r;
                            Sse.Store(o, Sse.MoveLowToHigh(t0, t1));
                            Sse.Store(o + MR, Sse.MoveHighToLow(t1, t0));
                            Sse.Store(o + 2 * MR, Sse.MoveLowToHigh(t2, t3));
                            Sse.Store(o + 3 * MR, Sse.MoveHighToLow(t3, t2));
                        }
                }
                zeroFrom = k0;
                for (int r = 0; r < rows; r++)
                {
                    float* s = a + (rowBase + r) * lda + p0;
                    for (int k = k0; k < kc; k++) d[k * MR + r] = s[k];
                }
            }
            else
            {
                for (int k = 0; k < kc; k++)
                {
                    float* s = a + (p0 + k) * lda + rowBase;
                    if (rows == MR) Unsafe.CopyBlockUnaligned(d + k * MR, s, (uint)(MR * sizeof(float)));
                    else for (int r = 0; r < rows; r++) d[k * MR + r] = s[r];
                }
            }
            if (rows < MR)
                for (int k = zeroFrom; k < kc; k++)
                    for (int r = rows; r < MR; r++) d[k * MR + r] = 0f;
        }
    }

    /// <summary>Stores 128-bit lane <paramref name="lane"/> of u0..u3 to o, o + mr, o + 2mr, o + 3mr (k steps of a packed A panel).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLanes(float* o, int mr, Vector512<float> u0, Vector512<float> u1, Vector512<float> u2, Vector512<float> u3, [ConstantExpected(Max = (byte)3)] byte lane)
    {
        Avx512F.ExtractVector128(u0, lane).StoreUnsafe(ref *o);
        Avx512F.ExtractVector128(u1, lane).StoreUnsafe(ref *(o + mr));
        Avx512F.ExtractVector128(u2, lane).StoreUnsafe(ref *(o + 2 * mr));
        Avx512F.ExtractVector128(u3, lane).StoreUnsafe(ref *(o + 3 * mr));
    }

    /// <summary>
    /// Packs rows [p0, p0+kc) x cols [j0, j0+nc) of op(B) into NR-column strips; strip s starts at
    /// dst + s*strideK*NR and holds element (k, j) at [k*NR + j]; columns past the end are zero.
    /// </summary>
    public static void PackB(float* b, nint ldb, bool trans, int p0, int kc, int j0, int nc, int NR, float* dst, int strideK)
    {
        // A transposed B's column j is a contiguous row of b, so an NR-column strip is exactly an NR-row panel of
        // an untransposed A: the vector transposes of PackA serve it (attention's Q·Kᵀ packs K this way per head).
        if (trans)
        {
            PackA(b, ldb, false, j0, nc, p0, kc, NR, dst, strideK);
            return;
        }
        for (int s = 0; s * NR < nc; s++)
        {
            int cols = Math.Min(NR, nc - s * NR);
            float* d = dst + (nint)s * strideK * NR;
            int colBase = j0 + s * NR;
            for (int k = 0; k < kc; k++)
            {
                float* src = b + (p0 + k) * ldb + colBase;
                float* dk = d + k * NR;
                if (cols == NR) Unsafe.CopyBlockUnaligned(dk, src, (uint)(NR * sizeof(float)));
                else
                {
                    for (int j = 0; j < cols; j++) dk[j] = src[j];
                    for (int j = cols; j < NR; j++) dk[j] = 0f;
                }
            }
        }
    }
}
