using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>ONNX <c>Shape</c>: the input's dims as int64, optionally the [start, end) range (15+, clamped).</summary>
[OnnxKernel("Shape")]
internal sealed class ShapeKernel : IKernel
{
    private readonly long _start;
    private readonly long? _end;

    public ShapeKernel(KernelInfo info)
    {
        _start = info.Attributes.GetInt("start", 0);
        _end = info.Attributes.Has("end") ? info.Attributes.GetInt("end") : null;
    }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        int r = x.Rank;
        long s = _start < 0 ? _start + r : _start;
        long e = _end is long v ? (v < 0 ? v + r : v) : r;
        s = Math.Clamp(s, 0, r);
        e = Math.Clamp(e, 0, r);
        int n = (int)Math.Max(0, e - s);
        var y = context.Output(0, DType.Int64, [n]);
        var d = y.Span<long>();
        for (int i = 0; i < n; i++) d[i] = x.Shape[s + i];
    }
}
