using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Onyx.Kernels.Gemm;
using Onyx.Kernels.Threading;

namespace Onyx.Kernels.Conv;

/// <summary>
/// Depthwise FP32 convolution over NCHW planes (1-D or 2-D; any filter size, stride, dilation and
/// pads): y[n, c] = act(conv(x[n, c], w[c]) + bias[c] (+ y[n, c] when accumulating)).
/// On AVX-512, 3x3 (stride 1 or 2) and 5x5 (stride 1) filters with pads of at most one (two for 5x5)
/// column read each plane in place (<see cref="DepthwiseDirect"/>, <see cref="DepthwiseDirect5"/>; planes at most
/// 8 wide two per vector, <see cref="DepthwiseNarrow"/>). Every other shape, and the V256/scalar paths: per plane,
/// pad and split the input into stride phases (<see cref="DepthwisePhases"/>), run one bounds-check-free SIMD
/// sweep over the flattened output grid (<see cref="DepthwiseSweep"/>), then store the valid columns with bias,
/// residual and activation fused. Threads take contiguous, equal runs of planes; small layers stay on one thread.
/// </summary>
public static unsafe class DepthwiseConvF32
{
    /// <summary>
    /// Multiply-adds below which splitting across threads costs more than it saves (~10 us on one thread; a
    /// handoff is ~1 us). Was 2^18: MobileNetV2's 576-channel stride-2 layer (254K) then ran on one thread at
    /// 0.7x, reading an input the threads had just written half each into their own caches.
    /// </summary>
    internal const long ParallelThreshold = 1L << 17;

    /// <summary>
    /// Runs the convolution; <paramref name="w"/> is [C, KH, KW] (C = g.OutChannels), <paramref name="bias"/>
    /// length C or null. With <paramref name="accumulate"/>, y already holds a residual that is added before
    /// the activation. Pointers are borrowed for the call.
    /// </summary>
    public static void Forward(in ConvGeometry g, float* x, float* y, float* w, float* bias, in GemmEpilogue act,
        IntraOpPool? pool, bool accumulate, IsaPath isa)
    {
        int planes = g.Batch * g.OutChannels;
        if (planes == 0 || g.OutSize == 0) return;
        long work = (long)planes * g.OutSize * g.KH * g.KW;
        int parts = pool is null || work < ParallelThreshold ? 1 : Math.Min(pool.DegreeOfParallelism, planes);
        var body = new Body { G = g, X = x, Y = y, W = w, Bias = bias, Act = act, Parts = parts, Accumulate = accumulate, Isa = isa };
        if (parts > 1) pool!.Run(parts, ref body);
        else body.Invoke(0);
    }

    private struct Body : IParallelBody
    {
        public ConvGeometry G;
        public float* X, Y, W, Bias;
        public GemmEpilogue Act;
        public int Parts;
        public bool Accumulate;
        public IsaPath Isa;

        public void Invoke(int index)
        {
            int planes = G.Batch * G.OutChannels;
            var (p0, p1) = IntraOpPool.Share(planes, index, Parts);
            if (Isa >= IsaPath.V512 && Avx512F.IsSupported && (DepthwiseDirect.Supports(G) || DepthwiseDirect5.Supports(G)))
            {
                Direct(p0, p1);
                return;
            }
            var ph = new DepthwisePhases(G);
            int taps = G.KH * G.KW, rowLen = ph.Wq * G.SW + 16;
            float* area = Scratch((nint)ph.Area + rowLen + ph.Flat + 16 + taps);
            float* row = area + ph.Area, outb = row + rowLen;
            int* off = (int*)(outb + ph.Flat + 16);
            for (int kh = 0, t = 0; kh < G.KH; kh++)
                for (int kw = 0; kw < G.KW; kw++) off[t++] = ph.Offset(G, kh, kw);
            ph.ClearSlack(area, G);
            // Row-wise only pays for 3x3 (its taps stay in registers); wider filters keep the flat
            // sweep's four-vector blocking (measured: 5x5 is ~10% faster flat, 3x3 up to 20% faster row-wise).
            // The post activations (HardSwish, Sigmoid, ...) run over each finished plane, not in the stores.
            GemmEpilogue inner = Act.HasPost ? GemmEpilogue.None : Act;
            bool rows = taps == 9 && Isa >= IsaPath.V512 && Avx512F.IsSupported && DepthwiseRows.Pays(G.OH, G.OW, ph.Flat);
            for (int p = p0; p < p1; p++)
            {
                int c = p % G.OutChannels;
                ph.Fill(G, X + (nint)p * G.InSize, area, row, Isa);
                if (rows)
                {
                    DepthwiseRows.Run(G, area, off, W + (nint)c * taps, taps, ph.Wq, Y + (nint)p * G.OutSize, Bias == null ? 0f : Bias[c], inner, Accumulate);
                }
                else
                {
                    DepthwiseSweep.Run(area, off, W + (nint)c * taps, taps, outb, ph.Flat, taps == 9, Isa);
                    Store(G, outb, ph.Wq, Y + (nint)p * G.OutSize, Bias == null ? 0f : Bias[c], inner, Accumulate, Isa);
                }
                // HardSwish, Sigmoid, ...: over the plane just stored, still in cache.
                if (Act.HasPost) Activations.ApplyTile(Y + (nint)p * G.OutSize, G.OutSize, 1, G.OutSize, Act, Isa);
            }
        }

