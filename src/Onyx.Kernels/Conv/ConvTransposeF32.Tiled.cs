using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Onyx.Kernels.Gemm;
using Onyx.Kernels.Threading;

namespace Onyx.Kernels.Conv;

/// <summary>
/// ConvTransposeF32's path for a filter that tiles the output exactly (kernel = stride, no dilation, no pads, no
/// output padding: the 2x2 stride-2 upsampling of PP-OCR's and U-Net-style heads). Every output pixel then comes
/// from one input pixel and one tap, y[m, oh*s + kh, ow*s + kw] = sum_c x[c, oh, ow] * W[c, m, kh, kw] + bias[m],
/// so the GEMM's columns are interleaved straight into y with the bias: no clearing of y, no bounds-checked
/// scatter-add, no bias pass. Threads take whole chunks of input rows (each its own column buffer), and every chunk
/// runs the same single-threaded GEMM call whatever the thread count, so the output bits do not depend on it.
/// Measured, PP-OCRv4 det's 24->24 2x2 s2 160x160 -> 320x320, one thread: ~10 ms through the generic scatter.
/// </summary>
public sealed unsafe partial class ConvTransposeF32
{
    /// <summary>Column floats a chunk aims at (256 KB): the GEMM's output stays in L2 for the interleave that reads it.</summary>
    private const int TileChunkFloats = 64 * 1024;

    /// <summary><c>ONYX_CONVT_TILED=0</c> sends these shapes through the generic scatter too (A/B timing).</summary>
    private static readonly bool TiledEnabled = Environment.GetEnvironmentVariable("ONYX_CONVT_TILED") != "0";

    /// <summary>2-D, kernel = stride, undilated, unpadded, and the output exactly input x stride.</summary>
    internal static bool Tiles(in ConvGeometry g) => TiledEnabled &&
        g.KD == 1 && g.ID == 1 && g.OD == 1 && g.KH == g.SH && g.KW == g.SW && g.DH == 1 && g.DW == 1
        && g.PH == 0 && g.PW == 0 && g.PHEnd == 0 && g.PWEnd == 0 && g.IH == g.OH * g.SH && g.IW == g.OW * g.SW;

    private void ForwardTiled(in ConvGeometry g, float* x, float* y, float* bias, IntraOpPool? pool)
    {
        if (g.OutSize == 0 || g.Batch == 0) return;
        int rows = OutPerGroup * KernelSize;
        int rowsPerChunk = Math.Clamp(TileChunkFloats / Math.Max(1, rows * g.OW), 1, g.OH);
        var body = new TiledBody
        {
            G = g, Conv = this, X = x, Y = y, Bias = bias, RowsPerChunk = rowsPerChunk, Chunks = (g.OH + rowsPerChunk - 1) / rowsPerChunk,
        };
        body.Items = g.Batch * Group * body.Chunks;
        long work = (long)g.Batch * InChannels * rows * g.OutSize;
        body.Parts = IntraOpPool.PartsFor(pool, body.Items, work >= GemmDriver.ParallelThreshold);
        IntraOpPool.RunParts(pool, body.Parts, ref body);
    }

    private struct TiledBody : IParallelBody
    {
        public ConvGeometry G;
        public ConvTransposeF32 Conv;
        public float* X, Y, Bias;
        public int RowsPerChunk, Chunks, Items, Parts;

        public readonly void Invoke(int index)
        {
            var (i0, i1) = IntraOpPool.Share(Items, index, Parts);
            int group = Conv.Group, inPer = Conv.InChannels / group, outPer = Conv.OutPerGroup, k = Conv.KernelSize;
            int xSize = G.OutSize, ySize = G.InSize;
            float* col = ConvF32.ColumnBuffer((nint)outPer * k * RowsPerChunk * G.OW);
            bool v512 = Conv._isa >= IsaPath.V512 && Avx512F.IsSupported;
            for (int item = i0; item < i1; item++)
            {
                int chunk = item % Chunks, ng = item / Chunks, grp = ng % group, n = ng / group;
                int oh0 = chunk * RowsPerChunk, oh1 = Math.Min(G.OH, oh0 + RowsPerChunk), start = oh0 * G.OW, count = (oh1 - oh0) * G.OW;
                float* xg = X + ((nint)n * Conv.InChannels + grp * inPer) * xSize;
                float* yg = Y + ((nint)n * outPer * group + grp * outPer) * ySize;
                SGemm.MultiplyInPlaceB(Conv._packed[grp], count, xg + start, xSize, 0f, col, count, default, null);
                for (int m = 0; m < outPer; m++)
                {
                    float b = Bias == null ? 0f : Bias[grp * outPer + m];
                    for (int kh = 0; kh < G.KH; kh++)
                    {
                        float* src = col + (nint)(m * k + kh * G.KW) * count;
                        for (int oh = oh0; oh < oh1; oh++)
                        {
                            float* s = src + (nint)(oh - oh0) * G.OW, d = yg + (nint)m * ySize + (nint)(oh * G.SH + kh) * G.IW;
                            if (v512 && G.KW == 2) Interleave2(s, s + count, G.OW, b, d);
                            else InterleaveScalar(s, count, G.KW, G.OW, b, d);
                        }
                    }
                }
            }
        }
    }

    /// <summary>d[2j] = a[j] + bias, d[2j + 1] = c[j] + bias for j &lt; n: two permutes per 16 input pairs, masked tail.</summary>
    private static void Interleave2(float* a, float* c, int n, float bias, float* d)
    {
        var lo = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        var hi = lo + Vector512.Create(8);
        var vb = Vector512.Create(bias);
        int j = 0;
        for (; j + 16 <= n; j += 16)
        {
            var va = Vector512.LoadUnsafe(ref *(a + j));
            var vc = Vector512.LoadUnsafe(ref *(c + j));
            (Avx512F.PermuteVar16x32x2(va, lo, vc) + vb).StoreUnsafe(ref *(d + 2 * j));
            (Avx512F.PermuteVar16x32x2(va, hi, vc) + vb).StoreUnsafe(ref *(d + 2 * j + 16));
        }
        if (j < n)
        {
            var idx = Vector512<int>.Indices;
            int left = n - j;
            var m = Vector512.LessThan(idx, Vector512.Create(left)).AsSingle();
            var va = Avx512F.MaskLoad(a + j, m, Vector512<float>.Zero);
            var vc = Avx512F.MaskLoad(c + j, m, Vector512<float>.Zero);
            var m0 = Vector512.LessThan(idx, Vector512.Create(2 * left)).AsSingle();
            var m1 = Vector512.LessThan(idx, Vector512.Create(2 * left - 16)).AsSingle();
            Avx512F.MaskStore(d + 2 * j, m0, Avx512F.PermuteVar16x32x2(va, lo, vc) + vb);
            Avx512F.MaskStore(d + 2 * j + 16, m1, Avx512F.PermuteVar16x32x2(va, hi, vc) + vb);
        }
    }

    /// <summary>d[j*kw + t] = src[t*stride + j] + bias: any kernel width, any ISA.</summary>
    private static void InterleaveScalar(float* src, int stride, int kw, int n, float bias, float* d)
    {
        for (int t = 0; t < kw; t++)
        {
            float* s = src + (nint)t * stride;
            for (int j = 0; j < n; j++) d[j * kw + t] = s[j] + bias;
        }
    }
}
