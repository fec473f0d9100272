using System.Numerics;
using Onyx.Core.Execution;
using Onyx.Cpu.Common;
using Onyx.Kernels.Elementwise;
using Onyx.Kernels.Threading;
using Onyx.Tensors;

namespace Onyx.Cpu.MathOps;

/// <summary>Which binary numeric op an <see cref="ArithmeticKernel"/> computes.</summary>
internal enum ArithmeticKind { Add, Sub, Mul, Div, Max, Min }

/// <summary>
/// Add, Sub, Mul, Div (and the pairwise steps of Max/Min/Sum/Mean): numpy broadcasting, or before
/// opset 7 the legacy <c>broadcast</c>/<c>axis</c> attributes. Half and BFloat16 compute in float.
/// </summary>
internal abstract class ArithmeticKernel : IKernel
{
    private readonly ArithmeticKind _kind;
    private readonly bool _legacyBroadcast;
    private readonly int _legacyAxis;

    protected ArithmeticKernel(KernelInfo info, ArithmeticKind kind)
    {
        _kind = kind;
        if (info.OpsetVersion < 7)
        {
            _legacyBroadcast = info.Attributes.GetInt("broadcast", 0) != 0;
            _legacyAxis = (int)info.Attributes.GetInt("axis", int.MinValue);
        }
    }

    public void Execute(KernelContext context)
    {
        Tensor a = context.Input(0), b = context.Input(1);
        if (a.DType != b.DType)
            throw context.Error($"inputs must have one type, got {a.DType.OnnxName()} and {b.DType.OnnxName()}");
        if (_legacyBroadcast) b = LegacyAlign(context, a, b, _legacyAxis);
        // Elementwise: y may take over a dying a's or b's buffer.
        Tensor y = context.ElementwiseOutput(0, a.DType, Shapes.Broadcast(context, a.Shape, b.Shape), donors: 2);
        if (!Apply(_kind, a, b, y, ElementwiseBroadcast.Pool(context))) throw context.Error($"type {a.DType.OnnxName()} is not supported");
    }

    /// <summary>Before opset 7: B's dims line up with A's starting at axis (default: as a suffix).</summary>
    private static Tensor LegacyAlign(KernelContext context, Tensor a, Tensor b, int axis)
    {
        if (axis == int.MinValue) return b;
        if (axis < 0) axis += a.Rank;
        if (axis < 0 || axis + b.Rank > a.Rank) throw context.Error($"axis {axis} does not fit B {b.ShapeString} into A {a.ShapeString}");
        var s = new int[a.Rank];
        Array.Fill(s, 1);
        b.Shape.CopyTo(s, axis);
        return b.Reshape(s);
    }

    /// <summary>y = a op b, broadcast to y's shape; false for an unsupported type.</summary>
    public static bool Apply(ArithmeticKind kind, Tensor a, Tensor b, Tensor y, IntraOpPool? pool = null)
    {
        switch (a.DType)
        {
            case DType.Float16:
            case DType.BFloat16:
                return kind switch
                {
                    ArithmeticKind.Add => Widened(a, b, y, new AddOperator<float>(), pool),
                    ArithmeticKind.Sub => Widened(a, b, y, new SubtractOperator<float>(), pool),
                    ArithmeticKind.Mul => Widened(a, b, y, new MultiplyOperator<float>(), pool),
                    ArithmeticKind.Div => Widened(a, b, y, new DivideOperator<float>(), pool),
                    ArithmeticKind.Max => Widened(a, b, y, new MaxOperator<float>(), pool),
                    _ => Widened(a, b, y, new MinOperator<float>(), pool),
                };
            default:
                var v = new Visitor(kind, a, b, y, pool);
                return NumericDispatch.Numeric(a.DType, ref v, half: false);
        }
    }

