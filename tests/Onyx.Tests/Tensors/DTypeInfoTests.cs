using Onyx.Tensors;
using Xunit;

namespace Onyx.Tests.Tensors;

/// <summary>The element-size table against the sizes the ONNX type names imply.</summary>
public sealed class DTypeInfoTests
{
    public static IEnumerable<object[]> Types() => Enum.GetValues<DType>().Where(t => t != DType.Undefined).Select(t => new object[] { t });

    [Theory]
    [MemberData(nameof(Types))]
    public void SizeOfMatchesTheStorageType(DType type)
    {
        int expected = type switch
        {
            DType.String => 0,
            DType.Complex128 => 16,
            DType.Float64 or DType.Int64 or DType.UInt64 or DType.Complex64 => 8,
            DType.Float32 or DType.Int32 or DType.UInt32 => 4,
            DType.Float16 or DType.BFloat16 or DType.Int16 or DType.UInt16 => 2,
            _ => 1, // bool, 8-bit types, and the sub-byte types unpacked to one byte each
        };
        Assert.Equal(expected, type.SizeOf());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(27)]
    [InlineData(-1)]
    [InlineData(1000)]
    public void SizeOfRejectsUnknownTypes(int value) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ((DType)value).SizeOf());
}
