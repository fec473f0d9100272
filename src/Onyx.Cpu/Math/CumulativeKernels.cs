using System.Numerics;
using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.MathOps;

/// <summary>
/// CumSum and CumProd along one axis (a 0-D or 1-element int input), with <c>exclusive</c> (shift by
/// one, starting from the identity) and <c>reverse</c> (accumulate from the end). Half and BFloat16
/// accumulate in float.
/// </summary>
internal abstract class CumulativeKernel : IKernel
{
    private readonly bool _exclusive, _reverse, _product;

    protected CumulativeKernel(KernelInfo info, bool product)
    {
        _product = product;
        _exclusive = info.Attributes.GetInt("exclusive", 0) != 0;
        _reverse = info.Attributes.GetInt("reverse", 0) != 0;
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0), axisT = context.Input(1);
        if (axisT.Length != 1) throw context.Error($"axis must be a scalar, got shape {axisT.ShapeString}");
        long axis = axisT.ToInt64Array()[0];
        int rank = System.Math.Max(x.Rank, 1);
        if (axis < -rank || axis >= rank) throw context.Error($"axis {axis} is out of range for rank {x.Rank}");
        if (axis < 0) axis += rank;
        int len = x.Rank == 0 ? 1 : x.Shape[axis], inner = 1;
        for (int i = (int)axis + 1; i < x.Rank; i++) inner *= x.Shape[i];
        int outer = len * inner == 0 ? 0 : x.Length / (len * inner);
        var geo = new Geometry(outer, len, inner, _exclusive, _reverse, _product);
        Tensor y = context.Output(0, x.DType, x.Shape);
        switch (x.DType)
        {
            case DType.Float16:
            {
                var f = new float[x.Length];
                Kernels.Elementwise.Widen.ToSingle(x.Span<Half>(), f);
                geo.Run<float>(f, f);
                Kernels.Elementwise.Widen.ToHalf(f, y.Span<Half>());
                break;
            }
            case DType.BFloat16:
            {
                var f = new float[x.Length];
                Kernels.Elementwise.Widen.ToSingle(x.Span<BFloat16>(), f);
                geo.Run<float>(f, f);
                Kernels.Elementwise.Widen.ToBFloat16(f, y.Span<BFloat16>());
                break;
            }
            default:
                var v = new Visitor(geo, x, y);
                if (!NumericDispatch.Numeric(x.DType, ref v, half: false))
                    throw context.Error($"type {x.DType.OnnxName()} is not supported");
                break;
        }
    }

    private readonly struct Visitor(Geometry geo, Tensor x, Tensor y) : INumericVisitor
    {
        public void Visit<T>() where T : unmanaged, INumber<T> => geo.Run<T>(x.Span<T>(), y.Span<T>());
    }

    private readonly record struct Geometry(int Outer, int Len, int Inner, bool Exclusive, bool Reverse, bool Product)
    {
        public void Run<T>(ReadOnlySpan<T> x, Span<T> y) where T : INumber<T>
        {
            T identity = Product ? T.One : T.Zero;
            for (int o = 0; o < Outer; o++)
            {
                int baseOff = o * Len * Inner;
                for (int j = 0; j < Inner; j++)
                {
                    T acc = identity;
                    for (int k = 0; k < Len; k++)
                    {
                        int kk = Reverse ? Len - 1 - k : k;
                        int idx = baseOff + kk * Inner + j;
                        T v = x[idx];
                        if (Exclusive) { y[idx] = acc; acc = Product ? acc * v : acc + v; }
                        else { acc = Product ? acc * v : acc + v; y[idx] = acc; }
                    }
                }
            }
        }
    }
}

/// <summary>ONNX <c>CumSum</c>.</summary>
[OnnxKernel("CumSum", Since = 11)]
internal sealed class CumSumKernel : CumulativeKernel { public CumSumKernel(KernelInfo info) : base(info, product: false) { } }

/// <summary>ONNX <c>CumProd</c>.</summary>
[OnnxKernel("CumProd", Since = 26)]
internal sealed class CumProdKernel : CumulativeKernel { public CumProdKernel(KernelInfo info) : base(info, product: true) { } }
