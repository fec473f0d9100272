using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Onyx.Kernels.Conv;
using Onyx.Kernels.Elementwise;
using Onyx.Kernels.Threading;

namespace Onyx.Kernels.Attention;

/// <summary>
/// One attention head, Y = softmax(scale·Q·Kᵀ + bias)·V, without the general GEMM: for transformer heads
/// (D around 64, L in the hundreds) the packed SGemm spends most of a 64x64x64 product packing and padding
/// (26-55 GFLOP/s). Here K is transposed once per head into an L1/L2-resident [D, L16] panel (16x16 AVX-512
/// transposes), then four query rows at a time go through scores (4 rows x 64 keys = 16 accumulators,
/// Q rows broadcast straight from their strided rows), mask and exp (rows in L1, left unnormalised) and P·V
/// (4 rows x 64 value columns, V rows read in place, 1/Σ applied in the store). AVX-512 only: other paths use
/// the packed GEMM (see <see cref="IsSupported"/>). Measured (Kernels.Bench attn, 12 heads of 64, 1 thread):
/// S = L = 64 176 -> 140 us, S = L = 128 610 -> 528 us; 2 threads 90 -> 71 and 307 -> 265 us.
/// </summary>
public static unsafe class SmallHeadAttention
{
    /// <summary>Query rows per step: 4 rows x 4 vectors = 16 accumulators, FMA-bound on Zen 4.</summary>
    private const int Rows = 4;

    private struct ScratchTag;

