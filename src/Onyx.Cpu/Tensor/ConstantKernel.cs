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
    private readonly bool _isGraphOutput;

    public ConstantKernel(KernelInfo info)
    {
        var a = info.Attributes;
        if (a.Has("value")) _value = a.GetTensor("value") ?? throw info.Invalid("value has no tensor");
        else if (a.Has("value_float")) _value = Tensor.Scalar(a.GetFloat("value_float"));
        else if (a.GetFloats("value_floats") is { } fs) _value = Tensor.FromArray(fs, fs.Length);
        else if (a.Has("value_int")) _value = Tensor.Scalar(a.GetInt("value_int"));
        else if (a.GetInts("value_ints") is { } ls) _value = Tensor.FromArray(ls, ls.Length);
        else if (a.Has("value_string")) _value = Tensor.FromStrings([a.GetString("value_string")]);
        else if (a.GetStrings("value_strings") is { } ss) _value = Tensor.FromStrings(ss, ss.Length);
        else if (a.Has("sparse_value"))
            _value = a.GetTensor("sparse_value") ?? throw info.Invalid("sparse_value has no tensor");
        else throw info.Invalid("needs one of the attributes value, value_float(s), value_int(s), value_string(s)");
        _isGraphOutput = info.Graph.Outputs.Any(o => o.Name == info.Node.Outputs[0]);
    }

    // A graph output goes to the caller, who may write it: hand out a copy so later runs stay intact.
    public void Execute(KernelContext context) => context.SetOutput(0, _isGraphOutput ? _value.Clone() : _value);
}
