using System.Text;
using Silk.NET.OpenCL;

namespace Onyx.OpenCl;

/// <summary>One OpenCL device as discovered (no context is created by discovery).</summary>
public sealed record OpenClDeviceInfo(
    int Index,
    string Name,
    string Vendor,
    string Type,
    int ComputeUnits,
    long GlobalMemoryBytes,
    long LocalMemoryBytes,
    long MaxWorkGroupSize,
    bool SupportsFp16,
    string OpenClVersion,
    string DriverVersion,
    string PlatformName,
    string Extensions)
{
    internal nint PlatformId { get; init; }
    internal nint DeviceId { get; init; }

    /// <summary>The OpenVINO-style device id: GPU.0, GPU.1, ... in discovery order.</summary>
    public string Id => $"GPU.{Index}";

    /// <summary>True for devices of CPU type (e.g. PoCL), listed only when opted in.</summary>
    public bool IsCpuType => Type == "CPU";

    public override string ToString() =>
        $"{Id}: {Name} ({Vendor}, {Type}) CUs={ComputeUnits} mem={GlobalMemoryBytes / (1024 * 1024)} MiB fp16={(SupportsFp16 ? "yes" : "no")} {OpenClVersion} driver {DriverVersion}";
}

/// <summary>
/// OpenCL discovery. GPU and accelerator devices are always listed; devices of CPU type (PoCL, Intel
/// CPU runtime) only when <c>includeCpuDevices</c> is true, which by default comes from the
/// environment variable <see cref="AllowCpuEnvVar"/> (<c>ONYX_OPENCL_ALLOW_CPU=1</c>), so CI can run the
/// whole GPU code path on a CPU-only machine. With no OpenCL runtime installed the list is empty.
/// </summary>
public static unsafe class OpenClPlatform
{
    /// <summary>Set to 1 (or true) to list OpenCL devices of CPU type as GPU.N devices.</summary>
    public const string AllowCpuEnvVar = "ONYX_OPENCL_ALLOW_CPU";

    private static readonly Lazy<CL?> s_api = new(() =>
    {
        try
        {
            var api = CL.GetApi();
            uint count = 0;
            int err = api.GetPlatformIDs(0, null, &count);
            return err == 0 || err == -1001 ? api : null; // -1001: CL_PLATFORM_NOT_FOUND_KHR (ICD loader, no platform)
        }
        catch (Exception)
        {
            return null; // no libOpenCL on this machine
        }
    });

    /// <summary>The bindings, or null when no OpenCL library can be loaded.</summary>
    internal static CL? Api => s_api.Value;

    /// <summary>True when <see cref="AllowCpuEnvVar"/> is set to 1/true.</summary>
    public static bool CpuDevicesAllowed
    {
        get
        {
            var v = Environment.GetEnvironmentVariable(AllowCpuEnvVar);
            return v is not null && (v == "1" || v.Equals("true", StringComparison.OrdinalIgnoreCase) || v.Equals("yes", StringComparison.OrdinalIgnoreCase));
        }
    }

    /// <summary>
    /// Lists OpenCL devices as GPU.0, GPU.1, ...: GPUs and accelerators, plus CPU-type devices when
    /// <paramref name="includeCpuDevices"/> is true (null: from <see cref="AllowCpuEnvVar"/>).
    /// Never throws: a missing runtime or a broken platform gives fewer (or no) devices.
    /// </summary>
    public static IReadOnlyList<OpenClDeviceInfo> Discover(bool? includeCpuDevices = null)
    {
        bool cpu = includeCpuDevices ?? CpuDevicesAllowed;
        var api = Api;
        var list = new List<OpenClDeviceInfo>();
        if (api is null) return list;
        try
        {
            uint np = 0;
            if (api.GetPlatformIDs(0, null, &np) != 0 || np == 0) return list;
            var platforms = new nint[np];
            fixed (nint* pp = platforms) if (api.GetPlatformIDs(np, pp, null) != 0) return list;
            // GPUs first (so GPU.0 is a real GPU whenever there is one), then accelerators, then CPU-type devices.
            foreach (var (type, typeName) in new[] { (DeviceType.Gpu, "GPU"), (DeviceType.Accelerator, "ACCELERATOR"), (DeviceType.Cpu, "CPU") })
            {
                if (type == DeviceType.Cpu && !cpu) continue;
                foreach (var platform in platforms)
                {
                    uint nd = 0;
                    if (api.GetDeviceIDs(platform, type, 0, null, &nd) != 0 || nd == 0) continue;
                    var devices = new nint[nd];
                    fixed (nint* pd = devices) if (api.GetDeviceIDs(platform, type, nd, pd, null) != 0) continue;
                    string platformName = PlatformString(api, platform, PlatformInfo.Name);
                    foreach (var d in devices)
                    {
                        string ext = DeviceString(api, d, DeviceInfo.Extensions);
                        list.Add(new OpenClDeviceInfo(
                            list.Count,
                            DeviceString(api, d, DeviceInfo.Name).Trim(),
                            DeviceString(api, d, DeviceInfo.Vendor).Trim(),
                            typeName,
                            (int)DeviceUInt(api, d, DeviceInfo.MaxComputeUnits),
                            (long)DeviceULong(api, d, DeviceInfo.GlobalMemSize),
                            (long)DeviceULong(api, d, DeviceInfo.LocalMemSize),
                            (long)DeviceSize(api, d, DeviceInfo.MaxWorkGroupSize),
                            ext.Contains("cl_khr_fp16", StringComparison.Ordinal),
                            DeviceString(api, d, DeviceInfo.Version).Trim(),
                            DeviceString(api, d, DeviceInfo.DriverVersion).Trim(),
                            platformName.Trim(),
                            ext)
                        { PlatformId = platform, DeviceId = d });
                    }
                }
            }
        }
        catch (Exception)
        {
            // A broken ICD must not take the process down; report what was found so far.
        }
        return list;
    }

    internal static string DeviceString(CL api, nint device, DeviceInfo what)
    {
        nuint size = 0;
        if (api.GetDeviceInfo(device, what, 0, null, &size) != 0 || size == 0) return "";
        var buf = new byte[(int)size];
        fixed (byte* p = buf) if (api.GetDeviceInfo(device, what, size, p, null) != 0) return "";
        return Encoding.UTF8.GetString(buf).TrimEnd('\0');
    }

    private static string PlatformString(CL api, nint platform, PlatformInfo what)
    {
        nuint size = 0;
        if (api.GetPlatformInfo(platform, what, 0, null, &size) != 0 || size == 0) return "";
        var buf = new byte[(int)size];
        fixed (byte* p = buf) if (api.GetPlatformInfo(platform, what, size, p, null) != 0) return "";
        return Encoding.UTF8.GetString(buf).TrimEnd('\0');
    }

    private static uint DeviceUInt(CL api, nint device, DeviceInfo what)
    {
        uint v = 0;
        api.GetDeviceInfo(device, what, (nuint)sizeof(uint), &v, null);
        return v;
    }

    private static ulong DeviceULong(CL api, nint device, DeviceInfo what)
    {
        ulong v = 0;
        api.GetDeviceInfo(device, what, (nuint)sizeof(ulong), &v, null);
        return v;
    }

    private static nuint DeviceSize(CL api, nint device, DeviceInfo what)
    {
        nuint v = 0;
        api.GetDeviceInfo(device, what, (nuint)sizeof(nuint), &v, null);
        return v;
    }
}
