using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.Sequence;

/// <summary>ONNX <c>Optional</c>: wraps the input, or makes an empty optional of the <c>type</c> attribute.</summary>
[OnnxKernel("Optional", Since = 15)]
internal sealed class OptionalKernel(KernelInfo info) : IKernel
{
    private readonly TypeInfo? _type = info.Attributes.Get("type")?.TypeInfo;

    public void Execute(KernelContext context)
    {
        var v = context.InputValue(0);
        context.SetOutput(0, new OptionalValue(v, v?.Type ?? _type));
    }
}

/// <summary>ONNX <c>OptionalGetElement</c>: the value inside an optional (an error when empty); a plain tensor or sequence passes through (opset 18).</summary>
[OnnxKernel("OptionalGetElement", Since = 15)]
internal sealed class OptionalGetElementKernel : IKernel
{
    public OptionalGetElementKernel(KernelInfo info) { }

    public void Execute(KernelContext context)
    {
        switch (context.InputValue(0))
        {
            case OptionalValue o:
                context.SetOutput(0, o.Value ?? throw context.Error("the optional input is empty"));
                break;
            case null: throw context.Error("input 0 is required but missing");
            case var v: context.SetOutput(0, v); break;
        }
    }
}

/// <summary>ONNX <c>OptionalHasElement</c>: true when the input is given and (if an optional) not empty.</summary>
[OnnxKernel("OptionalHasElement", Since = 15)]
internal sealed class OptionalHasElementKernel : IKernel
{
    public OptionalHasElementKernel(KernelInfo info) { }

    public void Execute(KernelContext context)
    {
        bool has = context.InputValue(0) switch
        {
            null => false,
            OptionalValue o => o.HasValue,
            _ => true,
        };
        context.SetOutput(0, Tensor.Scalar(has));
    }
}
