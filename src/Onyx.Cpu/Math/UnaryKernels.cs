using System.Numerics.Tensors;
using Tensor = Onyx.Tensors.Tensor;
using Onyx.Core.Execution;
using Onyx.Kernels.Elementwise;
using Onyx.Tensors;

namespace Onyx.Cpu.MathOps;

/// <summary>
/// A unary op on float types: float and double run their own operator, Half and BFloat16 are
/// widened to float in chunks. Attributes are baked into the two operator instances.
/// </summary>
internal abstract class FloatUnaryKernel<TF, TD> : IKernel
    where TF : struct, IUnaryOperator<float> where TD : struct, IUnaryOperator<double>
{
    private readonly TF _f;
    private readonly TD _d;

    protected FloatUnaryKernel(TF f, TD d)
    {
        _f = f;
        _d = d;
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        // Elementwise: y may take over a dying x's buffer.
        Tensor y = context.ElementwiseOutput(0, x.DType, x.Shape, donors: 1);
        switch (x.DType)
        {
            case DType.Float32: RunFloat(x, y, _f, ElementwiseBroadcast.Pool(context)); break;
            case DType.Float64: ParallelUnary.Run<double, TD>(x, y, _d, ElementwiseBroadcast.Pool(context)); break;
            case DType.Float16: Unary.Invoke(x.Span<Half>(), y.Span<Half>(), _f); break;
            case DType.BFloat16: Unary.Invoke(x.Span<BFloat16>(), y.Span<BFloat16>(), _f); break;
            default: throw context.Error($"type {x.DType.OnnxName()} is not supported (float types only)");
        }
    }

    /// <summary>The float32 loop; an op may replace it with a whole-span library routine.</summary>
    protected virtual void RunFloat(Tensor x, Tensor y, TF op, Kernels.Threading.IntraOpPool? pool) => ParallelUnary.Run<float, TF>(x, y, op, pool);
}

/// <summary>Base for parameterless float ops whose operators are default structs.</summary>
internal abstract class SimpleFloatUnaryKernel<TF, TD>() : FloatUnaryKernel<TF, TD>(default, default)
    where TF : struct, IUnaryOperator<float> where TD : struct, IUnaryOperator<double>;

/// <summary>ONNX <c>Exp</c>: y = e^x.</summary>
[OnnxKernel("Exp", Since = 1)]
internal sealed class ExpKernel : SimpleFloatUnaryKernel<ExpOperator<float>, ExpOperator<double>> { public ExpKernel(KernelInfo info) { } }

/// <summary>ONNX <c>Log</c>: y = ln x.</summary>
[OnnxKernel("Log", Since = 1)]
internal sealed class LogKernel : SimpleFloatUnaryKernel<LogOperator<float>, LogOperator<double>> { public LogKernel(KernelInfo info) { } }

/// <summary>ONNX <c>Sqrt</c>: y = √x.</summary>
[OnnxKernel("Sqrt", Since = 1)]
internal sealed class SqrtKernel : SimpleFloatUnaryKernel<SqrtOperator<float>, SqrtOperator<double>> { public SqrtKernel(KernelInfo info) { } }

/// <summary>ONNX <c>Reciprocal</c>: y = 1/x.</summary>
[OnnxKernel("Reciprocal", Since = 1)]
internal sealed class ReciprocalKernel : SimpleFloatUnaryKernel<ReciprocalOperator<float>, ReciprocalOperator<double>> { public ReciprocalKernel(KernelInfo info) { } }

/// <summary>ONNX <c>Ceil</c>: y = ⌈x⌉.</summary>
[OnnxKernel("Ceil", Since = 1)]
internal sealed class CeilKernel : SimpleFloatUnaryKernel<CeilOperator<float>, CeilOperator<double>> { public CeilKernel(KernelInfo info) { } }

/// <summary>ONNX <c>Floor</c>: y = ⌊x⌋.</summary>
[OnnxKernel("Floor", Since = 1)]
internal sealed class FloorKernel : SimpleFloatUnaryKernel<FloorOperator<float>, FloorOperator<double>> { public FloorKernel(KernelInfo info) { } }

/// <summary>ONNX <c>Round</c>: y = round half to even.</summary>
[OnnxKernel("Round", Since = 11)]
internal sealed class RoundKernel : SimpleFloatUnaryKernel<RoundOperator<float>, RoundOperator<double>> { public RoundKernel(KernelInfo info) { } }

/// <summary>ONNX <c>Erf</c>: y = erf(x).</summary>
[OnnxKernel("Erf", Since = 9)]
internal sealed class ErfKernel : SimpleFloatUnaryKernel<ErfFastOperator, ErfFastOperator> { public ErfKernel(KernelInfo info) { } }

/// <summary>ONNX <c>Sigmoid</c>: y = 1/(1+e^−x).</summary>
[OnnxKernel("Sigmoid", Since = 1)]
internal sealed class SigmoidKernel : SimpleFloatUnaryKernel<SigmoidOperator<float>, SigmoidOperator<double>> { public SigmoidKernel(KernelInfo info) { } }

