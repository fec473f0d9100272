using Onyx.Core.Execution;
using Onyx.Cpu.Common;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>ONNX <c>DepthToSpace</c> (DCR or CRD): [N, C, H, W] → [N, C/b², H·b, W·b] as a reshape + transpose.</summary>
[OnnxKernel("DepthToSpace")]
internal sealed class DepthToSpaceKernel : IKernel
{
    private readonly int _b;
    private readonly bool _crd;

    public DepthToSpaceKernel(KernelInfo info)
    {
        _b = (int)info.Attributes.GetInt("blocksize");
        if (_b <= 0) throw info.Invalid($"blocksize must be positive, got {_b}");
        string mode = info.Attributes.GetString("mode", "DCR");
        if (mode is not ("DCR" or "CRD")) throw info.Invalid($"mode must be DCR or CRD, got '{mode}'");
        _crd = mode == "CRD";
    }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        if (x.Rank != 4) throw context.Error($"input must be 4-D [N,C,H,W], got {x.ShapeString}");
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3], b = _b;
        if (c % (b * b) != 0) throw context.Error($"channels {c} are not divisible by blocksize² {b * b}");
        int c2 = c / (b * b);
        int[] mid; int[] perm;
        if (_crd) { mid = [n, c2, b, b, h, w]; perm = [0, 1, 4, 2, 5, 3]; }
        else { mid = [n, b, b, c2, h, w]; perm = [0, 3, 4, 1, 5, 2]; }
        var y = Tensor.Allocate(x.DType, [n, c2, h * b, w * b], zero: false);
        context.SetOutput(0, y);
        Permute(x, mid, perm, y);
    }

    /// <summary>Writes x viewed as <paramref name="mid"/> and permuted by <paramref name="perm"/> into contiguous y.</summary>
    internal static void Permute(Tensor x, int[] mid, int[] perm, Tensor y)
    {
        var s = StridedCopy.ContiguousStrides(mid);
        var shape = new int[mid.Length];
        var ss = new long[mid.Length];
        for (int i = 0; i < mid.Length; i++) { shape[i] = mid[perm[i]]; ss[i] = s[perm[i]]; }
        StridedCopy.CopyToContiguous(x, 0, ss, y, shape);
    }
}
