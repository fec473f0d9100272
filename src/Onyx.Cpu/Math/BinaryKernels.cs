using System.Numerics;
using Onyx.Core.Execution;
using Onyx.Kernels.Elementwise;
using Onyx.Tensors;

namespace Onyx.Cpu.MathOps;

/// <summary>Equal, Less, LessOrEqual, Greater, GreaterOrEqual: broadcast comparison to a bool tensor.</summary>
internal abstract class CompareKernel(CompareKind kind) : IKernel
{
    public void Execute(KernelContext context)
    {
        Tensor a = context.Input(0), b = context.Input(1);
        if (a.DType != b.DType)
            throw context.Error($"inputs must have one type, got {a.DType.OnnxName()} and {b.DType.OnnxName()}");
        Tensor y = context.Output(0, DType.Bool, Shapes.Broadcast(context, a.Shape, b.Shape));
        switch (a.DType)
        {
            case DType.String when kind == CompareKind.Equal:
                ElementwiseBroadcast.Run<string, string, bool, ScalarRows<string, string, bool, StringEqual>>(
                    a.Strings, a.Shape, b.Strings, b.Shape, y.Span<bool>(), y.Shape, default);
                break;
            case DType.Bool:
                ElementwiseBroadcast.Run<byte, byte, bool, ScalarRows<byte, byte, bool, CompareOperator<byte>>>(a, b, y, new(new(kind)), ElementwiseBroadcast.Pool(context));
                break;
            case DType.Float16:
                ElementwiseBroadcast.Run<Half, Half, bool, ScalarRows<Half, Half, bool, CompareOperator<Half>>>(a, b, y, new(new(kind)), ElementwiseBroadcast.Pool(context));
                break;
            case DType.BFloat16:
                ElementwiseBroadcast.Run<BFloat16, BFloat16, bool, ScalarRows<BFloat16, BFloat16, bool, BFloat16Compare>>(a, b, y, new(new(kind)), ElementwiseBroadcast.Pool(context));
                break;
            default:
                var v = new Visitor(kind, a, b, y, ElementwiseBroadcast.Pool(context));
                if (!NumericDispatch.Numeric(a.DType, ref v, half: false))
                    throw context.Error($"type {a.DType.OnnxName()} is not supported");
                break;
        }
    }

    private readonly struct Visitor(CompareKind kind, Tensor a, Tensor b, Tensor y, Kernels.Threading.IntraOpPool? pool) : INumericVisitor
    {
        public void Visit<T>() where T : unmanaged, INumber<T> =>
            ElementwiseBroadcast.Run<T, T, bool, ScalarRows<T, T, bool, CompareOperator<T>>>(a, b, y, new(new(kind)), pool);
    }

    private readonly struct StringEqual : IBinaryScalarOperator<string, string, bool>
    {
        public bool Invoke(string a, string b) => string.Equals(a, b, StringComparison.Ordinal);
    }

    private readonly struct BFloat16Compare(CompareKind kind) : IBinaryScalarOperator<BFloat16, BFloat16, bool>
    {
        public bool Invoke(BFloat16 a, BFloat16 b) => new CompareOperator<float>(kind).Invoke(a.ToFloat(), b.ToFloat());
    }
}

/// <summary>ONNX <c>Equal</c>.</summary>
[OnnxKernel("Equal", Since = 1)]
internal sealed class EqualKernel : CompareKernel { public EqualKernel(KernelInfo info) : base(CompareKind.Equal) { } }

/// <summary>ONNX <c>Less</c>.</summary>
[OnnxKernel("Less", Since = 1)]
internal sealed class LessKernel : CompareKernel { public LessKernel(KernelInfo info) : base(CompareKind.Less) { } }

/// <summary>ONNX <c>LessOrEqual</c>.</summary>
[OnnxKernel("LessOrEqual", Since = 12)]
internal sealed class LessOrEqualKernel : CompareKernel { public LessOrEqualKernel(KernelInfo info) : base(CompareKind.LessOrEqual) { } }

