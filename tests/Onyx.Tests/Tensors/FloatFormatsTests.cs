using Onyx.Tensors;
using Xunit;

namespace Onyx.Tests.Tensors;

/// <summary>FloatFormats: exhaustive round trips, round-to-nearest-even at midpoints, saturate semantics.</summary>
public sealed class FloatFormatsTests
{
    public static TheoryData<DType> Float8Types => new() { DType.Float8E4M3FN, DType.Float8E4M3FNUZ, DType.Float8E5M2, DType.Float8E5M2FNUZ };

    [Theory]
    [MemberData(nameof(Float8Types))]
    public void EveryFiniteCodeRoundTrips(DType t)
    {
        for (int c = 0; c < 256; c++)
        {
            float v = FloatFormats.ToFloat(t, (byte)c);
            if (float.IsNaN(v) || float.IsInfinity(v)) continue;
            Assert.Equal(c, FloatFormats.FromFloat(t, v));
        }
    }

    [Theory]
    [MemberData(nameof(Float8Types))]
    public void MidpointsRoundToEvenCode(DType t)
    {
        for (int c = 0; c < 0x7F; c++)
        {
            float a = FloatFormats.ToFloat(t, (byte)c), b = FloatFormats.ToFloat(t, (byte)(c + 1));
            if (float.IsNaN(a) || float.IsNaN(b) || float.IsInfinity(b)) continue;
            byte got = FloatFormats.FromFloat(t, (a + b) / 2);
            Assert.Equal(c % 2 == 0 ? c : c + 1, got);
        }
    }

    [Fact]
    public void SaturateMatchesTheOnnxTables()
    {
        Assert.Equal(0x7E, FloatFormats.FloatToFloat8E4M3FN(1e6f));
        Assert.Equal(0xFE, FloatFormats.FloatToFloat8E4M3FN(float.NegativeInfinity));
        Assert.Equal(0x7F, FloatFormats.FloatToFloat8E4M3FN(1e6f, saturate: false));
        Assert.Equal(0x7F, FloatFormats.FloatToFloat8E4M3FN(BitConverter.UInt32BitsToSingle(0x7FC00000))); // float.NaN is negative in .NET; the sign is kept
        Assert.Equal(0x7B, FloatFormats.FloatToFloat8E5M2(float.PositiveInfinity));
        Assert.Equal(0xFC, FloatFormats.FloatToFloat8E5M2(-1e6f, saturate: false));
        Assert.Equal(0x80, FloatFormats.FloatToFloat8E4M3FNUZ(1e6f, saturate: false));
        Assert.Equal(0x00, FloatFormats.FloatToFloat8E4M3FNUZ(-1e-7f));
        Assert.Equal(0x80, FloatFormats.FloatToFloat8E4M3FN(-1e-7f));
        Assert.Equal(448f, FloatFormats.Float8E4M3FNToFloat(0x7E));
        Assert.Equal(240f, FloatFormats.Float8E4M3FNUZToFloat(0x7F));
        Assert.Equal(57344f, FloatFormats.Float8E5M2ToFloat(0x7B));
    }

    [Fact]
    public void Float4AndE8M0()
    {
        for (int c = 0; c < 16; c++) Assert.Equal(c, FloatFormats.FloatToFloat4E2M1(FloatFormats.Float4E2M1ToFloat((byte)c)));
        Assert.Equal(0x7, FloatFormats.FloatToFloat4E2M1(9f));
        Assert.Equal(0xE, FloatFormats.FloatToFloat4E2M1(-3.5f)); // tie between 3 and 4 goes to the even code (4)
        Assert.Equal(0x7C, FloatFormats.FloatToFloat8E8M0(0.124f));
        Assert.Equal(0x7B, FloatFormats.FloatToFloat8E8M0(0.124f, rounding: E8M0Rounding.Down));
        Assert.Equal(0x80, FloatFormats.FloatToFloat8E8M0(1.1f));
        Assert.Equal(0.125f, FloatFormats.Float8E8M0ToFloat(0x7C));
        Assert.Equal(7, FloatFormats.WrapInt4(-9));
        Assert.Equal(-8, FloatFormats.WrapInt4(8));
    }
}
