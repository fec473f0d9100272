using Onyx.Core.Execution;
using Onyx.Cpu.Nn;
using Onyx.Kernels.Gemm;
using Onyx.Tensors;
using Tensor = Onyx.Tensors.Tensor;

namespace Onyx.Cpu.Quantization;

/// <summary>
/// 2-D integer convolution shared by ConvInteger and QLinearConv: per group, uint8/int8 im2col
/// (padding = the input zero point, so it contributes 0) times the filter on the int8 GEMM, giving
/// int32 (x - x_zp)·(w - w_zp[m]) in NCHW order. A constant filter (with constant zero points) is
/// packed once per group at session load. Depthwise convolutions skip the GEMM (one row per group
/// would waste the tile) and run a direct loop. Other ranks go to <see cref="IntConvReference"/>.
/// </summary>
internal sealed unsafe class IntConv : IDisposable
{
    private readonly WindowAttributes _window;
    private readonly int _group;
    private readonly IntConvReference _reference;
    private readonly Int8PackedMatrix[]? _packedW;
    private readonly Tensor? _constW;
    private readonly QuantParamCache _zx = new(), _zw = new();

    public IntConv(KernelInfo info, int wIndex, int wZpIndex)
    {
        _window = WindowAttributes.Parse(info.Attributes);
        _group = (int)info.Attributes.GetInt("group", 1);
        _reference = new IntConvReference(info);
        Tensor? w = info.ConstantInput(wIndex);
        Tensor? zp = info.ConstantInput(wZpIndex);
        bool zpKnown = zp is not null || !info.Node.HasInput(wZpIndex);
        if (w is { Rank: 4 } && QuantScratch.IsByte(w.DType) && w.Length > 0 && zpKnown && w.Shape[0] % _group == 0 && !(w.Shape[1] == 1 && w.Shape[0] == _group))
        {
            int[] z = QuantScratch.ZeroPoints(zp);
            int m = w.Shape[0], mg = m / _group, kg = w.Shape[1] * w.Shape[2] * w.Shape[3];
            if (z.Length == 1 || z.Length == m)
            {
                _constW = w;
                _packedW = new Int8PackedMatrix[_group];
                for (int g = 0; g < _group; g++)
                    _packedW[g] = Int8PackedMatrix.PackA((byte*)w.Pointer + (nint)g * mg * kg, w.DType == DType.Int8, mg, kg, kg, false,
                        z.Length == 1 ? z : z.AsSpan(g * mg, mg));
            }
        }
    }

    public void Dispose()
    {
        if (_packedW is not null) foreach (var p in _packedW) p.Dispose();
    }

    /// <summary>The reference result (1-D/3-D convolutions, odd zero-point layouts).</summary>
    public IntConvReference.Result Reference(KernelContext context, Tensor x, Tensor w, Tensor? xzp, Tensor? wzp, Tensor? bias) =>
        _reference.Run(context, x, w, xzp, wzp, bias);

    /// <summary>True when <see cref="Run"/> takes these inputs.</summary>
    public bool Supported(Tensor x, Tensor w, Tensor? xzp, Tensor? wzp) =>
        x.Rank == 4 && w.Rank == 4 && QuantScratch.IsByte(x.DType) && QuantScratch.IsByte(w.DType) &&
        (xzp is null || xzp.Length <= 1) && (wzp is null || wzp.Length <= 1 || wzp.Length == w.Shape[0]) &&
        w.Shape[1] * _group == x.Shape[1] && w.Shape[0] % _group == 0;

    /// <summary>Output shape [N, M, OH, OW] and the window geometry.</summary>
    public int[] Shape(KernelContext context, Tensor x, Tensor w, out int[] pads, out int[] strides, out int[] dil)
    {
        int[] kernel = _window.KernelShape is { Length: 2 } ks ? ks : [w.Shape[2], w.Shape[3]];
        var (o, p, s, d) = _window.Forward(x.Shape.AsSpan(2), kernel, context);
        pads = p; strides = s; dil = d;
        return [x.Shape[0], w.Shape[0], o[0], o[1]];
    }

