using Onnx;
using Onyx.Tensors;

namespace Onyx.Onnx;

/// <summary>Reads the non-tensor value protos the backend tests use: SequenceProto, OptionalProto, MapProto.</summary>
public static class ValueProtoReader
{
    /// <summary>Reads a .pb file as the kind of value <paramref name="expected"/> says (a tensor when unknown).</summary>
    public static OnnxValue? ReadFile(string path, TypeInfo? expected)
    {
        var bytes = File.ReadAllBytes(path);
        return expected switch
        {
            SequenceTypeInfo => ReadSequence(SequenceProto.Parser.ParseFrom(bytes)),
            OptionalTypeInfo => ReadOptional(OptionalProto.Parser.ParseFrom(bytes)),
            MapTypeInfo => ReadMap(MapProto.Parser.ParseFrom(bytes)),
            _ => TensorProtoReader.Read(TensorProto.Parser.ParseFrom(bytes), null, $"'{Path.GetFileName(path)}'"),
        };
    }

    public static SequenceValue ReadSequence(SequenceProto p)
    {
        var items = new List<OnnxValue>();
        TypeInfo? elem = null;
        switch ((SequenceProto.Types.DataType)p.ElemType)
        {
            case SequenceProto.Types.DataType.Tensor:
                foreach (var t in p.TensorValues) items.Add(TensorProtoReader.Read(t));
                elem = items.Count > 0 ? new TensorTypeInfo(((Tensor)items[0]).DType, null) : null;
                break;
            case SequenceProto.Types.DataType.Sequence:
                foreach (var s in p.SequenceValues) items.Add(ReadSequence(s));
                break;
            case SequenceProto.Types.DataType.Map:
                foreach (var m in p.MapValues) items.Add(ReadMap(m));
                break;
            case SequenceProto.Types.DataType.Optional:
                foreach (var o in p.OptionalValues) items.Add(ReadOptional(o));
                break;
        }
        return new SequenceValue(items, elem);
    }

    public static OptionalValue ReadOptional(OptionalProto p) => (OptionalProto.Types.DataType)p.ElemType switch
    {
        OptionalProto.Types.DataType.Tensor => new OptionalValue(p.TensorValue is null ? null : TensorProtoReader.Read(p.TensorValue)),
        OptionalProto.Types.DataType.Sequence => new OptionalValue(p.SequenceValue is null ? null : ReadSequence(p.SequenceValue)),
        OptionalProto.Types.DataType.Optional => new OptionalValue(p.OptionalValue is null ? null : ReadOptional(p.OptionalValue)),
        OptionalProto.Types.DataType.Map => new OptionalValue(p.MapValue is null ? null : ReadMap(p.MapValue)),
        _ => new OptionalValue(null),
    };

    public static MapValue ReadMap(MapProto p)
    {
        var keyType = (DType)p.KeyType;
        Tensor keys = keyType == DType.String
            ? Tensor.FromStrings(p.StringKeys.Select(b => b.ToStringUtf8()).ToArray(), p.StringKeys.Count)
            : Tensor.FromArray(p.Keys.ToArray(), p.Keys.Count);
        var values = ReadSequence(p.Values);
        // Values of a map are tensors of one element each, or a sequence: keep the first form simple.
        Tensor vals = values.Items.Count > 0 && values.Items[0] is Tensor first && first.Length == p.Keys.Count + p.StringKeys.Count
            ? first
            : throw new NotSupportedException("map values other than one tensor are not supported");
        return new MapValue(keys, vals);
    }
}
