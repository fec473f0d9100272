using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Onyx.Kernels.Gemm;
using Onyx.Kernels.Threading;

namespace Onyx.Kernels.Conv;

/// <summary>
/// FP32 convolution (NCHW, 1-3 spatial dims, groups, strides, dilations, pads) with fused bias and
/// activation. Built once per weight (at session load for a constant filter, which is only copied then):
/// the filter layout the first call's path needs is packed on that call (see ConvF32.Filters.cs). Paths: depthwise 1-D/2-D runs direct
/// (vectorised along output rows); 1x1 stride-1 unpadded conv is one GEMM on the input as is, or on small
/// maps a pixel-major kernel with output channels along the vectors, elsewhere 16 x 16 tiles when the output
/// channels are whole vectors (ConvF32.Pointwise.cs); few taps x channels (K &lt;= 64: RGB stems, MNIST) run direct from padded planes
/// (SmallConv.cs, SmallConvPanel16.cs);
/// everything else gathers windows (im2col, in bounded column chunks) and runs the GEMM.
/// Forward may run on many threads at once (layouts are published once, under a lock, on first use).
/// </summary>
public sealed unsafe partial class ConvF32 : IDisposable
{
    private readonly IsaPath _isa;

    /// <summary>Output channels (M).</summary>
    public int OutChannels { get; }
    /// <summary>Input channels per group.</summary>
    public int InPerGroup { get; }
    /// <summary>Groups.</summary>
    public int Group { get; }
    /// <summary>Filter extent (D, H, W), 1 where the op has fewer spatial dims.</summary>
    public int KD { get; }
    /// <summary>Filter height.</summary>
    public int KH { get; }
    /// <summary>Filter width.</summary>
    public int KW { get; }
    /// <summary>True when every group has one input and one output channel (handled by the direct kernel in 1-D/2-D).</summary>
    public bool IsDepthwise => InPerGroup == 1 && OutChannels == Group;

    /// <summary>
    /// Prepares filter <paramref name="weight"/> laid out [M, C/group, kD, kH, kW] (copied; the pointer is not
    /// kept). Packing waits for the first Forward, which knows the output size and so the path.
    /// </summary>
    public ConvF32(float* weight, int outChannels, int inPerGroup, int group, int kd, int kh, int kw, IsaPath? isa = null)
    {
        if (group < 1 || outChannels % group != 0) throw new ArgumentException($"{outChannels} output channels do not split into {group} groups");
        OutChannels = outChannels;
        InPerGroup = inPerGroup;
        Group = group;
        KD = kd; KH = kh; KW = kw;
        _isa = isa ?? KernelIsa.Current;
        nint floats = (nint)outChannels * inPerGroup * kd * kh * kw;
        _raw = (float*)NativeMemory.AlignedAlloc((nuint)Math.Max(floats, 16) * sizeof(float), 64);
        Buffer.MemoryCopy(weight, _raw, floats * sizeof(float), floats * sizeof(float));
    }

