using System.Globalization;
using Onyx.Core.Execution;
using Onyx.Cpu.ControlFlow;
using Onyx.Tensors;

namespace Onyx.Cpu.Ml;

/// <summary>ai.onnx.ml <c>DictVectorizer</c>: a map becomes a [1, vocabulary] tensor with each value at its key's vocabulary index.</summary>
[OnnxKernel("DictVectorizer", Domain = MlCommon.Domain)]
internal sealed class DictVectorizerKernel : IKernel
{
    private readonly Dictionary<string, int>? _strings;
    private readonly Dictionary<long, int>? _ints;
    private readonly int _size;

    public DictVectorizerKernel(KernelInfo info)
    {
        if (info.Attributes.GetStrings("string_vocabulary") is { Length: > 0 } s)
        {
            _strings = new(StringComparer.Ordinal);
            for (int i = 0; i < s.Length; i++) _strings.TryAdd(s[i], i);
            _size = s.Length;
        }
        else if (info.Attributes.GetInts("int64_vocabulary") is { Length: > 0 } n)
        {
            _ints = [];
            for (int i = 0; i < n.Length; i++) _ints.TryAdd(n[i], i);
            _size = n.Length;
        }
        else throw info.Invalid("one of string_vocabulary or int64_vocabulary must be given");
    }

    public void Execute(KernelContext context)
    {
        if (context.InputValue(0) is not MapValue map) throw context.Error($"X must be a map, got {context.InputValue(0)?.Type}");
        var y = context.Output(0, map.Values.DType, [1, _size]);
        for (int i = 0; i < map.Keys.Length; i++)
        {
            int k = -1;
            if (map.Keys.DType == DType.String) { if (_strings is not null && _strings.TryGetValue(map.Keys.Strings[i], out int s)) k = s; }
            else if (_ints is not null && _ints.TryGetValue(map.Keys.ToInt64Array()[i], out int s)) k = s;
            if (k >= 0) AxisCopy.Copy(map.Values, i, y, k, 1);
        }
    }
}

/// <summary>ai.onnx.ml <c>CastMap</c>: an int64-keyed map becomes a [1, N] tensor ordered by key (DENSE) or placed by key (SPARSE), cast to float, int64 or string.</summary>
[OnnxKernel("CastMap", Domain = MlCommon.Domain)]
internal sealed class CastMapKernel : IKernel
{
    private readonly string _castTo, _form;
    private readonly int _maxMap;

    public CastMapKernel(KernelInfo info)
    {
        _castTo = info.Attributes.GetString("cast_to", "TO_FLOAT");
        _form = info.Attributes.GetString("map_form", "DENSE");
        _maxMap = (int)info.Attributes.GetInt("max_map", 1);
        if (_castTo is not ("TO_FLOAT" or "TO_STRING" or "TO_INT64")) throw info.Invalid($"cast_to must be TO_FLOAT, TO_STRING or TO_INT64, got '{_castTo}'");
        if (_form is not ("DENSE" or "SPARSE")) throw info.Invalid($"map_form must be DENSE or SPARSE, got '{_form}'");
    }

    public void Execute(KernelContext context)
    {
        if (context.InputValue(0) is not MapValue map) throw context.Error($"X must be a map, got {context.InputValue(0)?.Type}");
        long[] keys = map.Keys.ToInt64Array();
        var order = Enumerable.Range(0, keys.Length).OrderBy(i => keys[i]).ToArray();
        bool sparse = _form == "SPARSE";
        int n = sparse ? _maxMap : keys.Length;
        var dtype = _castTo switch { "TO_FLOAT" => DType.Float32, "TO_INT64" => DType.Int64, _ => DType.String };
        var y = context.Output(0, dtype, [1, n]);
        if (dtype == DType.String && sparse) Array.Fill(y.Strings, "0");
        for (int j = 0; j < order.Length; j++)
        {
            int i = order[j];
            int pos = sparse ? (int)keys[i] : j;
            if (pos < 0 || pos >= n) throw context.Error($"key {keys[i]} is outside [0, {n}) for SPARSE with max_map={n}");
            double num = map.Values.DType == DType.String
                ? double.TryParse(map.Values.Strings[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : double.NaN
                : map.Values.ToDoubleArray()[i];
            switch (dtype)
            {
                case DType.Float32: y.Span<float>()[pos] = (float)num; break;
                case DType.Int64: y.Span<long>()[pos] = (long)num; break;
                default:
                    y.Strings[pos] = map.Values.DType == DType.String ? map.Values.Strings[i] : ((float)num).ToString(CultureInfo.InvariantCulture);
                    break;
            }
        }
    }
}
