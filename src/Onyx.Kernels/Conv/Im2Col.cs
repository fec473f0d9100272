namespace Onyx.Kernels.Conv;

/// <summary>Gathers convolution windows into GEMM columns and scatters them back (ConvTranspose).</summary>
internal static unsafe class Im2Col
{
    /// <summary>
    /// col[(c*KernelSize + kidx) * count + j] = x[c, window tap kidx of output position start + j]
    /// (0 in padding), for c in [0, channels). x is one group of one image: channels x InSize.
    /// </summary>
    public static void Gather(in ConvGeometry g, float* x, int channels, int start, int count, float* col)
    {
        int ohw = g.OH * g.OW;
        for (int c = 0; c < channels; c++)
        {
            float* xc = x + (nint)c * g.InSize;
            for (int kd = 0; kd < g.KD; kd++)
                for (int kh = 0; kh < g.KH; kh++)
                    for (int kw = 0; kw < g.KW; kw++)
                    {
                        float* dst = col + ((nint)(c * g.KD + kd) * g.KH * g.KW + kh * g.KW + kw) * count;
                        int pos = start, end = start + count;
                        while (pos < end)
                        {
                            int od = pos / ohw, rem = pos - od * ohw, oh = rem / g.OW, ow = rem - oh * g.OW;
                            int run = Math.Min(g.OW - ow, end - pos);
                            int id = od * g.SD - g.PD + kd * g.DD, ih = oh * g.SH - g.PH + kh * g.DH;
                            if ((uint)id >= (uint)g.ID || (uint)ih >= (uint)g.IH)
                            {
                                new Span<float>(dst, run).Clear();
                            }
                            else
                            {
                                float* row = xc + ((nint)id * g.IH + ih) * g.IW;
                                int iw = ow * g.SW - g.PW + kw * g.DW;
                                if (g.SW == 1 && iw >= 0 && iw + run <= g.IW)
                                    new ReadOnlySpan<float>(row + iw, run).CopyTo(new Span<float>(dst, run));
                                else
                                    for (int j = 0; j < run; j++, iw += g.SW)
                                        dst[j] = (uint)iw < (uint)g.IW ? row[iw] : 0f;
                            }
                            dst += run;
                            pos += run;
                        }
                    }
        }
    }

    /// <summary>
    /// Like <see cref="Gather"/>, but writes straight into the GEMM's packed-B layout (NR-column
    /// strips, k-major, strip stride kTotal*NR) so the GEMM skips its own packing. Columns past
    /// <paramref name="count"/> in the last strip are zeroed.
    /// </summary>
    public static void GatherPacked(in ConvGeometry g, float* x, int channels, int start, int count, float* packed, int nr)
    {
        int ohw = g.OH * g.OW;
        int kTotal = channels * g.KernelSize;
        nint stripStride = (nint)kTotal * nr;
        for (int c = 0; c < channels; c++)
        {
            float* xc = x + (nint)c * g.InSize;
            for (int kd = 0; kd < g.KD; kd++)
                for (int kh = 0; kh < g.KH; kh++)
                    for (int kw = 0; kw < g.KW; kw++)
                    {
                        int kidx = (c * g.KD + kd) * g.KH * g.KW + kh * g.KW + kw;
                        float* dstRow = packed + (nint)kidx * nr;
                        int pos = start, end = start + count, lane = 0;
                        float* strip = dstRow;
                        while (pos < end)
                        {
                            int od = pos / ohw, rem = pos - od * ohw, oh = rem / g.OW, ow = rem - oh * g.OW;
                            int run = Math.Min(g.OW - ow, end - pos);
                            int id = od * g.SD - g.PD + kd * g.DD, ih = oh * g.SH - g.PH + kh * g.DH;
                            int iw = ow * g.SW - g.PW + kw * g.DW;
                            if ((uint)id >= (uint)g.ID || (uint)ih >= (uint)g.IH)
                            {
                                for (int t = 0; t < run; t++)
                                {
                                    strip[lane] = 0f;
                                    if (++lane == nr) { lane = 0; strip += stripStride; }
                                }
                            }
                            else
                            {
                                float* row = xc + ((nint)id * g.IH + ih) * g.IW;
                                int t = 0;
                                if (g.SW == 1)
                                {
                                    // Interior: whole contiguous pieces up to the end of the current strip.
                                    for (; t < run && iw < 0; t++, iw++)
                                    {
                                        strip[lane] = 0f;
                                        if (++lane == nr) { lane = 0; strip += stripStride; }
                                    }
                                    while (t < run && iw < g.IW)
                                    {
                                        int piece = Math.Min(Math.Min(run - t, g.IW - iw), nr - lane);
                                        new ReadOnlySpan<float>(row + iw, piece).CopyTo(new Span<float>(strip + lane, piece));
                                        t += piece; iw += piece; lane += piece;
                                        if (lane == nr) { lane = 0; strip += stripStride; }
                                    }
                                }
                                for (; t < run; t++, iw += g.SW)
                                {
                                    strip[lane] = (uint)iw < (uint)g.IW ? row[iw] : 0f;
                                    if (++lane == nr) { lane = 0; strip += stripStride; }
                                }
                            }
                            pos += run;
                        }
                        for (; lane != 0 && lane < nr; lane++) strip[lane] = 0f;
                    }
        }
    }

    /// <summary>
    /// The adjoint of <see cref="Gather"/> for ConvTranspose: here the "output positions" are the
    /// transposed conv's input positions (OD/OH/OW of <paramref name="g"/>) and the image is the
    /// transposed conv's output (ID/IH/IW); y[c, tap position] += col[(c*KernelSize + kidx) * count + j].
    /// </summary>
    public static void ScatterAdd(in ConvGeometry g, float* col, int channels, int start, int count, float* y)
    {
        int ohw = g.OH * g.OW;
        for (int c = 0; c < channels; c++)
        {
            float* yc = y + (nint)c * g.InSize;
            for (int kd = 0; kd < g.KD; kd++)
                for (int kh = 0; kh < g.KH; kh++)
                    for (int kw = 0; kw < g.KW; kw++)
                    {
                        float* src = col + ((nint)(c * g.KD + kd) * g.KH * g.KW + kh * g.KW + kw) * count;
                        int pos = start, end = start + count;
                        while (pos < end)
                        {
                            int od = pos / ohw, rem = pos - od * ohw, oh = rem / g.OW, ow = rem - oh * g.OW;
                            int run = Math.Min(g.OW - ow, end - pos);
                            int id = od * g.SD - g.PD + kd * g.DD, ih = oh * g.SH - g.PH + kh * g.DH;
                            if ((uint)id < (uint)g.ID && (uint)ih < (uint)g.IH)
                            {
                                float* row = yc + ((nint)id * g.IH + ih) * g.IW;
                                int iw = ow * g.SW - g.PW + kw * g.DW;
                                for (int j = 0; j < run; j++, iw += g.SW)
                                    if ((uint)iw < (uint)g.IW) row[iw] += src[j];
                            }
                            src += run;
                            pos += run;
                        }
                    }
        }
    }
}
