using Onyx.Core.Execution;
using Onyx.Cpu.Signal;
using Onyx.Tensors;

namespace Onyx.Cpu.Ml;

/// <summary>ai.onnx.ml <c>ArrayFeatureExtractor</c>: gathers the given indices from the last axis.</summary>
[OnnxKernel("ArrayFeatureExtractor", Domain = MlCommon.Domain)]
internal sealed class ArrayFeatureExtractorKernel : IKernel
{
    public ArrayFeatureExtractorKernel(KernelInfo info) { }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        long[] idx = context.Input(1).ToInt64Array();
        if (x.Rank == 0) throw context.Error("X must have rank >= 1");
        int last = x.Shape[^1];
        foreach (var i in idx)
            if (i < 0 || i >= last) throw context.Error($"index {i} is out of range for the last dimension ({last})");
        int[] shape = x.Rank == 1 ? [1, idx.Length] : [.. x.Shape[..^1], idx.Length];
        int rows = last == 0 ? 0 : x.Length / last;
        var y = context.Output(0, x.DType, shape);
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < idx.Length; k++)
                ControlFlow.AxisCopy.Copy(x, r * last + (int)idx[k], y, r * idx.Length + k, 1);
    }
}

/// <summary>ai.onnx.ml <c>Binarizer</c>: 1 where x &gt; threshold, else 0 (same type).</summary>
[OnnxKernel("Binarizer", Domain = MlCommon.Domain)]
internal sealed class BinarizerKernel(KernelInfo info) : IKernel
{
    private readonly float _threshold = info.Attributes.GetFloat("threshold", 0f);

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var y = context.Output(0, x.DType, x.Shape);
        var v = x.ToDoubleArray();
        var r = new double[v.Length];
        for (int i = 0; i < v.Length; i++) r[i] = double.IsNaN(v[i]) ? v[i] : v[i] > _threshold ? 1 : 0;
        NumericIo.Write(y, r);
    }
}

/// <summary>ai.onnx.ml <c>Scaler</c>: (x - offset) * scale per feature, as float.</summary>
[OnnxKernel("Scaler", Domain = MlCommon.Domain)]
internal sealed class ScalerKernel(KernelInfo info) : IKernel
{
    private readonly float[] _offset = info.Attributes.GetFloats("offset") ?? [];
    private readonly float[] _scale = info.Attributes.GetFloats("scale") ?? [];

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var (_, c) = MlCommon.Rows(x);
        var v = x.ToDoubleArray();
        var y = context.Output(0, DType.Float32, x.Shape).Span<float>();
        for (int i = 0; i < v.Length; i++)
        {
            int f = c == 0 ? 0 : i % c;
            float off = _offset.Length == 0 ? 0 : _offset.Length == 1 ? _offset[0] : _offset[f];
            float sc = _scale.Length == 0 ? 1 : _scale.Length == 1 ? _scale[0] : _scale[f];
            y[i] = ((float)v[i] - off) * sc;
        }
    }
}

/// <summary>ai.onnx.ml <c>Normalizer</c>: MAX, L1 or L2 normalization of each row (unchanged when the divisor is 0).</summary>
[OnnxKernel("Normalizer", Domain = MlCommon.Domain)]
internal sealed class NormalizerKernel : IKernel
{
    private readonly string _norm;

    public NormalizerKernel(KernelInfo info)
    {
        _norm = info.Attributes.GetString("norm", "MAX");
        if (_norm is not ("MAX" or "L1" or "L2")) throw info.Invalid($"norm must be MAX, L1 or L2, got '{_norm}'");
    }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var (n, c) = MlCommon.Rows(x);
        var v = MlCommon.ToFloats(x);
        var y = context.Output(0, DType.Float32, x.Shape).Span<float>();
        for (int r = 0; r < n; r++)
        {
            var row = v.AsSpan(r * c, c);
            var dst = y.Slice(r * c, c);
            switch (_norm)
            {
                case "MAX":
                {
                    float max = float.MinValue;
                    foreach (var a in row) if (a > max) max = a;
                    for (int i = 0; i < c; i++) dst[i] = max != 0 ? row[i] / max : row[i];
                    break;
                }
                case "L1":
                {
                    float sum = 0;
                    foreach (var a in row) sum += MathF.Abs(a);
                    for (int i = 0; i < c; i++) dst[i] = sum != 0 ? row[i] / sum : row[i];
                    break;
                }
                default:
                {
                    float sum = 0;
                    foreach (var a in row) sum += a * a;
                    for (int i = 0; i < c; i++)
                    {
                        if (sum == 0) { dst[i] = row[i]; continue; }
                        float q = MathF.Sqrt(row[i] * row[i] / sum);
                        dst[i] = row[i] < 0 ? -q : q;
                    }
                    break;
                }
            }
        }
    }
}

