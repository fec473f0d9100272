using System.Numerics;
using Onyx.Core.Execution;
using Onyx.Kernels.Elementwise;
using Onyx.Tensors;

namespace Onyx.Cpu.MathOps;

/// <summary>
/// A unary op defined for every numeric type via generic math. Float32/64 and the integers run
/// the generic operator; Half and BFloat16 run it in float.
/// </summary>
internal abstract class NumericUnaryKernel : IKernel
{
    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        // Elementwise: y may take over a dying x's buffer.
        Tensor y = context.ElementwiseOutput(0, x.DType, x.Shape, donors: 1);
        if (!Accepts(x.DType)) throw context.Error($"type {x.DType.OnnxName()} is not supported");
        switch (x.DType)
        {
            case DType.Float16: { var v = new Widened<Half>(this, context, x, y); v.Visit<float>(); break; }
            case DType.BFloat16: { var v = new Widened<BFloat16>(this, context, x, y); v.Visit<float>(); break; }
            default:
                var visitor = new Visitor(this, context, x, y);
                if (!NumericDispatch.Numeric(x.DType, ref visitor, half: false))
                    throw context.Error($"type {x.DType.OnnxName()} is not supported");
                break;
        }
    }

    /// <summary>Whether the op's type constraint includes <paramref name="t"/>.</summary>
    protected virtual bool Accepts(DType t) => true;

    /// <summary>y = op(x) for one element type (x and y same length).</summary>
    protected abstract void Run<T>(KernelContext context, Tensor x, Tensor y) where T : unmanaged, INumber<T>;

    private readonly struct Visitor(NumericUnaryKernel k, KernelContext c, Tensor x, Tensor y) : INumericVisitor
    {
        public void Visit<T>() where T : unmanaged, INumber<T> => k.Run<T>(c, x, y);
    }

    private readonly struct Widened<TH>(NumericUnaryKernel k, KernelContext c, Tensor x, Tensor y) : INumericVisitor
    {
        public void Visit<T>() where T : unmanaged, INumber<T>
        {
            // Rare on CPU: compute through a float copy.
            var f = Tensor.Allocate(DType.Float32, x.Shape, zero: false);
            if (typeof(TH) == typeof(Half)) Widen.ToSingle(x.Span<Half>(), f.Span<float>()); else Widen.ToSingle(x.Span<BFloat16>(), f.Span<float>());
            k.Run<float>(c, f, f);
            if (typeof(TH) == typeof(Half)) Widen.ToHalf(f.Span<float>(), y.Span<Half>()); else Widen.ToBFloat16(f.Span<float>(), y.Span<BFloat16>());
            GC.KeepAlive(f);
        }
    }
}

/// <summary>ONNX <c>Abs</c>: y = |x|.</summary>
[OnnxKernel("Abs", Since = 1)]
internal sealed class AbsKernel : NumericUnaryKernel
{
    public AbsKernel(KernelInfo info) { }
    protected override void Run<T>(KernelContext context, Tensor x, Tensor y) => ParallelUnary.Run<T, AbsOperator<T>>(x, y, new(), ElementwiseBroadcast.Pool(context));
}

/// <summary>ONNX <c>Neg</c>: y = −x (signed types).</summary>
[OnnxKernel("Neg", Since = 1)]
internal sealed class NegKernel : NumericUnaryKernel
{
    public NegKernel(KernelInfo info) { }
    protected override bool Accepts(DType t) => t is not (DType.UInt8 or DType.UInt16 or DType.UInt32 or DType.UInt64);
    protected override void Run<T>(KernelContext context, Tensor x, Tensor y) => ParallelUnary.Run<T, NegOperator<T>>(x, y, new(), ElementwiseBroadcast.Pool(context));
}

/// <summary>ONNX <c>Sign</c>: y ∈ {−1, 0, 1}.</summary>
[OnnxKernel("Sign", Since = 9)]
internal sealed class SignKernel : NumericUnaryKernel
{
    public SignKernel(KernelInfo info) { }
    protected override void Run<T>(KernelContext context, Tensor x, Tensor y) => ParallelUnary.Run<T, SignOperator<T>>(x, y, new(), ElementwiseBroadcast.Pool(context));
}

