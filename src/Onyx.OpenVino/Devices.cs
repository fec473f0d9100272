using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using ArmIsa = System.Runtime.Intrinsics.Arm;

namespace Onyx.OpenVino;

/// <summary>One device the provider can compile for, as <c>onyx devices</c> lists it.</summary>
/// <param name="Id">The id used in device_type / device_id (e.g. "CPU", "GPU.0").</param>
/// <param name="Name">Full name (the CPU model from /proc/cpuinfo, the OpenCL device name).</param>
/// <param name="Type">CPU, GPU, NPU.</param>
/// <param name="Isa">Instruction-set extensions the kernels can use (CPU); OpenCL extensions of note (GPU).</param>
/// <param name="Cores">Logical cores available to this process (CPU); compute units (GPU).</param>
/// <param name="Precisions">Inference precisions: FP32, FP16, BF16, INT8.</param>
/// <param name="Luid">Locally unique id (only GPUs have one).</param>
public sealed record DeviceInfo(string Id, string Name, string Type, IReadOnlyList<string> Isa, int Cores, IReadOnlyList<string> Precisions, string? Luid = null)
{
    /// <summary>The OpenCL device behind a GPU.N entry; null for the CPU.</summary>
    public OpenCl.OpenClDeviceInfo? OpenCl { get; init; }

    /// <summary>True for a device that runs subgraphs through OpenCL.</summary>
    public bool IsGpu => OpenCl is not null;

    /// <summary>The device features string model-cache blobs are keyed and checked by.</summary>
    public string Fingerprint => OpenCl is { } cl
        ? $"{Type}|{Name}|{cl.Vendor}|{cl.OpenClVersion}|{cl.DriverVersion}"
        : $"{Type}|{Name}|{string.Join(",", Isa)}";
}

/// <summary>
/// The devices present on this machine: the CPU, then each OpenCL GPU as GPU.0, GPU.1, ... (OpenCL
/// devices of CPU type, such as PoCL, only with ONYX_OPENCL_ALLOW_CPU=1). No OpenCL runtime: CPU only.
/// </summary>
public sealed class DeviceRegistry
{
    private static readonly Lazy<DeviceRegistry> s_default = new(() => new DeviceRegistry([DetectCpu(), .. DetectGpus()]));

    /// <summary>The devices of this machine, detected once per process.</summary>
    public static DeviceRegistry Default => s_default.Value;

    /// <summary>Present devices, best first.</summary>
    public IReadOnlyList<DeviceInfo> Devices { get; }

    /// <summary>A registry over given devices (tests).</summary>
    public DeviceRegistry(IReadOnlyList<DeviceInfo> devices) => Devices = devices;

    /// <summary>The present device with this id, or null. "GPU" names the first GPU (GPU.0), as in OpenVINO.</summary>
    public DeviceInfo? Find(string id) =>
        Devices.FirstOrDefault(d => d.Id.Equals(id, StringComparison.OrdinalIgnoreCase))
        ?? (id.Equals("GPU", StringComparison.OrdinalIgnoreCase) ? Devices.FirstOrDefault(d => d.IsGpu) : null);

    /// <summary>"CPU (Intel(R) Xeon(R) ...)" for every present device, for error messages.</summary>
    public string Describe() => string.Join(", ", Devices.Select(d => $"{d.Id} ({d.Name})"));

    /// <summary>The error for a device that is not present.</summary>
    public OnnxRuntimeException NotPresent(string requested, string? why = null) =>
        OpenVinoOptions.Error($"device '{requested}' is not present on this machine{(why is null ? "" : " (" + why + ")")}; present devices: {Describe()} (run `onyx devices`)");