/// <summary>ONNX <c>Greater</c>.</summary>
[OnnxKernel("Greater", Since = 1)]
internal sealed class GreaterKernel : CompareKernel { public GreaterKernel(KernelInfo info) : base(CompareKind.Greater) { } }

/// <summary>ONNX <c>GreaterOrEqual</c>.</summary>
[OnnxKernel("GreaterOrEqual", Since = 12)]
internal sealed class GreaterOrEqualKernel : CompareKernel { public GreaterOrEqualKernel(KernelInfo info) : base(CompareKind.GreaterOrEqual) { } }

/// <summary>And, Or, Xor on bool tensors with broadcasting.</summary>
internal abstract class LogicalKernel(LogicalKind kind) : IKernel
{
    public void Execute(KernelContext context)
    {
        Tensor a = context.Input(0), b = context.Input(1);
        if (a.DType != DType.Bool || b.DType != DType.Bool)
            throw context.Error($"inputs must be bool, got {a.DType.OnnxName()} and {b.DType.OnnxName()}");
        Tensor y = context.Output(0, DType.Bool, Shapes.Broadcast(context, a.Shape, b.Shape));
        // Bools are stored as 0/1 bytes, so the bitwise vector operators are the logical ones.
        switch (kind)
        {
            case LogicalKind.And: ElementwiseBroadcast.Run<byte, byte, byte, SimdRows<byte, BitAndOperator<byte>>>(a, b, y, default, ElementwiseBroadcast.Pool(context)); break;
            case LogicalKind.Or: ElementwiseBroadcast.Run<byte, byte, byte, SimdRows<byte, BitOrOperator<byte>>>(a, b, y, default, ElementwiseBroadcast.Pool(context)); break;
            default: ElementwiseBroadcast.Run<byte, byte, byte, SimdRows<byte, BitXorOperator<byte>>>(a, b, y, default, ElementwiseBroadcast.Pool(context)); break;
        }
    }
}

/// <summary>ONNX <c>And</c>.</summary>
[OnnxKernel("And", Since = 1)]
internal sealed class AndKernel : LogicalKernel { public AndKernel(KernelInfo info) : base(LogicalKind.And) { } }

/// <summary>ONNX <c>Or</c>.</summary>
[OnnxKernel("Or", Since = 1)]
internal sealed class OrKernel : LogicalKernel { public OrKernel(KernelInfo info) : base(LogicalKind.Or) { } }

/// <summary>ONNX <c>Xor</c>.</summary>
[OnnxKernel("Xor", Since = 1)]
internal sealed class XorKernel : LogicalKernel { public XorKernel(KernelInfo info) : base(LogicalKind.Xor) { } }

/// <summary>Which op an <see cref="IntegerBinaryKernel"/> computes.</summary>
internal enum IntegerBinaryKind { BitAnd, BitOr, BitXor, ShiftLeft, ShiftRight, FloorMod, TruncMod }

/// <summary>BitwiseAnd/Or/Xor, BitShift and integer Mod over the integer types, with broadcasting.</summary>
internal abstract class IntegerBinaryKernel : IKernel
{
    public void Execute(KernelContext context)
    {
        Tensor a = context.Input(0), b = context.Input(1);
        if (a.DType != b.DType)
            throw context.Error($"inputs must have one type, got {a.DType.OnnxName()} and {b.DType.OnnxName()}");
        Tensor y = context.Output(0, a.DType, Shapes.Broadcast(context, a.Shape, b.Shape));
        if (!Run(context, a, b, y)) throw context.Error($"type {a.DType.OnnxName()} is not supported");
    }

    protected abstract bool Run(KernelContext context, Tensor a, Tensor b, Tensor y);

    protected static bool RunInteger(IntegerBinaryKind kind, Tensor a, Tensor b, Tensor y) => a.DType switch
    {
        DType.Int8 => Typed<sbyte>(kind, a, b, y),
        DType.Int16 => Typed<short>(kind, a, b, y),
        DType.Int32 => Typed<int>(kind, a, b, y),
        DType.Int64 => Typed<long>(kind, a, b, y),
        DType.UInt8 => Typed<byte>(kind, a, b, y),
        DType.UInt16 => Typed<ushort>(kind, a, b, y),
        DType.UInt32 => Typed<uint>(kind, a, b, y),
        DType.UInt64 => Typed<ulong>(kind, a, b, y),
        _ => false,
    };

