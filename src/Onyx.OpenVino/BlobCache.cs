using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Onnx;
using Onyx.Core.Ir;
using Onyx.Onnx;
using Onyx.Tensors;

namespace Onyx.OpenVino;

/// <summary>What a cache blob holds: the compiled (optimized) subgraph and how it was made.</summary>
public sealed record CompiledBlob(Graph Graph, IReadOnlyList<string> Lowered, int Folded)
{
    /// <summary>The device the subgraph was compiled for ("CPU", "GPU.0", …).</summary>
    public string DeviceId { get; init; } = "CPU";

    /// <summary>That device's fingerprint (<see cref="DeviceInfo.Fingerprint"/>).</summary>
    public string Fingerprint { get; init; } = "";

    /// <summary>For a subgraph compiled for a GPU.N device, the precision its kernels ran in; null for the CPU.</summary>
    public OpenCl.GpuPrecision? GpuPrecision { get; init; }
}

/// <summary>
/// The model cache: one blob per compiled subgraph, named by a SHA-256 of the subgraph (structure and
/// weights), the options that change compilation, the Onyx version and the device (CPU features).
/// A blob is checked before use (magic, format, key, version, device, length, payload hash); a
/// corrupt, truncated, foreign or stale blob is reported and rebuilt, never executed.
/// </summary>
public sealed class BlobCache
{
    private static readonly byte[] s_magic = "ONYXOVB\0"u8.ToArray();
    private const int FormatVersion = 2; // 2: the device id and GPU precision the subgraph was compiled for

    /// <summary>The folder.</summary>
    public string Folder { get; }

    /// <summary>Onyx version baked into every key and header.</summary>
    public static string OnyxVersion { get; } =
        typeof(BlobCache).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";

    /// <summary>A cache over <paramref name="folder"/> (created on first write).</summary>
    public BlobCache(string folder) => Folder = folder;

    /// <summary>The blob path for a key.</summary>
    public string PathFor(string key) => Path.Combine(Folder, $"onyx_ov_{key[..40]}.blob");

