using System.Security.Cryptography;
using System.Text;

namespace Onyx.OpenCl;

/// <summary>
/// Compiled OpenCL program binaries under a cache directory (the seed's iGPU kernel caching).
/// The key hashes device identity (platform, vendor, name, OpenCL version), driver version, the
/// source hash and the build options. Each file carries a header (magic, the full key, payload
/// length and SHA-256); a file whose header, key or hash does not match — or that the device
/// rejects — is deleted and rebuilt from source, never run.
/// </summary>
public sealed class ProgramCache
{
    private static readonly byte[] s_magic = "ONYXCLB1"u8.ToArray();

    public string Directory { get; }

    /// <summary>Counters for tests and logs.</summary>
    public int Hits { get; private set; }
    public int Misses { get; private set; }
    public int Rejected { get; private set; }

    public ProgramCache(string directory)
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(directory);
    }

    /// <summary>The cache key for a program on a device.</summary>
    public static string Key(OpenClDeviceInfo device, string source, string options) =>
        $"{device.PlatformName}|{device.Vendor}|{device.Name}|{device.OpenClVersion}|driver={device.DriverVersion}|src={OpenClDevice.Sha256(source)}|opt={options}";

    /// <summary>The file a key is stored in.</summary>
    public string PathFor(string key) => Path.Combine(Directory, OpenClDevice.Sha256(key)[..32].ToLowerInvariant() + ".clbin");

    internal nint GetOrBuild(OpenClDevice device, string source, string options, out bool fromCache)
    {
        string key = Key(device.Info, source, options);
        string path = PathFor(key);
        var binary = TryRead(path, key);
        if (binary is not null)
        {
            nint p = device.ProgramFromBinary(binary, options);
            if (p != 0)
            {
                Hits++;
                fromCache = true;
                return p;
            }
        }
        if (File.Exists(path))
        {
            Rejected++;
            TryDelete(path);
        }
        Misses++;
        fromCache = false;
        nint program = device.BuildFromSource(source, options);
        try
        {
            Write(path, key, device.ProgramBinary(program));
        }
        catch (Exception)
        {
            // A cache that cannot be written costs only the next build.
        }
        return program;
    }

    /// <summary>The payload when the file is intact and made for <paramref name="key"/>; null otherwise.</summary>
    internal static byte[]? TryRead(string path, string key)
    {
        try
        {
            if (!File.Exists(path)) return null;
            var data = File.ReadAllBytes(path);
            var span = data.AsSpan();
            if (span.Length < s_magic.Length + 4 || !span[..s_magic.Length].SequenceEqual(s_magic)) return null;
            int pos = s_magic.Length;
            int keyLen = BitConverter.ToInt32(data, pos);
            pos += 4;
            if (keyLen < 0 || pos + keyLen + 8 + 32 > data.Length) return null;
            if (Encoding.UTF8.GetString(data, pos, keyLen) != key) return null; // foreign binary (other device/driver/source)
            pos += keyLen;
            long len = BitConverter.ToInt64(data, pos);
            pos += 8;
            var hash = data.AsSpan(pos, 32);
            pos += 32;
            if (len <= 0 || pos + len != data.Length) return null;
            var payload = data.AsSpan(pos, (int)len);
            if (!SHA256.HashData(payload).AsSpan().SequenceEqual(hash)) return null; // corrupt
            return payload.ToArray();
        }
        catch (IOException)
        {
            return null;
        }
    }

    internal static void Write(string path, string key, byte[] payload)
    {
        if (payload.Length == 0) return;
        var keyBytes = Encoding.UTF8.GetBytes(key);
        using var ms = new MemoryStream();
        ms.Write(s_magic);
        ms.Write(BitConverter.GetBytes(keyBytes.Length));
        ms.Write(keyBytes);
        ms.Write(BitConverter.GetBytes((long)payload.Length));
        ms.Write(SHA256.HashData(payload));
        ms.Write(payload);
        string tmp = path + "." + Environment.ProcessId + ".tmp";
        File.WriteAllBytes(tmp, ms.ToArray());
        File.Move(tmp, path, overwrite: true);
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { }
    }
}
