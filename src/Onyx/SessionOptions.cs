namespace Onyx;

/// <summary>Options for creating an <see cref="InferenceSession"/>, named as in ONNX Runtime's C# API.</summary>
public class SessionOptions : IDisposable
{
    private readonly List<ExecutionProviderRequest> _providers = [];
    private readonly Dictionary<string, string> _configEntries = new(StringComparer.Ordinal);

    /// <summary>Graph optimizer level; default <see cref="GraphOptimizationLevel.ORT_ENABLE_ALL"/>.</summary>
    public GraphOptimizationLevel GraphOptimizationLevel { get; set; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>Threads for intra-op parallelism; 0 means one per physical core.</summary>
    public int IntraOpNumThreads { get; set; }

    /// <summary>Threads for inter-op parallelism (accepted for compatibility).</summary>
    public int InterOpNumThreads { get; set; }

    /// <summary>Sequential or parallel node execution.</summary>
    public ExecutionMode ExecutionMode { get; set; } = ExecutionMode.ORT_SEQUENTIAL;

    /// <summary>Log severity 0 (verbose) to 4 (fatal); default 2 (warning).</summary>
    public int LogSeverityLevel { get; set; } = 2;

    /// <summary>Tag used in log messages of this session.</summary>
    public string LogId { get; set; } = "";

    /// <summary>When set, the optimized graph is written here as an ONNX model.</summary>
    public string OptimizedModelFilePath { get; set; } = "";

    /// <summary>Enables the memory pattern planner (always on in Onyx; kept for API compatibility).</summary>
    public bool EnableMemoryPattern { get; set; } = true;

    /// <summary>Enables the CPU arena (always on in Onyx; kept for API compatibility).</summary>
    public bool EnableCpuMemArena { get; set; } = true;

    /// <summary>The providers appended so far, in priority order (CPU is always the implicit last one).</summary>
    public IReadOnlyList<ExecutionProviderRequest> ExecutionProviders => _providers;

    /// <summary>Session configuration entries (e.g. <c>session.disable_cpu_ep_fallback</c>).</summary>
    public IReadOnlyDictionary<string, string> ConfigEntries => _configEntries;

    /// <summary>Sets a session configuration entry, as ONNX Runtime's <c>AddSessionConfigEntry</c>.</summary>
    public void AddSessionConfigEntry(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        _configEntries[key] = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>
    /// Appends an execution provider by name with its options, e.g. <c>("OpenVINO", {"device_type": "CPU"})</c>.
    /// Names: "OpenVINO" (alias "OpenVINOExecutionProvider") and "CPU" ("CPUExecutionProvider").
    /// OpenVINO options are validated here (an unknown key or bad value throws, naming it and the valid ones).
    /// </summary>
    public void AppendExecutionProvider(string providerName, IDictionary<string, string>? providerOptions = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(providerName);
        string canonical = providerName switch
        {
            "OpenVINO" or "OpenVINOExecutionProvider" or "OPENVINO" or "openvino" => "OpenVINO",
            "CPU" or "CPUExecutionProvider" or "cpu" => "CPU",
            _ => throw new OnnxRuntimeException(ErrorCode.InvalidArgument,
                $"unknown execution provider '{providerName}'; available: OpenVINO, CPU"),
        };
        var copy = new Dictionary<string, string>(providerOptions ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (canonical == "OpenVINO") _ = Onyx.OpenVino.OpenVinoOptions.Parse(copy); // fail at the call that made the mistake
        _providers.Add(new ExecutionProviderRequest(canonical, copy));
    }

    /// <summary>
    /// Appends the OpenVINO provider for a device type (e.g. "CPU", "CPU_FP32", "HETERO:GPU,CPU"), or, in the
    /// deprecated settings-string form, for "key=value" pairs separated by ';' or new lines
    /// (e.g. "device_type=CPU_FP16;num_streams=2").
    /// </summary>
    public void AppendExecutionProvider_OpenVINO(string deviceType = "")
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        if (deviceType.Contains('='))
        {
            foreach (var part in deviceType.Split([';', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                int eq = part.IndexOf('=');
                if (eq <= 0)
                    throw new OnnxRuntimeException(ErrorCode.InvalidArgument,
                        $"OpenVINO settings string: '{part}' is not key=value (write e.g. \"device_type=CPU_FP32;num_of_threads=4\")");
                string key = part[..eq].Trim();
                if (!options.TryAdd(key, part[(eq + 1)..].Trim()))
                    throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"OpenVINO settings string: key '{key}' is given twice");
            }
        }
        else if (deviceType.Trim().Length > 0) options["device_type"] = deviceType.Trim();
        AppendExecutionProvider("OpenVINO", options);
    }

    /// <summary>Appends the OpenVINO provider from the seed's <c>OrtOpenVINOProviderOptions</c> structure.</summary>
    public void AppendExecutionProvider_OpenVINO(OrtOpenVINOProviderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        AppendExecutionProvider("OpenVINO", options.ToDictionary());
    }

    /// <summary>Appends the CPU provider (it is always present; this only fixes its place in the order).</summary>
    public void AppendExecutionProvider_CPU(int useArena = 1) => AppendExecutionProvider("CPU");

    /// <summary>Nothing to release; present for API compatibility.</summary>
    public void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>An execution provider requested through <see cref="SessionOptions.AppendExecutionProvider"/>.</summary>
/// <param name="Name">Canonical provider name ("OpenVINO" or "CPU").</param>
/// <param name="Options">Provider options as given.</param>
public sealed record ExecutionProviderRequest(string Name, IReadOnlyDictionary<string, string> Options);

/// <summary>
/// The seed's <c>OrtOpenVINOProviderOptions</c> structure, for code written against it. Each field maps to
/// the provider option of the same snake_case name; unset fields keep the provider defaults.
/// </summary>
public sealed class OrtOpenVINOProviderOptions
{
    /// <summary>device_type, e.g. "CPU_FP32"; empty = default (CPU).</summary>
    public string DeviceType { get; set; } = "";

    /// <summary>enable_vpu_fast_compile (MYRIAD only; no such device is present).</summary>
    public bool EnableVpuFastCompile { get; set; }

    /// <summary>device_id; empty = any.</summary>
    public string DeviceId { get; set; } = "";

    /// <summary>num_of_threads; 0 = default.</summary>
    public int NumOfThreads { get; set; }

    /// <summary>use_compiled_network: save and load compiled blobs.</summary>
    public bool UseCompiledNetwork { get; set; }

    /// <summary>blob_dump_path: blob folder (default ov_compiled_blobs next to the executable).</summary>
    public string BlobDumpPath { get; set; } = "";

    /// <summary>context: an OpenCL cl_context (GPU only; no such device is present).</summary>
    public IntPtr Context { get; set; }

    /// <summary>enable_opencl_throttling (GPU only).</summary>
    public bool EnableOpenClThrottling { get; set; }

    /// <summary>enable_dynamic_shapes.</summary>
    public bool EnableDynamicShapes { get; set; }

    /// <summary>The key/value form the provider parses.</summary>
    public Dictionary<string, string> ToDictionary()
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        if (DeviceType.Length > 0) d["device_type"] = DeviceType;
        if (DeviceId.Length > 0) d["device_id"] = DeviceId;
        if (NumOfThreads != 0) d["num_of_threads"] = NumOfThreads.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (EnableVpuFastCompile) d["enable_vpu_fast_compile"] = "True";
        if (UseCompiledNetwork) d["use_compiled_network"] = "True";
        if (BlobDumpPath.Length > 0) d["blob_dump_path"] = BlobDumpPath;
        if (Context != IntPtr.Zero) d["context"] = "0x" + ((ulong)Context).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        if (EnableOpenClThrottling) d["enable_opencl_throttling"] = "True";
        if (EnableDynamicShapes) d["enable_dynamic_shapes"] = "True";
        return d;
    }
}
