using Onyx.Core.Execution;
using Onyx.Cpu.Common;
using Onyx.Kernels.Elementwise;
using Onyx.Tensors;

namespace Onyx.Cpu.MathOps;

/// <summary>
/// ONNX <c>Where</c>: out = cond ? X : Y with three-way broadcasting. Y is first broadcast into the
/// output, then the (cond, X) pair is walked as rows that overwrite where cond holds. Works on raw
/// element bits, so every fixed-size type shares four instantiations.
/// </summary>
[OnnxKernel("Where", Since = 9)]
internal sealed class WhereKernel : IKernel
{
    public WhereKernel(KernelInfo info) { }

    public void Execute(KernelContext context)
    {
        Tensor c = context.Input(0), x = context.Input(1), y = context.Input(2);
        if (c.DType != DType.Bool) throw context.Error($"condition must be bool, got {c.DType.OnnxName()}");
        if (x.DType != y.DType) throw context.Error($"X is {x.DType.OnnxName()} but Y is {y.DType.OnnxName()}");
        Tensor o = context.Output(0, x.DType, Shapes.Broadcast(context, c.Shape, x.Shape, y.Shape));
        if (o.Length == 0) return;
        if (x.DType == DType.String)
        {
            int[] oc = Broadcast.Offsets(c.Shape, o.Shape), ox = Broadcast.Offsets(x.Shape, o.Shape), oy = Broadcast.Offsets(y.Shape, o.Shape);
            var cs = c.Span<bool>();
            for (int i = 0; i < o.Length; i++) o.Strings[i] = cs[oc[i]] ? x.Strings[ox[i]] : y.Strings[oy[i]];
            return;
        }
        var pool = ElementwiseBroadcast.Pool(context);
        ElementwiseBroadcast.Expand(y, o, pool);
        switch (x.DType.SizeOf())
        {
            case 1: ElementwiseBroadcast.Run<bool, byte, byte, SelectRows<byte>>(c, x, o, default, pool); break;
            case 2: ElementwiseBroadcast.Run<bool, ushort, ushort, SelectRows<ushort>>(c, x, o, default, pool); break;
            case 4: ElementwiseBroadcast.Run<bool, uint, uint, SelectRows<uint>>(c, x, o, default, pool); break;
            case 8: ElementwiseBroadcast.Run<bool, ulong, ulong, SelectRows<ulong>>(c, x, o, default, pool); break;
            default: throw context.Error($"type {x.DType.OnnxName()} is not supported");
        }
    }

    /// <summary>y[i] = x[i] where c[i]; y already holds the else-branch.</summary>
    private readonly struct SelectRows<T> : IBinaryRows<bool, T, T>
    {
        public void Same(ReadOnlySpan<bool> c, ReadOnlySpan<T> x, Span<T> y)
        {
            for (int i = 0; i < y.Length; i++) if (c[i]) y[i] = x[i];
        }

        public void ScalarA(bool c, ReadOnlySpan<T> x, Span<T> y)
        {
            if (c) x[..y.Length].CopyTo(y);
        }

        public void ScalarB(ReadOnlySpan<bool> c, T x, Span<T> y)
        {
            for (int i = 0; i < y.Length; i++) if (c[i]) y[i] = x;
        }
    }
}
