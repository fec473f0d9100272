using Onyx.Core.Execution;
using Onyx.Cpu.Nn;
using Onyx.Tensors;

namespace Onyx.Cpu.Random;

/// <summary>Shared attribute parsing and output writing for the random generators.</summary>
internal static class RandomCommon
{
    public static float? Seed(KernelInfo info) => info.Attributes.Has("seed") ? info.Attributes.GetFloat("seed") : null;

    /// <summary>The <c>dtype</c> (default float) and required <c>shape</c> attributes of RandomNormal/RandomUniform.</summary>
    public static (DType DType, int[] Shape) FixedOutput(KernelInfo info)
    {
        var dtype = (DType)info.Attributes.GetInt("dtype", 1);
        var shape = (info.Attributes.GetInts("shape") ?? throw info.Invalid("attribute 'shape' is required")).Select(d => checked((int)d)).ToArray();
        if (!NnFloat.IsSupported(dtype)) throw info.Invalid($"dtype must be a float type, got {dtype.OnnxName()}");
        return (dtype, shape);
    }

    /// <summary>The optional <c>dtype</c> attribute of the generators shaped like their input.</summary>
    public static DType? LikeDType(KernelInfo info) => info.Attributes.Has("dtype") ? (DType)info.Attributes.GetInt("dtype") : null;

    /// <summary>RandomNormalLike/RandomUniformLike's output: the input's shape, in <paramref name="dtype"/> or else the input's float type.</summary>
    public static Tensor LikeOutput(KernelContext context, DType? dtype)
    {
        Tensor x = context.Input(0);
        DType dt = dtype ?? x.DType;
        if (!NnFloat.IsSupported(dt)) throw context.Error($"output type must be a float type, got {dt.OnnxName()}");
        return context.Output(0, dt, x.Shape);
    }

    public static void Fill(Tensor t, Func<double> next)
    {
        var v = new double[t.Length];
        for (int i = 0; i < v.Length; i++) v[i] = next();
        NnFloat.WriteDouble(t, v);
    }
}

/// <summary>ONNX <c>RandomNormal</c> (1, 22): normal samples of the attribute <c>shape</c>.</summary>
[OnnxKernel("RandomNormal", Since = 1)]
public sealed class RandomNormalKernel : IKernel
{
    private readonly float? _seed;
    private readonly double _mean, _scale;
    private readonly DType _dtype;
    private readonly int[] _shape;

    public RandomNormalKernel(KernelInfo info)
    {
        _seed = RandomCommon.Seed(info);
        _mean = info.Attributes.GetFloat("mean", 0f);
        _scale = info.Attributes.GetFloat("scale", 1f);
        (_dtype, _shape) = RandomCommon.FixedOutput(info);
    }

    public void Execute(KernelContext context)
    {
        var rng = Mt19937.Create(_seed);
        RandomCommon.Fill(context.Output(0, _dtype, _shape), () => _mean + _scale * rng.NextGaussian());
    }
}

/// <summary>ONNX <c>RandomUniform</c> (1, 22): uniform samples in [low, high) of the attribute <c>shape</c>.</summary>
[OnnxKernel("RandomUniform", Since = 1)]
public sealed class RandomUniformKernel : IKernel
{
    private readonly float? _seed;
    private readonly double _low, _high;
    private readonly DType _dtype;
    private readonly int[] _shape;

    public RandomUniformKernel(KernelInfo info)
    {
        _seed = RandomCommon.Seed(info);
        _low = info.Attributes.GetFloat("low", 0f);
        _high = info.Attributes.GetFloat("high", 1f);
        (_dtype, _shape) = RandomCommon.FixedOutput(info);
    }

    public void Execute(KernelContext context)
    {
        var rng = Mt19937.Create(_seed);
        RandomCommon.Fill(context.Output(0, _dtype, _shape), () => _low + (_high - _low) * rng.NextDouble());
    }
}

/// <summary>ONNX <c>RandomNormalLike</c> (1, 22): normal samples shaped like the input (dtype attribute or the input's type).</summary>
[OnnxKernel("RandomNormalLike", Since = 1)]
public sealed class RandomNormalLikeKernel : IKernel
{
    private readonly float? _seed;
    private readonly double _mean, _scale;
    private readonly DType? _dtype;

    public RandomNormalLikeKernel(KernelInfo info)
    {
        _seed = RandomCommon.Seed(info);
        _mean = info.Attributes.GetFloat("mean", 0f);
        _scale = info.Attributes.GetFloat("scale", 1f);
        _dtype = RandomCommon.LikeDType(info);
    }

    public void Execute(KernelContext context)
    {
        var rng = Mt19937.Create(_seed);
        RandomCommon.Fill(RandomCommon.LikeOutput(context, _dtype), () => _mean + _scale * rng.NextGaussian());
    }
}

/// <summary>ONNX <c>RandomUniformLike</c> (1, 22): uniform samples shaped like the input.</summary>
[OnnxKernel("RandomUniformLike", Since = 1)]
public sealed class RandomUniformLikeKernel : IKernel
{
    private readonly float? _seed;
    private readonly double _low, _high;
    private readonly DType? _dtype;

