using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>ONNX <c>Unsqueeze</c> (axes attribute before 13, input from 13; axes refer to the output rank). Returns a view.</summary>
[OnnxKernel("Unsqueeze")]
internal sealed class UnsqueezeKernel : IKernel
{
    private readonly long[]? _attrAxes;

    public UnsqueezeKernel(KernelInfo info)
    {
        if (info.OpsetVersion < 13) _attrAxes = info.Attributes.GetInts("axes") ?? [];
    }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        long[] axes = _attrAxes ?? context.Input(1).ToInt64Array();
        int rank = x.Rank + axes.Length;
        var insert = new bool[rank];
        foreach (long a in axes)
        {
            int ax = TensorOpHelpers.Axis(context, a, rank, "axes entry");
            if (insert[ax]) throw context.Error($"axes {TensorOpHelpers.Str(axes)} repeat axis {ax}");
            insert[ax] = true;
        }
        var shape = new int[rank];
        for (int i = 0, k = 0; i < rank; i++) shape[i] = insert[i] ? 1 : x.Shape[k++];
        context.SetOutput(0, x.Reshape(shape));
    }
}