/// <summary>ONNX <c>Softplus</c>: y = ln(1+e^x).</summary>
[OnnxKernel("Softplus", Since = 1)]
internal sealed class SoftplusKernel : SimpleFloatUnaryKernel<SoftplusOperator<float>, SoftplusOperator<double>> { public SoftplusKernel(KernelInfo info) { } }

/// <summary>ONNX <c>Softsign</c>: y = x/(1+|x|).</summary>
[OnnxKernel("Softsign", Since = 1)]
internal sealed class SoftsignKernel : SimpleFloatUnaryKernel<SoftsignOperator<float>, SoftsignOperator<double>> { public SoftsignKernel(KernelInfo info) { } }

/// <summary>ONNX <c>Mish</c>: y = x·tanh(softplus(x)).</summary>
[OnnxKernel("Mish", Since = 18)]
internal sealed class MishKernel : SimpleFloatUnaryKernel<MishOperator<float>, MishOperator<double>> { public MishKernel(KernelInfo info) { } }

/// <summary>ONNX <c>HardSwish</c>: y = x·max(0, min(1, x/6 + 1/2)).</summary>
[OnnxKernel("HardSwish", Since = 14)]
internal sealed class HardSwishKernel : SimpleFloatUnaryKernel<HardSwishOperator<float>, HardSwishOperator<double>> { public HardSwishKernel(KernelInfo info) { } }

/// <summary>Trigonometric and hyperbolic ops, one class per op over <see cref="TrigOperator{T}"/>.</summary>
internal abstract class TrigKernel(TrigKind kind) : FloatUnaryKernel<TrigOperator<float>, TrigOperator<double>>(new(kind), new(kind))
{
    private readonly TrigKind _kind = kind;

    protected override void RunFloat(Tensor x, Tensor y, TrigOperator<float> op, Kernels.Threading.IntraOpPool? pool)
    {
        // TensorPrimitives has vectorized versions of these (not Tanh: its exp-based form loses
        // relative accuracy for small |x|, which Mish's expanded test catches).
        switch (_kind)
        {
            case TrigKind.Sin: TensorPrimitives.Sin(x.Span<float>(), y.Span<float>()); break;
            case TrigKind.Cos: TensorPrimitives.Cos(x.Span<float>(), y.Span<float>()); break;
            default: ParallelUnary.Run<float, TrigOperator<float>>(x, y, op, pool); break;
        }
    }
}

/// <summary>ONNX <c>Sin</c>.</summary>
[OnnxKernel("Sin", Since = 7)]
internal sealed class SinKernel : TrigKernel { public SinKernel(KernelInfo info) : base(TrigKind.Sin) { } }

/// <summary>ONNX <c>Cos</c>.</summary>
[OnnxKernel("Cos", Since = 7)]
internal sealed class CosKernel : TrigKernel { public CosKernel(KernelInfo info) : base(TrigKind.Cos) { } }

/// <summary>ONNX <c>Tan</c>.</summary>
[OnnxKernel("Tan", Since = 7)]
internal sealed class TanKernel : TrigKernel { public TanKernel(KernelInfo info) : base(TrigKind.Tan) { } }

/// <summary>ONNX <c>Asin</c>.</summary>
[OnnxKernel("Asin", Since = 7)]
internal sealed class AsinKernel : TrigKernel { public AsinKernel(KernelInfo info) : base(TrigKind.Asin) { } }

/// <summary>ONNX <c>Acos</c>.</summary>
[OnnxKernel("Acos", Since = 7)]
internal sealed class AcosKernel : TrigKernel { public AcosKernel(KernelInfo info) : base(TrigKind.Acos) { } }

/// <summary>ONNX <c>Atan</c>.</summary>
[OnnxKernel("Atan", Since = 7)]
internal sealed class AtanKernel : TrigKernel { public AtanKernel(KernelInfo info) : base(TrigKind.Atan) { } }

/// <summary>ONNX <c>Sinh</c>.</summary>
[OnnxKernel("Sinh", Since = 9)]
internal sealed class SinhKernel : TrigKernel { public SinhKernel(KernelInfo info) : base(TrigKind.Sinh) { } }

/// <summary>ONNX <c>Cosh</c>.</summary>
[OnnxKernel("Cosh", Since = 9)]
internal sealed class CoshKernel : TrigKernel { public CoshKernel(KernelInfo info) : base(TrigKind.Cosh) { } }

/// <summary>ONNX <c>Tanh</c> (vectorized for float).</summary>
[OnnxKernel("Tanh", Since = 1)]
internal sealed class TanhKernel : SimpleFloatUnaryKernel<TanhOperator, TanhOperator> { public TanhKernel(KernelInfo info) { } }