    public RandomUniformLikeKernel(KernelInfo info)
    {
        _seed = RandomCommon.Seed(info);
        _low = info.Attributes.GetFloat("low", 0f);
        _high = info.Attributes.GetFloat("high", 1f);
        _dtype = RandomCommon.LikeDType(info);
    }

    public void Execute(KernelContext context)
    {
        var rng = Mt19937.Create(_seed);
        RandomCommon.Fill(RandomCommon.LikeOutput(context, _dtype), () => _low + (_high - _low) * rng.NextDouble());
    }
}

/// <summary>ONNX <c>Bernoulli</c> (15, 22): y = 1 with probability x, output dtype attribute or the input's type.</summary>
[OnnxKernel("Bernoulli", Since = 15)]
public sealed class BernoulliKernel : IKernel
{
    private readonly float? _seed;
    private readonly DType? _dtype;

    public BernoulliKernel(KernelInfo info)
    {
        _seed = RandomCommon.Seed(info);
        _dtype = RandomCommon.LikeDType(info);
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        NnFloat.Require(context, x, "input");
        DType dt = _dtype ?? x.DType;
        double[] p = x.ToDoubleArray();
        var rng = Mt19937.Create(_seed);
        Tensor y = context.Output(0, dt, x.Shape);
        var v = new double[p.Length];
        for (int i = 0; i < v.Length; i++)
        {
            // numpy legacy binomial(1, p) by inversion: one uniform per draw.
            double pi = p[i];
            if (pi <= 0.5) v[i] = rng.NextDouble() > 1 - pi ? 1 : 0;
            else v[i] = rng.NextDouble() > pi ? 0 : 1;
        }
        WriteAny(y, v);
    }

    internal static void WriteAny(Tensor y, double[] v)
    {
        if (NnFloat.IsSupported(y.DType)) { NnFloat.WriteDouble(y, v); return; }
        switch (y.DType)
        {
            case DType.Int64: { var s = y.Span<long>(); for (int i = 0; i < v.Length; i++) s[i] = (long)v[i]; break; }
            case DType.Int32: { var s = y.Span<int>(); for (int i = 0; i < v.Length; i++) s[i] = (int)v[i]; break; }
            case DType.Int16: { var s = y.Span<short>(); for (int i = 0; i < v.Length; i++) s[i] = (short)v[i]; break; }
            case DType.UInt16: { var s = y.Span<ushort>(); for (int i = 0; i < v.Length; i++) s[i] = (ushort)v[i]; break; }
            case DType.UInt32: { var s = y.Span<uint>(); for (int i = 0; i < v.Length; i++) s[i] = (uint)v[i]; break; }
            case DType.UInt64: { var s = y.Span<ulong>(); for (int i = 0; i < v.Length; i++) s[i] = (ulong)v[i]; break; }
            case DType.Int8: { var s = y.Span<sbyte>(); for (int i = 0; i < v.Length; i++) s[i] = (sbyte)v[i]; break; }
            case DType.UInt8: case DType.Bool: { var s = y.Bytes; for (int i = 0; i < v.Length; i++) s[i] = (byte)v[i]; break; }
            default: throw new InvalidOperationException($"unsupported output type {y.DType.OnnxName()}");
        }
    }
}

/// <summary>ONNX <c>Multinomial</c> (7, 22): sample_size class indices per batch row from unnormalized log-probabilities.</summary>
[OnnxKernel("Multinomial", Since = 7)]
public sealed class MultinomialKernel : IKernel
{
    private readonly float? _seed;
    private readonly DType _dtype;
    private readonly int _samples;

    public MultinomialKernel(KernelInfo info)
    {
        _seed = RandomCommon.Seed(info);
        _dtype = (DType)info.Attributes.GetInt("dtype", (long)DType.Int32);
        _samples = (int)info.Attributes.GetInt("sample_size", 1);
        if (_dtype is not (DType.Int32 or DType.Int64)) throw info.Invalid($"dtype must be int32 or int64, got {_dtype.OnnxName()}");
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        NnFloat.Require(context, x, "input");
        if (x.Rank != 2) throw context.Error($"input must be [batch_size, class_size], got {x.ShapeString}");
        int batch = x.Shape[0], classes = x.Shape[1];
        double[] logits = x.ToDoubleArray();
        var rng = Mt19937.Create(_seed);
        var v = new double[batch * _samples];
        var cdf = new double[classes];
        for (int b = 0; b < batch; b++)
        {
            double max = double.NegativeInfinity;
            for (int c = 0; c < classes; c++) max = Math.Max(max, logits[b * classes + c]);
            double acc = 0;
            for (int c = 0; c < classes; c++) { acc += Math.Exp(logits[b * classes + c] - max); cdf[c] = acc; }
            for (int s = 0; s < _samples; s++)
            {
                double u = rng.NextDouble() * acc;
                int c = 0;
                while (c < classes - 1 && cdf[c] <= u) c++;
                v[b * _samples + s] = c;
            }
        }
        BernoulliKernel.WriteAny(context.Output(0, _dtype, [batch, _samples]), v);
    }
}
