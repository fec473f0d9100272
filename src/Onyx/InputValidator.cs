using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx;

/// <summary>Checks a fed value against the graph input's declared type before anything runs.</summary>
internal static class InputValidator
{
    public static void Check(string model, ValueInfo input, OnnxValue value)
    {
        switch (input.Type)
        {
            case TensorTypeInfo declared when value is Tensor or OpenCl.OpenClBuffer:
                // An OpenCL buffer is checked as the float32 tensor it holds.
                var (dtype, dims) = value is Tensor t ? (t.DType, t.Shape) : (DType.Float32, ((OpenCl.OpenClBuffer)value).Shape);
                // Only an error message needs the shape as text: build it there, not on every Run.
                string ShapeText() => value is Tensor ts ? ts.ShapeString : "[" + string.Join(",", dims) + "]";
                if (declared.ElementType != DType.Undefined && declared.ElementType != dtype)
                    throw new OnnxRuntimeException(ErrorCode.InvalidArgument,
                        $"{model}: input '{input.Name}' has type {dtype.OnnxName()}, expected {declared.ElementType.OnnxName()}");
                if (declared.Shape is { } shape)
                {
                    if (shape.Length != dims.Length)
                        throw new OnnxRuntimeException(ErrorCode.InvalidArgument,
                            $"{model}: input '{input.Name}' has rank {dims.Length} (shape {ShapeText()}), expected rank {shape.Length} ([{string.Join(",", shape.Select(d => d.ToString()))}])");
                    for (int d = 0; d < shape.Length; d++)
                        if (shape[d].Value is long v && v != dims[d])
                            throw new OnnxRuntimeException(ErrorCode.InvalidArgument,
                                $"{model}: input '{input.Name}' has shape {ShapeText()}, expected [{string.Join(",", shape.Select(x => x.ToString()))}] (dimension {d} must be {v})");
                }
                break;
            case TensorTypeInfo declared:
                throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"{model}: input '{input.Name}' must be {declared}, got {value.Type}");
            case SequenceTypeInfo when value is not SequenceValue:
            case OptionalTypeInfo when value is not OptionalValue && value is not Tensor && value is not SequenceValue:
            case MapTypeInfo when value is not MapValue:
                throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"{model}: input '{input.Name}' must be {input.Type}, got {value.Type}");
        }
    }
}