    private static bool Typed<T>(IntegerBinaryKind kind, Tensor a, Tensor b, Tensor y) where T : unmanaged, IBinaryInteger<T>
    {
        switch (kind)
        {
            case IntegerBinaryKind.BitAnd: ElementwiseBroadcast.Run<T, T, T, SimdRows<T, BitAndOperator<T>>>(a, b, y, default); break;
            case IntegerBinaryKind.BitOr: ElementwiseBroadcast.Run<T, T, T, SimdRows<T, BitOrOperator<T>>>(a, b, y, default); break;
            case IntegerBinaryKind.BitXor: ElementwiseBroadcast.Run<T, T, T, SimdRows<T, BitXorOperator<T>>>(a, b, y, default); break;
            case IntegerBinaryKind.FloorMod: ElementwiseBroadcast.Run<T, T, T, SimdRows<T, FloorModOperator<T>>>(a, b, y, default); break;
            case IntegerBinaryKind.TruncMod: ElementwiseBroadcast.Run<T, T, T, SimdRows<T, TruncModOperator<T>>>(a, b, y, default); break;
            default:
                return typeof(T) == typeof(byte) ? Shift<byte>(kind, a, b, y)
                    : typeof(T) == typeof(ushort) ? Shift<ushort>(kind, a, b, y)
                    : typeof(T) == typeof(uint) ? Shift<uint>(kind, a, b, y)
                    : typeof(T) == typeof(ulong) && Shift<ulong>(kind, a, b, y);
        }
        return true;
    }

    private static bool Shift<T>(IntegerBinaryKind kind, Tensor a, Tensor b, Tensor y) where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
    {
        ElementwiseBroadcast.Run<T, T, T, SimdRows<T, ShiftOperator<T>>>(a, b, y, new(new(kind == IntegerBinaryKind.ShiftLeft)));
        return true;
    }
}

/// <summary>ONNX <c>BitwiseAnd</c>.</summary>
[OnnxKernel("BitwiseAnd", Since = 18)]
internal sealed class BitwiseAndKernel : IntegerBinaryKernel
{
    public BitwiseAndKernel(KernelInfo info) { }
    protected override bool Run(KernelContext context, Tensor a, Tensor b, Tensor y) => RunInteger(IntegerBinaryKind.BitAnd, a, b, y);
}

/// <summary>ONNX <c>BitwiseOr</c>.</summary>
[OnnxKernel("BitwiseOr", Since = 18)]
internal sealed class BitwiseOrKernel : IntegerBinaryKernel
{
    public BitwiseOrKernel(KernelInfo info) { }
    protected override bool Run(KernelContext context, Tensor a, Tensor b, Tensor y) => RunInteger(IntegerBinaryKind.BitOr, a, b, y);
}

/// <summary>ONNX <c>BitwiseXor</c>.</summary>
[OnnxKernel("BitwiseXor", Since = 18)]
internal sealed class BitwiseXorKernel : IntegerBinaryKernel
{
    public BitwiseXorKernel(KernelInfo info) { }
    protected override bool Run(KernelContext context, Tensor a, Tensor b, Tensor y) => RunInteger(IntegerBinaryKind.BitXor, a, b, y);
}

/// <summary>ONNX <c>BitShift</c>: direction LEFT or RIGHT on unsigned integers.</summary>
[OnnxKernel("BitShift", Since = 11)]
internal sealed class BitShiftKernel : IntegerBinaryKernel
{
    private readonly IntegerBinaryKind _kind;

    public BitShiftKernel(KernelInfo info) => _kind = info.Attributes.GetString("direction", "") switch
    {
        "LEFT" => IntegerBinaryKind.ShiftLeft,
        "RIGHT" => IntegerBinaryKind.ShiftRight,
        var d => throw info.Invalid($"direction must be LEFT or RIGHT, got '{d}'"),
    };

