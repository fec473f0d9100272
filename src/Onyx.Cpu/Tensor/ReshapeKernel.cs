using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>ONNX <c>Reshape</c> (1: shape attribute; 5+: shape input; 14+: allowzero). Returns a view (no copy).</summary>
[OnnxKernel("Reshape")]
internal sealed class ReshapeKernel : IKernel
{
    private readonly long[]? _attrShape;
    private readonly bool _allowZero;

    public ReshapeKernel(KernelInfo info)
    {
        if (info.OpsetVersion < 5) _attrShape = info.Attributes.GetInts("shape") ?? [];
        _allowZero = info.Attributes.GetInt("allowzero", 0) != 0;
    }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        long[] target = _attrShape ?? context.Input(1).ToInt64Array();
        context.SetOutput(0, x.Reshape(Resolve(context, x, target, _allowZero)));
    }

    /// <summary>Applies Reshape's 0 (copy input dim, unless allowzero) and -1 (infer) rules.</summary>
    internal static int[] Resolve(KernelContext context, Tensor x, long[] target, bool allowZero)
    {
        var shape = new int[target.Length];
        int infer = -1;
        long known = 1;
        for (int i = 0; i < target.Length; i++)
        {
            long d = target[i];
            if (d == -1)
            {
                if (infer >= 0) throw context.Error($"shape {TensorOpHelpers.Str(target)} has more than one -1");
                infer = i;
                continue;
            }
            if (d == 0 && !allowZero)
            {
                if (i >= x.Rank) throw context.Error($"shape {TensorOpHelpers.Str(target)} copies dimension {i} (0) but the input {x.ShapeString} has rank {x.Rank}");
                d = x.Shape[i];
            }
            if (d < 0) throw context.Error($"shape {TensorOpHelpers.Str(target)} has invalid dimension {d}");
            shape[i] = (int)d;
            known *= d;
        }
        if (infer >= 0)
        {
            if (known == 0 || x.Length % known != 0)
                throw context.Error($"cannot infer the -1 of shape {TensorOpHelpers.Str(target)} for input {x.ShapeString} ({x.Length} elements)");
            shape[infer] = (int)(x.Length / known);
        }
        else if (known != x.Length)
            throw context.Error($"cannot reshape input {x.ShapeString} ({x.Length} elements) to {TensorOpHelpers.Str(target)} ({known} elements)");
        return shape;
    }
}