/// <summary>ONNX <c>Asinh</c>.</summary>
[OnnxKernel("Asinh", Since = 9)]
internal sealed class AsinhKernel : TrigKernel { public AsinhKernel(KernelInfo info) : base(TrigKind.Asinh) { } }

/// <summary>ONNX <c>Acosh</c>.</summary>
[OnnxKernel("Acosh", Since = 9)]
internal sealed class AcoshKernel : TrigKernel { public AcoshKernel(KernelInfo info) : base(TrigKind.Acosh) { } }

/// <summary>ONNX <c>Atanh</c>.</summary>
[OnnxKernel("Atanh", Since = 9)]
internal sealed class AtanhKernel : TrigKernel { public AtanhKernel(KernelInfo info) : base(TrigKind.Atanh) { } }

/// <summary>ONNX <c>LeakyRelu</c>: y = x ≥ 0 ? x : alpha·x.</summary>
[OnnxKernel("LeakyRelu", Since = 1)]
internal sealed class LeakyReluKernel(KernelInfo info) : FloatUnaryKernel<LeakyReluOperator<float>, LeakyReluOperator<double>>(
    new(info.Attributes.GetFloat("alpha", 0.01f)), new(info.Attributes.GetFloat("alpha", 0.01f)));

/// <summary>ONNX <c>Elu</c>: y = x ≥ 0 ? x : alpha·(e^x − 1).</summary>
[OnnxKernel("Elu", Since = 1)]
internal sealed class EluKernel(KernelInfo info) : FloatUnaryKernel<EluOperator<float>, EluOperator<double>>(
    new(info.Attributes.GetFloat("alpha", 1f)), new(info.Attributes.GetFloat("alpha", 1f)));

/// <summary>ONNX <c>Celu</c>: y = max(0,x) + min(0, alpha·(e^(x/alpha) − 1)).</summary>
[OnnxKernel("Celu", Since = 12)]
internal sealed class CeluKernel(KernelInfo info) : FloatUnaryKernel<CeluOperator<float>, CeluOperator<double>>(
    new(info.Attributes.GetFloat("alpha", 1f)), new(info.Attributes.GetFloat("alpha", 1f)));

/// <summary>ONNX <c>Selu</c>: y = gamma·(x &gt; 0 ? x : alpha·e^x − alpha).</summary>
[OnnxKernel("Selu", Since = 1)]
internal sealed class SeluKernel(KernelInfo info) : FloatUnaryKernel<SeluOperator<float>, SeluOperator<double>>(
    new(Alpha(info), Gamma(info)), new(Alpha(info), Gamma(info)))
{
    private static float Alpha(KernelInfo info) => info.Attributes.GetFloat("alpha", 1.67326319217681884765625f);
    private static float Gamma(KernelInfo info) => info.Attributes.GetFloat("gamma", 1.05070102214813232421875f);
}

/// <summary>ONNX <c>HardSigmoid</c>: y = max(0, min(1, alpha·x + beta)).</summary>
[OnnxKernel("HardSigmoid", Since = 1)]
internal sealed class HardSigmoidKernel(KernelInfo info) : FloatUnaryKernel<HardSigmoidOperator<float>, HardSigmoidOperator<double>>(
    new(info.Attributes.GetFloat("alpha", 0.2f), info.Attributes.GetFloat("beta", 0.5f)),
    new(info.Attributes.GetFloat("alpha", 0.2f), info.Attributes.GetFloat("beta", 0.5f)));

/// <summary>ONNX <c>ThresholdedRelu</c>: y = x &gt; alpha ? x : 0.</summary>
[OnnxKernel("ThresholdedRelu", Since = 10)]
internal sealed class ThresholdedReluKernel(KernelInfo info) : FloatUnaryKernel<ThresholdedReluOperator<float>, ThresholdedReluOperator<double>>(
    new(info.Attributes.GetFloat("alpha", 1f)), new(info.Attributes.GetFloat("alpha", 1f)));

/// <summary>ONNX <c>Swish</c>: y = x·sigmoid(alpha·x).</summary>
[OnnxKernel("Swish", Since = 24)]
internal sealed class SwishKernel(KernelInfo info) : FloatUnaryKernel<SwishOperator<float>, SwishOperator<double>>(
    new(info.Attributes.GetFloat("alpha", 1f)), new(info.Attributes.GetFloat("alpha", 1f)));

/// <summary>ONNX <c>Gelu</c>: exact (erf) or approximate="tanh".</summary>
[OnnxKernel("Gelu", Since = 20)]
internal sealed class GeluKernel(KernelInfo info) : FloatUnaryKernel<GeluFastOperator, GeluFastOperator>(
    new(Tanh(info)), new(Tanh(info)))
{
    private static bool Tanh(KernelInfo info) => info.Attributes.GetString("approximate", "none") switch
    {
        "none" => false,
        "tanh" => true,
        var s => throw info.Invalid($"approximate must be 'none' or 'tanh', got '{s}'"),
    };
}
