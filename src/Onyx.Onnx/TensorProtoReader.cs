using System.Runtime.InteropServices;
using Onnx;
using Onyx.Tensors;

namespace Onyx.Onnx;

/// <summary>Converts <c>TensorProto</c> to <see cref="Tensor"/>: typed fields, raw_data, external data, packed 4-bit types.</summary>
public static class TensorProtoReader
{
    /// <summary>
    /// Reads a tensor. <paramref name="externalData"/> resolves <c>data_location = EXTERNAL</c>
    /// (null: external data is an error). <paramref name="what"/> names the tensor in errors.
    /// </summary>
    public static Tensor Read(TensorProto proto, ExternalDataReader? externalData = null, string? what = null) =>
        Read(proto, externalData, what, proto.RawData.Span);

    /// <summary>
    /// The same, with the raw_data bytes given apart from the message (the loader strips them from
    /// the main graph's initializers before parsing; see <see cref="InitializerStripper"/>).
    /// </summary>
    internal static Tensor Read(TensorProto proto, ExternalDataReader? externalData, string? what, ReadOnlySpan<byte> rawData)
    {
        what ??= $"tensor '{proto.Name}'";
        var dtype = (DType)proto.DataType;
        // The non-generic IsDefined: Enum.IsDefined<DType> is generic code over Onyx's enum, JIT-compiled per process.
        if (!Enum.IsDefined(typeof(DType), dtype) || dtype == DType.Undefined)
            throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"{what}: unknown data_type {proto.DataType}");
        var shape = new int[proto.Dims.Count];
        long count = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            long d = proto.Dims[i];
            if (d < 0 || d > int.MaxValue)
                throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"{what}: dimension {i} is {d}");
            shape[i] = (int)d;
            count *= d;
            if (count > int.MaxValue)
                throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"{what}: shape [{string.Join(",", proto.Dims)}] is too large");
        }
        int n = (int)count;

        if (proto.DataLocation == TensorProto.Types.DataLocation.External)
        {
            if (externalData is null)
                throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"{what}: external data but the model was not loaded from a file");
            return externalData.Read(proto, dtype, shape, n, what);
        }
        if (dtype == DType.String)
        {
            if (proto.StringData.Count != n)
                throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"{what}: {proto.StringData.Count} strings for {n} elements");
            return Tensor.FromStrings(proto.StringData.Select(b => b.ToStringUtf8()).ToArray(), shape);
        }
        if (!rawData.IsEmpty)
            return FromRaw(rawData, dtype, shape, n, what);
        return FromTypedFields(proto, dtype, shape, n, what);
    }

    /// <summary>Number of bytes ONNX uses to store <paramref name="n"/> elements (4-bit types pack two per byte).</summary>
    public static long PackedByteCount(DType dtype, long n) => dtype switch
    {
        DType.Int4 or DType.UInt4 or DType.Float4E2M1 => (n + 1) / 2,
        DType.Int2 or DType.UInt2 => (n + 3) / 4,
        _ => n * dtype.SizeOf(),
    };

    /// <summary>Builds a tensor from little-endian raw bytes as ONNX stores them.</summary>
    public static Tensor FromRaw(ReadOnlySpan<byte> raw, DType dtype, int[] shape, int n, string what)
    {
        long expected = PackedByteCount(dtype, n);
        if (raw.Length != expected)
            throw new OnnxRuntimeException(ErrorCode.InvalidGraph,
                $"{what}: raw_data has {raw.Length} bytes, {dtype.OnnxName()}[{string.Join(",", shape)}] needs {expected}");
        var t = Tensor.Allocate(dtype, shape, zero: false);
        var dst = t.Bytes;
        switch (dtype)
        {
            case DType.Int4:
            case DType.UInt4:
            case DType.Float4E2M1:
                for (int i = 0; i < n; i++)
                {
                    int nib = (raw[i >> 1] >> ((i & 1) * 4)) & 0xF;
                    dst[i] = dtype == DType.Int4 ? (byte)(sbyte)((nib ^ 8) - 8) : (byte)nib;
                }
                break;
            case DType.Int2:
            case DType.UInt2:
                for (int i = 0; i < n; i++)
                {
                    int v = (raw[i >> 2] >> ((i & 3) * 2)) & 0x3;
                    dst[i] = dtype == DType.Int2 ? (byte)(sbyte)((v ^ 2) - 2) : (byte)v;
                }
                break;
            case DType.Bool:
                for (int i = 0; i < n; i++) dst[i] = raw[i] != 0 ? (byte)1 : (byte)0;
                break;
            default:
                raw.CopyTo(dst); // this machine is little-endian, like ONNX raw_data
                break;
        }
        return t;
    }

    private static unsafe Tensor FromTypedFields(TensorProto p, DType dtype, int[] shape, int n, string what)
    {
        var t = Tensor.Allocate(dtype, shape, zero: false);
        // Through the element pointer, not t.Span<T>() per element: a call each (it cannot be inlined across
        // assemblies), and each Span<T> instantiation was JIT-compiled at the first load of a process.
        void* d = t.Pointer;
        void Check(int got)
        {
            if (got != n)
                throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"{what}: {got} values stored for {dtype.OnnxName()}[{string.Join(",", shape)}] ({n} elements)");
        }
        switch (dtype)
        {
            case DType.Float32: Check(p.FloatData.Count); for (int i = 0; i < n; i++) ((float*)d)[i] = p.FloatData[i]; break;
            case DType.Float64: Check(p.DoubleData.Count); for (int i = 0; i < n; i++) ((double*)d)[i] = p.DoubleData[i]; break;
            case DType.Int64: Check(p.Int64Data.Count); for (int i = 0; i < n; i++) ((long*)d)[i] = p.Int64Data[i]; break;
            case DType.UInt32: Check(p.Uint64Data.Count); for (int i = 0; i < n; i++) ((uint*)d)[i] = (uint)p.Uint64Data[i]; break;
            case DType.UInt64: Check(p.Uint64Data.Count); for (int i = 0; i < n; i++) ((ulong*)d)[i] = p.Uint64Data[i]; break;
            case DType.Int32: Check(p.Int32Data.Count); for (int i = 0; i < n; i++) ((int*)d)[i] = p.Int32Data[i]; break;
            case DType.Int16: Check(p.Int32Data.Count); for (int i = 0; i < n; i++) ((short*)d)[i] = (short)p.Int32Data[i]; break;
            case DType.UInt16: Check(p.Int32Data.Count); for (int i = 0; i < n; i++) ((ushort*)d)[i] = (ushort)p.Int32Data[i]; break;
            case DType.Int8: Check(p.Int32Data.Count); for (int i = 0; i < n; i++) ((sbyte*)d)[i] = (sbyte)p.Int32Data[i]; break;
            case DType.UInt8: Check(p.Int32Data.Count); for (int i = 0; i < n; i++) ((byte*)d)[i] = (byte)p.Int32Data[i]; break;
            case DType.Bool: Check(p.Int32Data.Count); for (int i = 0; i < n; i++) ((byte*)d)[i] = p.Int32Data[i] != 0 ? (byte)1 : (byte)0; break;
            case DType.Float16:
            case DType.BFloat16:
                Check(p.Int32Data.Count); for (int i = 0; i < n; i++) ((ushort*)d)[i] = (ushort)p.Int32Data[i]; break;
            case DType.Float8E4M3FN:
            case DType.Float8E4M3FNUZ:
            case DType.Float8E5M2:
            case DType.Float8E5M2FNUZ:
            case DType.Float8E8M0:
                Check(p.Int32Data.Count); for (int i = 0; i < n; i++) ((byte*)d)[i] = (byte)p.Int32Data[i]; break;
            case DType.Int4:
            case DType.UInt4:
            case DType.Float4E2M1:
            case DType.Int2:
            case DType.UInt2:
            {
                // Packed into int32_data, one byte of two (or four) elements per entry, low bits first.
                int per = dtype is DType.Int2 or DType.UInt2 ? 4 : 2;
                if (p.Int32Data.Count != (n + per - 1) / per)
                    throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"{what}: {p.Int32Data.Count} packed entries for {n} {dtype.OnnxName()} elements");
                var bytes = new byte[p.Int32Data.Count];
                for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)p.Int32Data[i];
                return FromRaw(bytes, dtype, shape, n, what);
            }
            case DType.Complex64: Check(p.FloatData.Count / 2); for (int i = 0; i < 2 * n; i++) ((float*)d)[i] = p.FloatData[i]; break;
            case DType.Complex128: Check(p.DoubleData.Count / 2); for (int i = 0; i < 2 * n; i++) ((double*)d)[i] = p.DoubleData[i]; break;
            default:
                throw new OnnxRuntimeException(ErrorCode.NotImplemented, $"{what}: element type {dtype.OnnxName()} is not supported");
        }
        return t;
    }

    /// <summary>Parses a serialized TensorProto (a .pb file).</summary>
    public static Tensor ReadFile(string path)
    {
        var proto = TensorProto.Parser.ParseFrom(File.ReadAllBytes(path));
        return Read(proto, new ExternalDataReader(Path.GetDirectoryName(Path.GetFullPath(path))!), $"'{Path.GetFileName(path)}'");
    }
}