    protected override bool Run(KernelContext context, Tensor a, Tensor b, Tensor y) =>
        a.DType is DType.UInt8 or DType.UInt16 or DType.UInt32 or DType.UInt64 && RunInteger(_kind, a, b, y);
}

/// <summary>
/// ONNX <c>Mod</c>: integers with fmod=0 take the divisor's sign (Python %); fmod=1 (required for
/// floats) is C fmod, the dividend's sign.
/// </summary>
[OnnxKernel("Mod", Since = 10)]
internal sealed class ModKernel : IntegerBinaryKernel
{
    private readonly bool _fmod;

    public ModKernel(KernelInfo info) => _fmod = info.Attributes.GetInt("fmod", 0) != 0;

    protected override bool Run(KernelContext context, Tensor a, Tensor b, Tensor y)
    {
        switch (a.DType)
        {
            case DType.Float32: ElementwiseBroadcast.Run<float, float, float, SimdRows<float, TruncModOperator<float>>>(a, b, y, default); return true;
            case DType.Float64: ElementwiseBroadcast.Run<double, double, double, SimdRows<double, TruncModOperator<double>>>(a, b, y, default); return true;
            case DType.Float16:
            case DType.BFloat16: return ArithmeticKernel.Widened(a, b, y, new TruncModOperator<float>());
            default: return RunInteger(_fmod ? IntegerBinaryKind.TruncMod : IntegerBinaryKind.FloorMod, a, b, y);
        }
    }
}

/// <summary>ONNX <c>PRelu</c>: y = x &lt; 0 ? slope·x : x, slope broadcast to x.</summary>
[OnnxKernel("PRelu", Since = 1)]
internal sealed class PReluKernel : IKernel
{
    private readonly bool _legacy;

    public PReluKernel(KernelInfo info) => _legacy = info.OpsetVersion < 7;

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0), slope = context.Input(1);
        if (x.DType != slope.DType)
            throw context.Error($"X is {x.DType.OnnxName()} but slope is {slope.DType.OnnxName()}");
        // Before opset 7 a 1-D slope of X's channel count applies per channel (axis 1).
        if (_legacy && slope.Rank == 1 && x.Rank > 2 && slope.Length == x.Shape[1] && slope.Length != x.Shape[^1])
        {
            var s = new int[x.Rank - 1];
            Array.Fill(s, 1);
            s[0] = slope.Length;
            slope = slope.Reshape(s);
        }
        Tensor y = context.Output(0, x.DType, Shapes.Broadcast(context, x.Shape, slope.Shape));
        switch (x.DType)
        {
            case DType.Float32: ElementwiseBroadcast.Run<float, float, float, SimdRows<float, PReluOperator<float>>>(x, slope, y, default, ElementwiseBroadcast.Pool(context)); break;
            case DType.Float64: ElementwiseBroadcast.Run<double, double, double, SimdRows<double, PReluOperator<double>>>(x, slope, y, default, ElementwiseBroadcast.Pool(context)); break;
            case DType.Int32: ElementwiseBroadcast.Run<int, int, int, SimdRows<int, PReluOperator<int>>>(x, slope, y, default, ElementwiseBroadcast.Pool(context)); break;
            case DType.Int64: ElementwiseBroadcast.Run<long, long, long, SimdRows<long, PReluOperator<long>>>(x, slope, y, default, ElementwiseBroadcast.Pool(context)); break;
            case DType.UInt32: case DType.UInt64: ElementwiseBroadcast.Expand(x, y); break;
            case DType.Float16: case DType.BFloat16: ArithmeticKernel.Widened(x, slope, y, new PReluOperator<float>(), ElementwiseBroadcast.Pool(context)); break;
            default: throw context.Error($"type {x.DType.OnnxName()} is not supported");
        }
    }
}

