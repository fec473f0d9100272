using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.Nn;

/// <summary>ONNX <c>LpNormalization</c> (1, 22): x / ||x||_p along <c>axis</c> (p is 1 or 2).</summary>
[OnnxKernel("LpNormalization", Since = 1)]
public sealed class LpNormalizationKernel : IKernel
{
    private readonly long _axis;
    private readonly long _p;

    public LpNormalizationKernel(KernelInfo info)
    {
        _axis = info.Attributes.GetInt("axis", -1);
        _p = info.Attributes.GetInt("p", 2);
        if (_p != 1 && _p != 2) throw info.Invalid($"p must be 1 or 2, got {_p}");
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        NnFloat.Require(context, x, "input");
        int axis = NnFloat.NormalizeAxis(context, _axis, x.Rank);
        int outer = NnFloat.Product(x.Shape, 0, axis), len = x.Shape[axis], inner = NnFloat.Product(x.Shape, axis + 1, x.Rank);
        ReadOnlySpan<float> xs = NnFloat.Read(x);
        Tensor y = context.Output(0, x.DType, x.Shape);
        Span<float> ys = NnFloat.Dest(y, out var scratch);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int b = o * len * inner + i;
                double norm = 0;
                for (int k = 0; k < len; k++) { float v = xs[b + k * inner]; norm += _p == 1 ? Math.Abs(v) : (double)v * v; }
                if (_p == 2) norm = Math.Sqrt(norm);
                // A zero vector normalises to zero (the reference's output), not to 0/0 = NaN.
                double scale = norm == 0 ? 0 : 1 / norm;
                for (int k = 0; k < len; k++) ys[b + k * inner] = (float)(xs[b + k * inner] * scale);
            }
        NnFloat.Commit(y, scratch);
    }
}

/// <summary>ONNX <c>MeanVarianceNormalization</c> (9, 13): (x - E[x]) / (sqrt(E[x²] - E[x]²) + 1e-9) over <c>axes</c>.</summary>
[OnnxKernel("MeanVarianceNormalization", Since = 9)]
public sealed class MeanVarianceNormalizationKernel : IKernel
{
    private readonly long[] _axes;

    public MeanVarianceNormalizationKernel(KernelInfo info) => _axes = info.Attributes.GetInts("axes") ?? [0, 2, 3];

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        NnFloat.Require(context, x, "X");
        int rank = x.Rank;
        var reduced = new bool[rank];
        foreach (long a in _axes) reduced[NnFloat.NormalizeAxis(context, a, rank, "axes entry")] = true;
        // Group index of every element: flattened index over the kept dimensions.
        int groups = 1;
        var gstride = new int[rank];
        for (int d = rank - 1; d >= 0; d--)
            if (!reduced[d]) { gstride[d] = groups; groups *= x.Shape[d]; }
        int total = x.Length;
        var gidx = new int[total];
        var idx = new int[rank];
        for (int i = 0; i < total; i++)
        {
            int g = 0;
            for (int d = 0; d < rank; d++) g += idx[d] * gstride[d];
            gidx[i] = g;
            for (int d = rank - 1; d >= 0; d--) { if (++idx[d] < x.Shape[d]) break; idx[d] = 0; }
        }
        ReadOnlySpan<float> xs = NnFloat.Read(x);
        var sum = new double[groups];
        var sq = new double[groups];
        var cnt = new int[groups];
        for (int i = 0; i < total; i++) { sum[gidx[i]] += xs[i]; sq[gidx[i]] += (double)xs[i] * xs[i]; cnt[gidx[i]]++; }
        var mean = new double[groups];
        var den = new double[groups];
        for (int g = 0; g < groups; g++)
        {
            mean[g] = cnt[g] == 0 ? 0 : sum[g] / cnt[g];
            double v = cnt[g] == 0 ? 0 : sq[g] / cnt[g] - mean[g] * mean[g];
            den[g] = Math.Sqrt(Math.Max(v, 0)) + 1e-9;
        }
        Tensor y = context.Output(0, x.DType, x.Shape);
        Span<float> ys = NnFloat.Dest(y, out var scratch);
        for (int i = 0; i < total; i++) ys[i] = (float)((xs[i] - mean[gidx[i]]) / den[gidx[i]]);
        NnFloat.Commit(y, scratch);
    }
}

/// <summary>ONNX <c>LRN</c> (1, 13): x / (bias + alpha / size * sum of squares over neighbouring channels)^beta.</summary>
[OnnxKernel("LRN", Since = 1)]
public sealed class LrnKernel : IKernel
{
    private readonly float _alpha, _beta, _bias;
    private readonly int _size;

    public LrnKernel(KernelInfo info)
    {
        _alpha = info.Attributes.GetFloat("alpha", 1e-4f);
        _beta = info.Attributes.GetFloat("beta", 0.75f);
        _bias = info.Attributes.GetFloat("bias", 1f);
        _size = (int)info.Attributes.GetInt("size");
        if (_size <= 0) throw info.Invalid($"size must be positive, got {_size}");
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        NnFloat.Require(context, x, "X");
        if (x.Rank < 2) throw context.Error($"input must have rank >= 2, got {x.ShapeString}");
        int n = x.Shape[0], c = x.Shape[1], inner = NnFloat.Product(x.Shape, 2, x.Rank);
        int lo = (_size - 1) / 2, hi = _size - 1 - lo;
        ReadOnlySpan<float> xs = NnFloat.Read(x);
        Tensor y = context.Output(0, x.DType, x.Shape);
        Span<float> ys = NnFloat.Dest(y, out var scratch);
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
            {
                int c0 = Math.Max(0, ch - lo), c1 = Math.Min(c - 1, ch + hi);
                for (int i = 0; i < inner; i++)
                {
                    double s = 0;
                    for (int k = c0; k <= c1; k++) { float v = xs[(b * c + k) * inner + i]; s += (double)v * v; }
                    int off = (b * c + ch) * inner + i;
                    ys[off] = (float)(xs[off] / Math.Pow(_bias + _alpha / _size * s, _beta));
                }
            }
        NnFloat.Commit(y, scratch);
    }
}
