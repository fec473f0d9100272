using System.Numerics;
using Onyx.Core.Execution;
using Onyx.Kernels.Elementwise;
using Onyx.Tensors;

namespace Onyx.Cpu.MathOps;

/// <summary>
/// Max, Min, Sum, Mean over any number of inputs with numpy broadcasting: y = x0 op x1 into the
/// full broadcast shape, then y = y op xi in place. Mean divides the sum by the input count.
/// </summary>
internal abstract class VariadicKernel(ArithmeticKind kind, bool mean) : IKernel
{
    public void Execute(KernelContext context)
    {
        int n = context.InputCount;
        if (n == 0) throw context.Error("needs at least one input");
        var shapes = new int[n][];
        Tensor x0 = context.Input(0);
        for (int i = 0; i < n; i++)
        {
            Tensor xi = context.Input(i);
            if (xi.DType != x0.DType)
                throw context.Error($"input {i} is {xi.DType.OnnxName()}, input 0 is {x0.DType.OnnxName()}; all must match");
            shapes[i] = xi.Shape;
        }
        Tensor y = context.Output(0, x0.DType, Shapes.Broadcast(context, shapes));
        if (n == 1) ElementwiseBroadcast.Expand(x0, y, ElementwiseBroadcast.Pool(context));
        else
        {
            var pool = ElementwiseBroadcast.Pool(context);
            if (!ArithmeticKernel.Apply(kind, x0, context.Input(1), y, pool))
                throw context.Error($"type {x0.DType.OnnxName()} is not supported");
            for (int i = 2; i < n; i++) ArithmeticKernel.Apply(kind, y, context.Input(i), y, pool);
        }
        if (mean && n > 1) DivideBy(y, n);
    }

    private static void DivideBy(Tensor y, int n)
    {
        switch (y.DType)
        {
            case DType.Float32: Binary.InvokeScalarB(y.Span<float>(), n, y.Span<float>(), new DivideOperator<float>()); break;
            case DType.Float64: Binary.InvokeScalarB(y.Span<double>(), n, y.Span<double>(), new DivideOperator<double>()); break;
            default:
                var c = Tensor.Allocate(y.DType, []);
                if (y.DType == DType.Float16) c.Span<Half>()[0] = (Half)n;
                else if (y.DType == DType.BFloat16) c.Span<BFloat16>()[0] = BFloat16.FromFloat(n);
                else { var v = new SetOne(c, n); NumericDispatch.Integer(y.DType, ref v); }
                ArithmeticKernel.Apply(ArithmeticKind.Div, y, c, y);
                break;
        }
    }

    private readonly struct SetOne(Tensor t, int n) : INumericVisitor
    {
        public void Visit<T>() where T : unmanaged, INumber<T> => t.Span<T>()[0] = T.CreateTruncating(n);
    }
}

/// <summary>ONNX <c>Max</c>: elementwise maximum of the inputs.</summary>
[OnnxKernel("Max", Since = 1)]
internal sealed class MaxKernel : VariadicKernel
{
    public MaxKernel(KernelInfo info) : base(ArithmeticKind.Max, false) { }
}

/// <summary>ONNX <c>Min</c>: elementwise minimum of the inputs.</summary>
[OnnxKernel("Min", Since = 1)]
internal sealed class MinKernel : VariadicKernel
{
    public MinKernel(KernelInfo info) : base(ArithmeticKind.Min, false) { }
}

/// <summary>ONNX <c>Sum</c>: elementwise sum of the inputs.</summary>
[OnnxKernel("Sum", Since = 1)]
internal sealed class SumKernel : VariadicKernel
{
    public SumKernel(KernelInfo info) : base(ArithmeticKind.Add, false) { }
}

/// <summary>ONNX <c>Mean</c>: elementwise mean of the inputs.</summary>
[OnnxKernel("Mean", Since = 1)]
internal sealed class MeanKernel : VariadicKernel
{
    public MeanKernel(KernelInfo info) : base(ArithmeticKind.Add, true) { }
}
