using Onyx.Core.Execution;
using Onyx.Cpu.Common;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>ONNX <c>ConstantOfShape</c>: a tensor of the given shape filled with the one-element <c>value</c> (default float 0).</summary>
[OnnxKernel("ConstantOfShape")]
internal sealed class ConstantOfShapeKernel : IKernel
{
    private readonly Tensor? _value;

    public ConstantOfShapeKernel(KernelInfo info)
    {
        _value = info.Attributes.GetTensor("value");
        if (_value is not null && _value.Length != 1) throw info.Invalid($"value must hold one element, has shape {_value.ShapeString}");
    }

    public void Execute(KernelContext context)
    {
        long[] dims = context.Input(0).ToInt64Array();
        var shape = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++) shape[i] = TensorOpHelpers.Dim(context, dims[i], "shape entry");
        var y = context.Output(0, _value?.DType ?? DType.Float32, shape);
        if (_value is not null) StridedCopy.FillElement(_value, 0, y, 0, y.Length);
    }
}
