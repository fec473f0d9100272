using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.OpenCl;

/// <summary>
/// ONNX GroupNormalization (18: scale/bias per group; 21: per channel). As on the CPU provider the
/// scale length picks the layout, so an opset-18 model and an opset-21 model both run. Statistics per
/// instance per group, accumulated in float.
/// </summary>
internal sealed class GroupNormOp(Node n) : GpuOp(n)
{
    private readonly float _eps = n.Attributes.GetFloat("epsilon", 1e-5f);
    private readonly int _groups = (int)n.Attributes.GetInt("num_groups", 0);

    public override void Run(GpuExec e)
    {
        var x = e.Get(Node.Inputs[0]);
        var scale = e.Get(Node.Inputs[1]);
        var bias = e.Get(Node.Inputs[2]);
        if (x.Shape.Length < 2) throw Fail($"input must have rank ≥ 2, got [{string.Join(",", x.Shape)}]");
        int batch = x.Shape[0], c = x.Shape[1];
        if (_groups <= 0 || c % _groups != 0) throw Fail($"num_groups {_groups} must divide the {c} channels");
        bool perGroup = scale.Length == _groups && scale.Length != c;
        if ((scale.Length != c && !perGroup) || bias.Length != scale.Length)
            throw Fail($"scale and bias must have {c} (channels) or {_groups} (groups) elements, got {scale.Length} and {bias.Length}");
        int spatial = Tensor.ElementCount(x.Shape.AsSpan(2));
        var y = e.Alloc(x.Shape);
        int rows = batch * _groups;
        e.Launch1("group_norm", rows, x, scale, bias, y, rows, _groups, c / _groups, spatial, _eps, perGroup ? 1 : 0);
        e.Values[Out] = y;
    }
}