    /// <summary>Runs a float operator over Half or BFloat16 tensors.</summary>
    public static bool Widened<TOp>(Tensor a, Tensor b, Tensor y, TOp op, IntraOpPool? pool = null) where TOp : struct, IBinaryOperator<float>
    {
        if (a.DType == DType.Float16) ElementwiseBroadcast.Run<Half, Half, Half, HalfRows<TOp>>(a, b, y, new(op), pool);
        else if (a.DType == DType.BFloat16) ElementwiseBroadcast.Run<BFloat16, BFloat16, BFloat16, BFloat16Rows<TOp>>(a, b, y, new(op), pool);
        else return false;
        return true;
    }

    private readonly struct Visitor(ArithmeticKind kind, Tensor a, Tensor b, Tensor y, IntraOpPool? pool) : INumericVisitor
    {
        public void Visit<T>() where T : unmanaged, INumber<T>
        {
            switch (kind)
            {
                case ArithmeticKind.Add: ElementwiseBroadcast.Run<T, T, T, SimdRows<T, AddOperator<T>>>(a, b, y, default, pool); break;
                case ArithmeticKind.Sub: ElementwiseBroadcast.Run<T, T, T, SimdRows<T, SubtractOperator<T>>>(a, b, y, default, pool); break;
                case ArithmeticKind.Mul: ElementwiseBroadcast.Run<T, T, T, SimdRows<T, MultiplyOperator<T>>>(a, b, y, default, pool); break;
                case ArithmeticKind.Div: ElementwiseBroadcast.Run<T, T, T, SimdRows<T, DivideOperator<T>>>(a, b, y, default, pool); break;
                case ArithmeticKind.Max: ElementwiseBroadcast.Run<T, T, T, SimdRows<T, MaxOperator<T>>>(a, b, y, default, pool); break;
                default: ElementwiseBroadcast.Run<T, T, T, SimdRows<T, MinOperator<T>>>(a, b, y, default, pool); break;
            }
        }
    }
}

/// <summary>ONNX <c>Add</c>: y = a + b.</summary>
[OnnxKernel("Add", Since = 1)]
internal sealed class AddKernel(KernelInfo info) : ArithmeticKernel(info, ArithmeticKind.Add);

/// <summary>ONNX <c>Sub</c>: y = a − b.</summary>
[OnnxKernel("Sub", Since = 1)]
internal sealed class SubKernel(KernelInfo info) : ArithmeticKernel(info, ArithmeticKind.Sub);

/// <summary>ONNX <c>Mul</c>: y = a · b.</summary>
[OnnxKernel("Mul", Since = 1)]
internal sealed class MulKernel(KernelInfo info) : ArithmeticKernel(info, ArithmeticKind.Mul);

/// <summary>ONNX <c>Div</c>: y = a / b (integers truncate toward zero).</summary>
[OnnxKernel("Div", Since = 1)]
internal sealed class DivKernel(KernelInfo info) : ArithmeticKernel(info, ArithmeticKind.Div);

/// <summary>Broadcast shapes with errors that name the node.</summary>
internal static class Shapes
{
    /// <summary>
    /// The broadcast of two shapes. Nearly always it is one of them (same shape, a bias, a scalar):
    /// that input's own array comes back, so the per-op path allocates nothing. Callers treat the
    /// result as read-only, as they do any tensor's shape.
    /// </summary>
    public static int[] Broadcast(KernelContext context, int[] a, int[] b)
    {
        if (Covers(a, b)) return a;
        if (Covers(b, a)) return b;
        return Broadcast(context, [a, b]);
    }

    /// <summary>True when <paramref name="small"/> broadcasts to <paramref name="big"/> unchanged (each aligned dim 1 or equal).</summary>
    private static bool Covers(int[] big, int[] small)
    {
        if (small.Length > big.Length) return false;
        int offset = big.Length - small.Length;
        for (int i = 0; i < small.Length; i++)
            if (small[i] != 1 && small[i] != big[offset + i]) return false;
        return true;
    }

    public static int[] Broadcast(KernelContext context, params int[][] shapes)
    {
        try { return Common.Broadcast.Shape(shapes); }
        catch (ArgumentException e) { throw context.Error(e.Message); }
    }
}
