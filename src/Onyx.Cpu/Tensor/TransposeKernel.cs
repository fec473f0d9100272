using Onyx.Core.Execution;
using Onyx.Cpu.Common;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>ONNX <c>Transpose</c>: y = x permuted by <c>perm</c> (default: reversed axes). Tiled when the last two axes swap.</summary>
[OnnxKernel("Transpose")]
internal sealed class TransposeKernel : IKernel
{
    private readonly long[]? _perm;

    public TransposeKernel(KernelInfo info) => _perm = info.Attributes.GetInts("perm");

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        int rank = x.Rank;
        var perm = new int[rank];
        if (_perm is null || _perm.Length == 0) for (int i = 0; i < rank; i++) perm[i] = rank - 1 - i;
        else
        {
            if (_perm.Length != rank) throw context.Error($"perm {TensorOpHelpers.Str(_perm)} does not match input {x.ShapeString}");
            var used = new bool[rank];
            for (int i = 0; i < rank; i++)
            {
                int p = TensorOpHelpers.Axis(context, _perm[i], rank, "perm entry");
                if (used[p]) throw context.Error($"perm {TensorOpHelpers.Str(_perm)} repeats axis {p}");
                used[p] = true;
                perm[i] = p;
            }
        }
        var inStrides = StridedCopy.ContiguousStrides(x.Shape);
        var shape = new int[rank];
        var srcStrides = new long[rank];
        for (int i = 0; i < rank; i++) { shape[i] = x.Shape[perm[i]]; srcStrides[i] = inStrides[perm[i]]; }
        var y = Tensor.Allocate(x.DType, shape, zero: false);
        context.SetOutput(0, y);
        StridedCopy.CopyToContiguous(x, 0, srcStrides, y, shape);
    }
}
