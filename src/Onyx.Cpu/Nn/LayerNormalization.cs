using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Onyx.Core.Execution;
using Onyx.Kernels.Nn;
using Onyx.Kernels.Threading;
using Onyx.Tensors;

namespace Onyx.Cpu.Nn;

/// <summary>
/// ONNX <c>LayerNormalization</c> (17): normalizes over the trailing dimensions from <c>axis</c>;
/// optional outputs Mean and InvStdDev (stash type float) keep the leading shape with ones after.
/// Rows run the one-pass vector <see cref="LayerNormF32"/> across the session pool.
/// </summary>
[OnnxKernel("LayerNormalization", Since = 17)]
public sealed unsafe class LayerNormalizationKernel : IKernel
{
    private readonly long _axis;
    private readonly float _epsilon;

    public LayerNormalizationKernel(KernelInfo info)
    {
        _axis = info.Attributes.GetInt("axis", -1);
        _epsilon = info.Attributes.GetFloat("epsilon", 1e-5f);
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        NnFloat.Require(context, x, "X");
        int axis = NnFloat.NormalizeAxis(context, _axis, x.Rank);
        int outer = NnFloat.Product(x.Shape, 0, axis);
        int n = NnFloat.Product(x.Shape, axis, x.Rank);
        int[] normShape = x.Shape[axis..];
        ReadOnlySpan<float> scale = Expand(context, context.Input(1), normShape, "Scale");
        Tensor? bt = context.OptionalInput(2);
        ReadOnlySpan<float> bias = bt is null ? default : Expand(context, bt, normShape, "B");

        Tensor y = context.Output(0, x.DType, x.Shape);
        var statShape = new int[x.Rank];
        for (int i = 0; i < x.Rank; i++) statShape[i] = i < axis ? x.Shape[i] : 1;
        Tensor? meanT = context.OutputCount > 1 && context.IsOutputRequested(1) ? context.Output(1, DType.Float32, statShape) : null;
        Tensor? invT = context.OutputCount > 2 && context.IsOutputRequested(2) ? context.Output(2, DType.Float32, statShape) : null;
        Span<float> means = meanT is null ? default : meanT.Span<float>();
        Span<float> invs = invT is null ? default : invT.Span<float>();

        ReadOnlySpan<float> xs = NnFloat.Read(x);
        Span<float> ys = NnFloat.Dest(y, out var scratch);
        fixed (float* px = xs, py = ys, pg = scale, pb = bias, pm = means, pi = invs)
        {
            var body = new Rows(px, py, pg, pb, pm, pi, outer, n, _epsilon, 1);
            var pool = ConvShapes.Pool(context);
            // Rows are independent; below ~32K elements a fork-join costs more than it saves.
            if (pool is null || pool.DegreeOfParallelism == 1 || (long)outer * n < 1 << 15 || outer < 2) body.Invoke(0);
            else
            {
                body = new Rows(px, py, pg, pb, pm, pi, outer, n, _epsilon, Math.Min(outer, pool.DegreeOfParallelism * 4));
                pool.Run(body.Items, ref body);
            }
        }
        NnFloat.Commit(y, scratch);
    }

    /// <summary>A contiguous block of rows per work item; mean/inv pointers may be null.</summary>
    private readonly struct Rows(float* x, float* y, float* gamma, float* beta, float* means, float* invs, int rows, int n, float epsilon, int items) : IParallelBody
    {
        public int Items => items;

        public void Invoke(int index)
        {
            int r0 = (int)((long)rows * index / items), r1 = (int)((long)rows * (index + 1) / items);
            for (int r = r0; r < r1; r++)
            {
                var (mean, inv) = LayerNormF32.Row(x + (long)r * n, y + (long)r * n, gamma, beta, n, epsilon);
                if (means != null) means[r] = mean;
                if (invs != null) invs[r] = inv;
            }
        }
    }

    internal static ReadOnlySpan<float> Expand(KernelContext context, Tensor t, int[] normShape, string name)
    {
        ReadOnlySpan<float> s = NnFloat.Read(t);
        int n = NnFloat.Product(normShape, 0, normShape.Length);
        if (s.Length == n) return s;
        try { return NnFloat.BroadcastTo(s, t.Shape, normShape); }
        catch (ArgumentException e) { throw context.Error($"input '{name}' of shape {t.ShapeString} does not broadcast to [{string.Join(",", normShape)}]: {e.Message}"); }
    }
}

/// <summary>ONNX <c>RMSNormalization</c> (23): y = x / sqrt(mean(x²) + epsilon) * scale over the trailing dimensions from <c>axis</c>.</summary>
[OnnxKernel("RMSNormalization", Since = 23)]
public sealed class RmsNormalizationKernel : IKernel
{
    private readonly long _axis;
    private readonly float _epsilon;

    public RmsNormalizationKernel(KernelInfo info)
    {
        _axis = info.Attributes.GetInt("axis", -1);
        _epsilon = info.Attributes.GetFloat("epsilon", 1e-5f);
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        NnFloat.Require(context, x, "X");
        int axis = NnFloat.NormalizeAxis(context, _axis, x.Rank);
        int outer = NnFloat.Product(x.Shape, 0, axis);
        int n = NnFloat.Product(x.Shape, axis, x.Rank);
        ReadOnlySpan<float> scale = LayerNormalizationKernel.Expand(context, context.Input(1), x.Shape[axis..], "scale");
        Tensor y = context.Output(0, x.DType, x.Shape);
        ReadOnlySpan<float> xs = NnFloat.Read(x);
        Span<float> ys = NnFloat.Dest(y, out var scratch);
        for (int r = 0; r < outer; r++)
        {
            ReadOnlySpan<float> row = xs.Slice(r * n, n);
            Span<float> yrow = ys.Slice(r * n, n);
            float ms = n == 0 ? 0 : TensorPrimitives.SumOfSquares(row) / n;
            float inv = 1f / MathF.Sqrt(ms + _epsilon);
            TensorPrimitives.Multiply(row, inv, yrow);
            TensorPrimitives.Multiply(yrow, scale, yrow);
        }
        NnFloat.Commit(y, scratch);
    }
}