    /// <summary>Reads the CPU's name, cores and instruction sets.</summary>
    public static DeviceInfo DetectCpu()
    {
        string name = RuntimeInformation.ProcessArchitecture + " CPU";
        try
        {
            if (File.Exists("/proc/cpuinfo"))
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                    if (line.StartsWith("model name", StringComparison.Ordinal) || line.StartsWith("Model", StringComparison.Ordinal))
                    {
                        int colon = line.IndexOf(':');
                        if (colon > 0 && line[(colon + 1)..].Trim() is { Length: > 0 } n) { name = n; break; }
                    }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return new DeviceInfo("CPU", name, "CPU", DetectIsa(), Environment.ProcessorCount, ["FP32", "FP16", "BF16", "INT8"]);
    }

    /// <summary>
    /// OpenCL devices as GPU.N (discovery never throws; no runtime gives none). CPU-type OpenCL
    /// devices are included only when <see cref="OpenCl.OpenClPlatform.AllowCpuEnvVar"/> is set.
    /// </summary>
    public static IReadOnlyList<DeviceInfo> DetectGpus(bool? includeCpuDevices = null) =>
        OpenCl.OpenClPlatform.Discover(includeCpuDevices).Select(FromOpenCl).ToList();

    /// <summary>The registry entry of one OpenCL device.</summary>
    public static DeviceInfo FromOpenCl(OpenCl.OpenClDeviceInfo cl)
    {
        var ext = new List<string>();
        if (cl.SupportsFp16) ext.Add("cl_khr_fp16");
        if (cl.Extensions.Contains("cl_khr_fp64", StringComparison.Ordinal)) ext.Add("cl_khr_fp64");
        if (cl.Extensions.Contains("cl_intel_subgroups", StringComparison.Ordinal)) ext.Add("cl_intel_subgroups");
        // FP16 is offered on every OpenCL device: half storage, computed in half with cl_khr_fp16, else in float.
        return new DeviceInfo(cl.Id, cl.Name, "GPU", ext, cl.ComputeUnits, ["FP32", "FP16"]) { OpenCl = cl };
    }

    /// <summary>Instruction sets from System.Runtime.Intrinsics checks.</summary>
    public static IReadOnlyList<string> DetectIsa()
    {
        var isa = new List<string>();
        void Add(bool supported, string n) { if (supported) isa.Add(n); }
        Add(Sse42.IsSupported, "SSE4.2");
        Add(Avx.IsSupported, "AVX");
        Add(Avx2.IsSupported, "AVX2");
        Add(Fma.IsSupported, "FMA");
        Add(Bmi2.IsSupported, "BMI2");
        Add(Avx512F.IsSupported, "AVX512F");
        Add(Avx512BW.IsSupported, "AVX512BW");
        Add(Avx512DQ.IsSupported, "AVX512DQ");
        Add(Avx512Vbmi.IsSupported, "AVX512VBMI");
        Add(AvxVnni.IsSupported, "AVX-VNNI");
        Add(Avx10v1.IsSupported, "AVX10.1");
        Add(ArmIsa.AdvSimd.IsSupported, "NEON");
        Add(ArmIsa.Dp.IsSupported, "DOTPROD");
        Add(ArmIsa.Rdm.IsSupported, "RDM");
        if (isa.Count == 0) isa.Add("scalar");
        return isa;
    }
}

/// <summary>How the device_type names its devices.</summary>
public enum DeviceMode
{
    /// <summary>One device (CPU, GPU.0, CPU_FP32, ...).</summary>
    Single,
    /// <summary>HETERO:a,b — nodes go to the first listed device that supports them.</summary>
    Hetero,
    /// <summary>MULTI:a,b — infer requests are spread over the listed devices.</summary>
    Multi,
    /// <summary>AUTO:a,b — the best present device of the list is used.</summary>
    Auto,
}

/// <summary>A parsed device_type (and device_id) resolved against the present devices.</summary>
public sealed class DeviceSelection
{
    /// <summary>The device_type as given.</summary>
    public required string Text { get; init; }

    /// <summary>Single, HETERO, MULTI or AUTO.</summary>
    public required DeviceMode Mode { get; init; }

    /// <summary>Every device the user listed, in order (present or not).</summary>
    public required IReadOnlyList<string> Requested { get; init; }

    /// <summary>The present devices that will run the model, in priority order.</summary>
    public required IReadOnlyList<string> Devices { get; init; }