/// <summary>
/// ONNX <c>Pow</c>: base and exponent may differ in type (opset 12+); the result has the base's
/// type. Same-type integers use exact repeated squaring; everything else goes through double.
/// </summary>
[OnnxKernel("Pow", Since = 1)]
internal sealed class PowKernel : IKernel
{
    private readonly bool _legacyBroadcast;
    private readonly int _legacyAxis;

    public PowKernel(KernelInfo info)
    {
        if (info.OpsetVersion < 7)
        {
            _legacyBroadcast = info.Attributes.GetInt("broadcast", 0) != 0;
            _legacyAxis = (int)info.Attributes.GetInt("axis", int.MinValue);
        }
    }

    public void Execute(KernelContext context)
    {
        Tensor a = context.Input(0), b = context.Input(1);
        if (_legacyBroadcast && _legacyAxis != int.MinValue)
        {
            int axis = _legacyAxis < 0 ? _legacyAxis + a.Rank : _legacyAxis;
            var s = new int[a.Rank];
            Array.Fill(s, 1);
            b.Shape.CopyTo(s, axis);
            b = b.Reshape(s);
        }
        Tensor y = context.Output(0, a.DType, Shapes.Broadcast(context, a.Shape, b.Shape));
        if (a.DType == DType.BFloat16 || b.DType == DType.BFloat16)
        {
            // Rare: compute through float copies.
            Tensor fa = a.DType == DType.BFloat16 ? BFloat16Tensors.ToFloat(a) : a;
            Tensor fb = b.DType == DType.BFloat16 ? BFloat16Tensors.ToFloat(b) : b;
            Tensor fy = a.DType == DType.BFloat16 ? Tensor.Allocate(DType.Float32, y.Shape) : y;
            Dispatch(context, fa, fb, fy);
            if (a.DType == DType.BFloat16) BFloat16Tensors.Store(fy, y);
            return;
        }
        Dispatch(context, a, b, y);
    }

    private static void Dispatch(KernelContext context, Tensor a, Tensor b, Tensor y)
    {
        // The common case (x^2 in decomposed norms, x^0.5): a float base and one float exponent.
        if (a.DType == DType.Float32 && b.Length == 1 && a.Length == y.Length && b.DType is DType.Float32 or DType.Float64 or DType.Int32 or DType.Int64)
        {
            float e = (float)b.ToDoubleArray()[0];
            var pool = ElementwiseBroadcast.Pool(context);
            if (PowScalarOperator<float>.HasVectorForm(e)) ParallelUnary.Run<float, PowScalarOperator<float>>(a, y, new(e), pool);
            else ParallelUnary.Run<float, PowGeneralOperator<float>>(a, y, new(e), pool);
            return;
        }
        if (a.DType == b.DType)
        {
            switch (a.DType)
            {
                case DType.Int32: ElementwiseBroadcast.Run<int, int, int, SimdRows<int, IntPowOperator<int>>>(a, b, y, default); return;
                case DType.Int64: ElementwiseBroadcast.Run<long, long, long, SimdRows<long, IntPowOperator<long>>>(a, b, y, default); return;
            }
        }
        var v = new BaseVisitor(context, a, b, y);
        if (!NumericDispatch.Numeric(a.DType, ref v))
            throw context.Error($"base type {a.DType.OnnxName()} is not supported");
    }

    private readonly struct BaseVisitor(KernelContext context, Tensor a, Tensor b, Tensor y) : INumericVisitor
    {
        public void Visit<TA>() where TA : unmanaged, INumber<TA>
        {
            var v = new ExponentVisitor<TA>(a, b, y);
            if (!NumericDispatch.Numeric(b.DType, ref v))
                throw context.Error($"exponent type {b.DType.OnnxName()} is not supported");
        }
    }

    private readonly struct ExponentVisitor<TA>(Tensor a, Tensor b, Tensor y) : INumericVisitor where TA : unmanaged, INumber<TA>
    {
        public void Visit<TB>() where TB : unmanaged, INumber<TB> =>
            ElementwiseBroadcast.Run<TA, TB, TA, ScalarRows<TA, TB, TA, PowOperator<TA, TB>>>(a, b, y, default);
    }
}
