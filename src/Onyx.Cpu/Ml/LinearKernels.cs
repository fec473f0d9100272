using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.Ml;

/// <summary>ai.onnx.ml <c>LinearRegressor</c>: y = X·Wᵀ + b per target, then post_transform.</summary>
[OnnxKernel("LinearRegressor", Domain = MlCommon.Domain)]
internal sealed class LinearRegressorKernel : IKernel
{
    private readonly float[] _coef;
    private readonly float[] _intercepts;
    private readonly int _targets;
    private readonly PostTransform _transform;

    public LinearRegressorKernel(KernelInfo info)
    {
        _coef = info.Attributes.GetFloats("coefficients") ?? [];
        _intercepts = info.Attributes.GetFloats("intercepts") ?? [];
        _targets = (int)info.Attributes.GetInt("targets", 1);
        _transform = MlCommon.ParseTransform(info.Attributes.GetString("post_transform", "NONE"), info);
    }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var (n, c) = MlCommon.Rows(x);
        if (_coef.Length != _targets * c) throw context.Error($"coefficients has {_coef.Length} values, expected targets*features = {_targets}*{c}");
        var v = MlCommon.ToFloats(x);
        var y = context.Output(0, DType.Float32, [n, _targets]).Span<float>();
        for (int r = 0; r < n; r++)
        {
            var row = y.Slice(r * _targets, _targets);
            for (int t = 0; t < _targets; t++)
            {
                float s = _intercepts.Length > t ? _intercepts[t] : 0;
                for (int j = 0; j < c; j++) s += v[r * c + j] * _coef[t * c + j];
                row[t] = s;
            }
            if (_targets > 1) MlCommon.Apply(row, _transform);
            else if (_transform == PostTransform.Probit) row[0] = MlCommon.Probit(row[0]);
        }
    }
}

/// <summary>ai.onnx.ml <c>LinearClassifier</c>: scores = X·Wᵀ + b; label = argmax (or sign for one class); ONNX Runtime's score conventions.</summary>
[OnnxKernel("LinearClassifier", Domain = MlCommon.Domain)]
internal sealed class LinearClassifierKernel : IKernel
{
    private readonly float[] _coef;
    private readonly float[] _intercepts;
    private readonly long[]? _intLabels;
    private readonly string[]? _stringLabels;
    private readonly PostTransform _transform;

    public LinearClassifierKernel(KernelInfo info)
    {
        _coef = info.Attributes.GetFloats("coefficients") ?? throw info.Invalid("coefficients is required");
        _intercepts = info.Attributes.GetFloats("intercepts") ?? [];
        _intLabels = info.Attributes.GetInts("classlabels_ints") is { Length: > 0 } li ? li : null;
        _stringLabels = info.Attributes.GetStrings("classlabels_strings") is { Length: > 0 } ls ? ls : null;
        _transform = MlCommon.ParseTransform(info.Attributes.GetString("post_transform", "NONE"), info);
    }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var (n, c) = MlCommon.Rows(x);
        int classes = _intercepts.Length > 0 ? _intercepts.Length : (c == 0 ? 0 : _coef.Length / c);
        if (_coef.Length != classes * c) throw context.Error($"coefficients has {_coef.Length} values, expected classes*features = {classes}*{c}");
        bool strings = _stringLabels is not null;
        int labelCount = strings ? _stringLabels!.Length : _intLabels?.Length ?? 0;
        bool addSecond = classes == 1 && labelCount == 2;
        int outCols = addSecond ? 2 : classes;
        var v = MlCommon.ToFloats(x);
        var z = context.Output(1, DType.Float32, [n, outCols]).Span<float>();
        var labelsI = strings ? null : new long[n];
        var labelsS = strings ? new string[n] : null;
        var scores = new float[classes];
        for (int r = 0; r < n; r++)
        {
            for (int k = 0; k < classes; k++)
            {
                float s = _intercepts.Length > k ? _intercepts[k] : 0;
                for (int j = 0; j < c; j++) s += v[r * c + j] * _coef[k * c + j];
                scores[k] = s;
            }
            int best;
            if (classes == 1) best = scores[0] > 0 ? 1 : 0;
            else
            {
                best = 0;
                for (int k = 1; k < classes; k++) if (scores[k] > scores[best]) best = k;
            }
            if (classes == 1)
            {
                if (strings) labelsS![r] = labelCount == 2 ? _stringLabels![best] : (best == 1 ? "1" : "0");
                else labelsI![r] = labelCount == 2 ? _intLabels![best] : best;
            }
            else if (strings) labelsS![r] = _stringLabels![best];
            else labelsI![r] = _intLabels is not null ? _intLabels[best] : best;

            var row = z.Slice(r * outCols, outCols);
            if (classes > 1)
            {
                scores.CopyTo(row);
                MlCommon.Apply(row, _transform);
            }
            else if (_transform == PostTransform.Probit)
            {
                if (addSecond) { row[0] = MlCommon.Probit(scores[0]); } else row[0] = MlCommon.Probit(scores[0]);
            }
            else if (addSecond) MlCommon.ExpandBinary(scores[0], row, 1, _transform);
            else if (classes == 1) row[0] = scores[0];
        }
        if (strings) context.SetOutput(0, Tensor.FromStrings(labelsS!, n));
        else context.SetOutput(0, Tensor.FromArray(labelsI!, n));
    }
}
