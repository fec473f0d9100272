using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Onyx.Kernels.Gemm;

namespace Onyx.Kernels.Conv;

/// <summary>
/// The small-map path's store: y[m, p] = act(ct[p, m] + bias[m] (+ y[m, p])), ct being the transposed
/// GEMM's [positions x channels] result and y the NCHW output plane [channels x positions].
/// </summary>
internal static unsafe class SmallMapStore
{
    /// <summary>
    /// Runs the AVX-512 block transpose when the CPU has it and channels are whole vectors, else the scalar loop.
    /// <paramref name="ldy"/>: y's row stride when the call stores only some of a plane's positions (a thread's share); 0 = positions.
    /// <paramref name="ldct"/>: ct's row stride when the call stores only some channels (a thread's share); 0 = channels.
    /// </summary>
    public static void Run(float* ct, int positions, int channels, float* y, float* bias, in GemmEpilogue act, bool accumulate, int ldy = 0, int ldct = 0)
    {
        if (ldy == 0) ldy = positions;
        if (ldct == 0) ldct = channels;
        if (Avx512F.IsSupported && channels % 16 == 0) Vector(ct, ldct, positions, channels, y, ldy, bias, act, accumulate);
        else Scalar(ct, ldct, positions, channels, y, ldy, bias, act, accumulate);
    }

    /// <summary>The whole-map store: ct rows are <paramref name="channels"/> apart, y rows <paramref name="positions"/>.</summary>
    public static void Scalar(float* ct, int positions, int channels, float* y, float* bias, in GemmEpilogue act, bool accumulate) =>
        Scalar(ct, channels, positions, channels, y, positions, bias, act, accumulate);

    /// <summary>The whole-map store: ct rows are <paramref name="channels"/> apart, y rows <paramref name="positions"/>.</summary>
    public static void Vector(float* ct, int positions, int channels, float* y, float* bias, in GemmEpilogue act, bool accumulate) =>
        Vector(ct, channels, positions, channels, y, positions, bias, act, accumulate);

    /// <summary>
    /// The reference, on a block: y[m * ldy + p] for p &lt; <paramref name="positions"/>, m &lt; <paramref name="channels"/>
    /// from ct[p * ldct + m]; 16 x 16 blocks so both sides stay in L1, activation applied after.
    /// </summary>
    public static void Scalar(float* ct, nint ldct, int positions, int channels, float* y, nint ldy, float* bias, in GemmEpilogue act, bool accumulate)
    {
        for (int m0 = 0; m0 < channels; m0 += 16)
        {
            int m1 = Math.Min(channels, m0 + 16);
            for (int p0 = 0; p0 < positions; p0 += 16)
            {
                int p1 = Math.Min(positions, p0 + 16);
                for (int m = m0; m < m1; m++)
                {
                    float b = bias == null ? 0f : bias[m];
                    float* yr = y + (nint)m * ldy;
                    if (accumulate)
                        for (int p = p0; p < p1; p++) yr[p] += ct[(nint)p * ldct + m] + b;
                    else
                        for (int p = p0; p < p1; p++) yr[p] = ct[(nint)p * ldct + m] + b;
                }
            }
        }
        if (act.Activation != FusedActivation.None)
            for (int m = 0; m < channels; m++) Activations.Apply(new Span<float>(y + (nint)m * ldy, positions), act);
    }

    /// <summary>
    /// 16 x 16 blocks transposed in registers (four vpermt2ps butterfly stages, each swapping one bit of
    /// the row index with the same bit of the column index), then bias, residual and activation on whole
    /// y rows, the last block of positions under a lane mask. Needs channels % 16 == 0. Layouts as in the block
    /// <see cref="Scalar(float*, nint, int, int, float*, nint, float*, in GemmEpilogue, bool)"/>.
    /// </summary>
    public static void Vector(float* ct, nint ldct, int positions, int channels, float* y, nint ldy, float* bias, in GemmEpilogue act, bool accumulate)
    {
        bool leaky = act.Activation == FusedActivation.LeakyRelu, post = act.HasPost;
        var vlo = Vector512.Create(act.Lo);
        var vhi = Vector512.Create(act.Hi);
        var va = Vector512.Create(act.Alpha);
        Vector512<int> lane = Vector512<int>.Indices;
        // Stage d: row a (bit d clear) takes a[c] where c has bit d clear, b[c - d] where set; row b = a + d
        // takes a[c + d] where clear, b[c] where set (indices >= 16 pick the second operand).
        Vector512<int> i1A = IndexLow(lane, 1), i1B = IndexHigh(lane, 1), i2A = IndexLow(lane, 2), i2B = IndexHigh(lane, 2);
        Vector512<int> i4A = IndexLow(lane, 4), i4B = IndexHigh(lane, 4), i8A = IndexLow(lane, 8), i8B = IndexHigh(lane, 8);
        Span<Vector512<float>> r = stackalloc Vector512<float>[16];
        for (int p0 = 0; p0 < positions; p0 += 16)
        {
            int rows = Math.Min(16, positions - p0);
            var mask = Vector512.LessThan(lane, Vector512.Create(rows)).AsSingle();
            for (int m0 = 0; m0 < channels; m0 += 16)
            {
                // Rows past the last position read as zero (ct holds exactly positions rows).
                for (int i = 0; i < 16; i++)
                    r[i] = i < rows ? Vector512.LoadUnsafe(ref *(ct + (nint)(p0 + i) * ldct + m0)) : Vector512<float>.Zero;
                Stage(r, 1, i1A, i1B);
                Stage(r, 2, i2A, i2B);
                Stage(r, 4, i4A, i4B);
                Stage(r, 8, i8A, i8B);
                for (int j = 0; j < 16; j++)
                {
                    float* yr = y + (nint)(m0 + j) * ldy + p0;
                    var v = r[j];
                    if (bias != null) v += Vector512.Create(bias[m0 + j]);
                    if (accumulate) v += Avx512F.MaskLoad(yr, mask, Vector512<float>.Zero);
                    // vmaxps/vminps with v second pass NaN through, as the scalar activation does.
                    v = leaky ? Vector512.ConditionalSelect(Vector512.LessThan(v, Vector512<float>.Zero), v * va, v) : Avx512F.Min(vhi, Avx512F.Max(vlo, v));
                    if (post) v = Activations.Post(v, act);
                    if (rows == 16) v.StoreUnsafe(ref *yr);
                    else Avx512F.MaskStore(yr, mask, v);
                }
            }
        }
    }

    private static Vector512<int> IndexLow(Vector512<int> c, int d) =>
        Vector512.ConditionalSelect(Vector512.Equals(c & Vector512.Create(d), Vector512<int>.Zero), c, c + Vector512.Create(16 - d));

    private static Vector512<int> IndexHigh(Vector512<int> c, int d) =>
        Vector512.ConditionalSelect(Vector512.Equals(c & Vector512.Create(d), Vector512<int>.Zero), c + Vector512.Create(d), c + Vector512.Create(16));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Stage(Span<Vector512<float>> r, int d, Vector512<int> idxA, Vector512<int> idxB)
    {
        for (int a = 0; a < 16; a++)
        {
            if ((a & d) != 0) continue;
            Vector512<float> x = r[a], z = r[a + d];
            r[a] = Avx512F.PermuteVar16x32x2(x, idxA, z);
            r[a + d] = Avx512F.PermuteVar16x32x2(x, idxB, z);
        }
    }
}
