namespace Onyx.Onnx;

/// <summary>
/// Splits a serialized <c>ModelProto</c> into the model without the main graph's weight payloads (the
/// <c>raw_data</c> of its initializers and of its nodes' tensor attributes, i.e. Constant values, where
/// exporters such as Paddle put every weight) and where each payload lies in the input.
/// Google.Protobuf then parses only the small remainder, and each weight is copied once, straight from
/// the (memory-mapped) file into its aligned tensor, instead of first into a managed byte array (a
/// large-object allocation the size of the model, zeroed, then garbage) and from there into the tensor.
/// </summary>
/// <remarks>
/// Only the wire format is read: ModelProto.graph (field 7), GraphProto.initializer (5) and node (1),
/// NodeProto.attribute (5), AttributeProto.t (5) and TensorProto.raw_data (9); every other byte is kept
/// as it is. Anything unusual (groups, a
/// graph field repeated, truncated input) returns null and the caller parses the original bytes,
/// which then reports any error exactly as before.
/// </remarks>
internal static class InitializerStripper
{
    private const int ModelGraph = 7, GraphNode = 1, GraphInitializer = 5, NodeAttribute = 5, AttributeTensor = 5, TensorRawData = 9;
    private const int TensorDims = 1, TensorDataType = 2, TensorFloatData = 4, TensorExternalData = 13, TensorDataLocation = 14, DataTypeFloat = 1;
    private const int WireVarint = 0, WireFixed64 = 1, WireLen = 2, WireFixed32 = 5;

    /// <summary>
    /// The stripped model; for each main-graph initializer in order, its raw_data range (length 0: none);
    /// and for each main-graph node attribute's tensor (a Constant's value) the range by (node, attribute) index.
    /// </summary>
    /// <remarks>AttributeRaw's TagA is the node index and TagB the attribute index; Raw's tags are unused.</remarks>
    public sealed record Result(byte[] Model, ByteRanges Raw, ByteRanges AttributeRaw);

    public static Result? Strip(ReadOnlySpan<byte> model)
    {
        var raw = new ByteRanges();
        var attributeRaw = new ByteRanges();
        var output = new ByteWriter(64 * 1024);
        int pos = 0, graphs = 0;
        while (pos < model.Length)
        {
            int fieldStart = pos;
            if (!ReadTag(model, ref pos, out int field, out int wire)) return null;
            if (field == ModelGraph && wire == WireLen)
            {
                if (++graphs > 1 || !ReadLength(model, ref pos, out int len)) return null;
                var graph = StripGraph(model.Slice(pos, len), pos, raw, attributeRaw);
                if (graph is null) return null;
                WriteMessage(output, ModelGraph, graph);
                pos += len;
                continue;
            }
            if (!Skip(model, ref pos, wire)) return null;
            output.Write(model[fieldStart..pos]);
        }
        return new Result(output.ToArray(), raw, attributeRaw);
    }

    private static ByteWriter? StripGraph(ReadOnlySpan<byte> graph, long baseOffset, ByteRanges raw, ByteRanges attributeRaw)
    {
        var output = new ByteWriter(64 * 1024);
        var node = new ByteWriter(256);
        var attribute = new ByteWriter(256);
        var tensor = new ByteWriter(256);
        int pos = 0, nodes = 0;
        while (pos < graph.Length)
        {
            int fieldStart = pos;
            if (!ReadTag(graph, ref pos, out int field, out int wire)) return null;
            if (field == GraphInitializer && wire == WireLen)
            {
                if (!ReadLength(graph, ref pos, out int len)) return null;
                tensor.Clear();
                if (!StripTensor(graph.Slice(pos, len), baseOffset + pos, tensor, out long offset, out int length)) return null;
                raw.Add(offset, length);
                WriteMessage(output, GraphInitializer, tensor);
                pos += len;
                continue;
            }
            if (field == GraphNode && wire == WireLen)
            {
                if (!ReadLength(graph, ref pos, out int len)) return null;
                node.Clear();
                if (!StripNode(graph.Slice(pos, len), baseOffset + pos, nodes++, node, attribute, tensor, attributeRaw)) return null;
                WriteMessage(output, GraphNode, node);
                pos += len;
                continue;
            }
            if (!Skip(graph, ref pos, wire)) return null;
            output.Write(graph[fieldStart..pos]);
        }
        return output;
    }

    /// <summary>NodeProto: strips the raw_data of each attribute's tensor (AttributeProto.t).</summary>
    private static bool StripNode(ReadOnlySpan<byte> node, long baseOffset, int nodeIndex, ByteWriter output,
        ByteWriter attribute, ByteWriter tensor, ByteRanges attributeRaw)
    {
        int pos = 0, attributes = 0;
        while (pos < node.Length)
        {
            int fieldStart = pos;
            if (!ReadTag(node, ref pos, out int field, out int wire)) return false;
            if (field == NodeAttribute && wire == WireLen)
            {
                if (!ReadLength(node, ref pos, out int len)) return false;
                var a = node.Slice(pos, len);
                long aBase = baseOffset + pos;
                attribute.Clear();
                int apos = 0, tensors = 0;
                while (apos < a.Length)
                {
                    int aStart = apos;
                    if (!ReadTag(a, ref apos, out int afield, out int awire)) return false;
                    if (afield == AttributeTensor && awire == WireLen)
                    {
                        if (++tensors > 1 || !ReadLength(a, ref apos, out int tlen)) return false; // a repeated message field merges: leave it to protobuf
                        tensor.Clear();
                        if (!StripTensor(a.Slice(apos, tlen), aBase + apos, tensor, out long offset, out int length)) return false;
                        if (length > 0) attributeRaw.Add(offset, length, nodeIndex, attributes);
                        WriteMessage(attribute, AttributeTensor, tensor);
                        apos += tlen;
                        continue;
                    }
                    if (!Skip(a, ref apos, awire)) return false;
                    attribute.Write(a[aStart..apos]);
                }
                WriteMessage(output, NodeAttribute, attribute);
                attributes++;
                pos += len;
                continue;
            }
            if (!Skip(node, ref pos, wire)) return false;
            output.Write(node[fieldStart..pos]);
        }
        return true;
    }

