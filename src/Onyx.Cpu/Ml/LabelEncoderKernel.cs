using Onyx.Core.Execution;
using Onyx.Cpu.ControlFlow;
using Onyx.Tensors;

namespace Onyx.Cpu.Ml;

/// <summary>
/// ai.onnx.ml <c>LabelEncoder</c>. Opset 1: classes_strings maps strings to their index and back.
/// Opset 2+: keys_*/values_* lists; opset 4 adds keys_tensor/values_tensor/default_tensor and more
/// element types. Unknown keys map to the default; NaN keys match NaN inputs; the last repeated key wins.
/// </summary>
[OnnxKernel("LabelEncoder", Domain = MlCommon.Domain)]
internal sealed class LabelEncoderKernel : IKernel
{
    private readonly Dictionary<string, int>? _stringKeys;
    private readonly Dictionary<double, int>? _numberKeys;
    private readonly Tensor _values;
    private readonly Tensor _default;

    public LabelEncoderKernel(KernelInfo info)
    {
        var a = info.Attributes;
        if (info.OpsetVersion < 2)
        {
            string[] classes = a.GetStrings("classes_strings") ?? [];
            // Either direction: string → index (int64) or int64 → string; decided at run time by the input type.
            _stringKeys = new(StringComparer.Ordinal);
            _numberKeys = [];
            for (int i = 0; i < classes.Length; i++) { _stringKeys[classes[i]] = i; _numberKeys[i] = i; }
            _values = Tensor.FromStrings(classes, classes.Length);
            _default = Tensor.FromStrings([a.GetString("default_string", "_Unused")], 1);
            _v1DefaultInt = a.GetInt("default_int64", -1);
            _v1 = true;
            return;
        }
        Tensor keys = a.GetTensor("keys_tensor")
            ?? (a.GetStrings("keys_strings") is { Length: > 0 } ks ? Tensor.FromStrings(ks, ks.Length)
            : a.GetInts("keys_int64s") is { Length: > 0 } ki ? Tensor.FromArray(ki, ki.Length)
            : a.GetFloats("keys_floats") is { Length: > 0 } kf ? Tensor.FromArray(kf, kf.Length)
            : throw info.Invalid("one of keys_strings, keys_int64s, keys_floats or keys_tensor must be given"));
        _values = a.GetTensor("values_tensor")
            ?? (a.GetStrings("values_strings") is { Length: > 0 } vs ? Tensor.FromStrings(vs, vs.Length)
            : a.GetInts("values_int64s") is { Length: > 0 } vi ? Tensor.FromArray(vi, vi.Length)
            : a.GetFloats("values_floats") is { Length: > 0 } vf ? Tensor.FromArray(vf, vf.Length)
            : throw info.Invalid("one of values_strings, values_int64s, values_floats or values_tensor must be given"));
        if (keys.Length != _values.Length) throw info.Invalid($"{keys.Length} keys but {_values.Length} values");
        if (keys.DType == DType.String)
        {
            _stringKeys = new(StringComparer.Ordinal);
            for (int i = 0; i < keys.Length; i++) _stringKeys[keys.Strings[i]] = i;
        }
        else
        {
            _numberKeys = [];
            var kd = keys.ToDoubleArray();
            for (int i = 0; i < kd.Length; i++) _numberKeys[kd[i]] = i;
        }
        if (a.GetTensor("default_tensor") is { } dt) _default = dt;
        else
        {
            _default = Tensor.Allocate(_values.DType, [1]);
            switch (_values.DType)
            {
                case DType.String: _default.Strings[0] = a.GetString("default_string", "_Unused"); break;
                case DType.Float32: _default.Span<float>()[0] = a.GetFloat("default_float", -0f); break;
                case DType.Float64: _default.Span<double>()[0] = a.GetFloat("default_float", -0f); break;
                case DType.Int64: _default.Span<long>()[0] = a.GetInt("default_int64", -1); break;
                case DType.Int32: _default.Span<int>()[0] = (int)a.GetInt("default_int64", -1); break;
                case DType.Int16: _default.Span<short>()[0] = (short)a.GetInt("default_int64", -1); break;
                default: throw info.Invalid($"values of type {_values.DType.OnnxName()} are not supported");
            }
        }
        if (_default.DType != _values.DType) throw info.Invalid($"default is {_default.DType.OnnxName()} but values are {_values.DType.OnnxName()}");
    }

    private readonly bool _v1;
    private readonly long _v1DefaultInt;

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        if (_v1 && x.DType != DType.String)
        {
            // int64 → string (index into classes_strings).
            var v = x.ToInt64Array();
            var r = new string[v.Length];
            for (int i = 0; i < v.Length; i++)
                r[i] = v[i] >= 0 && v[i] < _values.Length ? _values.Strings[v[i]] : _default.Strings[0];
            context.SetOutput(0, Tensor.FromStrings(r, x.Shape));
            return;
        }
        if (_v1)
        {
            var y1 = context.Output(0, DType.Int64, x.Shape).Span<long>();
            for (int i = 0; i < x.Length; i++) y1[i] = _stringKeys!.TryGetValue(x.Strings[i], out int k) ? k : _v1DefaultInt;
            return;
        }
        var y = context.Output(0, _values.DType, x.Shape);
        if (x.DType == DType.String)
        {
            if (_stringKeys is null) throw context.Error("X is tensor(string) but the keys are numeric");
            var s = x.Strings;
            for (int i = 0; i < s.Length; i++)
            {
                if (_stringKeys.TryGetValue(s[i], out int k)) AxisCopy.Copy(_values, k, y, i, 1);
                else AxisCopy.Copy(_default, 0, y, i, 1);
            }
        }
        else
        {
            if (_numberKeys is null) throw context.Error($"X is {x.DType.OnnxName()} but the keys are strings");
            var d = x.ToDoubleArray();
            for (int i = 0; i < d.Length; i++)
            {
                if (_numberKeys.TryGetValue(d[i], out int k)) AxisCopy.Copy(_values, k, y, i, 1);
                else AxisCopy.Copy(_default, 0, y, i, 1);
            }
        }
    }
}