/// <summary>ai.onnx.ml <c>Imputer</c>: replaces elements equal to the replaced value (NaN matches NaN) with the per-feature imputed value.</summary>
[OnnxKernel("Imputer", Domain = MlCommon.Domain)]
internal sealed class ImputerKernel(KernelInfo info) : IKernel
{
    private readonly float[] _floats = info.Attributes.GetFloats("imputed_value_floats") ?? [];
    private readonly long[] _ints = info.Attributes.GetInts("imputed_value_int64s") ?? [];
    private readonly float _replacedFloat = info.Attributes.GetFloat("replaced_value_float", 0f);
    private readonly long _replacedInt = info.Attributes.GetInt("replaced_value_int64", 0);

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var (_, c) = MlCommon.Rows(x);
        var y = context.Output(0, x.DType, x.Shape);
        if (x.DType.IsFloat())
        {
            if (_floats.Length == 0) throw context.Error("imputed_value_floats is required for float input");
            if (_floats.Length != 1 && _floats.Length != c) throw context.Error($"imputed_value_floats has {_floats.Length} values for {c} features");
            var v = x.ToDoubleArray();
            for (int i = 0; i < v.Length; i++)
            {
                bool hit = float.IsNaN(_replacedFloat) ? double.IsNaN(v[i]) : v[i] == _replacedFloat;
                if (hit) v[i] = _floats.Length == 1 ? _floats[0] : _floats[i % c];
            }
            NumericIo.Write(y, v);
        }
        else
        {
            if (_ints.Length == 0) throw context.Error("imputed_value_int64s is required for integer input");
            if (_ints.Length != 1 && _ints.Length != c) throw context.Error($"imputed_value_int64s has {_ints.Length} values for {c} features");
            var v = x.ToInt64Array();
            var r = new double[v.Length];
            for (int i = 0; i < v.Length; i++)
                r[i] = v[i] == _replacedInt ? (_ints.Length == 1 ? _ints[0] : _ints[i % c]) : v[i];
            if (x.DType == DType.Int64)
            {
                var ys = y.Span<long>();
                for (int i = 0; i < v.Length; i++) ys[i] = v[i] == _replacedInt ? (_ints.Length == 1 ? _ints[0] : _ints[i % c]) : v[i];
            }
            else NumericIo.Write(y, r);
        }
    }
}

/// <summary>ai.onnx.ml <c>OneHotEncoder</c>: appends an axis of category indicators (float).</summary>
[OnnxKernel("OneHotEncoder", Domain = MlCommon.Domain)]
internal sealed class OneHotEncoderKernel : IKernel
{
    private readonly Dictionary<long, int>? _ints;
    private readonly Dictionary<string, int>? _strings;
    private readonly int _count;
    private readonly bool _zeros;

    public OneHotEncoderKernel(KernelInfo info)
    {
        var ints = info.Attributes.GetInts("cats_int64s");
        var strs = info.Attributes.GetStrings("cats_strings");
        if (ints is { Length: > 0 })
        {
            _ints = [];
            for (int i = 0; i < ints.Length; i++) _ints.TryAdd(ints[i], i);
            _count = ints.Length;
        }
        else if (strs is { Length: > 0 })
        {
            _strings = new(StringComparer.Ordinal);
            for (int i = 0; i < strs.Length; i++) _strings.TryAdd(strs[i], i);
            _count = strs.Length;
        }
        else throw info.Invalid("one of cats_int64s or cats_strings must be given");
        _zeros = info.Attributes.GetInt("zeros", 1) != 0;
    }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var y = context.Output(0, DType.Float32, [.. x.Shape, _count]).Span<float>();
        for (int i = 0; i < x.Length; i++)
        {
            int k = -1;
            if (x.DType == DType.String)
            {
                if (_strings is not null && _strings.TryGetValue(x.Strings[i], out int s)) k = s;
            }
            else if (_ints is not null)
            {
                long key = x.DType.IsFloat() ? (long)x.ToDoubleArray()[i] : x.ToInt64Array()[i];
                if (_ints.TryGetValue(key, out int s)) k = s;
            }
            if (k >= 0) y[i * _count + k] = 1;
            else if (!_zeros) throw context.Error($"element {i} is not a known category and zeros=0");
        }
    }
}