    /// <summary>AUTO only: the present devices it chooses from, GPUs first (empty otherwise).</summary>
    public IReadOnlyList<string> Candidates { get; init; } = [];

    /// <summary>This selection narrowed to one device (AUTO's choice, MULTI's per-device compile).</summary>
    public DeviceSelection Single(string id, string? note = null) => new()
    {
        Text = Text, Mode = DeviceMode.Single, Requested = Requested, Devices = [id], Precision = Precision,
        Notes = note is null ? Notes : [.. Notes, note],
    };

    /// <summary>Precision carried by the seed form (<c>CPU_FP16</c>), if any.</summary>
    public InferencePrecision? Precision { get; init; }

    /// <summary>What was dropped and why (logged as warnings).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    private static readonly string[] s_knownBases = ["CPU", "GPU", "NPU", "MYRIAD", "VPUX", "HDDL", "VAD-M", "VAD-F", "FPGA"];

    /// <summary>True for CPU, GPU, GPU.N, NPU, MYRIAD and the other device names OpenVINO has used.</summary>
    public static bool IsKnownDeviceName(string name)
    {
        int dot = name.IndexOf('.');
        string b = dot < 0 ? name : name[..dot];
        if (!s_knownBases.Contains(b)) return false;
        return dot < 0 || (name.Length > dot + 1 && name[(dot + 1)..].All(char.IsAsciiDigit));
    }

    /// <summary>True when load_config properties for <paramref name="deviceKey"/> apply to this selection.</summary>
    public bool Covers(string deviceKey) =>
        Devices.Contains(deviceKey, StringComparer.OrdinalIgnoreCase) ||
        (Mode == DeviceMode.Hetero && deviceKey == "HETERO") || (Mode == DeviceMode.Multi && deviceKey == "MULTI") ||
        (Mode == DeviceMode.Auto && deviceKey == "AUTO");

    private const string Forms = "valid forms: CPU, GPU, GPU.N, NPU, CPU_FP32, CPU_FP16, GPU_FP32, GPU_FP16, GPU.N_FP16, GPU.N_FP32, MYRIAD_FP16, HETERO:dev1,dev2,..., MULTI:dev1,dev2,..., AUTO:dev1,dev2,...";