    /// <summary>
    /// y[N, M, out spatial] = act(conv(x) + bias (+ y when <paramref name="accumulate"/>: a residual
    /// already copied into y)). <paramref name="bias"/> (length M) may be null;
    /// <paramref name="activation"/>'s own bias fields are ignored.
    /// </summary>
    public void Forward(in ConvGeometry geo, float* x, float* y, float* bias, in GemmEpilogue activation, IntraOpPool? pool, bool accumulate = false)
    {
        float beta = accumulate ? 1f : 0f;
        ConvGeometry g = geo;
        if (g.InChannels != InPerGroup * Group || g.OutChannels != OutChannels || g.KD != KD || g.KH != KH || g.KW != KW)
            throw new ArgumentException("geometry does not match the prepared filter");
        if (TryWinograd(g, x, y, bias, activation, pool, accumulate)) return;
        if (IsDepthwise && g.KD == 1 && g.ID == 1)
        {
            Depthwise(g, x, y, bias, activation, pool, accumulate);
            return;
        }
        int outPerGroup = OutChannels / Group, kTotal = InPerGroup * KD * KH * KW;
        int inSize = g.InSize, outSize = g.OutSize;
        bool pointwise = IsPointwise(g);
        if (pointwise && PointwiseDirect(outSize, outPerGroup, kTotal))
        {
            ForwardPointwise(g, x, y, bias, activation, pool, accumulate);
            return;
        }
        if (pointwise && PointwisePanel16(outPerGroup, kTotal, activation))
        {
            ForwardPanel16(g, x, y, bias, activation, pool, accumulate);
            return;
        }
        if (Transposed(outSize, outPerGroup, kTotal))
        {
            ForwardTransposed(g, x, y, bias, activation, pool, accumulate, pointwise);
            return;
        }
        if (!pointwise && DirectEligible(g, kTotal))
        {
            ForwardDirect(g, x, y, bias, activation, pool, accumulate);
            return;
        }
        PackedMatrixA[] packed = PackedFilters();
        if (pointwise)
        {
            for (int n = 0; n < g.Batch; n++)
                for (int grp = 0; grp < Group; grp++)
                {
                    float* xg = x + ((nint)n * g.InChannels + grp * InPerGroup) * inSize;
                    float* yg = y + ((nint)n * OutChannels + grp * outPerGroup) * outSize;
                    var ep = activation with { Bias = bias == null ? null : bias + grp * outPerGroup, BiasKind = bias == null ? BiasKind.None : BiasKind.PerRow };
                    if (InPlaceEnabled) SGemm.MultiplyInPlaceB(packed[grp], outSize, xg, inSize, beta, yg, outSize, ep, pool);
                    else SGemm.Multiply(packed[grp], false, outSize, 1f, xg, inSize, beta, yg, outSize, ep, pool);
                }
            return;
        }
        // Windows are gathered straight into packed GEMM strips, one L2-sized column chunk at a time,
        // each thread with its own buffer; the GEMM itself runs single-threaded unless the work is one chunk.
        int nr = GemmDriver.NrOf(_isa), mr = GemmDriver.MrOf(_isa);
        int strips = (outSize + nr - 1) / nr;
        long totalStrips = (long)g.Batch * Group * strips;
        int threads = pool?.DegreeOfParallelism ?? 1;
        long work = (long)OutChannels * kTotal * outSize * g.Batch;
        bool parallel = threads > 1 && work >= GemmDriver.ParallelThreshold;
        // Few strips per thread (7x7, 14x14 maps): the threads gather each image-group's windows once, together,
        // then split the GEMM (by output channels, mostly).
        if (parallel && totalStrips < 4L * threads && outPerGroup >= 2 * mr * threads)
        {
            ForwardSharedColumns(g, packed, x, y, bias, activation, beta, pool!, strips * nr);
            return;
        }
        // At least 128 columns: every chunk re-streams the whole packed filter, so a big filter needs wide chunks.
        int chunk = Math.Max(128, ColumnChunkFloats / Math.Max(kTotal, 1) / nr * nr);
        chunk = Math.Min(chunk, strips * nr);
        var body = new GemmChunkBody
        {
            G = g, Conv = this, Packed = packed, X = x, Y = y, Bias = bias, Act = activation, Chunk = chunk, Nr = nr, Beta = beta,
            Strips = strips, TotalStrips = totalStrips, Parts = parallel ? threads : 1,
        };
        // Threads split the concatenated strips of all images and groups evenly (to one strip).
        if (parallel) pool!.Run(threads, ref body);
        else body.Invoke(0);
    }

