using Onyx.Core.Execution;
using Onyx.Cpu.Cast;
using Onyx.Cpu.Common;
using Onyx.Tensors;
using Tensor = Onyx.Tensors.Tensor;

namespace Onyx.Cpu.Quantization;

/// <summary>
/// Integer matmul with zero points and numpy batch broadcasting: C = (A - a_zp) · (B - b_zp) in
/// int32. a_zp is a scalar or one per row of A (M); b_zp a scalar or one per column of B (N).
/// </summary>
internal static class IntMatMul
{
    public sealed class Result
    {
        public required int[] Shape;
        public required int[] Acc;
        public int M, N, Batch;
    }

    public static Result Run(KernelContext context, Tensor a, Tensor b, Tensor? azp, Tensor? bzp)
    {
        if (a.Rank == 0 || b.Rank == 0) throw context.Error("MatMul inputs must have rank >= 1");
        int[] aShape = a.Rank == 1 ? [1, a.Shape[0]] : a.Shape;
        int[] bShape = b.Rank == 1 ? [b.Shape[0], 1] : b.Shape;
        int M = aShape[^2], K = aShape[^1], K2 = bShape[^2], N = bShape[^1];
        if (K != K2) throw context.Error($"inner dimensions differ: A {a.ShapeString}, B {b.ShapeString}");
        int[] aBatch = aShape[..^2], bBatch = bShape[..^2];
        int[] batch;
        try { batch = Broadcast.Shape(aBatch, bBatch); }
        catch (ArgumentException e) { throw context.Error(e.Message); }
        int[] aOff = Broadcast.Offsets(aBatch, batch), bOff = Broadcast.Offsets(bBatch, batch);
        int nb = aOff.Length;

        var av = new int[a.Length];
        var bv = new int[b.Length];
        var tmp = new long[Math.Max(a.Length, b.Length)];
        ElementConvert.ToInt64(a, tmp.AsSpan(0, a.Length));
        for (int i = 0; i < a.Length; i++) av[i] = (int)tmp[i];
        ElementConvert.ToInt64(b, tmp.AsSpan(0, b.Length));
        for (int i = 0; i < b.Length; i++) bv[i] = (int)tmp[i];
        // Subtract zero points up front.
        if (azp is not null && azp.Length > 0)
        {
            long[] z = azp.ToInt64Array();
            for (int i = 0; i < av.Length; i++)
            {
                int row = (i / K) % M;
                av[i] -= (int)(z.Length == 1 ? z[0] : z.Length == M ? z[row] : z[(i / K) % z.Length]);
            }
        }
        if (bzp is not null && bzp.Length > 0)
        {
            long[] z = bzp.ToInt64Array();
            for (int i = 0; i < bv.Length; i++)
            {
                int col = i % N;
                int mat = i / (K * N);
                bv[i] -= (int)(z.Length == 1 ? z[0] : z.Length == N ? z[col] : z[(mat * N + col) % z.Length]);
            }
        }
        var acc = new int[nb * M * N];
        for (int bi = 0; bi < nb; bi++)
        {
            int ao = aOff[bi] * M * K, bo = bOff[bi] * K * N, co = bi * M * N;
            for (int m = 0; m < M; m++)
            {
                var crow = acc.AsSpan(co + m * N, N);
                for (int k = 0; k < K; k++)
                {
                    int x = av[ao + m * K + k];
                    if (x == 0) continue;
                    var brow = bv.AsSpan(bo + k * N, N);
                    for (int n = 0; n < N; n++) crow[n] += x * brow[n];
                }
            }
        }
        var shape = new List<int>(batch);
        if (a.Rank > 1) shape.Add(M);
        if (b.Rank > 1) shape.Add(N);
        return new Result { Shape = shape.ToArray(), Acc = acc, M = M, N = N, Batch = nb };
    }
}

/// <summary>ONNX <c>MatMulInteger</c>: int32 (A - a_zero_point) · (B - b_zero_point) for u8/s8.</summary>
[OnnxKernel("MatMulInteger", Since = 10)]
public sealed class MatMulIntegerKernel : IKernel
{
    public MatMulIntegerKernel(KernelInfo info) { }

    public void Execute(KernelContext context)
    {
        var r = IntMatMul.Run(context, context.Input(0), context.Input(1), context.OptionalInput(2), context.OptionalInput(3));
        r.Acc.CopyTo(context.Output(0, DType.Int32, r.Shape).Span<int>());
    }
}

/// <summary>
/// ONNX <c>QLinearMatMul</c>: y = saturate(round((A - a_zp)·(B - b_zp) · a_scale·b_scale / y_scale) + y_zp);
/// scales may be per row of A / per column of B.
/// </summary>
[OnnxKernel("QLinearMatMul", Since = 10)]
public sealed class QLinearMatMulKernel : IKernel
{
    public QLinearMatMulKernel(KernelInfo info) { }

    public void Execute(KernelContext context)
    {
        Tensor a = context.Input(0), aScale = context.Input(1), b = context.Input(3), bScale = context.Input(4);
        Tensor yScale = context.Input(6);
        Tensor? aZp = context.OptionalInput(2), bZp = context.OptionalInput(5), yZp = context.OptionalInput(7);
        var r = IntMatMul.Run(context, a, b, aZp, bZp);
        DType outType = yZp?.DType ?? a.DType;
        var asc = new float[aScale.Length]; ElementConvert.ToFloat(aScale, asc);
        var bsc = new float[bScale.Length]; ElementConvert.ToFloat(bScale, bsc);
        var ysc = new float[yScale.Length]; ElementConvert.ToFloat(yScale, ysc);
        long yz = yZp is null ? 0 : yZp.ToInt64Array()[0];
        var (lo, hi) = QuantizeLinearKernel.Range(outType);
        int M = r.M, N = r.N;
        var q = new long[r.Acc.Length];
        for (int i = 0; i < q.Length; i++)
        {
            int n = i % N, m = (i / N) % M;
            float s = asc[asc.Length == 1 ? 0 : m] * bsc[bsc.Length == 1 ? 0 : n] / ysc[0];
            double v = Math.Round(r.Acc[i] * (double)s, MidpointRounding.ToEven) + yz;
            q[i] = (long)Math.Clamp(v, lo, hi);
        }
        ElementConvert.FromInt64(q, context.Output(0, outType, r.Shape));
    }
}
