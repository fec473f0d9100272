using System.Numerics;
using Onyx.Core.Execution;
using Onyx.Cpu.Common;
using Onyx.Cpu.Nn;
using Onyx.Kernels.Gemm;
using Onyx.Kernels.Gemv;
using Onyx.Tensors;

namespace Onyx.Cpu.MathOps;

/// <summary>
/// ONNX <c>MatMul</c> (1..13+): numpy matmul with broadcast batch dims and 1-D operands.
/// float runs the packed GEMM (a constant 2-D B is prepacked once here; a 2-D B folds A's batch
/// into M); the other numeric types run a plain loop (float16/bfloat16 accumulate in float).
/// </summary>
[OnnxKernel("MatMul", Since = 1)]
internal sealed unsafe class MatMulKernel : IKernel, IDisposable
{
    private readonly PackedMatrixB? _packedB;
    private readonly Tensor? _constB;

    public MatMulKernel(KernelInfo info)
    {
        if (info.ConstantInput(1) is { DType: DType.Float32, Rank: 2 } b && b.Length > 0)
        {
            _constB = b;
            _packedB = new PackedMatrixB((float*)b.Pointer, b.Shape[1], false, b.Shape[0], b.Shape[1]);
        }
    }

    public void Execute(KernelContext context)
    {
        Tensor a = context.Input(0), b = context.Input(1);
        if (a.DType != b.DType) throw context.Error($"A is {a.DType.OnnxName()} but B is {b.DType.OnnxName()}");
        if (a.Rank == 0 || b.Rank == 0) throw context.Error($"MatMul operands must have rank >= 1, got {a.ShapeString} and {b.ShapeString}");
        if (a.DType == DType.Float32 && b.Rank == 2 && a.Shape[^1] == b.Shape[0])
        {
            MultiplyByMatrix(context, a, b);
            return;
        }
        int[] aShape = a.Rank == 1 ? [1, a.Shape[0]] : a.Shape;
        int[] bShape = b.Rank == 1 ? [b.Shape[0], 1] : b.Shape;
        int m = aShape[^2], k = aShape[^1], n = bShape[^1];
        if (bShape[^2] != k) throw context.Error($"inner dimensions differ: A {a.ShapeString} has K = {k}, B {b.ShapeString} has K = {bShape[^2]}");
        int[] batchA = aShape[..^2], batchB = bShape[..^2];
        int[] batch;
        try { batch = Broadcast.Shape(batchA, batchB); }
        catch (ArgumentException e) { throw context.Error($"batch dims of A {a.ShapeString} and B {b.ShapeString} do not broadcast: {e.Message}"); }
        var outShape = new List<int>(batch);
        if (a.Rank > 1) outShape.Add(m);
        if (b.Rank > 1) outShape.Add(n);
        Tensor y = context.Output(0, a.DType, outShape.ToArray());
        if (y.Length == 0) return;
        int batches = ConvShapes.Product(batch);

        if (a.DType == DType.Float32)
        {
            float* pa = (float*)a.Pointer, pb = (float*)b.Pointer, py = (float*)y.Pointer;
            var pool = ConvShapes.Pool(context);
            if (batchB.Length == 0)
            {
                // B is one matrix: every batch of A stacks into one tall GEMM.
                int rows = batches * m;
                if (_packedB is not null && ReferenceEquals(b, _constB))
                    SGemm.Multiply(false, rows, 1f, pa, k, _packedB, 0f, py, n, default, pool);
                else
                    SGemm.Multiply(false, false, rows, n, k, 1f, pa, k, pb, n, 0f, py, n, default, pool);
                return;
            }
            int[] offA = Broadcast.Offsets(batchA, batch), offB = Broadcast.Offsets(batchB, batch);
            var body = new BatchBody { A = pa, B = pb, Y = py, OffA = offA, OffB = offB, M = m, N = n, K = k, Batches = batches, Parts = 1 };
            int threads = pool?.DegreeOfParallelism ?? 1;
            // Attention's [B, H, S, S] products: many small GEMMs. Threads take whole batches (one handoff
            // per op instead of one per GEMM); a few big GEMMs split inside instead.
            if (threads > 1 && batches >= threads && (long)m * n * k <= BatchSplitMaxWork)
            {
                body.Parts = threads;
                pool!.Run(threads, ref body);
            }
            else
            {
                body.GemmPool = pool;
                body.Invoke(0);
            }
            return;
        }

        int[] oa = Broadcast.Offsets(batchA, batch), ob = Broadcast.Offsets(batchB, batch);
        switch (a.DType)
        {
            case DType.Float64: Loop<double>(a, b, y, oa, ob, m, n, k); break;
            case DType.Int32: Loop<int>(a, b, y, oa, ob, m, n, k); break;
            case DType.Int64: Loop<long>(a, b, y, oa, ob, m, n, k); break;
            case DType.UInt32: Loop<uint>(a, b, y, oa, ob, m, n, k); break;
            case DType.UInt64: Loop<ulong>(a, b, y, oa, ob, m, n, k); break;
            case DType.Float16:
            case DType.BFloat16:
            {
                var af = Widen.ToFloat(a);
                var bf = Widen.ToFloat(b);
                var yf = Tensor.Allocate(DType.Float32, y.Shape);
                Loop<float>(af, bf, yf, oa, ob, m, n, k);
                context.SetOutput(0, Widen.FromFloat(yf, a.DType));
                break;
            }
            default:
                throw context.Error($"unsupported type {a.DType.OnnxName()}");
        }
    }

