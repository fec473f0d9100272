using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.Signal;

/// <summary>Generalized cosine windows: w[n] = a0 - a1 cos(2πn/N) + a2 cos(4πn/N), N = size (periodic) or size-1 (symmetric).</summary>
internal abstract class CosineWindowKernel : IKernel
{
    private readonly DType _dtype;
    private readonly bool _periodic;
    private readonly double _a0, _a1, _a2;

    protected CosineWindowKernel(KernelInfo info, double a0, double a1, double a2)
    {
        _dtype = (DType)info.Attributes.GetInt("output_datatype", (long)DType.Float32);
        if (!NumericIo.IsNumericOutput(_dtype)) throw info.Invalid($"output_datatype {(int)_dtype} is not a numeric type");
        _periodic = info.Attributes.GetInt("periodic", 1) != 0;
        (_a0, _a1, _a2) = (a0, a1, a2);
    }

    public void Execute(KernelContext context)
    {
        long size = context.Input(0).ToInt64Array()[0];
        if (size < 0) throw context.Error($"size must be non-negative, got {size}");
        var y = context.Output(0, _dtype, [(int)size]);
        var v = new double[size];
        double denom = _periodic ? size : size - 1;
        for (int i = 0; i < size; i++)
        {
            double t = denom == 0 ? 0 : i / denom;
            v[i] = _a0 - _a1 * Math.Cos(2 * Math.PI * t) + _a2 * Math.Cos(4 * Math.PI * t);
        }
        NumericIo.Write(y, v);
    }
}

/// <summary>ONNX <c>HannWindow</c>.</summary>
[OnnxKernel("HannWindow", Since = 17)]
internal sealed class HannWindowKernel(KernelInfo info) : CosineWindowKernel(info, 0.5, 0.5, 0);

/// <summary>ONNX <c>HammingWindow</c> (a0 = 25/46).</summary>
[OnnxKernel("HammingWindow", Since = 17)]
internal sealed class HammingWindowKernel(KernelInfo info) : CosineWindowKernel(info, 25.0 / 46, 1 - 25.0 / 46, 0);

/// <summary>ONNX <c>BlackmanWindow</c>.</summary>
[OnnxKernel("BlackmanWindow", Since = 17)]
internal sealed class BlackmanWindowKernel(KernelInfo info) : CosineWindowKernel(info, 0.42, 0.5, 0.08);

/// <summary>ONNX <c>MelWeightMatrix</c>: triangular mel filterbank of shape [dft_length/2 + 1, num_mel_bins] (the reference algorithm).</summary>
[OnnxKernel("MelWeightMatrix", Since = 17)]
internal sealed class MelWeightMatrixKernel : IKernel
{
    private readonly DType _dtype;

    public MelWeightMatrixKernel(KernelInfo info)
    {
        _dtype = (DType)info.Attributes.GetInt("output_datatype", (long)DType.Float32);
        if (!NumericIo.IsNumericOutput(_dtype)) throw info.Invalid($"output_datatype {(int)_dtype} is not a numeric type");
    }

    public void Execute(KernelContext context)
    {
        int mel = (int)context.Input(0).ToInt64Array()[0];
        int dftLength = (int)context.Input(1).ToInt64Array()[0];
        long sampleRate = context.Input(2).ToInt64Array()[0];
        double lower = context.Input(3).ToDoubleArray()[0];
        double upper = context.Input(4).ToDoubleArray()[0];
        int specBins = dftLength / 2 + 1;
        var y = context.Output(0, _dtype, [specBins, mel]);
        double lowMel = 2595 * Math.Log10(1 + lower / 700);
        double highMel = 2595 * Math.Log10(1 + upper / 700);
        double melStep = (highMel - lowMel) / (mel + 2);
        var bins = new int[mel + 2];
        for (int i = 0; i < bins.Length; i++)
        {
            double f = i * melStep + lowMel;
            f = 700 * (Math.Pow(10, f / 2595) - 1);
            bins[i] = (int)Math.Floor((dftLength + 1) * f / sampleRate);
        }
        var v = new double[specBins * mel];
        for (int i = 0; i < mel; i++)
        {
            int lo = bins[i], c = bins[i + 1], hi = bins[i + 2];
            int lowToCenter = c - lo;
            if (lowToCenter == 0) { if (c < specBins) v[c * mel + i] = 1; }
            else
                for (int j = lo; j <= c; j++) if (j >= 0 && j < specBins) v[j * mel + i] = (double)(j - lo) / lowToCenter;
            int centerToHigh = hi - c;
            if (centerToHigh > 0)
                for (int j = c; j < hi; j++) if (j >= 0 && j < specBins) v[j * mel + i] = (double)(hi - j) / centerToHigh;
        }
        NumericIo.Write(y, v);
    }
}
