using Google.Protobuf;
using Onnx;
using Onyx.Tensors;

namespace Onyx.Onnx;

/// <summary>Converts a <see cref="Tensor"/> to a <c>TensorProto</c> (raw_data, 4-bit types packed).</summary>
public static class TensorProtoWriter
{
    public static TensorProto Write(Tensor t, string name = "")
    {
        var p = new TensorProto { Name = name, DataType = (int)t.DType };
        foreach (int d in t.Shape) p.Dims.Add(d);
        if (t.DType == DType.String)
        {
            foreach (var s in t.Strings) p.StringData.Add(ByteString.CopyFromUtf8(s));
            return p;
        }
        p.RawData = ByteString.CopyFrom(Pack(t));
        return p;
    }

    /// <summary>The tensor's bytes as ONNX stores them (sub-byte types packed, low bits first).</summary>
    public static byte[] Pack(Tensor t)
    {
        var src = t.Bytes;
        int n = t.Length;
        switch (t.DType)
        {
            case DType.Int4 or DType.UInt4 or DType.Float4E2M1:
            {
                var r = new byte[(n + 1) / 2];
                for (int i = 0; i < n; i++) r[i >> 1] |= (byte)((src[i] & 0xF) << ((i & 1) * 4));
                return r;
            }
            case DType.Int2 or DType.UInt2:
            {
                var r = new byte[(n + 3) / 4];
                for (int i = 0; i < n; i++) r[i >> 2] |= (byte)((src[i] & 0x3) << ((i & 3) * 2));
                return r;
            }
            default:
                return src.ToArray();
        }
    }

    /// <summary>Writes a tensor as a serialized TensorProto file.</summary>
    public static void WriteFile(Tensor t, string path, string name = "") => File.WriteAllBytes(path, Write(t, name).ToByteArray());
}
