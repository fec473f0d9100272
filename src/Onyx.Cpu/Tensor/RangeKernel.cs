using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>ONNX <c>Range</c>: start + i·delta for i &lt; max(ceil((limit - start) / delta), 0).</summary>
[OnnxKernel("Range", Since = 11)]
internal sealed class RangeKernel : IKernel
{
    public RangeKernel(KernelInfo info) { }

    public void Execute(KernelContext context)
    {
        Tensor s = context.Input(0), l = context.Input(1), d = context.Input(2);
        if (s.Length != 1 || l.Length != 1 || d.Length != 1) throw context.Error("start, limit and delta must be scalars");
        switch (s.DType)
        {
            case DType.Int64: case DType.Int32: case DType.Int16: case DType.Int8: case DType.UInt8: case DType.UInt16: case DType.UInt32:
            {
                long start = s.ToInt64Array()[0], limit = l.ToInt64Array()[0], delta = d.ToInt64Array()[0];
                if (delta == 0) throw context.Error("delta must not be zero");
                long n = Math.Max(0, (long)Math.Ceiling((double)(limit - start) / delta));
                var y = context.Output(0, s.DType, [(int)n]);
                for (long i = 0; i < n; i++)
                {
                    long v = start + i * delta;
                    switch (s.DType)
                    {
                        case DType.Int64: y.Span<long>()[(int)i] = v; break;
                        case DType.Int32: y.Span<int>()[(int)i] = (int)v; break;
                        case DType.Int16: y.Span<short>()[(int)i] = (short)v; break;
                        case DType.Int8: y.Span<sbyte>()[(int)i] = (sbyte)v; break;
                        case DType.UInt8: y.Span<byte>()[(int)i] = (byte)v; break;
                        case DType.UInt16: y.Span<ushort>()[(int)i] = (ushort)v; break;
                        case DType.UInt32: y.Span<uint>()[(int)i] = (uint)v; break;
                    }
                }
                break;
            }
            case DType.Float32: case DType.Float64: case DType.Float16: case DType.BFloat16:
            {
                double start = s.ToDoubleArray()[0], limit = l.ToDoubleArray()[0], delta = d.ToDoubleArray()[0];
                if (delta == 0) throw context.Error("delta must not be zero");
                long n = Math.Max(0, (long)Math.Ceiling((limit - start) / delta));
                var y = context.Output(0, s.DType, [(int)n]);
                if (s.DType == DType.Float32)
                {
                    float fs = (float)start, fd = (float)delta;
                    var o = y.Span<float>();
                    for (int i = 0; i < n; i++) o[i] = fs + i * fd;
                }
                else
                {
                    var v = new double[n];
                    for (int i = 0; i < n; i++) v[i] = start + i * delta;
                    TensorOpHelpers.WriteDoubles(y, v);
                }
                break;
            }
            default: throw context.Error($"unsupported type {s.DType.OnnxName()}");
        }
    }
}
