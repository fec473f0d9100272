using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>
/// ONNX <c>Constant</c>: the tensor of its one value attribute (value, value_float(s), value_int(s),
/// value_string(s)). The same tensor is returned each run; consumers never write their inputs.
/// </summary>
[OnnxKernel("Constant")]
internal sealed class ConstantKernel : IKernel
{
    private readonly Tensor _value;

    public ConstantKernel(KernelInfo info)
    {
        var a = info.Attributes;
        if (a.GetTensor("value") is { } t) _value = t;
        else if (a.Has("value_float")) _value = Tensor.Scalar(a.GetFloat("value_float"));
        else if (a.GetFloats("value_floats") is { } fs) _value = Tensor.FromArray(fs, fs.Length);
        else if (a.Has("value_int")) _value = Tensor.Scalar(a.GetInt("value_int"));
        else if (a.GetInts("value_ints") is { } ls) _value = Tensor.FromArray(ls, ls.Length);
        else if (a.Has("value_string")) _value = Tensor.FromStrings([a.GetString("value_string")]);
        else if (a.GetStrings("value_strings") is { } ss) _value = Tensor.FromStrings(ss, ss.Length);
        else if (a.Has("sparse_value"))
            throw info.Invalid("sparse_value is not supported (the loader does not decode sparse tensor attributes)");
        else throw info.Invalid("needs one of the attributes value, value_float(s), value_int(s), value_string(s)");
    }

    public void Execute(KernelContext context) => context.SetOutput(0, _value);
}
