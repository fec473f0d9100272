using System.Runtime.CompilerServices;
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

    /// <summary>Zeroes the slack after the phases once per scratch buffer: <see cref="Fill"/> never writes it.</summary>
    public void ClearSlack(float* dst, in ConvGeometry g)
    {
        int used = g.SH * g.SW * Hq * Wq;
        new Span<float>(dst + used, Area - used).Clear();
    }

    /// <summary>
    /// Fills the phases from plane <paramref name="x"/>, padding with <paramref name="pad"/> (0 for conv and
    /// average pooling, -inf for max pooling); <paramref name="row"/> holds Wq*SW + 16 floats of scratch.
    /// </summary>
    public void Fill(in ConvGeometry g, float* x, float* dst, float* row, IsaPath isa, float pad = 0f)
    {
        if (isa >= IsaPath.V512 && Avx512F.IsSupported && g.SW <= 2)
        {
            FillV512(g, x, dst, pad);
            return;
        }
        int phaseSize = Hq * Wq, wp = Wq * g.SW;
        for (int r = 0; r < Hq * g.SH; r++)
        {
            int ph = r % g.SH, rr = r / g.SH, ir = r - g.PH;
            float* d0 = dst + (nint)ph * g.SW * phaseSize + (nint)rr * Wq;
            if ((uint)ir >= (uint)g.IH)
            {
                for (int pw = 0; pw < g.SW; pw++) new Span<float>(d0 + (nint)pw * phaseSize, Wq).Fill(pad);
                continue;
            }
            // Stride 1 pads straight into the phase row; wider strides pad a scratch row, then split it.
            float* pr = g.SW == 1 ? d0 : row;
            new Span<float>(pr, g.PW).Fill(pad);
            Buffer.MemoryCopy(x + (nint)ir * g.IW, pr + g.PW, (long)g.IW * 4, (long)g.IW * 4);
            new Span<float>(pr + g.PW + g.IW, wp - g.PW - g.IW).Fill(pad); // wp >= PW + IW + PWEnd
            for (int pw = 0; pw < g.SW && g.SW > 1; pw++)
            {
                float* dp = d0 + (nint)pw * phaseSize;
                for (int c = 0; c < Wq; c++) dp[c] = pr[c * g.SW + pw];
            }
        }
    }

    /// <summary>
    /// Stride 1 or 2 on AVX-512: masked loads read the row where it exists and yield the pad value elsewhere
    /// (masked-off lanes never fault, even left of the row), vpermt2ps splits even and odd columns, and a
    /// masked store ends each phase row, so no scratch row and no per-row calls.
    /// </summary>
    private void FillV512(in ConvGeometry g, float* x, float* dst, float pad)
    {
        var vpad = Vector512.Create(pad);
        int phaseSize = Hq * Wq, sw = g.SW, iw = g.IW;
        var ie = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var io = ie + Vector512<int>.One;
        var lanes = Vector512<int>.Indices;
        var width = Vector512.Create(iw);
        // Narrow planes (one chunk, many rows) build the lane masks once; wide planes walk rows outside
        // so each input row streams through once, whole cache lines at a time.
        int rows = Hq * g.SH;
        if (Wq <= 16)
        {
            var store = Vector512.LessThan(lanes, Vector512.Create(Wq)).AsSingle();
            var idx = lanes - Vector512.Create(g.PW);
            var mlo = InRow(idx, width);
            var mhi = InRow(idx + Vector512.Create(16), width);
            for (int r = 0; r < rows; r++)
            {
                int ir = r - g.PH;
                float* d0 = dst + (nint)(r % g.SH) * sw * phaseSize + (nint)(r / g.SH) * Wq;
                float* xr = (uint)ir < (uint)g.IH ? x + (nint)ir * iw - g.PW : null;
                Chunk(xr, d0, phaseSize, sw, store, mlo, mhi, vpad, ie, io);
            }
            return;
        }
        for (int r = 0; r < rows; r++)
        {
            int ir = r - g.PH;
            float* d0 = dst + (nint)(r % g.SH) * sw * phaseSize + (nint)(r / g.SH) * Wq;
            for (int c = 0; c < Wq; c += 16)
            {
                int col = c * sw - g.PW; // input column of lane 0
                var idx = lanes + Vector512.Create(col);
                float* xr = (uint)ir < (uint)g.IH ? x + (nint)ir * iw + col : null;
                Chunk(xr, d0 + c, phaseSize, sw, Vector512.LessThan(lanes, Vector512.Create(Wq - c)).AsSingle(),
                    InRow(idx, width), InRow(idx + Vector512.Create(16), width), vpad, ie, io);
            }
        }
    }

    /// <summary>One 16-column chunk of one padded row (<paramref name="xr"/> null: a pad row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Chunk(float* xr, float* d0, int phaseSize, int sw, Vector512<float> store, Vector512<float> mlo, Vector512<float> mhi,
        Vector512<float> vpad, Vector512<int> ie, Vector512<int> io)
    {
        if (xr == null)
        {
            Avx512F.MaskStore(d0, store, vpad);
            if (sw == 2) Avx512F.MaskStore(d0 + phaseSize, store, vpad);
            return;
        }
        var lo = Avx512F.MaskLoad(xr, mlo, vpad);
        if (sw == 1)
        {
            Avx512F.MaskStore(d0, store, lo);
            return;
        }
        var hi = Avx512F.MaskLoad(xr + 16, mhi, vpad);
        Avx512F.MaskStore(d0, store, Avx512F.PermuteVar16x32x2(lo, ie, hi));
        Avx512F.MaskStore(d0 + phaseSize, store, Avx512F.PermuteVar16x32x2(lo, io, hi));
    }

    private static Vector512<float> InRow(Vector512<int> idx, Vector512<int> width) =>
        (Vector512.GreaterThanOrEqual(idx, Vector512<int>.Zero) & Vector512.LessThan(idx, width)).AsSingle();
}