    /// <summary>acc[N x M x OH x OW] = Σ (x - x_zp)(w - w_zp[m]).</summary>
    public void Run(KernelContext context, Tensor x, Tensor w, Tensor? xzp, Tensor? wzp, int[] shape, int[] pads, int[] strides, int[] dil, int* acc)
    {
        int N = x.Shape[0], C = x.Shape[1], H = x.Shape[2], W = x.Shape[3];
        int M = w.Shape[0], Cg = w.Shape[1], KH = w.Shape[2], KW = w.Shape[3];
        int OH = shape[2], OW = shape[3], P = OH * OW, Mg = M / _group, Kg = Cg * KH * KW;
        int zx = _zx.ZeroPoints(xzp)[0];
        int[] zw = _zw.ZeroPoints(wzp);
        bool sx = x.DType == DType.Int8, sw = w.DType == DType.Int8;
        byte* px = (byte*)x.Pointer, pw = (byte*)w.Pointer;
        var pool = ConvShapes.Pool(context);
        if (Cg == 1 && Mg == 1)
        {
            IntDepthwise.Run(px, sx, zx, pw, sw, zw, N, C, H, W, KH, KW, OH, OW, pads[0], pads[1], strides[0], strides[1], dil[0], dil[1], acc, pool);
            return;
        }
        bool pointwise = KH == 1 && KW == 1 && strides[0] == 1 && strides[1] == 1 && pads[0] == 0 && pads[1] == 0 && pads[2] == 0 && pads[3] == 0;
        byte* col = pointwise ? null : QuantScratch.Col((nint)Kg * P);
        bool packed = _packedW is not null && ReferenceEquals(w, _constW);
        for (int n = 0; n < N; n++)
            for (int g = 0; g < _group; g++)
            {
                byte* xg = px + ((nint)n * C + g * Cg) * H * W;
                byte* b = xg;
                if (!pointwise)
                {
                    Im2Col(xg, Cg, H, W, KH, KW, OH, OW, pads[0], pads[1], strides[0], strides[1], dil[0], dil[1], (byte)zx, col);
                    b = col;
                }
                int* c = acc + ((nint)n * M + g * Mg) * P;
                if (packed)
                    Int8Gemm.Multiply(_packedW![g], b, sx, P, false, P, [zx], c, P, pool);
                else
                    Int8Gemm.Multiply(pw + (nint)g * Mg * Kg, sw, Kg, false, zw.Length == 1 ? zw : zw.AsSpan(g * Mg, Mg),
                        b, sx, P, false, [zx], Mg, P, Kg, c, P, pool);
            }
    }

    /// <summary>col[(c, i, j), (oy, ox)] = x[c, oy*sh - pt + i*dh, ox*sw - pl + j*dw], or the zero point in the padding.</summary>
    private static void Im2Col(byte* x, int C, int H, int W, int KH, int KW, int OH, int OW, int pt, int pl, int sh, int sw, int dh, int dw, byte pad, byte* col)
    {
        for (int c = 0; c < C; c++)
            for (int i = 0; i < KH; i++)
                for (int j = 0; j < KW; j++)
                {
                    byte* dst = col + (((nint)c * KH + i) * KW + j) * OH * OW;
                    // Valid ox range: 0 <= ox*sw - pl + j*dw < W.
                    int off = j * dw - pl;
                    int ox0 = off >= 0 ? 0 : Math.Min(OW, (-off + sw - 1) / sw);
                    int ox1 = W - off <= 0 ? 0 : Math.Min(OW, (W - off + sw - 1) / sw);
                    if (ox1 < ox0) ox1 = ox0;
                    for (int oy = 0; oy < OH; oy++, dst += OW)
                    {
                        int iy = oy * sh - pt + i * dh;
                        if ((uint)iy >= (uint)H) { new Span<byte>(dst, OW).Fill(pad); continue; }
                        byte* src = x + ((nint)c * H + iy) * W + off;
                        for (int ox = 0; ox < ox0; ox++) dst[ox] = pad;
                        if (sw == 1) Buffer.MemoryCopy(src + ox0, dst + ox0, ox1 - ox0, ox1 - ox0);
                        else for (int ox = ox0; ox < ox1; ox++) dst[ox] = src[ox * sw];
                        for (int ox = ox1; ox < OW; ox++) dst[ox] = pad;
                    }
                }
    }
}

/// <summary>ONNX <c>ConvInteger</c>: int32 convolution of (x - x_zero_point) and (w - w_zero_point).</summary>
[OnnxKernel("ConvInteger", Since = 10)]
public sealed unsafe class ConvIntegerKernel : IKernel, IDisposable
{
    private readonly IntConv _conv;

    public ConvIntegerKernel(KernelInfo info) => _conv = new IntConv(info, 1, 3);

