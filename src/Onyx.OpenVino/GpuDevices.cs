using System.Collections.Concurrent;
using Onyx.OpenCl;

namespace Onyx.OpenVino;

/// <summary>
/// Opened OpenCL devices, one per (device, context, cache folder), shared by every session of the
/// process: opening a device builds its kernel program, which takes seconds, so sessions reuse it.
/// With the <c>context</c> option the device runs in the application's cl_context: the queue and
/// programs are created in it and it is retained (clRetainContext) for as long as the device is open;
/// Onyx never releases the application's own reference.
/// </summary>
internal static class GpuDevices
{
    private static readonly ConcurrentDictionary<(string Device, ulong Context, string Cache), Lazy<OpenClDevice>> s_open = new();

    /// <summary>The opened device for <paramref name="info"/>.</summary>
    public static OpenClDevice Open(DeviceInfo info, ulong? context, string? cacheDir)
    {
        var cl = info.OpenCl ?? throw new InvalidOperationException($"{info.Id} is not an OpenCL device");
        string cache = cacheDir is null ? "" : Path.Combine(cacheDir, "opencl");
        var key = (info.Fingerprint + "|" + cl.Index, context ?? 0, cache);
        var lazy = s_open.GetOrAdd(key, _ => new Lazy<OpenClDevice>(() =>
            new OpenClDevice(cl, cache.Length == 0 ? null : new ProgramCache(cache), (nint)(long)(context ?? 0))));
        try
        {
            return lazy.Value;
        }
        catch
        {
            s_open.TryRemove(key, out _); // a bad context handle must not poison later sessions
            throw;
        }
    }
}