/// <summary>ai.onnx.ml <c>CategoryMapper</c>: strings to int64 or int64 to strings through parallel category lists.</summary>
[OnnxKernel("CategoryMapper", Domain = MlCommon.Domain)]
internal sealed class CategoryMapperKernel : IKernel
{
    private readonly Dictionary<string, long> _toInt = new(StringComparer.Ordinal);
    private readonly Dictionary<long, string> _toString = [];
    private readonly long _defaultInt;
    private readonly string _defaultString;

    public CategoryMapperKernel(KernelInfo info)
    {
        var ints = info.Attributes.GetInts("cats_int64s") ?? [];
        var strs = info.Attributes.GetStrings("cats_strings") ?? [];
        if (ints.Length != strs.Length) throw info.Invalid($"cats_int64s has {ints.Length} entries but cats_strings has {strs.Length}");
        for (int i = 0; i < ints.Length; i++) { _toInt.TryAdd(strs[i], ints[i]); _toString.TryAdd(ints[i], strs[i]); }
        _defaultInt = info.Attributes.GetInt("default_int64", -1);
        _defaultString = info.Attributes.GetString("default_string", "_Unused");
    }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        if (x.DType == DType.String)
        {
            var y = context.Output(0, DType.Int64, x.Shape).Span<long>();
            var s = x.Strings;
            for (int i = 0; i < s.Length; i++) y[i] = _toInt.TryGetValue(s[i], out var v) ? v : _defaultInt;
        }
        else
        {
            var v = x.ToInt64Array();
            var r = new string[v.Length];
            for (int i = 0; i < v.Length; i++) r[i] = _toString.TryGetValue(v[i], out var s) ? s : _defaultString;
            context.SetOutput(0, Tensor.FromStrings(r, x.Shape));
        }
    }
}

/// <summary>ai.onnx.ml <c>FeatureVectorizer</c>: concatenates inputs' columns (each padded or cut to its inputdimensions entry) into a float [N, sum] tensor.</summary>
[OnnxKernel("FeatureVectorizer", Domain = MlCommon.Domain)]
internal sealed class FeatureVectorizerKernel(KernelInfo info) : IKernel
{
    private readonly long[] _dims = info.Attributes.GetInts("inputdimensions") ?? [];

    public void Execute(KernelContext context)
    {
        int total = 0;
        foreach (var d in _dims) total += (int)d;
        var first = context.Input(0);
        int n = first.Rank <= 1 ? 1 : first.Shape[0];
        var y = context.Output(0, DType.Float32, [n, total]).Span<float>();
        int offset = 0;
        for (int k = 0; k < context.InputCount; k++)
        {
            var x = context.Input(k);
            int dim = k < _dims.Length ? (int)_dims[k] : 0;
            int c = x.Rank <= 1 ? x.Length : x.Length / Math.Max(1, x.Shape[0]);
            var v = x.ToDoubleArray();
            for (int r = 0; r < n; r++)
                for (int j = 0; j < Math.Min(c, dim); j++)
                    y[r * total + offset + j] = (float)v[r * c + j];
            offset += dim;
        }
    }
}

/// <summary>ai.onnx.ml <c>ZipMap</c>: each row of an [N, C] float tensor becomes a map from the class labels to its scores.</summary>
[OnnxKernel("ZipMap", Domain = MlCommon.Domain)]
internal sealed class ZipMapKernel : IKernel
{
    private readonly Tensor _keys;

    public ZipMapKernel(KernelInfo info)
    {
        var ints = info.Attributes.GetInts("classlabels_int64s");
        var strs = info.Attributes.GetStrings("classlabels_strings");
        if (strs is { Length: > 0 }) _keys = Tensor.FromStrings(strs, strs.Length);
        else if (ints is { Length: > 0 }) _keys = Tensor.FromArray(ints, ints.Length);
        else throw info.Invalid("one of classlabels_int64s or classlabels_strings must be given");
    }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var (n, c) = MlCommon.Rows(x);
        if (c != _keys.Length) throw context.Error($"X has {c} columns but there are {_keys.Length} class labels");
        var v = MlCommon.ToFloats(x);
        var maps = new List<OnnxValue>(n);
        for (int r = 0; r < n; r++)
            maps.Add(new MapValue(_keys, Tensor.FromArray(v.AsSpan(r * c, c).ToArray(), c)));
        context.SetOutput(0, new SequenceValue(maps, new MapTypeInfo(_keys.DType, new TensorTypeInfo(DType.Float32, null))));
    }
}
