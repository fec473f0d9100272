using Onyx.Tensors;

namespace Onyx.Cpu.Signal;

/// <summary>Writes doubles into a numeric tensor of any element type (floats rounded, integers truncated toward zero).</summary>
internal static class NumericIo
{
    public static void Write(Tensor t, ReadOnlySpan<double> v)
    {
        switch (t.DType)
        {
            case DType.Float32: { var s = t.Span<float>(); for (int i = 0; i < v.Length; i++) s[i] = (float)v[i]; break; }
            case DType.Float64: v.CopyTo(t.Span<double>()); break;
            case DType.Float16: { var s = t.Span<Half>(); for (int i = 0; i < v.Length; i++) s[i] = (Half)v[i]; break; }
            case DType.BFloat16: { var s = t.Span<BFloat16>(); for (int i = 0; i < v.Length; i++) s[i] = BFloat16.FromFloat((float)v[i]); break; }
            case DType.Int8: { var s = t.Span<sbyte>(); for (int i = 0; i < v.Length; i++) s[i] = (sbyte)v[i]; break; }
            case DType.Int16: { var s = t.Span<short>(); for (int i = 0; i < v.Length; i++) s[i] = (short)v[i]; break; }
            case DType.Int32: { var s = t.Span<int>(); for (int i = 0; i < v.Length; i++) s[i] = (int)v[i]; break; }
            case DType.Int64: { var s = t.Span<long>(); for (int i = 0; i < v.Length; i++) s[i] = (long)v[i]; break; }
            case DType.UInt8: { var s = t.Span<byte>(); for (int i = 0; i < v.Length; i++) s[i] = (byte)v[i]; break; }
            case DType.UInt16: { var s = t.Span<ushort>(); for (int i = 0; i < v.Length; i++) s[i] = (ushort)v[i]; break; }
            case DType.UInt32: { var s = t.Span<uint>(); for (int i = 0; i < v.Length; i++) s[i] = (uint)v[i]; break; }
            case DType.UInt64: { var s = t.Span<ulong>(); for (int i = 0; i < v.Length; i++) s[i] = (ulong)v[i]; break; }
            default: throw new NotSupportedException($"cannot write numbers into a {t.DType.OnnxName()} tensor");
        }
    }

    public static bool IsNumericOutput(DType d) => d is DType.Float32 or DType.Float64 or DType.Float16 or DType.BFloat16
        or DType.Int8 or DType.Int16 or DType.Int32 or DType.Int64 or DType.UInt8 or DType.UInt16 or DType.UInt32 or DType.UInt64;
}
