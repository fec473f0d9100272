using System.Runtime.Intrinsics.X86;
using Onyx.Kernels.Conv;
using Xunit;

namespace Onyx.Kernels.Tests.Conv;

public unsafe class Im2ColTests
{
    public static IEnumerable<object[]> Geometries()
    {
        // channels, IH, IW, KH, KW, SH, SW, DH, DW, pads (top, left, bottom, right)
        yield return [3, 9, 11, 3, 3, 1, 1, 1, 1, new[] { 1, 1, 1, 1 }];
        yield return [2, 7, 7, 3, 3, 1, 1, 1, 1, new[] { 1, 1, 1, 1 }];     // 49 positions: rows cross every half strip
        yield return [4, 40, 37, 3, 3, 1, 1, 1, 1, new[] { 1, 1, 1, 1 }];   // rows longer than a strip
        yield return [3, 23, 29, 7, 7, 2, 2, 1, 1, new[] { 3, 3, 3, 3 }];   // stem-like, stride 2
        yield return [2, 64, 66, 3, 3, 2, 2, 1, 1, new[] { 1, 1, 1, 1 }];   // stride 2, even lanes within a row
        yield return [2, 13, 17, 3, 2, 3, 3, 2, 2, new[] { 0, 1, 2, 1 }];   // stride 3, dilation, asymmetric pads
        yield return [5, 1, 50, 1, 4, 1, 2, 1, 2, new[] { 0, 2, 0, 1 }];    // 1-D
        yield return [1, 6, 5, 5, 5, 1, 1, 1, 1, new[] { 4, 4, 4, 4 }];     // padding wider than the image rows
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void VectorPackedGatherMatchesPlainGather(int ch, int ih, int iw, int kh, int kw, int sh, int sw, int dh, int dw, int[] pads)
    {
        if (!Avx512F.IsSupported) return; // the vector path needs real AVX-512 (masked loads)
        int oh = (ih + pads[0] + pads[2] - dh * (kh - 1) - 1) / sh + 1, ow = (iw + pads[1] + pads[3] - dw * (kw - 1) - 1) / sw + 1;
        var g = ConvGeometry.Create(1, ch, 8, 1, [ih, iw], [oh, ow], [kh, kw], [sh, sw], [dh, dw], pads);
        var x = new float[ch * ih * iw];
        for (int i = 0; i < x.Length; i++) x[i] = i + 1;
        int kTotal = ch * kh * kw, outSize = oh * ow;
        foreach (int nr in new[] { 16, 32 })
            foreach (var (start, count) in new[] { (0, outSize), (5, Math.Min(37, outSize - 5)), (outSize - 1, 1) })
            {
                if (count <= 0) continue;
                int strips = (count + nr - 1) / nr;
                var col = new float[kTotal * count];
                var vec = new float[strips * kTotal * nr];
                var runs = new float[vec.Length];
                Array.Fill(vec, float.NaN);
                fixed (float* px = x, pc = col, pv = vec, pr = runs)
                {
                    Im2Col.Gather(g, px, ch, start, count, pc);
                    Im2Col.GatherPacked2D(g, px, ch, start, count, pv, nr);
                    Im2Col.GatherPackedRuns(g, px, ch, start, count, pr, nr);
                }
                for (int s = 0; s < strips; s++)
                    for (int k = 0; k < kTotal; k++)
                        for (int lane = 0; lane < nr; lane++)
                        {
                            int j = s * nr + lane;
                            float want = j < count ? col[k * count + j] : 0f;
                            int at = (s * kTotal + k) * nr + lane;
                            Assert.True(want == vec[at], $"nr {nr} start {start}: strip {s} k {k} lane {lane}: want {want}, vector path {vec[at]}");
                            Assert.True(want == runs[at], $"nr {nr} start {start}: strip {s} k {k} lane {lane}: want {want}, run path {runs[at]}");
                        }
            }
    }
}
