using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>ONNX <c>NonZero</c>: int64 [rank, count] coordinates of the non-zero elements, in row-major order.</summary>
[OnnxKernel("NonZero", Since = 9)]
internal sealed class NonZeroKernel : IKernel
{
    public NonZeroKernel(KernelInfo info) { }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var hits = new List<int>();
        for (int i = 0; i < x.Length; i++) if (IsNonZero(x, i)) hits.Add(i);
        int rank = x.Rank;
        var y = context.Output(0, DType.Int64, [rank, hits.Count]);
        var o = y.Span<long>();
        var strides = new long[rank];
        long acc = 1;
        for (int d = rank - 1; d >= 0; d--) { strides[d] = acc; acc *= x.Shape[d]; }
        for (int h = 0; h < hits.Count; h++)
        {
            long rem = hits[h];
            for (int d = 0; d < rank; d++)
            {
                o[d * hits.Count + h] = rem / strides[d];
                rem %= strides[d];
            }
        }
    }

    private static unsafe bool IsNonZero(Tensor x, int i) => x.DType switch
    {
        DType.Float32 => ((float*)x.Pointer)[i] != 0f,
        DType.Float64 => ((double*)x.Pointer)[i] != 0d,
        DType.Float16 or DType.BFloat16 => (((ushort*)x.Pointer)[i] & 0x7FFF) != 0,
        DType.String => x.Strings[i].Length != 0,
        _ => x.DType.SizeOf() switch
        {
            1 => ((byte*)x.Pointer)[i] != 0,
            2 => ((ushort*)x.Pointer)[i] != 0,
            4 => ((uint*)x.Pointer)[i] != 0,
            8 => ((ulong*)x.Pointer)[i] != 0,
            _ => ((Int128*)x.Pointer)[i] != 0,
        },
    };
}
