using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>ONNX <c>Flatten</c>: [d0..d(axis-1)] x [d(axis)..] as a 2-D view (negative axis from 11).</summary>
[OnnxKernel("Flatten")]
internal sealed class FlattenKernel : IKernel
{
    private readonly long _axis;

    public FlattenKernel(KernelInfo info) => _axis = info.Attributes.GetInt("axis", 1);

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        long axis = _axis < 0 ? _axis + x.Rank : _axis;
        if (axis < 0 || axis > x.Rank) throw context.Error($"axis {_axis} is out of range for input {x.ShapeString}");
        long outer = TensorOpHelpers.Product(x.Shape, 0, (int)axis);
        long inner = TensorOpHelpers.Product(x.Shape, (int)axis, x.Rank);
        context.SetOutput(0, x.Reshape([(int)outer, (int)inner]));
    }
}
