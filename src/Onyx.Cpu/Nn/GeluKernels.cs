using Onyx.Core.Execution;
using Onyx.Kernels.Elementwise;
using Onyx.Kernels.Threading;
using Onyx.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Onyx.Cpu.Nn;

/// <summary>
/// ONNX Runtime's contrib GELUs, which the FuseGelu pass emits for models below opset 20:
/// <c>com.microsoft Gelu</c> y = 0.5·x·(1 + erf(x/√2)); <c>FastGelu</c> (optional bias B broadcast
/// over the last dimension) y = 0.5·u·(1 + tanh(√(2/π)·(u + 0.044715·u³))), u = x + B; and
/// <c>BiasGelu</c> y = Gelu(A + B). Float32 runs the vector operator across the session pool.
/// </summary>
[OnnxKernel("Gelu", Domain = "com.microsoft", Since = 1)]
[OnnxKernel("FastGelu", Domain = "com.microsoft", Since = 1)]
[OnnxKernel("BiasGelu", Domain = "com.microsoft", Since = 1)]
public sealed unsafe class ContribGeluKernel : IKernel
{
    private readonly GeluFastOperator _op;

    public ContribGeluKernel(KernelInfo info) => _op = new GeluFastOperator(info.Node.OpType == "FastGelu");

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        NnFloat.Require(context, x, "X");
        Tensor? b = context.OptionalInput(1);
        int n = x.Rank == 0 ? 1 : x.Shape[^1];
        if (b is not null && (b.Length != n || b.DType != x.DType))
            throw context.Error($"bias {b.ShapeString} must be a {x.DType.OnnxName()} vector of the last dimension of X {x.ShapeString}");
        Tensor y = context.Output(0, x.DType, x.Shape);
        if (x.Length == 0) return;
        if (x.DType == DType.Float32)
        {
            Apply((float*)x.Pointer, b is null ? null : (float*)b.Pointer, (float*)y.Pointer, x.Length / n, n, _op, ConvShapes.Pool(context));
            GC.KeepAlive(x); GC.KeepAlive(b); GC.KeepAlive(y);
            return;
        }
        ReadOnlySpan<float> xs = NnFloat.Read(x);
        ReadOnlySpan<float> bs = b is null ? default : NnFloat.Read(b);
        Span<float> ys = NnFloat.Dest(y, out var scratch);
        for (int r = 0; r < x.Length / n; r++) Row(xs.Slice(r * n, n), bs, ys.Slice(r * n, n), _op);
        NnFloat.Commit(y, scratch);
    }

    /// <summary>y = gelu(x + bias) over <paramref name="rows"/> rows of <paramref name="n"/>; bias may be null. In place is allowed.</summary>
    internal static void Apply(float* x, float* bias, float* y, int rows, int n, GeluFastOperator op, IntraOpPool? pool)
    {
        var body = new Body(x, bias, y, rows, n, op, 1);
        long total = (long)rows * n;
        // Below ~64K elements a fork-join costs more than it saves.
        if (pool is null || pool.DegreeOfParallelism == 1 || total < 1 << 16 || rows < 2) { body.Invoke(0); return; }
        int items = Math.Min(rows, pool.DegreeOfParallelism * 4);
        body = new Body(x, bias, y, rows, n, op, items);
        pool.Run(items, ref body);
    }

    private static void Row(ReadOnlySpan<float> x, ReadOnlySpan<float> bias, Span<float> y, GeluFastOperator op)
    {
        if (bias.IsEmpty) { Unary.Invoke(x, y, op); return; }
        TensorPrimitives.Add(x, bias, y);
        Unary.Invoke(y, y, op);
    }

    private readonly struct Body(float* x, float* bias, float* y, int rows, int n, GeluFastOperator op, int items) : IParallelBody
    {
        public void Invoke(int index)
        {
            int r0 = (int)((long)rows * index / items), r1 = (int)((long)rows * (index + 1) / items);
            var b = bias is null ? default : new ReadOnlySpan<float>(bias, n);
            if (b.IsEmpty)
            {
                // Contiguous rows: one long span keeps the vector loop out of per-row tails.
                long s = (long)r0 * n, e = (long)r1 * n;
                Unary.Invoke(new ReadOnlySpan<float>(x + s, (int)(e - s)), new Span<float>(y + s, (int)(e - s)), op);
                return;
            }
            for (int r = r0; r < r1; r++)
                Row(new ReadOnlySpan<float>(x + (long)r * n, n), b, new Span<float>(y + (long)r * n, n), op);
        }
    }
}