    public void Dispose() => _conv.Dispose();

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0), w = context.Input(1);
        Tensor? xzp = context.OptionalInput(2), wzp = context.OptionalInput(3);
        if (!_conv.Supported(x, w, xzp, wzp))
        {
            var r = _conv.Reference(context, x, w, xzp, wzp, null);
            r.Acc.CopyTo(context.Output(0, DType.Int32, r.Shape).Span<int>());
            return;
        }
        int[] shape = _conv.Shape(context, x, w, out var pads, out var strides, out var dil);
        Tensor y = context.Output(0, DType.Int32, shape);
        if (y.Length == 0) return;
        _conv.Run(context, x, w, xzp, wzp, shape, pads, strides, dil, (int*)y.Pointer);
    }
}

/// <summary>
/// ONNX <c>QLinearConv</c>: y = saturate(round((conv(x - x_zp, w - w_zp[m]) + bias[m]) · x_scale·w_scale[m] / y_scale) + y_zp),
/// per-tensor or per-output-channel weight scale/zero point, int32 bias. Requantization follows MLAS
/// (float32 scale, round half to even, saturate).
/// </summary>
[OnnxKernel("QLinearConv", Since = 10)]
public sealed unsafe class QLinearConvKernel : IKernel, IDisposable
{
    private readonly IntConv _conv;
    private readonly QuantParamCache _xs = new(), _ws = new(), _ys = new(), _yz = new();

    public QLinearConvKernel(KernelInfo info) => _conv = new IntConv(info, 3, 5);

    public void Dispose() => _conv.Dispose();

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0), xScale = context.Input(1), w = context.Input(3), wScale = context.Input(4), yScale = context.Input(6);
        Tensor? xZp = context.OptionalInput(2), wZp = context.OptionalInput(5), yZp = context.OptionalInput(7), bias = context.OptionalInput(8);
        DType outType = yZp?.DType ?? x.DType;
        if (!QuantScratch.IsByte(outType)) throw context.Error($"output type {outType.OnnxName()} is not uint8/int8");
        if (bias is not null && (bias.DType != DType.Int32 || bias.Length != w.Shape[0]))
            throw context.Error($"bias must be int32 with {w.Shape[0]} values, got {bias.DType.OnnxName()} {bias.ShapeString}");
        float xs = _xs.Scales(xScale)[0], ys = _ys.Scales(yScale)[0];
        float[] ws = _ws.Scales(wScale);
        int yz = _yz.ZeroPoints(yZp)[0];
        bool signedOut = outType == DType.Int8;
        int[] shape;
        int* acc;
        if (!_conv.Supported(x, w, xZp, wZp))
        {
            var r = _conv.Reference(context, x, w, xZp, wZp, null);
            shape = r.Shape;
            acc = QuantScratch.Acc(r.Acc.Length);
            r.Acc.CopyTo(new Span<int>(acc, r.Acc.Length));
        }
        else
        {
            shape = _conv.Shape(context, x, w, out var pads, out var strides, out var dil);
            long total = (long)shape[0] * shape[1] * shape[2] * shape[3];
            acc = QuantScratch.Acc((nint)total);
            if (total > 0) _conv.Run(context, x, w, xZp, wZp, shape, pads, strides, dil, acc);
        }
        Tensor y = context.Output(0, outType, shape);
        if (y.Length == 0) return;
        int N = shape[0], M = shape[1], P = (int)(y.Length / ((long)N * M));
        fixed (float* pws = ws)
        {
            var body = new RequantBody
            {
                Acc = acc, Y = (byte*)y.Pointer, Bias = bias is null ? null : (int*)bias.Pointer, Ws = pws, WsCount = ws.Length,
                Xs = xs, Ys = ys, Yz = yz, Signed = signedOut, M = M, P = P,
            };
            var pool = ConvShapes.Pool(context);
            if (pool is { DegreeOfParallelism: > 1 } && y.Length >= 1 << 16) pool.Run(N * M, ref body);
            else for (int r = 0; r < N * M; r++) body.Invoke(r);
        }
    }

    /// <summary>One output row (image n, channel m) per item: requantize P accumulators.</summary>
    private struct RequantBody : Onyx.Kernels.Threading.IParallelBody
    {
        public int* Acc, Bias;
        public byte* Y;
        public float* Ws;
        public int WsCount, Yz, M, P;
        public float Xs, Ys;
        public bool Signed;

        public void Invoke(int row)
        {
            int m = row % M;
            nint o = (nint)row * P;
            // Scale in float32 as ORT: x_scale * w_scale[m] / y_scale.
            float s = Xs * Ws[WsCount == 1 ? 0 : m] / Ys;
            Int8Requantize.Row(Acc + o, P, Bias == null ? 0 : Bias[m], null, s, null, Yz, Y + o, Signed);
        }
    }
}
