using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.Nn;

/// <summary>
/// ONNX <c>LayerNormalization</c> (17): normalizes over the trailing dimensions from <c>axis</c>;
/// optional outputs Mean and InvStdDev (stash type float) keep the leading shape with ones after.
/// </summary>
[OnnxKernel("LayerNormalization", Since = 17)]
public sealed class LayerNormalizationKernel : IKernel
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
        for (int r = 0; r < outer; r++)
        {
            ReadOnlySpan<float> row = xs.Slice(r * n, n);
            Span<float> yrow = ys.Slice(r * n, n);
            float mean = n == 0 ? 0 : TensorPrimitives.Sum(row) / n;
            TensorPrimitives.Subtract(row, mean, yrow);
            float variance = n == 0 ? 0 : TensorPrimitives.SumOfSquares(yrow) / n;
            float inv = 1f / MathF.Sqrt(variance + _epsilon);
            TensorPrimitives.Multiply(yrow, inv, yrow);
            TensorPrimitives.Multiply(yrow, scale, yrow);
            if (!bias.IsEmpty) TensorPrimitives.Add(yrow, bias, yrow);
            if (!means.IsEmpty) means[r] = mean;
            if (!invs.IsEmpty) invs[r] = inv;
        }
        NnFloat.Commit(y, scratch);
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