    private static void WriteMessage(ByteWriter output, int field, ByteWriter message)
    {
        WriteTag(output, field, WireLen);
        output.WriteVarint((ulong)message.Count);
        output.Write(message.Written);
    }

    private static bool StripTensor(ReadOnlySpan<byte> tensor, long baseOffset, ByteWriter output, out long payloadOffset, out int payloadLength)
    {
        payloadOffset = 0;
        payloadLength = 0;
        bool floatDataIsRaw = FloatDataIsRaw(tensor);
        int pos = 0;
        while (pos < tensor.Length)
        {
            int fieldStart = pos;
            if (!ReadTag(tensor, ref pos, out int field, out int wire)) return false;
            if ((field == TensorRawData || floatDataIsRaw && field == TensorFloatData) && wire == WireLen)
            {
                if (!ReadLength(tensor, ref pos, out int len)) return false;
                (payloadOffset, payloadLength) = (baseOffset + pos, len); // a repeated bytes field: the last one wins, as in protobuf
                pos += len;
                continue;
            }
            if (!Skip(tensor, ref pos, wire)) return false;
            output.Write(tensor[fieldStart..pos]);
        }
        return true;
    }

    /// <summary>
    /// True when the tensor's one packed float_data field holds exactly its elements' bytes, so that it can
    /// be taken as raw_data: a FLOAT tensor (packed fixed32 is little-endian IEEE, raw_data's layout) with no
    /// raw_data, no unpacked floats, no external data, and 4 bytes per element of its dims. Models such as
    /// mnist-8 store their weights this way; protobuf then parsed them into lists (whose packed-float path
    /// JIT-compiles Marshal.SizeOf, ~9 ms in a fresh process) and the reader copied them element by element.
    /// Anything else keeps float_data, and the reader handles (or reports) it as before.
    /// </summary>
    private static bool FloatDataIsRaw(ReadOnlySpan<byte> tensor)
    {
        long elements = 1, dataType = 0;
        int packedFloats = 0, floatBytes = 0;
        int pos = 0;
        while (pos < tensor.Length)
        {
            if (!ReadTag(tensor, ref pos, out int field, out int wire)) return false;
            switch (field, wire)
            {
                case (TensorDims, WireVarint):
                    if (!ReadVarint(tensor, ref pos, out ulong dim) || !Times(ref elements, dim)) return false;
                    continue;
                case (TensorDims, WireLen):
                {
                    if (!ReadLength(tensor, ref pos, out int len)) return false;
                    int end = pos + len;
                    while (pos < end)
                        if (!ReadVarint(tensor, ref pos, out ulong d) || !Times(ref elements, d)) return false;
                    if (pos != end) return false;
                    continue;
                }
                case (TensorDataType, WireVarint):
                    if (!ReadVarint(tensor, ref pos, out ulong type)) return false;
                    dataType = (long)type;
                    continue;
                case (TensorFloatData, WireLen):
                    if (!ReadLength(tensor, ref pos, out floatBytes)) return false;
                    packedFloats++;
                    pos += floatBytes;
                    continue;
                case (TensorFloatData, _) or (TensorRawData, _) or (TensorExternalData, _) or (TensorDataLocation, _):
                    return false;
            }
            if (!Skip(tensor, ref pos, wire)) return false;
        }
        return dataType == DataTypeFloat && packedFloats == 1 && elements > 0 && floatBytes == 4 * elements;
    }

    /// <summary>elements *= dim, false past int.MaxValue elements (the reader's limit).</summary>
    private static bool Times(ref long elements, ulong dim)
    {
        if (dim > int.MaxValue) return false;
        elements *= (long)dim;
        return elements <= int.MaxValue;
    }

    private static bool ReadTag(ReadOnlySpan<byte> s, ref int pos, out int field, out int wire)
    {
        field = wire = 0;
        if (!ReadVarint(s, ref pos, out ulong tag) || tag > uint.MaxValue) return false;
        field = (int)(tag >> 3);
        wire = (int)(tag & 7);
        return field > 0;
    }

    private static bool ReadLength(ReadOnlySpan<byte> s, ref int pos, out int length)
    {
        length = 0;
        if (!ReadVarint(s, ref pos, out ulong v) || v > (ulong)(s.Length - pos)) return false;
        length = (int)v;
        return true;
    }

    private static bool ReadVarint(ReadOnlySpan<byte> s, ref int pos, out ulong value)
    {
        value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (pos >= s.Length) return false;
            byte b = s[pos++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return true;
        }
        return false;
    }

    /// <summary>Moves past one field's value; false for groups (deprecated, unused by ONNX) or truncation.</summary>
    private static bool Skip(ReadOnlySpan<byte> s, ref int pos, int wire)
    {
        switch (wire)
        {
            case WireVarint: return ReadVarint(s, ref pos, out _);
            case WireFixed64: pos += 8; return pos <= s.Length;
            case WireFixed32: pos += 4; return pos <= s.Length;
            case WireLen:
                if (!ReadLength(s, ref pos, out int len)) return false;
                pos += len;
                return true;
            default: return false;
        }
    }

    private static void WriteTag(ByteWriter w, int field, int wire) => w.WriteVarint((ulong)((field << 3) | wire));
}