    /// <summary>
    /// The common float case, B one [K, N] matrix: every batch of A stacks into one tall GEMM, Y's
    /// shape is A's with the last dim N. Up to <see cref="SmallRowsGemm.MaxRows"/> rows skip the packed
    /// GEMM (its 12-row tile and A packing cost more than a classifier head's arithmetic).
    /// </summary>
    private void MultiplyByMatrix(KernelContext context, Tensor a, Tensor b)
    {
        int k = b.Shape[0], n = b.Shape[1];
        Span<int> yShape = stackalloc int[a.Rank];
        a.Shape.CopyTo(yShape);
        yShape[^1] = n;
        // A 1-D A ([K] -> [N]) has no row dim to keep, so the same rule covers it.
        Tensor y = context.OutputUninitialized(0, DType.Float32, yShape);
        if (y.Length == 0) return;
        int rows = y.Length / n;
        float* pa = (float*)a.Pointer, pb = (float*)b.Pointer, py = (float*)y.Pointer;
        var pool = ConvShapes.Pool(context);
        if (k == 0) y.Span<float>().Clear();
        else if (rows <= SmallRowsGemm.MaxRows) SmallRowsGemm.Multiply(rows, n, k, pa, k, pb, n, py, n, pool);
        else if (_packedB is not null && ReferenceEquals(b, _constB)) SGemm.Multiply(false, rows, 1f, pa, k, _packedB, 0f, py, n, default, pool);
        else SGemm.Multiply(false, false, rows, n, k, 1f, pa, k, pb, n, 0f, py, n, default, pool);
    }

    /// <summary>Largest per-batch GEMM (multiply-adds) whose batches are spread over threads rather than split inside.</summary>
    private const long BatchSplitMaxWork = 1L << 24;

    private struct BatchBody : Onyx.Kernels.Threading.IParallelBody
    {
        public float* A, B, Y;
        public int[] OffA, OffB;
        public int M, N, K, Batches, Parts;
        public Onyx.Kernels.Threading.IntraOpPool? GemmPool;

        public void Invoke(int index)
        {
            int b0 = (int)((long)Batches * index / Parts), b1 = (int)((long)Batches * (index + 1) / Parts);
            for (int i = b0; i < b1; i++)
                SGemm.Multiply(false, false, M, N, K, 1f, A + (nint)OffA[i] * M * K, K, B + (nint)OffB[i] * K * N, N, 0f, Y + (nint)i * M * N, N, default, GemmPool);
        }
    }

    /// <summary>y[i] = a[offA[i]] * b[offB[i]] per batch, the plain triple loop (i, p, j order).</summary>
    private static void Loop<T>(Tensor a, Tensor b, Tensor y, int[] offA, int[] offB, int m, int n, int k) where T : unmanaged, INumber<T>
    {
        var sa = a.Span<T>();
        var sb = b.Span<T>();
        var sy = y.Span<T>();
        for (int bi = 0; bi < offA.Length; bi++)
        {
            var ab = sa.Slice(offA[bi] * m * k, m * k);
            var bb = sb.Slice(offB[bi] * k * n, k * n);
            var yb = sy.Slice(bi * m * n, m * n);
            yb.Clear();
            for (int i = 0; i < m; i++)
                for (int p = 0; p < k; p++)
                {
                    T av = ab[i * k + p];
                    for (int j = 0; j < n; j++) yb[i * n + j] += av * bb[p * n + j];
                }
        }
    }

    public void Dispose() => _packedB?.Dispose();
}
