using System.Text;
using System.Text.RegularExpressions;
using Onyx.Tensors;

namespace Onyx.Cli.Io;

/// <summary>Reads and writes NumPy .npy files (format 1.0/2.0, little-endian, C order).</summary>
internal static partial class Npy
{
    private static readonly (string Descr, DType Type)[] Types =
    [
        ("<f4", DType.Float32), ("<f8", DType.Float64), ("<f2", DType.Float16), ("|i1", DType.Int8), ("<i2", DType.Int16),
        ("<i4", DType.Int32), ("<i8", DType.Int64), ("|u1", DType.UInt8), ("<u2", DType.UInt16), ("<u4", DType.UInt32),
        ("<u8", DType.UInt64), ("|b1", DType.Bool),
    ];

    public static Tensor Read(string path)
    {
        using var f = File.OpenRead(path);
        using var r = new BinaryReader(f);
        var magic = r.ReadBytes(6);
        if (magic.Length < 6 || magic[0] != 0x93 || Encoding.ASCII.GetString(magic, 1, 5) != "NUMPY")
            throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"'{path}' is not a .npy file");
        byte major = r.ReadByte();
        r.ReadByte();
        int headerLen = major == 1 ? r.ReadUInt16() : (int)r.ReadUInt32();
        string header = Encoding.Latin1.GetString(r.ReadBytes(headerLen));
        string descr = DescrRegex().Match(header).Groups[1].Value;
        if (FortranRegex().IsMatch(header))
            throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"'{path}': Fortran-order arrays are not supported");
        var shapeText = ShapeRegex().Match(header).Groups[1].Value;
        int[] shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        var type = Types.FirstOrDefault(t => t.Descr == descr || t.Descr.Replace('<', '|') == descr || t.Descr.Replace('|', '<') == descr);
        if (type.Descr is null) throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"'{path}': unsupported dtype '{descr}'");
        var t = Tensor.Allocate(type.Type, shape, zero: false);
        int read = f.Read(t.Bytes);
        if (read != t.Bytes.Length)
            throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"'{path}': {read} data bytes, shape [{shapeText}] needs {t.Bytes.Length}");
        return t;
    }

    public static void Write(Tensor t, string path)
    {
        var type = Types.FirstOrDefault(x => x.Type == t.DType);
        if (type.Descr is null) throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"cannot write {t.DType.OnnxName()} as .npy");
        string shape = t.Rank == 1 ? $"({t.Shape[0]},)" : "(" + string.Join(", ", t.Shape) + ")";
        string header = $"{{'descr': '{type.Descr}', 'fortran_order': False, 'shape': {shape}, }}";
        int total = 10 + header.Length + 1;
        header += new string(' ', (64 - total % 64) % 64) + "\n";
        using var f = File.Create(path);
        f.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        f.Write(BitConverter.GetBytes((ushort)header.Length));
        f.Write(Encoding.Latin1.GetBytes(header));
        f.Write(t.Bytes);
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']+)'")]
    private static partial Regex DescrRegex();

    [GeneratedRegex(@"'fortran_order'\s*:\s*True")]
    private static partial Regex FortranRegex();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapeRegex();
}
