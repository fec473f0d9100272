using Onyx.Core.Execution;
using Onyx.Cpu.Nn;
using Onyx.Kernels.Nn;
using Onyx.Kernels.Threading;
using Onyx.Tensors;

namespace Onyx.Cpu.Fused;

/// <summary>
/// ONNX Runtime's contrib <c>com.microsoft.SkipLayerNormalization</c> (emitted by FuseSkipLayerNorm):
/// s = input + skip (+ bias); output = LayerNorm(s)·gamma (+ beta) over the last dimension, and s itself
/// as output 3 (input_skip_bias_sum) when requested — the transformer residual that feeds the next block.
/// Each row is summed into its destination and normalized there while it is in L1 (LayerNormF32 runs in
/// place). Outputs 1 and 2 (mean, inv_std_var) are the row statistics. float32 only.
/// </summary>
[OnnxKernel("SkipLayerNormalization", Domain = "com.microsoft", Since = 1)]
public sealed unsafe class SkipLayerNormKernel : IKernel
{
    private readonly float _epsilon;

    public SkipLayerNormKernel(KernelInfo info) => _epsilon = info.Attributes.GetFloat("epsilon", 1e-12f);

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0), skip = context.Input(1), gamma = context.Input(2);
        Tensor? beta = context.OptionalInput(3), bias = context.OptionalInput(4);
        if (x.DType != DType.Float32 || skip.DType != DType.Float32 || gamma.DType != DType.Float32)
            throw context.Error($"float32 only, got input {x.DType.OnnxName()}, skip {skip.DType.OnnxName()}, gamma {gamma.DType.OnnxName()}");
        if (x.Rank < 1) throw context.Error("input must have rank >= 1");
        int n = x.Shape[^1];
        if (n == 0) throw context.Error($"input {x.ShapeString} has an empty hidden dimension");
        int rows = x.Length / n;
        if (skip.Length != x.Length || skip.Shape[^1] != n) throw context.Error($"skip {skip.ShapeString} must have input's shape {x.ShapeString}");
        foreach (var (t, name) in new[] { (gamma, "gamma"), (beta, "beta"), (bias, "bias") })
            if (t is not null && (t.Length != n || t.DType != DType.Float32)) throw context.Error($"{name} {t.ShapeString} must be {n} floats");

        Tensor y = context.Output(0, DType.Float32, x.Shape);
        var statShape = x.Shape.ToArray();
        statShape[^1] = 1;
        Tensor? meanT = context.OutputCount > 1 && context.IsOutputRequested(1) ? context.Output(1, DType.Float32, statShape) : null;
        Tensor? invT = context.OutputCount > 2 && context.IsOutputRequested(2) ? context.Output(2, DType.Float32, statShape) : null;
        Tensor? sumT = context.OutputCount > 3 && context.IsOutputRequested(3) ? context.Output(3, DType.Float32, x.Shape) : null;
        if (y.Length == 0) return;
        var body = new Rows
        {
            X = (float*)x.Pointer, Skip = (float*)skip.Pointer, Bias = bias is null ? null : (float*)bias.Pointer,
            Gamma = (float*)gamma.Pointer, Beta = beta is null ? null : (float*)beta.Pointer,
            Y = (float*)y.Pointer, Sum = sumT is null ? null : (float*)sumT.Pointer,
            Means = meanT is null ? null : (float*)meanT.Pointer, Invs = invT is null ? null : (float*)invT.Pointer,
            RowCount = rows, N = n, Epsilon = _epsilon, Items = 1,
        };
        var pool = ConvShapes.Pool(context);
        // As LayerNormalization: below ~32K elements a fork-join costs more than it saves.
        if (pool is null || pool.DegreeOfParallelism == 1 || (long)rows * n < 1 << 15 || rows < 2) body.Invoke(0);
        else
        {
            body.Items = Math.Min(rows, pool.DegreeOfParallelism * 4);
            pool.Run(body.Items, ref body);
        }
        GC.KeepAlive(x); GC.KeepAlive(skip); GC.KeepAlive(gamma); GC.KeepAlive(beta); GC.KeepAlive(bias);
        GC.KeepAlive(y); GC.KeepAlive(sumT); GC.KeepAlive(meanT); GC.KeepAlive(invT);
    }

    private struct Rows : IParallelBody
    {
        public float* X, Skip, Bias, Gamma, Beta, Y, Sum, Means, Invs;
        public int RowCount, N, Items;
        public float Epsilon;

        public void Invoke(int index)
        {
            int r0 = (int)((long)RowCount * index / Items), r1 = (int)((long)RowCount * (index + 1) / Items);
            for (int r = r0; r < r1; r++)
            {
                nint o = (nint)r * N;
                // The sum goes where it is wanted (output 3) or straight into y, normalized there in place.
                float* s = Sum != null ? Sum + o : Y + o;
                var sd = new Span<float>(s, N);
                System.Numerics.Tensors.TensorPrimitives.Add(new ReadOnlySpan<float>(X + o, N), new ReadOnlySpan<float>(Skip + o, N), sd);
                if (Bias != null) System.Numerics.Tensors.TensorPrimitives.Add(sd, new ReadOnlySpan<float>(Bias, N), sd);
                var (mean, inv) = LayerNormF32.Row(s, Y + o, Gamma, Beta, N, Epsilon);
                if (Means != null) Means[r] = mean;
                if (Invs != null) Invs[r] = inv;
            }
        }
    }
}
