using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.Nn;

/// <summary>
/// ONNX <c>MaxUnpool</c> (9, 11, 22): scatters X into a zero tensor at the MaxPool indices. Indices
/// are linear in the inferred shape ((in-1)*stride + kernel - pads); with output_shape the same
/// coordinates are placed in the requested shape.
/// </summary>
[OnnxKernel("MaxUnpool", Since = 9)]
public sealed class MaxUnpoolKernel : IKernel
{
    private readonly long[] _kernel;
    private readonly long[]? _pads, _strides;

    public MaxUnpoolKernel(KernelInfo info)
    {
        _kernel = info.Attributes.GetInts("kernel_shape") ?? throw info.Invalid("attribute 'kernel_shape' is required");
        _pads = info.Attributes.GetInts("pads");
        _strides = info.Attributes.GetInts("strides");
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0), iT = context.Input(1);
        int rank = x.Rank, sp = rank - 2;
        if (sp != _kernel.Length) throw context.Error($"X {x.ShapeString} has {sp} spatial dimensions, kernel_shape has {_kernel.Length}");
        if (!iT.Shape.AsSpan().SequenceEqual(x.Shape)) throw context.Error($"I shape {iT.ShapeString} must equal X shape {x.ShapeString}");
        var inferred = new int[rank];
        inferred[0] = x.Shape[0]; inferred[1] = x.Shape[1];
        for (int d = 0; d < sp; d++)
        {
            long s = _strides is { Length: > 0 } ? _strides[d] : 1;
            long pb = _pads is { Length: > 0 } ? _pads[d] : 0, pe = _pads is { Length: > 0 } ? _pads[d + sp] : 0;
            inferred[d + 2] = (int)((x.Shape[d + 2] - 1) * s + _kernel[d] - pb - pe);
        }
        int[] outShape = inferred;
        if (context.OptionalInput(2) is Tensor os)
        {
            long[] v = os.ToInt64Array();
            if (v.Length != rank) throw context.Error($"output_shape must have {rank} values, got {v.Length}");
            outShape = v.Select(d => checked((int)d)).ToArray();
        }
        Tensor y = context.Output(0, x.DType, outShape);
        long[] idx = iT.ToInt64Array();
        int es = x.DType.SizeOf();
        Span<byte> xb = x.Bytes, yb = y.Bytes;
        long inferredTotal = 1;
        foreach (int d in inferred) inferredTotal *= d;
        var coord = new int[rank];
        for (int i = 0; i < idx.Length; i++)
        {
            long li = idx[i];
            if (li < 0 || li >= inferredTotal) throw context.Error($"index {li} is outside the unpooled tensor of {inferredTotal} elements");
            long rem = li, o = 0, stride = 1;
            for (int d = rank - 1; d >= 0; d--) { coord[d] = (int)(rem % inferred[d]); rem /= inferred[d]; }
            bool inside = true;
            for (int d = rank - 1; d >= 0; d--)
            {
                if (coord[d] >= outShape[d]) { inside = false; break; }
                o += coord[d] * stride; stride *= outShape[d];
            }
            if (inside) xb.Slice(i * es, es).CopyTo(yb.Slice((int)o * es, es));
        }
    }
}

/// <summary>
/// ONNX <c>DeformConv</c> (19, 22), 2D: convolution whose kernel taps sample X bilinearly at
/// per-position learned offsets, optionally modulated by a mask; zero outside the input.
/// </summary>
[OnnxKernel("DeformConv", Since = 19)]
public sealed class DeformConvKernel : IKernel
{
    private readonly long[]? _dil, _pads, _strides, _kernel;
    private readonly int _group, _offsetGroup;

