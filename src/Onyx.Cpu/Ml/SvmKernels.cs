using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.Ml;

internal enum SvmKernelType { Linear, Poly, Rbf, Sigmoid }

/// <summary>Kernel evaluation shared by SVMClassifier and SVMRegressor (float math, as ONNX Runtime does it).</summary>
internal sealed class SvmKernelFunction
{
    public SvmKernelType Type;
    public float Gamma, Coef0, Degree;

    public static SvmKernelFunction Parse(KernelInfo info)
    {
        var k = new SvmKernelFunction
        {
            Type = info.Attributes.GetString("kernel_type", "LINEAR") switch
            {
                "LINEAR" => SvmKernelType.Linear,
                "POLY" => SvmKernelType.Poly,
                "RBF" => SvmKernelType.Rbf,
                "SIGMOID" => SvmKernelType.Sigmoid,
                var s => throw info.Invalid($"kernel_type must be LINEAR, POLY, RBF or SIGMOID, got '{s}'"),
            },
        };
        var p = info.Attributes.GetFloats("kernel_params") ?? [];
        if (p.Length >= 3) { k.Gamma = p[0]; k.Coef0 = p[1]; k.Degree = p[2]; }
        return k;
    }

    /// <summary>out[m, j] = K(x_m, b_j) for rows of <paramref name="x"/> (m×k) against rows of <paramref name="b"/> (n×k); <paramref name="c"/> is added for LINEAR.</summary>
    public void Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> b, int m, int n, int k, float c, Span<float> output)
    {
        for (int r = 0; r < m; r++)
        {
            var xr = x.Slice(r * k, k);
            for (int j = 0; j < n; j++)
            {
                var bj = b.Slice(j * k, k);
                float v;
                if (Type == SvmKernelType.Rbf)
                {
                    float sum = 0;
                    for (int f = 0; f < k; f++) { float d = xr[f] - bj[f]; sum += d * d; }
                    v = MathF.Exp(-Gamma * sum);
                }
                else
                {
                    float dot = 0;
                    for (int f = 0; f < k; f++) dot += xr[f] * bj[f];
                    if (Type == SvmKernelType.Linear) v = dot + c;
                    else
                    {
                        v = Gamma * dot + Coef0;
                        if (Type == SvmKernelType.Poly) v = Degree == 2 ? v * v : Degree == 3 ? v * v * v : MathF.Pow(v, Degree);
                        else v = MathF.Tanh(v);
                    }
                }
                output[r * n + j] = v;
            }
        }
    }
}

/// <summary>ai.onnx.ml <c>SVMRegressor</c>: support-vector (or linear) regression, optional one-class sign output.</summary>
[OnnxKernel("SVMRegressor", Domain = MlCommon.Domain)]
internal sealed class SvmRegressorKernel : IKernel
{
    private readonly SvmKernelFunction _kernel;
    private readonly float[] _coef, _sv, _rho;
    private readonly int _vectors;
    private readonly bool _oneClass;
    private readonly PostTransform _transform;

    public SvmRegressorKernel(KernelInfo info)
    {
        _kernel = SvmKernelFunction.Parse(info);
        _coef = info.Attributes.GetFloats("coefficients") ?? [];
        _sv = info.Attributes.GetFloats("support_vectors") ?? [];
        _rho = info.Attributes.GetFloats("rho") ?? [0f];
        _vectors = (int)info.Attributes.GetInt("n_supports", 0);
        _oneClass = info.Attributes.GetInt("one_class", 0) != 0;
        _transform = MlCommon.ParseTransform(info.Attributes.GetString("post_transform", "NONE"), info);
        if (_vectors == 0) _kernel.Type = SvmKernelType.Linear;
    }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var (n, c) = MlCommon.Rows(x);
        var xs = MlCommon.ToFloats(x);
        var y = context.Output(0, DType.Float32, [n, 1]).Span<float>();
        float rho = _rho.Length > 0 ? _rho[0] : 0;
        if (_vectors > 0)
        {
            int features = _sv.Length / _vectors;
            if (features != c) throw context.Error($"X has {c} features but the support vectors have {features}");
            var k = new float[n * _vectors];
            _kernel.Dot(xs, _sv, n, _vectors, c, 0, k);
            for (int r = 0; r < n; r++)
            {
                float s = 0;
                for (int j = 0; j < _vectors; j++) s += k[r * _vectors + j] * _coef[j];
                y[r] = s + rho;
            }
        }
        else
        {
            if (_coef.Length != c) throw context.Error($"X has {c} features but there are {_coef.Length} coefficients");
            _kernel.Dot(xs, _coef, n, 1, c, rho, y);
        }
        for (int r = 0; r < n; r++)
        {
            if (_oneClass) y[r] = y[r] > 0 ? 1f : -1f;
            if (_transform == PostTransform.Probit) y[r] = MlCommon.Probit(y[r]);
        }
    }
}