        /// <summary>Planes [p0, p1) through <see cref="DepthwiseDirect"/>, which reads x in place.</summary>
        private readonly void Direct(int p0, int p1)
        {
            int n = DepthwiseDirect.ZeroFloats(G);
            float* zero = ZeroScratch(n);
            new Span<float>(zero, n).Clear();
            zero += DepthwiseDirect.ZeroMargin;
            // The direct stores apply Relu/Clip/LeakyRelu; a post activation (HardSwish, ...) runs over this
            // thread's finished planes, still in cache.
            GemmEpilogue inner = Act.WithoutPost;
            if (DepthwiseNarrow.Supports(G))
            {
                DepthwiseNarrow.Run(G, p0, p1, X, zero, W, Bias, Y, inner, Accumulate);
            }
            else
            {
                for (int p = p0; p < p1; p++)
                {
                    int c = p % G.OutChannels;
                    var ep = new DepthwiseEpilogue(Bias == null ? 0f : Bias[c], inner, Accumulate);
                    if (G.KW == 5) DepthwiseDirect5.Plane(G, X + (nint)p * G.InSize, zero, W + (nint)c * 25, Y + (nint)p * G.OutSize, ep);
                    else DepthwiseDirect.Plane(G, X + (nint)p * G.InSize, zero, W + (nint)c * 9, Y + (nint)p * G.OutSize, ep);
                }
            }
            if (Act.HasPost) Activations.ApplyTile(Y + (nint)p0 * G.OutSize, G.OutSize, p1 - p0, G.OutSize, Act, Isa);
        }
    }

    /// <summary>y[oh, ow] = act(s[oh*wq + ow] + bias (+ y[oh, ow])): drops the sweep's garbage columns.</summary>
    private static void Store(in ConvGeometry g, float* s, int wq, float* y, float bias, in GemmEpilogue act, bool accumulate, IsaPath isa)
    {
        int ow = g.OW;
        bool v512 = isa >= IsaPath.V512 && Avx512F.IsSupported;
        float lo = act.Lo, hi = act.Hi, alpha = act.Alpha;
        bool leaky = act.Activation == FusedActivation.LeakyRelu;
        var vb = Vector512.Create(bias);
        var vlo = Vector512.Create(lo);
        var vhi = Vector512.Create(hi);
        var va = Vector512.Create(alpha);
        // Clamp as vmaxps/vminps with x second: they return the second operand when either is NaN, so NaN
        // passes through like the scalar Activate, in one instruction each (Vector512.Max adds NaN fix-ups).
        // Rows narrower than a vector (7x7, 14x14 planes) store under a lane mask instead of falling to scalar.
        var tailMask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(ow % 16)).AsSingle();
        for (int oh = 0; oh < g.OH; oh++)
        {
            float* sr = s + (nint)oh * wq, yr = y + (nint)oh * ow;
            int i = 0;
            if (v512)
            {
                for (; i <= ow - 16; i += 16)
                {
                    var v = Vector512.LoadUnsafe(ref *(sr + i)) + vb;
                    if (accumulate) v += Vector512.LoadUnsafe(ref *(yr + i));
                    v = leaky ? Vector512.ConditionalSelect(Vector512.LessThan(v, Vector512<float>.Zero), v * va, v) : Avx512F.Min(vhi, Avx512F.Max(vlo, v));
                    v.StoreUnsafe(ref *(yr + i));
                }
                if (i < ow)
                {
                    var v = Vector512.LoadUnsafe(ref *(sr + i)) + vb; // the sweep's buffer has a vector of slack
                    if (accumulate) v += Avx512F.MaskLoad(yr + i, tailMask, Vector512<float>.Zero);
                    v = leaky ? Vector512.ConditionalSelect(Vector512.LessThan(v, Vector512<float>.Zero), v * va, v) : Avx512F.Min(vhi, Avx512F.Max(vlo, v));
                    Avx512F.MaskStore(yr + i, tailMask, v);
                    i = ow;
                }
            }
            for (; i < ow; i++)
            {
                float v = sr[i] + bias;
                if (accumulate) v += yr[i];
                yr[i] = act.Activate(v);
            }
        }
    }

    private struct DepthwiseScratch { }
    private struct DepthwiseZeroRow { }

    /// <summary>Per-thread zero row for <see cref="DepthwiseDirect"/> (apart from the phase scratch, so neither clobbers the other).</summary>
    private static float* ZeroScratch(nint floats) => ThreadScratch<DepthwiseZeroRow>.Floats(floats);

    /// <summary>Per-thread scratch (64-byte aligned), grown on demand and kept: nothing allocated per call in steady state.</summary>
    private static float* Scratch(nint floats) => ThreadScratch<DepthwiseScratch>.Floats(floats);
}