    /// <summary>The cache key of a subgraph compiled with these options on this device.</summary>
    public static string Key(Graph subgraph, OpenVinoOptions options, DeviceInfo device)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string s)
        {
            var b = Encoding.UTF8.GetBytes(s);
            h.AppendData(BitConverter.GetBytes(b.Length));
            h.AppendData(b);
        }
        Add($"format={FormatVersion}");
        Add($"onyx={OnyxVersion}");
        Add($"device={device.Fingerprint}");
        Add($"precision={options.Precision};dynamic={options.DynamicShapes}");
        foreach (var (name, dims) in options.ReshapeInput.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            Add($"reshape={name}[{string.Join(",", dims)}]");
        var structure = Optimizer.Copy(subgraph);
        structure.Initializers.Clear();
        h.AppendData(GraphSerializer.ToModel(structure).ToByteArray());
        foreach (var (name, t) in subgraph.Initializers.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            Add($"{name}:{t.DType}:{t.ShapeString}");
            if (t.DType == DType.String) foreach (var s in t.Strings) Add(s);
            else h.AppendData(t.Bytes);
        }
        return Convert.ToHexStringLower(h.GetHashAndReset());
    }

    /// <summary>Loads the blob for <paramref name="key"/>; null (with the reason) when absent or invalid.</summary>
    public CompiledBlob? TryLoad(string key, DeviceInfo device, out string? problem)
    {
        string path = PathFor(key);
        problem = null;
        if (!File.Exists(path)) return null;
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Reject(out problem, $"unreadable ({e.Message})");
        }
        return Parse(bytes, key, device, out problem);
    }

    /// <summary>
    /// Checks and decodes a blob. <paramref name="key"/> null skips the key check (EPContext payloads,
    /// whose source subgraph is not at hand); <paramref name="device"/> null skips the device check (EPContext:
    /// the caller picks the device from <see cref="CompiledBlob.DeviceId"/>); everything else is still verified.
    /// </summary>
    public static CompiledBlob? Parse(byte[] bytes, string? key, DeviceInfo? device, out string? problem)
    {
        problem = null;
        try
        {
            using var ms = new MemoryStream(bytes, writable: false);
            using var r = new BinaryReader(ms, Encoding.UTF8);
            if (bytes.Length < s_magic.Length || !r.ReadBytes(s_magic.Length).AsSpan().SequenceEqual(s_magic))
                return Reject(out problem, "not an Onyx OpenVINO blob (bad magic)");
            int format = r.ReadInt32();
            if (format != FormatVersion) return Reject(out problem, $"blob format {format}, expected {FormatVersion}");
            string version = r.ReadString();
            if (version != OnyxVersion) return Reject(out problem, $"written by Onyx {version}, this is {OnyxVersion}");
            string fingerprint = r.ReadString();
            if (device is not null && fingerprint != device.Fingerprint) return Reject(out problem, $"compiled for another device ({fingerprint})");
            string deviceId = r.ReadString();
            string gpuPrecision = r.ReadString();
            OpenCl.GpuPrecision? gpu = gpuPrecision switch
            {
                "" => null,
                "FP32" => OpenCl.GpuPrecision.FP32,
                "FP16" => OpenCl.GpuPrecision.FP16,
                _ => throw new FormatException($"unknown GPU precision '{gpuPrecision}'"),
            };
            string blobKey = r.ReadString();
            if (key is not null && blobKey != key) return Reject(out problem, "compiled from another model or with other options (key mismatch)");
            int folded = r.ReadInt32();
            int nLowered = r.ReadInt32();
            if (nLowered < 0 || nLowered > 1_000_000) return Reject(out problem, "corrupt header");
            var lowered = new List<string>(nLowered);
            for (int i = 0; i < nLowered; i++) lowered.Add(r.ReadString());
            long length = r.ReadInt64();
            byte[] hash = r.ReadBytes(32);
            long remaining = ms.Length - ms.Position;
            if (length < 0 || remaining != length) return Reject(out problem, $"truncated or padded: payload {remaining} bytes, header says {length}");
            var payload = new ReadOnlySpan<byte>(bytes, (int)ms.Position, (int)length);
            if (!SHA256.HashData(payload).AsSpan().SequenceEqual(hash)) return Reject(out problem, "payload hash mismatch (corrupt)");
            var proto = ModelProto.Parser.ParseFrom(bytes, (int)ms.Position, (int)length);
            var graph = OnnxModelLoader.FromProto(proto, null).Graph;
            GraphSerializer.RestoreNodeOpsets(proto, graph);
            foreach (var name in lowered)
                if (graph.Initializers.TryGetValue(name, out var t) && t.DType is DType.Float16 or DType.BFloat16)
                    graph.Initializers[name] = GraphSerializer.ToFloat(t);
            return new CompiledBlob(graph, lowered, folded) { DeviceId = deviceId, Fingerprint = fingerprint, GpuPrecision = gpu };
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or InvalidProtocolBufferException or OnnxRuntimeException
            or ArgumentException or FormatException)
        {
            return Reject(out problem, $"unreadable ({e.GetType().Name}: {e.Message})");
        }
    }

    private static CompiledBlob? Reject(out string? problem, string why)
    {
        problem = why;
        return null;
    }

    /// <summary>Writes the blob for <paramref name="key"/> atomically (temp file, then rename).</summary>
    public void Save(string key, DeviceInfo device, Graph compiled, IReadOnlyList<string> lowered, int folded, InferencePrecision precision)
    {
        Directory.CreateDirectory(Folder);
        string path = PathFor(key);
        string tmp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllBytes(tmp, Serialize(key, device, compiled, lowered, folded, precision));
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>
    /// The blob bytes: header (magic, format, version, device fingerprint, device id and GPU precision, key, lowered
    /// weights, payload length and SHA-256) and payload. <paramref name="gpuPrecision"/> is set for a subgraph compiled
    /// for a GPU.N device (<paramref name="device"/>), so an EPContext model reloads it there.
    /// </summary>
    public static byte[] Serialize(string key, DeviceInfo device, Graph compiled, IReadOnlyList<string> lowered, int folded, InferencePrecision precision,
        OpenCl.GpuPrecision? gpuPrecision = null)
    {
        byte[] payload = GraphSerializer.ToModel(compiled, lowered.ToHashSet(StringComparer.Ordinal), precision).ToByteArray();
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(s_magic);
            w.Write(FormatVersion);
            w.Write(OnyxVersion);
            w.Write(device.Fingerprint);
            w.Write(device.Id);
            w.Write(gpuPrecision?.ToString() ?? "");
            w.Write(key);
            w.Write(folded);
            w.Write(lowered.Count);
            foreach (var n in lowered) w.Write(n);
            w.Write((long)payload.Length);
            w.Write(SHA256.HashData(payload));
            w.Write(payload);
        }
        return ms.ToArray();
    }
}
