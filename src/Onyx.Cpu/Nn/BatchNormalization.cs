using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.Nn;

/// <summary>
/// ONNX <c>BatchNormalization</c> (1-15). Inference: y = (x - mean) / sqrt(var + eps) * scale + B per
/// channel (axis 1). With training_mode (14+) the batch statistics are used and running_mean /
/// running_var outputs are mean*momentum + batch*(1-momentum) (population variance).
/// </summary>
[OnnxKernel("BatchNormalization", Since = 1)]
public sealed class BatchNormalizationKernel : IKernel
{
    private readonly float _epsilon;
    private readonly float _momentum;
    private readonly bool _training;

    public BatchNormalizationKernel(KernelInfo info)
    {
        _epsilon = info.Attributes.GetFloat("epsilon", 1e-5f);
        _momentum = info.Attributes.GetFloat("momentum", 0.9f);
        _training = info.Attributes.GetInt("training_mode", 0) != 0
            || (info.OpsetVersion < 14 && info.OpsetVersion >= 7 && info.Node.Outputs.Count > 1);
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        NnFloat.Require(context, x, "X");
        if (x.Rank < 2 && x.Rank != 1) throw context.Error($"input 'X' must have rank >= 1, got {x.ShapeString}");
        int n = x.Shape[0];
        int c = x.Rank > 1 ? x.Shape[1] : 1;
        int inner = NnFloat.Product(x.Shape, 2, x.Rank);
        ReadOnlySpan<float> scale = NnFloat.Read(context.Input(1));
        ReadOnlySpan<float> bias = NnFloat.Read(context.Input(2));
        ReadOnlySpan<float> inMean = NnFloat.Read(context.Input(3));
        ReadOnlySpan<float> inVar = NnFloat.Read(context.Input(4));
        if (scale.Length != c || bias.Length != c || inMean.Length != c || inVar.Length != c)
            throw context.Error($"scale, B, mean and var must have {c} elements (channels of X {x.ShapeString})");
        ReadOnlySpan<float> xs = NnFloat.Read(x);
        Tensor y = context.Output(0, x.DType, x.Shape);
        Span<float> ys = NnFloat.Dest(y, out var scratch);

        float[] mean = inMean.ToArray(), variance = inVar.ToArray();
        if (_training)
        {
            int count = n * inner;
            for (int ch = 0; ch < c; ch++)
            {
                double s = 0;
                for (int b = 0; b < n; b++)
                {
                    var row = xs.Slice((b * c + ch) * inner, inner);
                    for (int i = 0; i < inner; i++) s += row[i];
                }
                double m = s / count, v = 0;
                for (int b = 0; b < n; b++)
                {
                    var row = xs.Slice((b * c + ch) * inner, inner);
                    for (int i = 0; i < inner; i++) { double d = row[i] - m; v += d * d; }
                }
                mean[ch] = (float)m;
                variance[ch] = (float)(v / count);
            }
            for (int o = 1; o < Math.Min(context.OutputCount, 3); o++)
            {
                if (!context.IsOutputRequested(o)) continue;
                Tensor t = context.Output(o, context.Input(o == 1 ? 3 : 4).DType, [c]);
                var vals = new float[c];
                for (int ch = 0; ch < c; ch++)
                    vals[ch] = o == 1 ? inMean[ch] * _momentum + mean[ch] * (1 - _momentum)
                                      : inVar[ch] * _momentum + variance[ch] * (1 - _momentum);
                NnFloat.Write(t, vals);
            }
        }
        for (int ch = 0; ch < c; ch++)
        {
            float a = scale[ch] / MathF.Sqrt(variance[ch] + _epsilon);
            float bb = bias[ch] - mean[ch] * a;
            for (int b = 0; b < n; b++)
            {
                int off = (b * c + ch) * inner;
                var row = xs.Slice(off, inner);
                var yrow = ys.Slice(off, inner);
                System.Numerics.Tensors.TensorPrimitives.Multiply(row, a, yrow); System.Numerics.Tensors.TensorPrimitives.Add(yrow, bb, yrow);
            }
        }
        NnFloat.Commit(y, scratch);
    }
}

/// <summary>ONNX <c>InstanceNormalization</c> (1, 6): per (n, c) normalization over the spatial dimensions.</summary>
[OnnxKernel("InstanceNormalization", Since = 1)]
public sealed class InstanceNormalizationKernel : IKernel
{
    private readonly float _epsilon;

