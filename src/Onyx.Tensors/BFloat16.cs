using System.Runtime.CompilerServices;

namespace Onyx.Tensors;

/// <summary>bfloat16: the upper 16 bits of an IEEE float32. Conversion from float rounds to nearest even.</summary>
public readonly struct BFloat16 : IEquatable<BFloat16>
{
    /// <summary>The raw bits.</summary>
    public readonly ushort Bits;

    /// <summary>Wraps raw bits.</summary>
    public BFloat16(ushort bits) => Bits = bits;

    /// <summary>Rounds a float to nearest even (NaN stays a quiet NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static BFloat16 FromFloat(float value)
    {
        uint u = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return new BFloat16((ushort)((u >> 16) | 0x0040));
        uint rounding = 0x7FFF + ((u >> 16) & 1);
        return new BFloat16((ushort)((u + rounding) >> 16));
    }

    /// <summary>Exact widening to float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float ToFloat() => BitConverter.UInt32BitsToSingle((uint)Bits << 16);

    /// <summary>Exact widening to float.</summary>
    public static explicit operator float(BFloat16 v) => v.ToFloat();

    /// <summary>Round to nearest even.</summary>
    public static explicit operator BFloat16(float v) => FromFloat(v);

    /// <inheritdoc/>
    public bool Equals(BFloat16 other) => Bits == other.Bits;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is BFloat16 b && Equals(b);

    /// <inheritdoc/>
    public override int GetHashCode() => Bits;

    /// <inheritdoc/>
    public override string ToString() => ToFloat().ToString(System.Globalization.CultureInfo.InvariantCulture);
}
