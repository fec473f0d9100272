using Onyx.Core.Execution;
using Onyx.Cpu.Common;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>ONNX <c>Trilu</c>: keeps the upper (j ≥ i + k) or lower (j ≤ i + k) triangle of each trailing matrix; zero elsewhere.</summary>
[OnnxKernel("Trilu", Since = 14)]
internal sealed class TriluKernel : IKernel
{
    private readonly bool _upper;

    public TriluKernel(KernelInfo info) => _upper = info.Attributes.GetInt("upper", 1) != 0;

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        if (x.Rank < 2) throw context.Error($"input must have rank >= 2, got {x.ShapeString}");
        long k = context.OptionalInput(1) is { } kt ? kt.ToInt64Array()[0] : 0;
        var y = context.Output(0, x.DType, x.Shape);
        int n = x.Shape[^2], m = x.Shape[^1];
        long matrices = n == 0 || m == 0 ? 0 : x.Length / ((long)n * m);
        for (long b = 0; b < matrices; b++)
        {
            long baseIdx = b * n * m;
            for (long i = 0; i < n; i++)
            {
                long from, to;
                if (_upper) { from = Math.Clamp(i + k, 0, m); to = m; }
                else { from = 0; to = Math.Clamp(i + k + 1, 0, m); }
                long row = baseIdx + i * m;
                StridedCopy.CopyElements(x, row + from, y, row + from, to - from);
            }
        }
    }
}
