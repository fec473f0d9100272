using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.Signal;

/// <summary>
/// ONNX <c>DFT</c> (opset 17: axis attribute, default 1; opset 20: axis input, default -2), with
/// onesided (RFFT / IRFFT), inverse and dft_length (zero-pad or truncate). Computed in double precision.
/// </summary>
[OnnxKernel("DFT", Since = 17)]
internal sealed class DftKernel(KernelInfo info) : IKernel
{
    private readonly bool _axisInput = info.OpsetVersion >= 20;
    private readonly long _axisAttr = info.Attributes.GetInt("axis", 1);
    private readonly bool _inverse = info.Attributes.GetInt("inverse", 0) != 0;
    private readonly bool _onesided = info.Attributes.GetInt("onesided", 0) != 0;

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        if (!x.DType.IsFloat()) throw context.Error($"input must be a float tensor, got {x.DType.OnnxName()}");
        int r = x.Rank;
        if (r < 2) throw context.Error($"input must have rank >= 2 ([..., 1|2]), got {x.ShapeString}");
        int comps = x.Shape[^1];
        if (comps != 1 && comps != 2) throw context.Error($"the last dimension must be 1 (real) or 2 (complex), got {comps}");
        long axisL = _axisAttr;
        if (_axisInput) axisL = context.OptionalInput(2) is { } at ? at.ToInt64Array()[0] : -2;
        if (axisL < 0) axisL += r;
        if (axisL < 0 || axisL > r - 2) throw context.Error($"axis {axisL} is out of range for input {x.ShapeString}");
        int axis = (int)axisL;
        int nIn = x.Shape[axis];
        bool irfft = _inverse && _onesided;
        if (irfft && comps != 2) throw context.Error("inverse onesided DFT needs complex input");
        int length = context.OptionalInput(1) is { } dl ? (int)dl.ToInt64Array()[0] : (irfft ? 2 * (nIn - 1) : nIn);
        if (length <= 0) throw context.Error($"dft_length must be positive, got {length}");

        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= x.Shape[i];
        for (int i = axis + 1; i < r - 1; i++) inner *= x.Shape[i];
        int outLen = irfft ? length : (_onesided ? length / 2 + 1 : length);
        int outComps = irfft ? 1 : 2;
        int[] outShape = (int[])x.Shape.Clone();
        outShape[axis] = outLen;
        outShape[^1] = outComps;
        var y = context.Output(0, x.DType, outShape);

        double[] xs = x.ToDoubleArray();
        var ys = new double[y.Length];
        var fft = new Fft(length);
        var re = new double[length];
        var im = new double[length];
        for (int o = 0; o < outer; o++)
            for (int q = 0; q < inner; q++)
            {
                Array.Clear(re); Array.Clear(im);
                if (irfft)
                {
                    // Rebuild the full Hermitian spectrum from bins 0..length/2.
                    int have = Math.Min(nIn, length / 2 + 1);
                    for (int k = 0; k < have; k++)
                    {
                        int src = ((o * nIn + k) * inner + q) * 2;
                        re[k] = xs[src]; im[k] = xs[src + 1];
                        if (k > 0 && length - k > length / 2) { re[length - k] = xs[src]; im[length - k] = -xs[src + 1]; }
                    }
                }
                else
                {
                    int take = Math.Min(nIn, length);
                    for (int k = 0; k < take; k++)
                    {
                        int src = ((o * nIn + k) * inner + q) * comps;
                        re[k] = xs[src];
                        im[k] = comps == 2 ? xs[src + 1] : 0;
                    }
                }
                fft.Transform(re, im, _inverse);
                for (int k = 0; k < outLen; k++)
                {
                    int dst = ((o * outLen + k) * inner + q) * outComps;
                    ys[dst] = re[k];
                    if (outComps == 2) ys[dst + 1] = im[k];
                }
            }
        NumericIo.Write(y, ys);
    }
}

/// <summary>ONNX <c>STFT</c>: windowed DFTs of frames of a [batch, length, 1|2] signal; output [batch, frames, bins, 2].</summary>
[OnnxKernel("STFT", Since = 17)]
internal sealed class StftKernel(KernelInfo info) : IKernel
{
    private readonly bool _onesided = info.Attributes.GetInt("onesided", 1) != 0;

    public void Execute(KernelContext context)
    {
        var signal = context.Input(0);
        if (signal.Rank != 3 || (signal.Shape[2] != 1 && signal.Shape[2] != 2))
            throw context.Error($"signal must have shape [batch, length, 1|2], got {signal.ShapeString}");
        int step = (int)context.Input(1).ToInt64Array()[0];
        var window = context.OptionalInput(2);
        int? frameLength = context.OptionalInput(3) is { } fl ? (int)fl.ToInt64Array()[0] : null;
        int n = frameLength ?? window?.Length ?? throw context.Error("either window or frame_length must be given");
        if (window is not null && window.Length != n) throw context.Error($"window has {window.Length} elements but frame_length is {n}");
        int batch = signal.Shape[0], len = signal.Shape[1], comps = signal.Shape[2];
        if (step <= 0) throw context.Error($"frame_step must be positive, got {step}");
        if (n > len) throw context.Error($"frame length {n} exceeds the signal length {len}");
        bool onesided = _onesided && comps == 1;
        int frames = (len - n) / step + 1;
        int bins = onesided ? n / 2 + 1 : n;
        var y = context.Output(0, signal.DType, [batch, frames, bins, 2]);
        double[] xs = signal.ToDoubleArray();
        double[]? w = window?.ToDoubleArray();
        var ys = new double[y.Length];
        var fft = new Fft(n);
        var re = new double[n];
        var im = new double[n];
        for (int b = 0; b < batch; b++)
            for (int f = 0; f < frames; f++)
            {
                for (int k = 0; k < n; k++)
                {
                    int src = (b * len + f * step + k) * comps;
                    double wk = w is null ? 1 : w[k];
                    re[k] = xs[src] * wk;
                    im[k] = comps == 2 ? xs[src + 1] * wk : 0;
                }
                fft.Transform(re, im, inverse: false);
                for (int k = 0; k < bins; k++)
                {
                    int dst = ((b * frames + f) * bins + k) * 2;
                    ys[dst] = re[k]; ys[dst + 1] = im[k];
                }
            }
        NumericIo.Write(y, ys);
    }
}
