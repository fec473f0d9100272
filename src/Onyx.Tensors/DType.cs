namespace Onyx.Tensors;

/// <summary>
/// Tensor element types. The numeric values are ONNX's <c>TensorProto.DataType</c>, so a cast
/// from the protobuf enum is exact.
/// </summary>
/// <remarks>
/// Storage in memory, one element per slot: Float8* and Float8E8M0 are raw bytes; Int4/Int2 are
/// unpacked to one <see cref="sbyte"/> per element, UInt4/UInt2 and Float4E2M1 to one
/// <see cref="byte"/> (raw bits for the float type). Packing happens only at the protobuf boundary.
/// </remarks>
public enum DType
{
    Undefined = 0,
    Float32 = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    String = 8,
    Bool = 9,
    Float16 = 10,
    Float64 = 11,
    UInt32 = 12,
    UInt64 = 13,
    Complex64 = 14,
    Complex128 = 15,
    BFloat16 = 16,
    Float8E4M3FN = 17,
    Float8E4M3FNUZ = 18,
    Float8E5M2 = 19,
    Float8E5M2FNUZ = 20,
    UInt4 = 21,
    Int4 = 22,
    Float4E2M1 = 23,
    Float8E8M0 = 24,
    UInt2 = 25,
    Int2 = 26,
}