/// <summary>ai.onnx.ml <c>SVMClassifier</c>: one-vs-one SVC with votes (optionally Platt probabilities) or liblinear mode; ONNX Runtime's conventions.</summary>
[OnnxKernel("SVMClassifier", Domain = MlCommon.Domain)]
internal sealed class SvmClassifierKernel : IKernel
{
    private readonly SvmKernelFunction _kernel;
    private readonly float[] _coef, _sv, _rho, _probA, _probB;
    private readonly long[] _perClass;
    private readonly int[] _start;
    private readonly int _vectors, _classes;
    private readonly long[]? _intLabels;
    private readonly string[]? _stringLabels;
    private readonly PostTransform _transform;
    private readonly bool _svc, _allPositive;

    public SvmClassifierKernel(KernelInfo info)
    {
        var a = info.Attributes;
        _kernel = SvmKernelFunction.Parse(info);
        _coef = a.GetFloats("coefficients") ?? throw info.Invalid("coefficients is required");
        _sv = a.GetFloats("support_vectors") ?? [];
        _rho = a.GetFloats("rho") ?? throw info.Invalid("rho is required");
        _probA = a.GetFloats("prob_a") ?? [];
        _probB = a.GetFloats("prob_b") ?? [];
        _perClass = a.GetInts("vectors_per_class") ?? [];
        _intLabels = a.GetInts("classlabels_ints") is { Length: > 0 } li ? li : null;
        _stringLabels = a.GetStrings("classlabels_strings") is { Length: > 0 } ls ? ls : null;
        _classes = _stringLabels?.Length ?? _intLabels?.Length ?? throw info.Invalid("classlabels_ints or classlabels_strings is required");
        _transform = MlCommon.ParseTransform(a.GetString("post_transform", "NONE"), info);
        _start = new int[_perClass.Length];
        for (int i = 0; i < _perClass.Length; i++) { _start[i] = _vectors; _vectors += (int)_perClass[i]; }
        _svc = _vectors > 0;
        if (!_svc) _kernel.Type = SvmKernelType.Linear;
        if (_svc && _perClass.Length != _classes) throw info.Invalid($"vectors_per_class has {_perClass.Length} entries for {_classes} classes");
        _allPositive = _coef.All(v => v >= 0);
    }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var (n, c) = MlCommon.Rows(x);
        var xs = MlCommon.ToFloats(x);
        int pairs = _classes * (_classes - 1) / 2;
        bool proba = _probA.Length > 0;
        int cols = _svc && !proba ? (_classes > 2 ? pairs : 2) : _classes;
        int perRow = _svc && !proba ? pairs : _classes;
        int additional = _svc && !proba && _classes <= 2 ? (_transform == PostTransform.None ? 2 : 0) : -1;
        var z = context.Output(1, DType.Float32, [n, cols]).Span<float>();
        var labels = new int[n];
        float[]? kernels = null;
        if (_svc)
        {
            int features = _sv.Length / _vectors;
            if (features != c) throw context.Error($"X has {c} features but the support vectors have {features}");
            kernels = new float[n * _vectors];
            _kernel.Dot(xs, _sv, n, _vectors, c, 0, kernels);
        }
        var scores = new float[Math.Max(pairs, _classes)];
        var votes = new long[_classes];
        for (int r = 0; r < n; r++)
        {
            var row = z.Slice(r * cols, cols);
            float maxWeight = 0;
            int maxClass;
            if (!_svc)
            {
                int features = _coef.Length / _classes;
                if (features != c) throw context.Error($"X has {c} features but the coefficients imply {features}");
                _kernel.Dot(xs.AsSpan(r * c, c), _coef, 1, _classes, c, _rho[0], row);
                maxClass = 0;
                for (int k = 1; k < _classes; k++) if (row[k] > row[maxClass]) maxClass = k;
                maxWeight = row[maxClass];
            }
            else
            {
                Array.Clear(votes);
                var kr = kernels.AsSpan(r * _vectors, _vectors);
                int idx = 0;
                for (int i = 0; i < _classes - 1; i++)
                    for (int j = i + 1; j < _classes; j++)
                    {
                        double sum = 0;
                        for (int m = 0; m < _perClass[i]; m++) sum += _coef[_vectors * (j - 1) + _start[i] + m] * kr[_start[i] + m];
                        for (int m = 0; m < _perClass[j]; m++) sum += _coef[_vectors * i + _start[j] + m] * kr[_start[j] + m];
                        sum += _rho[idx];
                        scores[idx++] = (float)sum;
                        votes[sum > 0 ? i : j]++;
                    }
                maxClass = 0;
                for (int k = 1; k < _classes; k++) if (votes[k] > votes[maxClass]) maxClass = k;
                if (proba)
                {
                    var p2 = new float[_classes * _classes];
                    int index = 0;
                    for (int i = 0; i < _classes - 1; i++)
                    {
                        int q1 = i * _classes + i + 1, q2 = (i + 1) * _classes + i;
                        for (int j = i + 1; j < _classes; j++, index++)
                        {
                            float v1 = 1 - MlCommon.Logistic(scores[index] * _probA[index] + _probB[index]);
                            float v2 = Math.Min(Math.Max(v1, 1.0e-7f), 1 - 1.0e-7f);
                            p2[q1] = v2; p2[q2] = 1 - v2;
                            q1++; q2 += _classes;
                        }
                    }
                    MulticlassProbability(_classes, p2, row);
                }
                else if (additional >= 0) row[0] = scores[0];
                else scores.AsSpan(0, pairs).CopyTo(row);
            }
            if (pairs == 1 && _classes == 2)
            {
                if (!proba && ((_allPositive && maxWeight >= 0.5f) || (maxWeight > 0 && !_allPositive))) labels[r] = 1;
                else labels[r] = maxClass;
            }
            else labels[r] = maxClass;

            if (additional >= 0)
            {
                float s = row[0];
                if (_transform == PostTransform.Probit) row[0] = MlCommon.Probit(s);
                else MlCommon.ExpandBinary(s, row, additional, _transform);
            }
            else if (perRow > 1) MlCommon.Apply(row.Slice(0, perRow), _transform);
            else if (_transform == PostTransform.Probit) row[0] = MlCommon.Probit(row[0]);
        }
        if (_stringLabels is not null)
        {
            var s = new string[n];
            for (int r = 0; r < n; r++) s[r] = _stringLabels[labels[r]];
            context.SetOutput(0, Tensor.FromStrings(s, n));
        }
        else
        {
            var l = new long[n];
            for (int r = 0; r < n; r++) l[r] = _intLabels![labels[r]];
            context.SetOutput(0, Tensor.FromArray(l, n));
        }
    }

    /// <summary>Pairwise coupling (Wu, Lin, Weng 2004), as libsvm and ONNX Runtime implement it.</summary>
    private static void MulticlassProbability(int k, float[] r, Span<float> p)
    {
        var q = new float[k * k];
        var qp = new float[k];
        float eps = 0.005f / k;
        for (int i = 0; i < k; i++)
        {
            p[i] = 1f / k;
            for (int j = 0; j < i; j++)
            {
                q[i * k + i] += r[j * k + i] * r[j * k + i];
                q[i * k + j] = q[j * k + i];
            }
            for (int j = i + 1; j < k; j++)
            {
                q[i * k + i] += r[j * k + i] * r[j * k + i];
                q[i * k + j] = -r[j * k + i] * r[i * k + j];
            }
        }
        for (int loop = 0; loop < 100; loop++)
        {
            float pqp = 0;
            for (int i = 0; i < k; i++)
            {
                qp[i] = 0;
                for (int j = 0; j < k; j++) qp[i] += q[i * k + j] * p[j];
                pqp += p[i] * qp[i];
            }
            float maxError = 0;
            for (int i = 0; i < k; i++) maxError = Math.Max(maxError, Math.Abs(qp[i] - pqp));
            if (maxError < eps) break;
            for (int i = 0; i < k; i++)
            {
                float diff = (-qp[i] + pqp) / q[i * k + i];
                p[i] += diff;
                pqp = (pqp + diff * (diff * q[i * k + i] + 2 * qp[i])) / (1 + diff) / (1 + diff);
                for (int j = 0; j < k; j++)
                {
                    qp[j] = (qp[j] + diff * q[i * k + j]) / (1 + diff);
                    p[j] /= 1 + diff;
                }
            }
        }
    }
}
