using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>Small shared pieces of the tensor-family kernels: axis normalisation, shape text, float I/O.</summary>
internal static class TensorOpHelpers
{
    /// <summary>Maps an axis in [-rank, rank) to [0, rank) or fails naming the attribute/input.</summary>
    public static int Axis(KernelContext context, long axis, int rank, string what = "axis")
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw context.Error($"{what} {axis} is out of range for rank {rank} (expected [{-rank},{rank - 1}])");
        return (int)a;
    }

    /// <summary>Shape text for messages.</summary>
    public static string Str(ReadOnlySpan<int> shape) => "[" + string.Join(",", shape.ToArray()) + "]";

    /// <summary>Shape text for messages.</summary>
    public static string Str(ReadOnlySpan<long> shape) => "[" + string.Join(",", shape.ToArray()) + "]";

    /// <summary>Checks that a long fits a dimension.</summary>
    public static int Dim(KernelContext context, long v, string what)
    {
        if (v < 0 || v > int.MaxValue) throw context.Error($"{what} {v} is not a valid dimension");
        return (int)v;
    }

    /// <summary>Product of dims [from, to).</summary>
    public static long Product(ReadOnlySpan<int> shape, int from, int to)
    {
        long p = 1;
        for (int i = from; i < to; i++) p *= shape[i];
        return p;
    }

    /// <summary>True for element types the float kernels (Resize, GridSample...) compute on.</summary>
    public static bool IsFloatCompute(DType t) => t is DType.Float32 or DType.Float64 or DType.Float16 or DType.BFloat16;

    /// <summary>Writes doubles into a float tensor (rounding to the type) or an int8/uint8/int32/int64 one (truncating, saturating).</summary>
    public static void WriteDoubles(Tensor dst, ReadOnlySpan<double> values)
    {
        switch (dst.DType)
        {
            case DType.Float32: { var d = dst.Span<float>(); for (int i = 0; i < d.Length; i++) d[i] = (float)values[i]; break; }
            case DType.Float64: values[..dst.Length].CopyTo(dst.Span<double>()); break;
            case DType.Float16: { var d = dst.Span<Half>(); for (int i = 0; i < d.Length; i++) d[i] = (Half)values[i]; break; }
            case DType.BFloat16: { var d = dst.Span<BFloat16>(); for (int i = 0; i < d.Length; i++) d[i] = BFloat16.FromFloat((float)values[i]); break; }
            case DType.UInt8: { var d = dst.Span<byte>(); for (int i = 0; i < d.Length; i++) d[i] = (byte)Math.Clamp(Math.Truncate(values[i]), 0, 255); break; }
            case DType.Int8: { var d = dst.Span<sbyte>(); for (int i = 0; i < d.Length; i++) d[i] = (sbyte)Math.Clamp(Math.Truncate(values[i]), -128, 127); break; }
            case DType.Int32: { var d = dst.Span<int>(); for (int i = 0; i < d.Length; i++) d[i] = (int)Math.Clamp(Math.Truncate(values[i]), int.MinValue, int.MaxValue); break; }
            case DType.Int64: { var d = dst.Span<long>(); for (int i = 0; i < d.Length; i++) d[i] = (long)Math.Truncate(values[i]); break; }
            default: throw new NotSupportedException(dst.DType.OnnxName());
        }
    }

    /// <summary>Writes 1 (the type's one) at element <paramref name="index"/> of a numeric or bool tensor.</summary>
    public static unsafe void WriteOne(Tensor t, long index)
    {
        switch (t.DType)
        {
            case DType.Float32: ((float*)t.Pointer)[index] = 1f; break;
            case DType.Float64: ((double*)t.Pointer)[index] = 1d; break;
            case DType.Float16: ((Half*)t.Pointer)[index] = (Half)1f; break;
            case DType.BFloat16: ((ushort*)t.Pointer)[index] = 0x3F80; break;
            case DType.Int64: case DType.UInt64: ((long*)t.Pointer)[index] = 1; break;
            case DType.Int32: case DType.UInt32: ((int*)t.Pointer)[index] = 1; break;
            case DType.Int16: case DType.UInt16: ((short*)t.Pointer)[index] = 1; break;
            case DType.Int8: case DType.UInt8: case DType.Bool: case DType.Int4: case DType.UInt4: ((byte*)t.Pointer)[index] = 1; break;
            default: throw new NotSupportedException(t.DType.OnnxName());
        }
    }
}