/// <summary>ONNX <c>Relu</c>: y = max(x, 0) (signed integers too since opset 14).</summary>
[OnnxKernel("Relu", Since = 1)]
internal sealed class ReluKernel : NumericUnaryKernel
{
    public ReluKernel(KernelInfo info) { }
    protected override void Run<T>(KernelContext context, Tensor x, Tensor y) => ParallelUnary.Run<T, ReluOperator<T>>(x, y, new(), ElementwiseBroadcast.Pool(context));
}

/// <summary>ONNX <c>Shrink</c>: y = x &lt; −lambd ? x + bias : (x &gt; lambd ? x − bias : 0).</summary>
[OnnxKernel("Shrink", Since = 9)]
internal sealed class ShrinkKernel : NumericUnaryKernel
{
    private readonly double _bias, _lambd;

    public ShrinkKernel(KernelInfo info)
    {
        _bias = info.Attributes.GetFloat("bias", 0f);
        _lambd = info.Attributes.GetFloat("lambd", 0.5f);
    }

    protected override void Run<T>(KernelContext context, Tensor x, Tensor y) => ParallelUnary.Run<T, ShrinkOperator<T>>(x, y, new(_bias, _lambd), ElementwiseBroadcast.Pool(context));
}

/// <summary>
/// ONNX <c>Clip</c>: y = min(max(x, lo), hi). Before opset 11 lo/hi are float attributes; from 11
/// they are optional scalar inputs of x's type (absent = the type's range). lo &gt; hi gives hi.
/// </summary>
[OnnxKernel("Clip", Since = 1)]
internal sealed class ClipKernel : NumericUnaryKernel
{
    private readonly bool _fromAttributes;
    private readonly float _min, _max;

    public ClipKernel(KernelInfo info)
    {
        _fromAttributes = info.OpsetVersion < 11;
        _min = info.Attributes.GetFloat("min", float.NegativeInfinity);
        _max = info.Attributes.GetFloat("max", float.PositiveInfinity);
    }

    protected override void Run<T>(KernelContext context, Tensor x, Tensor y)
    {
        T lo, hi;
        if (_fromAttributes)
        {
            lo = T.CreateSaturating(_min);
            hi = T.CreateSaturating(_max);
        }
        else
        {
            lo = Bound<T>(context, 1, low: true);
            hi = Bound<T>(context, 2, low: false);
        }
        // min > max: every element becomes max (as numpy.clip and ONNX Runtime do).
        if (lo > hi) lo = hi;
        ParallelUnary.Run<T, ClipOperator<T>>(x, y, new(lo, hi), ElementwiseBroadcast.Pool(context));
    }

    private static T Bound<T>(KernelContext context, int i, bool low) where T : unmanaged, INumber<T>
    {
        Tensor? t = context.OptionalInput(i);
        if (t is null)
            return low ? (typeof(T) == typeof(float) || typeof(T) == typeof(double) ? T.CreateSaturating(double.NegativeInfinity) : T.CreateSaturating(double.MinValue))
                       : (typeof(T) == typeof(float) || typeof(T) == typeof(double) ? T.CreateSaturating(double.PositiveInfinity) : T.CreateSaturating(double.MaxValue));
        if (t.Length != 1) throw context.Error($"input {i} ({(low ? "min" : "max")}) must be a scalar, got shape {t.ShapeString}");
        return t.DType switch
        {
            DType.Float16 => T.CreateSaturating((float)t.Span<Half>()[0]),
            DType.BFloat16 => T.CreateSaturating(t.Span<BFloat16>()[0].ToFloat()),
            _ => ReadScalar<T>(t),
        };
    }

    private static T ReadScalar<T>(Tensor t) where T : unmanaged, INumber<T> =>
        typeof(T) == typeof(float) && t.DType == DType.Float32 ? t.Span<T>()[0] : T.CreateSaturating(t.ToDoubleArray()[0]);
}

