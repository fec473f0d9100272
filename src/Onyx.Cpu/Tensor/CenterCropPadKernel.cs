using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>ONNX <c>CenterCropPad</c>: centre crop (start rounded down) or zero pad (extra on the right) to <c>shape</c> on <c>axes</c>.</summary>
[OnnxKernel("CenterCropPad", Since = 18)]
internal sealed class CenterCropPadKernel : IKernel
{
    private readonly long[]? _axes;

    public CenterCropPadKernel(KernelInfo info) => _axes = info.Attributes.GetInts("axes");

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        long[] target = context.Input(1).ToInt64Array();
        int rank = x.Rank;
        int n = _axes?.Length ?? rank;
        if (target.Length != n) throw context.Error($"shape {TensorOpHelpers.Str(target)} must have {n} entries");
        var shape = (int[])x.Shape.Clone();
        var begin = new long[rank];
        for (int i = 0; i < n; i++)
        {
            int a = _axes is null ? i : TensorOpHelpers.Axis(context, _axes[i], rank, "axes entry");
            int want = TensorOpHelpers.Dim(context, target[i], "shape entry");
            int have = x.Shape[a];
            begin[a] = want >= have ? (want - have) / 2 : -((have - want) / 2);
            shape[a] = want;
        }
        var y = context.Output(0, x.DType, shape);
        PadEngine.Run(x, y, begin, PadMode.Constant, null);
    }
}
