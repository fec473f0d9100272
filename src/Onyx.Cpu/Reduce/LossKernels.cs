using Onyx.Core.Execution;
using Onyx.Cpu.Cast;
using Onyx.Tensors;
using Tensor = Onyx.Tensors.Tensor;

namespace Onyx.Cpu.Reduce;

/// <summary>Shared negative-log-likelihood core: input (N, C, d...) of log-probabilities, target (N, d...).</summary>
internal static class Nll
{
    public enum Reduction { None, Sum, Mean }

    /// <summary>The optional <c>ignore_index</c> attribute: targets equal to it add no loss.</summary>
    public static long? IgnoreIndex(KernelInfo info) => info.Attributes.Has("ignore_index") ? info.Attributes.GetInt("ignore_index") : null;

    public static Reduction Parse(KernelInfo info)
    {
        string r = info.Attributes.GetString("reduction", "mean");
        return r switch
        {
            "none" => Reduction.None,
            "sum" => Reduction.Sum,
            "mean" => Reduction.Mean,
            _ => throw info.Invalid($"reduction must be 'none', 'sum' or 'mean', got '{r}'"),
        };
    }

    /// <summary>Computes the loss into <paramref name="lossOut"/> (shape (N, d...) or a scalar).</summary>
    public static void Run(KernelContext context, double[] logp, int[] shape, Tensor target, Tensor? weight,
        long? ignoreIndex, Reduction reduction, DType outType, int outputIndex)
    {
        if (shape.Length < 2) throw context.Error($"input must have shape (N, C, ...), got rank {shape.Length}");
        int n = shape[0], c = shape[1];
        int inner = 1;
        for (int d = 2; d < shape.Length; d++) inner *= shape[d];
        long[] t = target.ToInt64Array();
        if (t.Length != n * inner)
            throw context.Error($"target has {t.Length} elements, expected {n * inner} for input {string.Join("x", shape)}");
        double[]? w = null;
        if (weight is not null)
        {
            w = new double[weight.Length];
            ElementConvert.ToDouble(weight, w);
            if (w.Length != c) throw context.Error($"weight has {w.Length} elements, expected C = {c}");
        }
        var loss = new double[n * inner];
        double wsum = 0;
        for (int b = 0; b < n; b++)
        {
            for (int i = 0; i < inner; i++)
            {
                long cls = t[b * inner + i];
                if (ignoreIndex is { } ii && cls == ii) continue;
                if (cls < 0 || cls >= c) throw context.Error($"target value {cls} is out of range [0, {c})");
                double wt = w is null ? 1 : w[cls];
                loss[b * inner + i] = -logp[(b * c + cls) * inner + i] * wt;
                wsum += wt;
            }
        }
        if (reduction == Reduction.None)
        {
            var outShape = new int[shape.Length - 1];
            outShape[0] = n;
            for (int d = 2; d < shape.Length; d++) outShape[d - 1] = shape[d];
            ElementConvert.FromDouble(loss, context.Output(outputIndex, outType, outShape));
            return;
        }
        double s = 0;
        foreach (double v in loss) s += v;
        if (reduction == Reduction.Mean) s = wsum == 0 ? 0 : s / wsum;
        ElementConvert.FromDouble([s], context.Output(outputIndex, outType, []));
    }
}

/// <summary>ONNX <c>NegativeLogLikelihoodLoss</c>: weights, ignore_index, reduction none/sum/mean.</summary>
[OnnxKernel("NegativeLogLikelihoodLoss", Since = 12)]
public sealed class NegativeLogLikelihoodLossKernel : IKernel
{
    private readonly Nll.Reduction _reduction;
    private readonly long? _ignoreIndex;

    public NegativeLogLikelihoodLossKernel(KernelInfo info)
    {
        _reduction = Nll.Parse(info);
        _ignoreIndex = Nll.IgnoreIndex(info);
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        var logp = new double[x.Length];
        ElementConvert.ToDouble(x, logp);
        Nll.Run(context, logp, x.Shape, context.Input(1), context.OptionalInput(2), _ignoreIndex, _reduction, x.DType, 0);
    }
}

/// <summary>
/// ONNX <c>SoftmaxCrossEntropyLoss</c>: log-softmax over axis 1 then the NLL loss; the optional
/// second output is the log-probabilities.
/// </summary>
[OnnxKernel("SoftmaxCrossEntropyLoss", Since = 12)]
public sealed class SoftmaxCrossEntropyLossKernel : IKernel
{
    private readonly Nll.Reduction _reduction;
    private readonly long? _ignoreIndex;

    public SoftmaxCrossEntropyLossKernel(KernelInfo info)
    {
        _reduction = Nll.Parse(info);
        _ignoreIndex = Nll.IgnoreIndex(info);
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        if (x.Rank < 2) throw context.Error($"scores must have shape (N, C, ...), got {x.ShapeString}");
        var v = new double[x.Length];
        ElementConvert.ToDouble(x, v);
        int n = x.Shape[0], c = x.Shape[1], inner = x.Length / Math.Max(1, n * c);
        for (int b = 0; b < n; b++)
        {
            for (int i = 0; i < inner; i++)
            {
                int basei = b * c * inner + i;
                double m = double.NegativeInfinity;
                for (int k = 0; k < c; k++) m = Math.Max(m, v[basei + k * inner]);
                double s = 0;
                for (int k = 0; k < c; k++) s += Math.Exp(v[basei + k * inner] - m);
                double ls = m + Math.Log(s);
                for (int k = 0; k < c; k++) v[basei + k * inner] -= ls;
            }
        }
        Nll.Run(context, v, x.Shape, context.Input(1), context.OptionalInput(2), _ignoreIndex, _reduction, x.DType, 0);
        if (context.OutputCount > 1) ElementConvert.FromDouble(v, context.Output(1, x.DType, x.Shape));
    }
}
