using Onyx.Core.Execution;
using Onyx.Cpu.Cast;
using Onyx.Cpu.Common;
using Onyx.Tensors;
using Tensor = Onyx.Tensors.Tensor;

namespace Onyx.Cpu.Quantization;

/// <summary>
/// The plain-loop oracle of <see cref="IntMatMul"/>, also used for zero-point layouts the GEMM path
/// does not take (N-d zero points). Integer matmul with zero points and numpy batch broadcasting: C = (A - a_zp) · (B - b_zp) in
/// int32. a_zp is a scalar or one per row of A (M); b_zp a scalar or one per column of B (N).
/// </summary>
internal static class IntMatMulReference
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

