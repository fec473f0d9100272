using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Onyx.Kernels.Conv;

/// <summary>
/// The layout the depthwise kernel reads: one input plane zero-padded and split into SH x SW
/// stride phases, phase (ph, pw) holding padded pixels (rr*SH + ph, cc*SW + pw) at rr*Wq + cc.
/// In that layout output (oh, ow) = sum over taps of w[t] * phase[t][j + off[t]] with the flat
/// index j = oh*Wq + ow, so every stride, dilation and pad becomes one stride-1 1-D sweep with no
/// bounds checks (ow in [OW, Wq) are garbage lanes the store skips).
/// </summary>
internal readonly unsafe struct DepthwisePhases
{
    /// <summary>Phase row length and rows per phase.</summary>
    public readonly int Wq, Hq;
    /// <summary>Flat outputs computed per plane (OH*Wq rounded up to whole 16-float vectors).</summary>
    public readonly int Flat;
    /// <summary>Floats in the phase area, slack included (every read of the sweep stays inside).</summary>
    public readonly int Area;
    /// <summary>Phase count SH*SW.</summary>
    public readonly int Phases;

    /// <summary>The sweep's step: one 16-float vector.</summary>
    public const int Block = 16;

    public DepthwisePhases(in ConvGeometry g)
    {
        // Padded extent: at least what the output grid reads (so an inconsistent end pad cannot
        // send a valid output past its phase row), rounded up to whole strides.
        int wp = Math.Max(g.PW + g.IW + g.PWEnd, (g.OW - 1) * g.SW + (g.KW - 1) * g.DW + 1);
        int hp = Math.Max(g.PH + g.IH + g.PHEnd, (g.OH - 1) * g.SH + (g.KH - 1) * g.DH + 1);
        Wq = (wp + g.SW - 1) / g.SW;
        Hq = (hp + g.SH - 1) / g.SH;
        Phases = g.SH * g.SW;
        Flat = (g.OH * Wq + Block - 1) / Block * Block;
        int maxOff = 0;
        for (int kh = 0; kh < g.KH; kh++)
            for (int kw = 0; kw < g.KW; kw++)
                maxOff = Math.Max(maxOff, Offset(g, kh, kw));
        Area = Math.Max(Phases * Hq * Wq, Flat + maxOff) + 16;
    }

    /// <summary>Where tap (kh, kw) of flat output 0 sits in the phase area.</summary>
    public int Offset(in ConvGeometry g, int kh, int kw)
    {
        int dh = kh * g.DH, dw = kw * g.DW;
        return ((dh % g.SH) * g.SW + dw % g.SW) * Hq * Wq + dh / g.SH * Wq + dw / g.SW;
    }

    /// <summary>Fills the phase area from plane <paramref name="x"/>; <paramref name="row"/> holds Wq*SW + 16 floats of scratch.</summary>
    public void Fill(in ConvGeometry g, float* x, float* dst, float* row, IsaPath isa)
    {
        int phaseSize = Hq * Wq, wp = Wq * g.SW;
        for (int r = 0; r < Hq * g.SH; r++)
        {
            int ph = r % g.SH, rr = r / g.SH, ir = r - g.PH;
            float* d0 = dst + (nint)ph * g.SW * phaseSize + (nint)rr * Wq;
            if ((uint)ir >= (uint)g.IH)
            {
                for (int pw = 0; pw < g.SW; pw++) new Span<float>(d0 + (nint)pw * phaseSize, Wq).Clear();
                continue;
            }
            // Stride 1 pads straight into the phase row; wider strides pad a scratch row, then split it.
            float* pr = g.SW == 1 ? d0 : row;
            new Span<float>(pr, g.PW).Clear();
            Buffer.MemoryCopy(x + (nint)ir * g.IW, pr + g.PW, (long)g.IW * 4, (long)g.IW * 4);
            new Span<float>(pr + g.PW + g.IW, wp - g.PW - g.IW).Clear(); // wp >= PW + IW + PWEnd
            if (g.SW == 2) Deinterleave(pr, d0, d0 + phaseSize, Wq, isa);
            else if (g.SW > 2)
                for (int pw = 0; pw < g.SW; pw++)
                {
                    float* dp = d0 + (nint)pw * phaseSize;
                    for (int c = 0; c < Wq; c++) dp[c] = pr[c * g.SW + pw];
                }
        }
        float* tail = dst + (nint)g.SH * g.SW * phaseSize;
        new Span<float>(tail, Area - g.SH * g.SW * phaseSize).Clear();
    }

    /// <summary>even[c] = src[2c], odd[c] = src[2c + 1] for c &lt; n.</summary>
    private static void Deinterleave(float* src, float* even, float* odd, int n, IsaPath isa)
    {
        int c = 0;
        if (isa >= IsaPath.V512 && Avx512F.IsSupported)
        {
            // vpermt2ps picks the even (odd) lanes of two adjacent vectors: 2 loads, 2 shuffles, 2 stores per 32 inputs.
            var ie = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            var io = ie + Vector512<int>.One;
            for (; c <= n - 16; c += 16)
            {
                var lo = Vector512.Load(src + 2 * c);
                var hi = Vector512.Load(src + 2 * c + 16);
                Avx512F.PermuteVar16x32x2(lo, ie, hi).Store(even + c);
                Avx512F.PermuteVar16x32x2(lo, io, hi).Store(odd + c);
            }
        }
        for (; c < n; c++)
        {
            even[c] = src[2 * c];
            odd[c] = src[2 * c + 1];
        }
    }
}
