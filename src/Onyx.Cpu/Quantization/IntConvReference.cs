using Onyx.Core.Execution;
using Onyx.Cpu.Cast;
using Onyx.Tensors;
using Tensor = Onyx.Tensors.Tensor;

namespace Onyx.Cpu.Quantization;

/// <summary>
/// The plain-loop oracle for ConvInteger/QLinearConv, also the path for 1-D and 3-D convolutions
/// (2-D runs im2col + the int8 GEMM in <see cref="IntConv"/>). Integer N-d convolution: zero points are subtracted up
/// front (so padding contributes 0), then out[n, m, p] = Σ_c Σ_kp w[m, c, kp] · x[n, g·Cg + c, at(p, kp)]
/// through a table of input offsets per (output position, kernel position).
/// </summary>
internal sealed class IntConvReference
{
    private readonly string _autoPad;
    private readonly long[]? _dilations, _kernelShape, _pads, _strides;
    private readonly int _group;

    public IntConvReference(KernelInfo info)
    {
        _autoPad = info.Attributes.GetString("auto_pad", "NOTSET");
        _dilations = info.Attributes.GetInts("dilations");
        _kernelShape = info.Attributes.GetInts("kernel_shape");
        _pads = info.Attributes.GetInts("pads");
        _strides = info.Attributes.GetInts("strides");
        _group = (int)info.Attributes.GetInt("group", 1);
    }

    public sealed class Result
    {
        public required int[] Shape;
        public required int[] Acc;
        public int M, Spatial;
    }

    private static int[] ToInts(Tensor t)
    {
        var l = new long[t.Length];
        ElementConvert.ToInt64(t, l);
        var r = new int[l.Length];
        for (int i = 0; i < r.Length; i++) r[i] = (int)l[i];
        return r;
    }

    public Result Run(KernelContext context, Tensor x, Tensor w, Tensor? xzp, Tensor? wzp, Tensor? bias)
    {
        int rank = x.Rank;
        if (rank < 3 || w.Rank != rank) throw context.Error($"x {x.ShapeString} and w {w.ShapeString} must both be (N, C, spatial...)");
        int S = rank - 2;
        int N = x.Shape[0], C = x.Shape[1], M = w.Shape[0], Cg = w.Shape[1];
        if (Cg * _group != C) throw context.Error($"w has {Cg} channels per group x {_group} groups, x has {C} channels");
        if (M % _group != 0) throw context.Error($"output channels {M} not divisible by group {_group}");
        var inSp = x.Shape[2..];
        var k = new int[S];
        for (int d = 0; d < S; d++) k[d] = _kernelShape is { Length: > 0 } ks ? (int)ks[d] : w.Shape[2 + d];
        var dil = new int[S]; var str = new int[S]; var pb = new int[S]; var outSp = new int[S];
        for (int d = 0; d < S; d++)
        {
            dil[d] = _dilations is { Length: > 0 } dl ? (int)dl[d] : 1;
            str[d] = _strides is { Length: > 0 } st ? (int)st[d] : 1;
            int ek = (k[d] - 1) * dil[d] + 1;
            if (_autoPad is "SAME_UPPER" or "SAME_LOWER")
            {
                int o = (inSp[d] + str[d] - 1) / str[d];
                int total = Math.Max(0, (o - 1) * str[d] + ek - inSp[d]);
                pb[d] = _autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
                outSp[d] = o;
            }
            else if (_autoPad == "VALID")
            {
                pb[d] = 0;
                outSp[d] = (inSp[d] - ek) / str[d] + 1;
            }
            else
            {
                int b = _pads is { Length: > 0 } p ? (int)p[d] : 0;
                int e = _pads is { Length: > 0 } p2 ? (int)p2[d + S] : 0;
                pb[d] = b;
                outSp[d] = (inSp[d] + b + e - ek) / str[d] + 1;
            }
            if (outSp[d] < 0) outSp[d] = 0;
        }
        int P = 1, KP = 1, IP = 1;
        for (int d = 0; d < S; d++) { P *= outSp[d]; KP *= k[d]; IP *= inSp[d]; }

        // Offset table: input spatial offset for (p, kp), or -1 in the padding.
        var table = new int[P * KP];
        var po = new int[S];
        var ko = new int[S];
        for (int p = 0; p < P; p++)
        {
            int rem = p;
            for (int d = S - 1; d >= 0; d--) { po[d] = rem % outSp[d]; rem /= outSp[d]; }
            for (int kp = 0; kp < KP; kp++)
            {
                int r2 = kp;
                for (int d = S - 1; d >= 0; d--) { ko[d] = r2 % k[d]; r2 /= k[d]; }
                int off = 0;
                bool inside = true;
                for (int d = 0; d < S; d++)
                {
                    int pos = po[d] * str[d] - pb[d] + ko[d] * dil[d];
                    if (pos < 0 || pos >= inSp[d]) { inside = false; break; }
                    off = off * inSp[d] + pos;
                }
                table[p * KP + kp] = inside ? off : -1;
            }
        }

        int[] xv = ToInts(x), wv = ToInts(w);
        if (xzp is not null && xzp.Length > 0)
        {
            int z = ToInts(xzp)[0];
            for (int i = 0; i < xv.Length; i++) xv[i] -= z;
        }
        if (wzp is not null && wzp.Length > 0)
        {
            int[] z = ToInts(wzp);
            int per = Cg * KP;
            for (int i = 0; i < wv.Length; i++) wv[i] -= z.Length == 1 ? z[0] : z[i / per];
        }
        int[]? bv = bias is null ? null : ToInts(bias);
        int Mg = M / _group;
        var acc = new int[N * M * P];
        for (int n = 0; n < N; n++)
            for (int m = 0; m < M; m++)
            {
                int g = m / Mg;
                var outRow = acc.AsSpan((n * M + m) * P, P);
                if (bv is not null) outRow.Fill(bv[m]);
                for (int c = 0; c < Cg; c++)
                {
                    int xBase = (n * C + g * Cg + c) * IP;
                    int wBase = (m * Cg + c) * KP;
                    for (int p = 0; p < P; p++)
                    {
                        int s = 0;
                        int tb = p * KP;
                        for (int kp = 0; kp < KP; kp++)
                        {
                            int off = table[tb + kp];
                            if (off >= 0) s += wv[wBase + kp] * xv[xBase + off];
                        }
                        outRow[p] += s;
                    }
                }
            }
        var shape = new int[rank];
        shape[0] = N; shape[1] = M;
        for (int d = 0; d < S; d++) shape[2 + d] = outSp[d];
        return new Result { Shape = shape, Acc = acc, M = M, Spatial = P };
    }
}