    /// <summary>Parses a device_type in the seed form or the current form.</summary>
    public static DeviceSelection Parse(string text, DeviceRegistry devices)
    {
        string t = text.Trim();
        if (t.Length == 0) throw OpenVinoOptions.Error($"option 'device_type' is empty; {Forms}");
        int colon = t.IndexOf(':');
        if (colon >= 0)
        {
            string prefix = t[..colon].ToUpperInvariant();
            var mode = prefix switch
            {
                "HETERO" => DeviceMode.Hetero,
                "MULTI" => DeviceMode.Multi,
                "AUTO" => DeviceMode.Auto,
                _ => throw OpenVinoOptions.Error($"option 'device_type' has invalid value '{text}': unknown prefix '{t[..colon]}:'; {Forms}"),
            };
            var list = t[(colon + 1)..].Split(',').Select(s => s.Trim()).ToList();
            if (list.Any(s => s.Length == 0))
                throw OpenVinoOptions.Error($"option 'device_type' has invalid value '{text}': an empty device name in the list; {Forms}");
            foreach (var d in list)
                if (!IsKnownDeviceName(d))
                    throw OpenVinoOptions.Error($"option 'device_type' has invalid value '{text}': '{d}' is not a device name (CPU, GPU, GPU.N, NPU, MYRIAD); {Forms}");
            if (list.Distinct(StringComparer.OrdinalIgnoreCase).Count() != list.Count)
                throw OpenVinoOptions.Error($"option 'device_type' has invalid value '{text}': a device is listed twice");
            if (mode != DeviceMode.Auto && list.Count < 2)
                throw OpenVinoOptions.Error($"option 'device_type' has invalid value '{text}': {prefix} needs at least two devices (e.g. {prefix}:GPU,CPU)");
            var present = new List<string>();
            var notes = new List<string>();
            foreach (var d in list)
            {
                var dev = devices.Find(d);
                if (dev is null) notes.Add($"{prefix}: device {d} is not present on this machine (present: {devices.Describe()}); {(mode == DeviceMode.Multi ? "no infer requests go to it" : "its share falls through to the next listed device")}");
                else present.Add(dev.Id);
            }
            if (present.Count == 0)
                throw devices.NotPresent(text, $"none of the {prefix} devices is present");
            IReadOnlyList<string> candidates = [];
            if (mode == DeviceMode.Auto)
            {
                // AUTO prefers GPUs (in list order), then the CPU; with a GPU among them the provider decides per model
                // at compile time (OpenVinoProvider.ResolveAuto), so Devices holds the first candidate until then.
                candidates = present.OrderBy(id => devices.Find(id)!.IsGpu ? 0 : 1).ToList();
                var best = devices.Find(candidates[0])!;
                notes.Add(candidates.Count > 1 && best.IsGpu
                    ? $"AUTO candidates {string.Join(", ", candidates)}: {best.Id} when it claims the model's compute nodes, else the next"
                    : $"AUTO selected {best.Id} ({best.Name})");
                present = [best.Id];
            }
            return new DeviceSelection { Text = text, Mode = mode, Requested = list, Devices = present, Notes = notes, Candidates = candidates };
        }

        // Single device, seed form DEVICE_PRECISION or current form DEVICE.
        string device = t;
        InferencePrecision? precision = null;
        int us = t.LastIndexOf('_');
        if (us > 0)
        {
            string suffix = t[(us + 1)..].ToUpperInvariant();
            precision = suffix switch
            {
                "FP32" => InferencePrecision.FP32,
                "FP16" => InferencePrecision.FP16,
                "BF16" => InferencePrecision.BF16,
                _ => throw OpenVinoOptions.Error($"option 'device_type' has invalid value '{text}': unknown precision suffix '_{t[(us + 1)..]}' (FP32, FP16); {Forms}"),
            };
            device = t[..us];
        }
        if (!IsKnownDeviceName(device.ToUpperInvariant()))
            throw OpenVinoOptions.Error($"option 'device_type' has invalid value '{text}'; {Forms}");
        var found = devices.Find(device) ?? throw devices.NotPresent(device);
        return new DeviceSelection { Text = text, Mode = DeviceMode.Single, Requested = [device], Devices = [found.Id], Precision = precision };
    }

    /// <summary>Applies device_id: it must name a present device that the device_type allows.</summary>
    public DeviceSelection WithDeviceId(string id, DeviceRegistry devices)
    {
        if (id.Trim().Length == 0) return this;
        var dev = devices.Find(id.Trim()) ?? throw devices.NotPresent(id, "option 'device_id'");
        if (!Devices.Contains(dev.Id))
            throw OpenVinoOptions.Error($"option 'device_id' = '{id}' is not one of the devices device_type '{Text}' selects ({string.Join(", ", Devices)})");
        return new DeviceSelection { Text = Text, Mode = Mode, Requested = Requested, Devices = [dev.Id], Precision = Precision, Notes = Notes };
    }

    /// <summary>Applies device_luid: only devices with a LUID (GPUs) can be picked this way.</summary>
    public DeviceSelection WithDeviceLuid(string luid, DeviceRegistry devices)
    {
        if (luid.Trim().Length == 0) return this;
        var dev = devices.Devices.FirstOrDefault(d => d.Luid is not null && d.Luid.Equals(luid.Trim(), StringComparison.OrdinalIgnoreCase));
        if (dev is null)
            throw OpenVinoOptions.Error($"option 'device_luid' = '{luid}' matches no present device; present devices: {string.Join(", ", devices.Devices.Select(d => $"{d.Id} (LUID {d.Luid ?? "none"})"))}");
        return new DeviceSelection { Text = Text, Mode = Mode, Requested = Requested, Devices = [dev.Id], Precision = Precision, Notes = Notes };
    }

    /// <inheritdoc/>
    public override string ToString() => Mode == DeviceMode.Single ? Devices[0] : $"{Mode.ToString().ToUpperInvariant()}:{string.Join(",", Devices)}";
}