    public DeformConvKernel(KernelInfo info)
    {
        var a = info.Attributes;
        _dil = a.GetInts("dilations"); _pads = a.GetInts("pads"); _strides = a.GetInts("strides"); _kernel = a.GetInts("kernel_shape");
        _group = (int)a.GetInt("group", 1);
        _offsetGroup = (int)a.GetInt("offset_group", 1);
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0), w = context.Input(1), offT = context.Input(2);
        NnFloat.Require(context, x, "X");
        if (x.Rank != 4) throw context.Error($"only 2D DeformConv is supported, X is {x.ShapeString}");
        int n = x.Shape[0], C = x.Shape[1], H = x.Shape[2], W = x.Shape[3];
        int oc = w.Shape[0], cpg = w.Shape[1], kh = w.Shape[2], kw = w.Shape[3];
        if (_kernel is { Length: 2 } && (_kernel[0] != kh || _kernel[1] != kw)) throw context.Error("kernel_shape does not match W");
        if (cpg * _group != C || oc % _group != 0) throw context.Error($"W {w.ShapeString} does not fit C={C} with group={_group}");
        if (C % _offsetGroup != 0) throw context.Error($"offset_group {_offsetGroup} must divide C={C}");
        int sh = Get(_strides, 0, 1), sw = Get(_strides, 1, 1), dh = Get(_dil, 0, 1), dw = Get(_dil, 1, 1);
        int ph0 = Get(_pads, 0, 0), pw0 = Get(_pads, 1, 0), ph1 = Get(_pads, 2, 0), pw1 = Get(_pads, 3, 0);
        int oh = (H + ph0 + ph1 - (dh * (kh - 1) + 1)) / sh + 1, ow = (W + pw0 + pw1 - (dw * (kw - 1) + 1)) / sw + 1;
        int kk = kh * kw;
        if (offT.Rank != 4 || offT.Shape[1] != _offsetGroup * kk * 2 || offT.Shape[2] != oh || offT.Shape[3] != ow)
            throw context.Error($"offset must be [{n}, {_offsetGroup * kk * 2}, {oh}, {ow}], got {offT.ShapeString}");
        Tensor? bT = context.OptionalInput(3), mT = context.OptionalInput(4);
        ReadOnlySpan<float> xs = NnFloat.Read(x), ws = NnFloat.Read(w), offs = NnFloat.Read(offT);
        ReadOnlySpan<float> bias = bT is null ? default : NnFloat.Read(bT);
        ReadOnlySpan<float> mask = mT is null ? default : NnFloat.Read(mT);
        Tensor y = context.Output(0, x.DType, [n, oc, oh, ow]);
        Span<float> ys = NnFloat.Dest(y, out var scratch);
        int cpo = C / _offsetGroup, ocpg = oc / _group;
        int plane = oh * ow;
        // Sampled columns: [C * kk, oh * ow] per batch.
        var col = new float[C * kk * plane];
        for (int b = 0; b < n; b++)
        {
            for (int c = 0; c < C; c++)
            {
                int g = c / cpo;
                ReadOnlySpan<float> img = xs.Slice((b * C + c) * H * W, H * W);
                for (int i = 0; i < kh; i++)
                    for (int j = 0; j < kw; j++)
                    {
                        int k = i * kw + j;
                        int offH = ((b * _offsetGroup + g) * kk * 2 + 2 * k) * plane, offW = offH + plane;
                        int mOff = ((b * _offsetGroup + g) * kk + k) * plane;
                        Span<float> dst = col.AsSpan((c * kk + k) * plane, plane);
                        for (int yy = 0; yy < oh; yy++)
                            for (int xx = 0; xx < ow; xx++)
                            {
                                int p = yy * ow + xx;
                                float hp = yy * sh - ph0 + i * dh + offs[offH + p];
                                float wp = xx * sw - pw0 + j * dw + offs[offW + p];
                                float v = Bilinear(img, H, W, hp, wp);
                                if (!mask.IsEmpty) v *= mask[mOff + p];
                                dst[p] = v;
                            }
                    }
            }
            for (int o = 0; o < oc; o++)
            {
                int g = o / ocpg;
                Span<float> yr = ys.Slice((b * oc + o) * plane, plane);
                yr.Fill(bias.IsEmpty ? 0 : bias[o]);
                for (int ci = 0; ci < cpg; ci++)
                    for (int k = 0; k < kk; k++)
                    {
                        float wv = ws[(o * cpg + ci) * kk + k];
                        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(col.AsSpan(((g * cpg + ci) * kk + k) * plane, plane), wv, yr, yr);
                    }
            }
        }
        NnFloat.Commit(y, scratch);
    }

    private static int Get(long[]? v, int i, int dflt) => v is { Length: > 0 } && i < v.Length ? (int)v[i] : dflt;

    private static float Bilinear(ReadOnlySpan<float> img, int H, int W, float h, float w)
    {
        if (h <= -1 || h >= H || w <= -1 || w >= W) return 0;
        int hl = (int)MathF.Floor(h), wl = (int)MathF.Floor(w), hh = hl + 1, wh = wl + 1;
        float lh = h - hl, lw = w - wl, uh = 1 - lh, uw = 1 - lw;
        float v1 = hl >= 0 && wl >= 0 ? img[hl * W + wl] : 0;
        float v2 = hl >= 0 && wh < W ? img[hl * W + wh] : 0;
        float v3 = hh < H && wl >= 0 ? img[hh * W + wl] : 0;
        float v4 = hh < H && wh < W ? img[hh * W + wh] : 0;
        return uh * uw * v1 + uh * lw * v2 + lh * uw * v3 + lh * lw * v4;
    }
}