    public InstanceNormalizationKernel(KernelInfo info) => _epsilon = info.Attributes.GetFloat("epsilon", 1e-5f);

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        NnFloat.Require(context, x, "input");
        if (x.Rank < 2) throw context.Error($"input must have rank >= 2, got {x.ShapeString}");
        int n = x.Shape[0], c = x.Shape[1];
        int inner = NnFloat.Product(x.Shape, 2, x.Rank);
        ReadOnlySpan<float> scale = NnFloat.Read(context.Input(1));
        ReadOnlySpan<float> bias = NnFloat.Read(context.Input(2));
        if (scale.Length != c || bias.Length != c) throw context.Error($"scale and B must have {c} elements");
        ReadOnlySpan<float> xs = NnFloat.Read(x);
        Tensor y = context.Output(0, x.DType, x.Shape);
        Span<float> ys = NnFloat.Dest(y, out var scratch);
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
            {
                int off = (b * c + ch) * inner;
                GroupNormalizationKernel.Normalize(xs.Slice(off, inner), ys.Slice(off, inner), _epsilon, scale[ch], bias[ch]);
            }
        NnFloat.Commit(y, scratch);
    }
}

/// <summary>
/// ONNX <c>GroupNormalization</c> (18: scale/bias per group; 21: per channel). Statistics per
/// instance per group of channels; the scale/bias length picks the version's layout.
/// </summary>
[OnnxKernel("GroupNormalization", Since = 18)]
public sealed class GroupNormalizationKernel : IKernel
{
    private readonly float _epsilon;
    private readonly int _groups;

    public GroupNormalizationKernel(KernelInfo info)
    {
        _epsilon = info.Attributes.GetFloat("epsilon", 1e-5f);
        _groups = (int)info.Attributes.GetInt("num_groups");
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        NnFloat.Require(context, x, "X");
        if (x.Rank < 2) throw context.Error($"input must have rank >= 2, got {x.ShapeString}");
        int n = x.Shape[0], c = x.Shape[1];
        if (_groups <= 0 || c % _groups != 0) throw context.Error($"num_groups {_groups} must divide the {c} channels");
        int cpg = c / _groups;
        int inner = NnFloat.Product(x.Shape, 2, x.Rank);
        ReadOnlySpan<float> scale = NnFloat.Read(context.Input(1));
        ReadOnlySpan<float> bias = NnFloat.Read(context.Input(2));
        bool perGroup = scale.Length == _groups && scale.Length != c;
        if ((scale.Length != c && !perGroup) || bias.Length != scale.Length)
            throw context.Error($"scale and bias must have {c} (channels) or {_groups} (groups) elements, got {scale.Length} and {bias.Length}");
        ReadOnlySpan<float> xs = NnFloat.Read(x);
        Tensor y = context.Output(0, x.DType, x.Shape);
        Span<float> ys = NnFloat.Dest(y, out var scratch);
        int gsize = cpg * inner;
        for (int b = 0; b < n; b++)
            for (int g = 0; g < _groups; g++)
            {
                int off = (b * c + g * cpg) * inner;
                Normalize(xs.Slice(off, gsize), ys.Slice(off, gsize), _epsilon, 1f, 0f);
                for (int k = 0; k < cpg; k++)
                {
                    int ch = g * cpg + k;
                    float s = perGroup ? scale[g] : scale[ch], bb = perGroup ? bias[g] : bias[ch];
                    var yr = ys.Slice(off + k * inner, inner);
                    System.Numerics.Tensors.TensorPrimitives.Multiply(yr, s, yr); System.Numerics.Tensors.TensorPrimitives.Add(yr, bb, yr);
                }
            }
        NnFloat.Commit(y, scratch);
    }

    /// <summary>y = (x - mean) / sqrt(var + eps) * scale + bias over one contiguous block.</summary>
    internal static void Normalize(ReadOnlySpan<float> x, Span<float> y, float eps, float scale, float bias)
    {
        int n = x.Length;
        if (n == 0) return;
        float mean = System.Numerics.Tensors.TensorPrimitives.Sum(x) / n;
        System.Numerics.Tensors.TensorPrimitives.Subtract(x, mean, y);
        float variance = System.Numerics.Tensors.TensorPrimitives.SumOfSquares(y) / n;
        float a = scale / MathF.Sqrt(variance + eps);
        System.Numerics.Tensors.TensorPrimitives.Multiply(y, a, y); System.Numerics.Tensors.TensorPrimitives.Add(y, bias, y);
    }
}
