using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>ONNX <c>SpaceToDepth</c>: [N, C, H, W] → [N, C·b², H/b, W/b] as a reshape + transpose.</summary>
[OnnxKernel("SpaceToDepth")]
internal sealed class SpaceToDepthKernel : IKernel
{
    private readonly int _b;

    public SpaceToDepthKernel(KernelInfo info)
    {
        _b = (int)info.Attributes.GetInt("blocksize");
        if (_b <= 0) throw info.Invalid($"blocksize must be positive, got {_b}");
    }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        if (x.Rank != 4) throw context.Error($"input must be 4-D [N,C,H,W], got {x.ShapeString}");
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3], b = _b;
        if (h % b != 0 || w % b != 0) throw context.Error($"spatial dims {h}x{w} are not divisible by blocksize {b}");
        var y = Tensor.Allocate(x.DType, [n, c * b * b, h / b, w / b], zero: false);
        context.SetOutput(0, y);
        DepthToSpaceKernel.Permute(x, [n, c, h / b, b, w / b, b], [0, 3, 5, 1, 2, 4], y);
    }
}
