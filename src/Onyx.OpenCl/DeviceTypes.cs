using Onyx.Tensors;

namespace Onyx.OpenCl;

/// <summary>
/// The element types a device tensor can have and how they are stored. Float types (float32, and float16/float64
/// at subgraph boundaries and around Cast) live in the subgraph's storage precision; integer types (int64, int32,
/// bool) live as 32-bit ints: indices, shapes and masks fit, and every OpenCL 1.2 device has fast 32-bit integer
/// arithmetic (64-bit is emulated on many GPUs). An int64 value beyond the int32 range is refused at upload.
/// </summary>
public static class DeviceTypes
{
    /// <summary>True for the types a device tensor can hold.</summary>
    public static bool IsSupported(DType t) => IsFloat(t) || IsInt(t);

    /// <summary>Float types: stored in the subgraph's precision (float32 or half).</summary>
    public static bool IsFloat(DType t) => t is DType.Float32 or DType.Float16 or DType.Float64;

    /// <summary>Integer types: stored as int32 on the device.</summary>
    public static bool IsInt(DType t) => t is DType.Int64 or DType.Int32 or DType.Bool;

    /// <summary>A host integer tensor's values as int32; throws when an int64 value does not fit.</summary>
    internal static int[] ToInt32(Tensor t, string name)
    {
        var r = new int[t.Length];
        switch (t.DType)
        {
            case DType.Int32: t.Span<int>().CopyTo(r); break;
            case DType.Bool: { var s = t.Bytes; for (int i = 0; i < r.Length; i++) r[i] = s[i] != 0 ? 1 : 0; break; }
            case DType.Int64:
                {
                    var s = t.Span<long>();
                    for (int i = 0; i < r.Length; i++)
                    {
                        long v = s[i];
                        if (v is < int.MinValue or > int.MaxValue)
                            throw new OnnxRuntimeException(ErrorCode.InvalidArgument,
                                $"GPU subgraph: int64 value {v} of '{name}' (element {i}) does not fit the device's 32-bit integer tensors");
                        r[i] = (int)v;
                    }
                    break;
                }
            default: throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"GPU subgraph: '{name}' is {t.DType}, not an integer type the device holds");
        }
        return r;
    }

    /// <summary>A host float16/float64 tensor as float32 (float32 is returned as is).</summary>
    internal static Tensor ToFloat32(Tensor t)
    {
        if (t.DType == DType.Float32) return t;
        var r = Tensor.Allocate(DType.Float32, t.Shape, zero: false);
        var d = r.Span<float>();
        switch (t.DType)
        {
            case DType.Float16: { var s = t.Span<Half>(); for (int i = 0; i < d.Length; i++) d[i] = (float)s[i]; break; }
            default: { var s = t.ToDoubleArray(); for (int i = 0; i < d.Length; i++) d[i] = (float)s[i]; break; }
        }
        return r;
    }

    /// <summary>Writes int32 device values into <paramref name="dst"/> (int64, int32 or bool).</summary>
    internal static void FromInt32(ReadOnlySpan<int> src, Tensor dst)
    {
        switch (dst.DType)
        {
            case DType.Int32: src.CopyTo(dst.Span<int>()); break;
            case DType.Int64: { var d = dst.Span<long>(); for (int i = 0; i < d.Length; i++) d[i] = src[i]; break; }
            case DType.Bool: { var d = dst.Bytes; for (int i = 0; i < d.Length; i++) d[i] = src[i] != 0 ? (byte)1 : (byte)0; break; }
            default: throw new InvalidOperationException($"{dst.DType} is not an integer device type");
        }
    }

    /// <summary>Writes float32 device values into <paramref name="dst"/> (float16 or float64).</summary>
    internal static void FromFloat32(ReadOnlySpan<float> src, Tensor dst)
    {
        switch (dst.DType)
        {
            case DType.Float16: { var d = dst.Span<Half>(); for (int i = 0; i < d.Length; i++) d[i] = (Half)src[i]; break; }
            case DType.Float64: { var d = dst.Span<double>(); for (int i = 0; i < d.Length; i++) d[i] = src[i]; break; }
            default: throw new InvalidOperationException($"{dst.DType} is not a float device type");
        }
    }
}