    /// <summary>True when <paramref name="isa"/> selects this kernel's AVX-512 path and the CPU runs it.</summary>
    public static bool IsSupported(IsaPath isa) =>
        isa >= IsaPath.V512 && KernelIsa.IsSupported(IsaPath.V512) && Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>
    /// Y[s, dv] = softmax(scale·Q·Kᵀ + mask)·V for one head: Q [s, d] rows <paramref name="ldq"/> apart, K [l, d],
    /// V [l, dv], Y [s, dv] likewise; the bias of (row i, key j) is mask[i·maskRow + j·maskCol] (null: none).
    /// With <paramref name="zeroMaskedRows"/> a row whose scores are all −∞ gives zeros instead of NaN.
    /// Requires <see cref="IsSupported"/>(V512) and l ≥ 1; uses this thread's scratch (no allocation in steady state).
    /// </summary>
    public static void Head(float* q, nint ldq, float* k, nint ldk, float* v, nint ldv, float* y, nint ldy,
        int s, int l, int d, int dv, float scale, float* mask, nint maskRow, nint maskCol, bool zeroMaskedRows)
    {
        if (!IsSupported(IsaPath.V512)) throw new PlatformNotSupportedException("SmallHeadAttention needs AVX-512");
        if (l <= 0) throw new ArgumentOutOfRangeException(nameof(l), "at least one key");
        nint lp = (l + 15) & ~15;
        float* kt = ThreadScratch<ScratchTag>.Floats(((nint)d + Rows) * lp);
        float* p = kt + (nint)d * lp;
        TransposeKeys(k, ldk, l, d, kt, lp);
        for (int r0 = 0; r0 < s; r0 += Rows)
        {
            int mr = Math.Min(Rows, s - r0);
            // Rows past the end alias the last real row: computed, never stored.
            float* q0 = q + r0 * ldq;
            float* q1 = q + (r0 + Math.Min(1, mr - 1)) * ldq, q2 = q + (r0 + Math.Min(2, mr - 1)) * ldq, q3 = q + (r0 + Math.Min(3, mr - 1)) * ldq;
            nint c = 0;
            for (; c + 64 <= lp; c += 64) Block4x64(q0, q1, q2, q3, kt + c, lp, d, p + c, lp, 4, Vector512.Create(scale));
            for (; c < lp; c += 16) Scores4x16(q0, q1, q2, q3, kt + c, lp, d, scale, p + c, lp);
            // Unnormalised probabilities; the P·V store multiplies by 1/Σ (Dv values a row instead of L).
            Vector512<float> inv = default;
            for (int i = 0; i < mr; i++)
                inv = inv.WithElement(i, ExpRow(p + i * lp, l, mask == null ? null : mask + (r0 + i) * maskRow, maskCol, zeroMaskedRows));
            float* p1 = p + Math.Min(1, mr - 1) * lp, p2 = p + Math.Min(2, mr - 1) * lp, p3 = p + Math.Min(3, mr - 1) * lp;
            float* yr = y + r0 * ldy;
            int j = 0;
            for (; j + 64 <= dv; j += 64) Block4x64(p, p1, p2, p3, v + j, ldv, l, yr + j, ldy, mr, inv);
            for (; j < dv; j += 16)
            {
                var lanes = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(Math.Min(16, dv - j))).AsSingle();
                Values4x16(p, p1, p2, p3, v + j, ldv, l, yr + j, ldy, mr, inv, lanes);
            }
        }
    }

    /// <summary>kt[c, j] = k[j, c] for c &lt; d, j &lt; l; columns l..lp are zero (their scores are computed and ignored).</summary>
    private static void TransposeKeys(float* k, nint ldk, int l, int d, float* kt, nint lp)
    {
        int lf = l & ~15, df = d & ~15;
        for (int j = 0; j < lf; j += 16)
            for (int c = 0; c < df; c += 16)
                WinogradTiles.Transpose16(k + j * ldk + c, ldk, kt + c * lp + j, lp);
        // Edges: the D tail for full key blocks, then the last partial key block (zero padded).
        for (int j = 0; j < lf; j++)
            for (int c = df; c < d; c++) kt[c * lp + j] = k[j * ldk + c];
        for (int c = 0; c < d; c++)
            for (int j = lf; j < lp; j++) kt[c * lp + j] = j < l ? k[j * ldk + c] : 0f;
    }

    /// <summary>
    /// row[j] = exp(row[j] + bias[j·stride] − max) for j &lt; l in place, in one pass for the max and one for
    /// exp and Σ (the row is in L1); returns 1/Σ. A row whose scores are all −∞ becomes zeros when
    /// <paramref name="zeroMaskedRows"/> (ONNX Attention); otherwise such a row is not finite, as in the unfused softmax.
    /// </summary>
    private static float ExpRow(float* row, int l, float* bias, nint stride, bool zeroMaskedRows)
    {
        var ninf = Vector512.Create(float.NegativeInfinity);
        var tail = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(l & 15)).AsSingle();
        int full = l & ~15;
        var max = ninf;
        if (bias == null)
        {
            for (int j = 0; j < full; j += 16) max = Vector512.Max(max, Vector512.LoadUnsafe(ref *(row + j)));
            if (full < l) max = Vector512.Max(max, Avx512F.MaskLoad(row + full, tail, ninf));
        }
        else
        {
            // The bias lands in the row on the max pass: the exp pass then reads one operand.
            var bs = Vector512.Create(bias[0]);
            for (int j = 0; j < full; j += 16)
            {
                var x = Vector512.LoadUnsafe(ref *(row + j)) + (stride == 0 ? bs : Vector512.LoadUnsafe(ref *(bias + j)));
                x.StoreUnsafe(ref *(row + j));
                max = Vector512.Max(max, x);
            }
            if (full < l)
            {
                var x = Avx512F.MaskLoad(row + full, tail, ninf) + (stride == 0 ? bs : Avx512F.MaskLoad(bias + full, tail, Vector512<float>.Zero));
                Avx512F.MaskStore(row + full, tail, x);
                max = Vector512.Max(max, x);
            }
        }
        float m = HorizontalMax(max);
        if (zeroMaskedRows && float.IsNegativeInfinity(m))
        {
            new Span<float>(row, l).Clear();
            return 0f;
        }
        var vm = Vector512.Create(m);
        var sum = Vector512<float>.Zero;
        for (int j = 0; j < full; j += 16)
        {
            var e = VMath.ExpF(Vector512.LoadUnsafe(ref *(row + j)) - vm);
            e.StoreUnsafe(ref *(row + j));
            sum += e;
        }
        if (full < l)
        {
            // Lanes past l are zeroed, not exp'd: the clamp inside Exp would give ~1e-38 for them.
            var e = Vector512.ConditionalSelect(tail, VMath.ExpF(Avx512F.MaskLoad(row + full, tail, vm) - vm), Vector512<float>.Zero);
            Avx512F.MaskStore(row + full, tail, e);
            sum += e;
        }
        return 1f / Vector512.Sum(sum);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float HorizontalMax(Vector512<float> v)
    {
        var h = Vector256.Max(v.GetLower(), v.GetUpper());
        var g = Vector128.Max(h.GetLower(), h.GetUpper());
        g = Vector128.Max(g, Vector128.Shuffle(g, Vector128.Create(2, 3, 0, 1)));
        g = Vector128.Max(g, Vector128.Shuffle(g, Vector128.Create(1, 0, 3, 2)));
        return g.ToScalar();
    }

    /// <summary>The 16-key remainder of <see cref="Block4x64"/>.</summary>
    private static void Scores4x16(float* q0, float* q1, float* q2, float* q3, float* kt, nint ldkt, int d, float scale, float* p, nint ldp)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int c = 0; c < d; c++)
        {
            var b = Vector512.LoadUnsafe(ref *(kt + c * ldkt));
            a0 = Vector512.FusedMultiplyAdd(Vector512.Create(q0[c]), b, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Create(q1[c]), b, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Create(q2[c]), b, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Create(q3[c]), b, a3);
        }
        var f = Vector512.Create(scale);
        (a0 * f).StoreUnsafe(ref *p); (a1 * f).StoreUnsafe(ref *(p + ldp)); (a2 * f).StoreUnsafe(ref *(p + 2 * ldp)); (a3 * f).StoreUnsafe(ref *(p + 3 * ldp));
    }

    /// <summary>
    /// y_i[0..64) = inv_i · Σ_j p_i[j] · v[j, 0..64) for the first <paramref name="mr"/> of four rows: the scores
    /// (rows of Q, v = Kᵀ, inv = scale) and the values (probability rows, v = V, inv = 1/row sum) alike.
    /// </summary>
    private static void Block4x64(float* p0, float* p1, float* p2, float* p3, float* v, nint ldv, int l, float* y, nint ldy, int mr, Vector512<float> inv)
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a30 = default, a31 = default, a32 = default, a33 = default;
        for (int j = 0; j < l; j++)
        {
            float* b = v + j * ldv;
            Vector512<float> b0 = Vector512.LoadUnsafe(ref *b), b1 = Vector512.LoadUnsafe(ref *(b + 16)), b2 = Vector512.LoadUnsafe(ref *(b + 32)), b3 = Vector512.LoadUnsafe(ref *(b + 48));
            var x = Vector512.Create(p0[j]);
            a00 = Vector512.FusedMultiplyAdd(x, b0, a00); a01 = Vector512.FusedMultiplyAdd(x, b1, a01); a02 = Vector512.FusedMultiplyAdd(x, b2, a02); a03 = Vector512.FusedMultiplyAdd(x, b3, a03);
            x = Vector512.Create(p1[j]);
            a10 = Vector512.FusedMultiplyAdd(x, b0, a10); a11 = Vector512.FusedMultiplyAdd(x, b1, a11); a12 = Vector512.FusedMultiplyAdd(x, b2, a12); a13 = Vector512.FusedMultiplyAdd(x, b3, a13);
            x = Vector512.Create(p2[j]);
            a20 = Vector512.FusedMultiplyAdd(x, b0, a20); a21 = Vector512.FusedMultiplyAdd(x, b1, a21); a22 = Vector512.FusedMultiplyAdd(x, b2, a22); a23 = Vector512.FusedMultiplyAdd(x, b3, a23);
            x = Vector512.Create(p3[j]);
            a30 = Vector512.FusedMultiplyAdd(x, b0, a30); a31 = Vector512.FusedMultiplyAdd(x, b1, a31); a32 = Vector512.FusedMultiplyAdd(x, b2, a32); a33 = Vector512.FusedMultiplyAdd(x, b3, a33);
        }
        var f = Vector512.Create(inv.GetElement(0));
        (a00 * f).StoreUnsafe(ref *y); (a01 * f).StoreUnsafe(ref *(y + 16)); (a02 * f).StoreUnsafe(ref *(y + 32)); (a03 * f).StoreUnsafe(ref *(y + 48));
        if (mr < 2) return;
        y += ldy;
        f = Vector512.Create(inv.GetElement(1));
        (a10 * f).StoreUnsafe(ref *y); (a11 * f).StoreUnsafe(ref *(y + 16)); (a12 * f).StoreUnsafe(ref *(y + 32)); (a13 * f).StoreUnsafe(ref *(y + 48));
        if (mr < 3) return;
        y += ldy;
        f = Vector512.Create(inv.GetElement(2));
        (a20 * f).StoreUnsafe(ref *y); (a21 * f).StoreUnsafe(ref *(y + 16)); (a22 * f).StoreUnsafe(ref *(y + 32)); (a23 * f).StoreUnsafe(ref *(y + 48));
        if (mr < 4) return;
        y += ldy;
        f = Vector512.Create(inv.GetElement(3));
        (a30 * f).StoreUnsafe(ref *y); (a31 * f).StoreUnsafe(ref *(y + 16)); (a32 * f).StoreUnsafe(ref *(y + 32)); (a33 * f).StoreUnsafe(ref *(y + 48));
    }

    /// <summary>
    /// The 16-column remainder of <see cref="Block4x64"/>: loads and stores under <paramref name="lanes"/>
    /// (masked-off lanes are neither read, so the last V row never reads past its end, nor written).
    /// </summary>
    private static void Values4x16(float* p0, float* p1, float* p2, float* p3, float* v, nint ldv, int l, float* y, nint ldy, int mr, Vector512<float> inv, Vector512<float> lanes)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int j = 0; j < l; j++)
        {
            var b = Avx512F.MaskLoad(v + j * ldv, lanes, Vector512<float>.Zero);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Create(p0[j]), b, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Create(p1[j]), b, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Create(p2[j]), b, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Create(p3[j]), b, a3);
        }
        Avx512F.MaskStore(y, lanes, a0 * Vector512.Create(inv.GetElement(0)));
        if (mr > 1) Avx512F.MaskStore(y + ldy, lanes, a1 * Vector512.Create(inv.GetElement(1)));
        if (mr > 2) Avx512F.MaskStore(y + 2 * ldy, lanes, a2 * Vector512.Create(inv.GetElement(2)));
        if (mr > 3) Avx512F.MaskStore(y + 3 * ldy, lanes, a3 * Vector512.Create(inv.GetElement(3)));
    }
}