    /// <summary>
    /// Each image-group's windows gathered into one buffer by all threads (<see cref="Im2ColParallel"/>), then one
    /// GEMM over all its columns split by <see cref="GemmDriver"/>. <paramref name="columns"/>: the output size padded to whole strips.
    /// </summary>
    private void ForwardSharedColumns(in ConvGeometry g, PackedMatrixA[] packed, float* x, float* y, float* bias, in GemmEpilogue act, float beta, IntraOpPool pool, int columns)
    {
        int outPer = OutChannels / Group, nr = GemmDriver.NrOf(_isa), outSize = g.OutSize;
        float* col = ColumnBuffer((nint)InPerGroup * g.KernelSize * columns);
        for (int n = 0; n < g.Batch; n++)
            for (int grp = 0; grp < Group; grp++)
            {
                float* xg = x + ((nint)n * g.InChannels + grp * InPerGroup) * g.InSize;
                float* yg = y + ((nint)n * OutChannels + grp * outPer) * outSize;
                var ep = act with { Bias = bias == null ? null : bias + grp * outPer, BiasKind = bias == null ? BiasKind.None : BiasKind.PerRow };
                Im2ColParallel.GatherPacked(g, xg, InPerGroup, 0, outSize, col, nr, pool);
                SGemm.MultiplyPacked(packed[grp], col, outSize, yg, outSize, beta, ep, pool);
            }
    }

    /// <summary>1x1, stride 1, unpadded: the input is the GEMM's B as it lies.</summary>
    private bool IsPointwise(in ConvGeometry g) => KD == 1 && KH == 1 && KW == 1 && g.SD == 1 && g.SH == 1 && g.SW == 1
        && g.PD == 0 && g.PH == 0 && g.PW == 0 && g.InSize == g.OutSize;

    private const int ColumnChunkFloats = 48 * 1024;

    /// <summary><c>ONYX_CONV_INPLACE=0</c>: 1x1 convs pack their input like any GEMM B instead of reading it in place (A/B timing).</summary>
    private static readonly bool InPlaceEnabled = Environment.GetEnvironmentVariable("ONYX_CONV_INPLACE") != "0";

    private struct GemmChunkBody : IParallelBody
    {
        public ConvGeometry G;
        public ConvF32 Conv;
        public PackedMatrixA[] Packed;
        public float* X, Y, Bias;
        public GemmEpilogue Act;
        public int Chunk, Parts, Nr, Strips;
        public long TotalStrips;
        public float Beta;

        public void Invoke(int index)
        {
            long s0 = TotalStrips * index / Parts, s1 = TotalStrips * (index + 1) / Parts;
            int group = Conv.Group, inPer = Conv.InPerGroup, outPer = Conv.OutChannels / group;
            int kTotal = inPer * G.KernelSize, outSize = G.OutSize;
            float* col = ColumnBuffer((nint)kTotal * Chunk);
            // Walk this thread's strips image-group by image-group, chunk by chunk.
            for (long gs = s0; gs < s1;)
            {
                int ng = (int)(gs / Strips), first = (int)(gs - (long)ng * Strips);
                int last = (int)Math.Min(Strips, first + (s1 - gs));
                gs += last - first;
                int grp = ng % group, n = ng / group;
                float* xg = X + ((nint)n * G.InChannels + grp * inPer) * G.InSize;
                float* yg = Y + ((nint)n * Conv.OutChannels + grp * outPer) * outSize;
                var ep = Act with { Bias = Bias == null ? null : Bias + grp * outPer, BiasKind = Bias == null ? BiasKind.None : BiasKind.PerRow };
                int colEnd = Math.Min(outSize, last * Nr);
                for (int start = first * Nr; start < colEnd; start += Chunk)
                {
                    int count = Math.Min(Chunk, colEnd - start);
                    Im2Col.GatherPacked(G, xg, inPer, start, count, col, Nr);
                    SGemm.MultiplyPacked(Packed[grp], col, count, yg + start, outSize, Beta, ep, null);
                }
            }
        }
    }

    private void Depthwise(in ConvGeometry g, float* x, float* y, float* bias, in GemmEpilogue act, IntraOpPool? pool, bool accumulate)
    {
        // _raw stays alive for depthwise layers: ReleaseRaw keeps it.
        DepthwiseConvF32.Forward(g, x, y, _raw, bias, act, pool, accumulate, _isa);
    }

    private struct ColumnScratch { }

    /// <summary>Per-thread im2col column buffer (also ConvTransposeF32's), grown on demand and kept.</summary>
    internal static float* ColumnBuffer(nint floats) => ThreadScratch<ColumnScratch>.Floats(floats);
}
