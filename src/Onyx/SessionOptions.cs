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
    /// Options are validated when the session is created.
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
        _providers.Add(new ExecutionProviderRequest(canonical,
            new Dictionary<string, string>(providerOptions ?? new Dictionary<string, string>(), StringComparer.Ordinal)));
    }

    /// <summary>Appends the OpenVINO provider for a device type (e.g. "CPU", "CPU_FP32", "HETERO:GPU,CPU").</summary>
    public void AppendExecutionProvider_OpenVINO(string deviceType = "")
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        if (deviceType.Length > 0) options["device_type"] = deviceType;
        AppendExecutionProvider("OpenVINO", options);
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
