using Onyx.Core.Execution;
using Onyx.Cpu.Cast;
using Onyx.Cpu.Common;
using Onyx.Tensors;
using Tensor = Onyx.Tensors.Tensor;

namespace Onyx.Cpu.Quantization;

/// <summary>
/// com.microsoft <c>QLinearAdd</c> / <c>QLinearMul</c>: C = quantize(dequantize(A) op dequantize(B))
/// with per-tensor scales and zero points, numpy broadcasting, u8/s8.
/// Inputs: A, A_scale, A_zero_point?, B, B_scale, B_zero_point?, C_scale, C_zero_point?.
/// </summary>
[OnnxKernel("QLinearAdd", Domain = "com.microsoft", Since = 1)]
[OnnxKernel("QLinearMul", Domain = "com.microsoft", Since = 1)]
public sealed class QLinearBinaryKernel : IKernel
{
    private readonly bool _mul;

    public QLinearBinaryKernel(KernelInfo info) => _mul = info.Node.OpType == "QLinearMul";

    private static float Scalar(Tensor t)
    {
        var f = new float[t.Length];
        ElementConvert.ToFloat(t, f);
        return f[0];
    }

    private static long ZeroPoint(Tensor? t) => t is null || t.Length == 0 ? 0 : t.ToInt64Array()[0];

    public void Execute(KernelContext context)
    {
        Tensor a = context.Input(0), b = context.Input(3);
        float sa = Scalar(context.Input(1)), sb = Scalar(context.Input(4)), sc = Scalar(context.Input(6));
        long za = ZeroPoint(context.OptionalInput(2)), zb = ZeroPoint(context.OptionalInput(5));
        Tensor? zcT = context.OptionalInput(7);
        long zc = ZeroPoint(zcT);
        DType outType = zcT?.DType ?? a.DType;
        int[] shape;
        try { shape = Broadcast.Shape(a.Shape, b.Shape); }
        catch (ArgumentException e) { throw context.Error(e.Message); }
        int[] ao = Broadcast.Offsets(a.Shape, shape), bo = Broadcast.Offsets(b.Shape, shape);
        var av = a.ToInt64Array();
        var bv = b.ToInt64Array();
        var (lo, hi) = QuantizeLinearKernel.Range(outType);
        var q = new long[ao.Length];
        for (int i = 0; i < q.Length; i++)
        {
            float x = (av[ao[i]] - za) * sa, y = (bv[bo[i]] - zb) * sb;
            float r = (_mul ? x * y : x + y) / sc;
            double v = Math.Round(r, MidpointRounding.ToEven) + zc;
            q[i] = double.IsNaN(v) ? 0 : (long)Math.Clamp(v, lo, hi);
        }
        ElementConvert.FromInt64(q, context.Output(0, outType, shape));
    }
}