/// <summary>ONNX <c>IsNaN</c>: y = x is NaN (bool).</summary>
[OnnxKernel("IsNaN", Since = 9)]
internal sealed class IsNaNKernel : IKernel
{
    public IsNaNKernel(KernelInfo info) { }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        Tensor y = context.Output(0, DType.Bool, x.Shape);
        var o = y.Span<bool>();
        switch (x.DType)
        {
            case DType.Float32: { var s = x.Span<float>(); for (int i = 0; i < o.Length; i++) o[i] = float.IsNaN(s[i]); break; }
            case DType.Float64: { var s = x.Span<double>(); for (int i = 0; i < o.Length; i++) o[i] = double.IsNaN(s[i]); break; }
            case DType.Float16: { var s = x.Span<Half>(); for (int i = 0; i < o.Length; i++) o[i] = Half.IsNaN(s[i]); break; }
            case DType.BFloat16: { var s = x.Span<BFloat16>(); for (int i = 0; i < o.Length; i++) o[i] = float.IsNaN(s[i].ToFloat()); break; }
            default: throw context.Error($"type {x.DType.OnnxName()} is not supported (float types only)");
        }
    }
}

/// <summary>ONNX <c>IsInf</c>: y = x is +∞ (detect_positive) or −∞ (detect_negative).</summary>
[OnnxKernel("IsInf", Since = 10)]
internal sealed class IsInfKernel : IKernel
{
    private readonly bool _pos, _neg;

    public IsInfKernel(KernelInfo info)
    {
        _pos = info.Attributes.GetInt("detect_positive", 1) != 0;
        _neg = info.Attributes.GetInt("detect_negative", 1) != 0;
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        Tensor y = context.Output(0, DType.Bool, x.Shape);
        var o = y.Span<bool>();
        switch (x.DType)
        {
            case DType.Float32: { var s = x.Span<float>(); for (int i = 0; i < o.Length; i++) o[i] = Test(s[i]); break; }
            case DType.Float64: { var s = x.Span<double>(); for (int i = 0; i < o.Length; i++) o[i] = Test(s[i]); break; }
            case DType.Float16: { var s = x.Span<Half>(); for (int i = 0; i < o.Length; i++) o[i] = Test((double)s[i]); break; }
            case DType.BFloat16: { var s = x.Span<BFloat16>(); for (int i = 0; i < o.Length; i++) o[i] = Test(s[i].ToFloat()); break; }
            default: throw context.Error($"type {x.DType.OnnxName()} is not supported (float types only)");
        }
    }

    private bool Test(double v) => (_pos && double.IsPositiveInfinity(v)) || (_neg && double.IsNegativeInfinity(v));
}

/// <summary>ONNX <c>Not</c>: logical not of a bool tensor.</summary>
[OnnxKernel("Not", Since = 1)]
internal sealed class NotKernel : IKernel
{
    public NotKernel(KernelInfo info) { }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        if (x.DType != DType.Bool) throw context.Error($"input must be bool, got {x.DType.OnnxName()}");
        Tensor y = context.Output(0, DType.Bool, x.Shape);
        Unary.Invoke(x.Span<byte>(), y.Span<byte>(), new LogicalNotOperator());
    }
}

/// <summary>ONNX <c>BitwiseNot</c>: y = ~x on integers.</summary>
[OnnxKernel("BitwiseNot", Since = 18)]
internal sealed class BitwiseNotKernel : IKernel
{
    public BitwiseNotKernel(KernelInfo info) { }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        Tensor y = context.Output(0, x.DType, x.Shape);
        switch (x.DType)
        {
            case DType.Int8: Unary.Invoke(x.Span<sbyte>(), y.Span<sbyte>(), new BitNotOperator<sbyte>()); break;
            case DType.Int16: Unary.Invoke(x.Span<short>(), y.Span<short>(), new BitNotOperator<short>()); break;
            case DType.Int32: Unary.Invoke(x.Span<int>(), y.Span<int>(), new BitNotOperator<int>()); break;
            case DType.Int64: Unary.Invoke(x.Span<long>(), y.Span<long>(), new BitNotOperator<long>()); break;
            case DType.UInt8: Unary.Invoke(x.Span<byte>(), y.Span<byte>(), new BitNotOperator<byte>()); break;
            case DType.UInt16: Unary.Invoke(x.Span<ushort>(), y.Span<ushort>(), new BitNotOperator<ushort>()); break;
            case DType.UInt32: Unary.Invoke(x.Span<uint>(), y.Span<uint>(), new BitNotOperator<uint>()); break;
            case DType.UInt64: Unary.Invoke(x.Span<ulong>(), y.Span<ulong>(), new BitNotOperator<ulong>()); break;
            default: throw context.Error($"type {x.DType.OnnxName()} is not supported (integers only)");
        }
    }
}
