using System.Numerics;

namespace Onyx.Tensors;

/// <summary>Facts about each <see cref="DType"/>: storage size, ONNX name, category, CLR type.</summary>
public static class DTypeInfo
{
    /// <summary>Bytes one element occupies in an Onyx buffer (sub-byte types are unpacked to 1). 0 for String.</summary>
    public static int SizeOf(this DType type)
    {
        // A table indexed by the ONNX type number, not a switch: this runs several times per op
        // (every Span<T>() checks it), and the switch's compare chain showed in Run profiles.
        ReadOnlySpan<sbyte> sizes =
        [
            -1, 4, 1, 1, 2, 2, 4, 8, 0, 1, // Undefined, Float32, UInt8, Int8, UInt16, Int16, Int32, Int64, String, Bool
            2, 8, 4, 8, 8, 16, 2,          // Float16, Float64, UInt32, UInt64, Complex64, Complex128, BFloat16
            1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  // Float8E4M3FN .. Float8E5M2FNUZ, UInt4, Int4, Float4E2M1, Float8E8M0, UInt2, Int2
        ];
        uint i = (uint)type;
        if (i < (uint)sizes.Length && sizes[(int)i] >= 0) return sizes[(int)i];
        throw new ArgumentOutOfRangeException(nameof(type), type, "unknown element type");
    }

    /// <summary>The ONNX spelling (<c>tensor(float)</c> uses "float"), for messages and metadata.</summary>
    public static string OnnxName(this DType type) => type switch
    {
        DType.Float32 => "float",
        DType.Float64 => "double",
        DType.Float16 => "float16",
        DType.BFloat16 => "bfloat16",
        DType.Int8 => "int8",
        DType.Int16 => "int16",
        DType.Int32 => "int32",
        DType.Int64 => "int64",
        DType.UInt8 => "uint8",
        DType.UInt16 => "uint16",
        DType.UInt32 => "uint32",
        DType.UInt64 => "uint64",
        DType.Bool => "bool",
        DType.String => "string",
        DType.Complex64 => "complex64",
        DType.Complex128 => "complex128",
        DType.Float8E4M3FN => "float8e4m3fn",
        DType.Float8E4M3FNUZ => "float8e4m3fnuz",
        DType.Float8E5M2 => "float8e5m2",
        DType.Float8E5M2FNUZ => "float8e5m2fnuz",
        DType.UInt4 => "uint4",
        DType.Int4 => "int4",
        DType.Float4E2M1 => "float4e2m1",
        DType.Float8E8M0 => "float8e8m0",
        DType.UInt2 => "uint2",
        DType.Int2 => "int2",
        _ => "undefined",
    };

    /// <summary>True for every floating-point type, including the 8- and 4-bit formats.</summary>
    public static bool IsFloat(this DType type) => type is DType.Float32 or DType.Float64 or DType.Float16
        or DType.BFloat16 or DType.Float8E4M3FN or DType.Float8E4M3FNUZ or DType.Float8E5M2
        or DType.Float8E5M2FNUZ or DType.Float4E2M1 or DType.Float8E8M0;

    /// <summary>True for signed and unsigned integer types (not Bool).</summary>
    public static bool IsInteger(this DType type) => type is DType.Int8 or DType.Int16 or DType.Int32
        or DType.Int64 or DType.UInt8 or DType.UInt16 or DType.UInt32 or DType.UInt64
        or DType.Int4 or DType.UInt4 or DType.Int2 or DType.UInt2;

    /// <summary>True for signed integers.</summary>
    public static bool IsSignedInteger(this DType type) =>
        type is DType.Int8 or DType.Int16 or DType.Int32 or DType.Int64 or DType.Int4 or DType.Int2;

    /// <summary>The CLR element type Onyx stores this type as.</summary>
    public static Type ClrType(this DType type) => type switch
    {
        DType.Float32 => typeof(float),
        DType.Float64 => typeof(double),
        DType.Float16 => typeof(Half),
        DType.BFloat16 => typeof(BFloat16),
        DType.Int8 or DType.Int4 or DType.Int2 => typeof(sbyte),
        DType.Int16 => typeof(short),
        DType.Int32 => typeof(int),
        DType.Int64 => typeof(long),
        DType.UInt8 or DType.UInt4 or DType.UInt2 or DType.Float8E4M3FN or DType.Float8E4M3FNUZ
            or DType.Float8E5M2 or DType.Float8E5M2FNUZ or DType.Float4E2M1 or DType.Float8E8M0 => typeof(byte),
        DType.UInt16 => typeof(ushort),
        DType.UInt32 => typeof(uint),
        DType.UInt64 => typeof(ulong),
        DType.Bool => typeof(bool),
        DType.String => typeof(string),
        DType.Complex64 => typeof(System.Numerics.Vector2),
        DType.Complex128 => typeof(Complex),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown element type"),
    };

    /// <summary>The DType for a CLR element type (the natural one: byte is UInt8, sbyte Int8).</summary>
    public static DType FromClr<T>() => FromClr(typeof(T));

    /// <summary>The DType for a CLR element type (the natural one: byte is UInt8, sbyte Int8).</summary>
    public static DType FromClr(Type t)
    {
        if (t == typeof(float)) return DType.Float32;
        if (t == typeof(double)) return DType.Float64;
        if (t == typeof(Half)) return DType.Float16;
        if (t == typeof(BFloat16)) return DType.BFloat16;
        if (t == typeof(sbyte)) return DType.Int8;
        if (t == typeof(short)) return DType.Int16;
        if (t == typeof(int)) return DType.Int32;
        if (t == typeof(long)) return DType.Int64;
        if (t == typeof(byte)) return DType.UInt8;
        if (t == typeof(ushort)) return DType.UInt16;
        if (t == typeof(uint)) return DType.UInt32;
        if (t == typeof(ulong)) return DType.UInt64;
        if (t == typeof(bool)) return DType.Bool;
        if (t == typeof(string)) return DType.String;
        throw new ArgumentException($"no ONNX element type for CLR type {t.Name}");
    }
}
