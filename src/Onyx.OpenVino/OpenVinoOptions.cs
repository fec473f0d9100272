using System.Globalization;
using System.Text.Json;

namespace Onyx.OpenVino;

/// <summary>Inference precision of compiled subgraphs.</summary>
public enum InferencePrecision
{
    /// <summary>FP32 weights and compute (the CPU default).</summary>
    FP32,
    /// <summary>Weights stored as FP16, computed with FP32 accumulation.</summary>
    FP16,
    /// <summary>Weights stored as BF16, computed with FP32 accumulation.</summary>
    BF16,
    /// <summary>Highest accuracy the device offers (FP32 on CPU).</summary>
    ACCURACY,
}

/// <summary>OpenVINO's PERFORMANCE_HINT.</summary>
public enum PerformanceHint
{
    /// <summary>One infer request at a time (one stream): lowest latency.</summary>
    LATENCY,
    /// <summary>Several streams (parallel infer requests).</summary>
    THROUGHPUT,
    /// <summary>Throughput across every device of a MULTI/AUTO selection.</summary>
    CUMULATIVE_THROUGHPUT,
}

/// <summary>
/// The OpenVINO execution provider options of ONNX Runtime (the seed's keys and the current ones),
/// parsed and validated. Every error names the key and lists what is valid.
/// </summary>
public sealed class OpenVinoOptions
{
    /// <summary>Every key the provider accepts, in documentation order.</summary>
    public static readonly IReadOnlyList<string> ValidKeys =
    [
        "device_type", "device_id", "device_luid", "precision", "num_of_threads", "num_streams",
        "cache_dir", "use_compiled_network", "blob_dump_path", "enable_dynamic_shapes", "disable_dynamic_shapes",
        "reshape_input", "load_config", "model_priority", "layout", "enable_qdq_optimizer", "enable_causallm",
        "enable_vpu_fast_compile", "context", "enable_opencl_throttling",
    ];

    /// <summary>The seed's default blob folder for <c>use_compiled_network</c>.</summary>
    public const string DefaultBlobFolder = "ov_compiled_blobs";

    /// <summary>The options exactly as given (for cache keys and messages).</summary>
    public IReadOnlyDictionary<string, string> Raw { get; private init; } = new Dictionary<string, string>();

    /// <summary>The device selection (device_type, device_id).</summary>
    public DeviceSelection Device { get; private set; } = null!;

    /// <summary>Inference precision after reconciling device_type, precision and load_config.</summary>
    public InferencePrecision Precision { get; private set; } = InferencePrecision.FP32;

    /// <summary>num_of_threads (or INFERENCE_NUM_THREADS); null = default.</summary>
    public int? NumThreads { get; private set; }

    /// <summary>num_streams (or NUM_STREAMS); null = from the performance hint.</summary>
    public int? NumStreams { get; private set; }

    /// <summary>PERFORMANCE_HINT from load_config; LATENCY by default.</summary>
    public PerformanceHint Hint { get; private set; } = PerformanceHint.LATENCY;

    /// <summary>Folder of the model cache; null when caching is off.</summary>
    public string? CacheDir { get; private set; }

    /// <summary>True when symbolic dims stay symbolic and plans are specialised per input shape (the current default).</summary>
    public bool DynamicShapes { get; private set; } = true;

    /// <summary>reshape_input: per input name, per dim, a fixed size or bounds.</summary>
    public IReadOnlyDictionary<string, DimBound[]> ReshapeInput { get; private set; } = new Dictionary<string, DimBound[]>();

    /// <summary>layout: per input/output name, a layout string such as NCHW.</summary>
    public IReadOnlyDictionary<string, string> Layout { get; private set; } = new Dictionary<string, string>();

    /// <summary>load_config after validation: device name → property → value.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> LoadConfig { get; private set; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>();

    /// <summary>model_priority: LOW, MEDIUM, HIGH or DEFAULT.</summary>
    public string ModelPriority { get; private set; } = "DEFAULT";

    /// <summary>enable_qdq_optimizer.</summary>
    public bool EnableQdqOptimizer { get; private set; }

    /// <summary>enable_causallm.</summary>
    public bool EnableCausalLm { get; private set; }

    /// <summary>enable_vpu_fast_compile (no MYRIAD device exists; accepted, no effect).</summary>
    public bool EnableVpuFastCompile { get; private set; }

    /// <summary>enable_opencl_throttling: GPU devices wait by clFlush + sleep-polling instead of clFinish.</summary>
    public bool EnableOpenClThrottling { get; private set; }

    /// <summary>context: an application's cl_context; GPU devices run in it (it is retained, never released by Onyx beyond that reference).</summary>
    public ulong? Context { get; private set; }

    /// <summary>Notes on options accepted without effect on the devices present (logged at session creation).</summary>
    public IReadOnlyList<string> Notes => _notes;
    private readonly List<string> _notes = [];

    private OpenVinoOptions() { }

    /// <summary>True when the selection can run anything on a GPU.N device.</summary>
    internal bool UsesGpu(DeviceRegistry devices) =>
        Device.Devices.Concat(Device.Candidates).Any(id => devices.Find(id)?.IsGpu == true);

    /// <summary>A copy of these options that runs on <paramref name="device"/> (AUTO's choice, one device of MULTI).</summary>
    internal OpenVinoOptions WithDevice(DeviceSelection device)
    {
        var copy = (OpenVinoOptions)MemberwiseClone();
        copy.Device = device;
        return copy;
    }

    /// <summary>Parses and validates provider options against the present devices.</summary>
    public static OpenVinoOptions Parse(IReadOnlyDictionary<string, string>? options, DeviceRegistry? devices = null)
    {
        devices ??= DeviceRegistry.Default;
        options ??= new Dictionary<string, string>();
        var o = new OpenVinoOptions { Raw = new Dictionary<string, string>(options, StringComparer.Ordinal) };
        foreach (var key in options.Keys)
            if (!ValidKeys.Contains(key))
                throw Error($"unknown OpenVINO provider option '{key}'{Suggest(key)}; valid options are: {string.Join(", ", ValidKeys)}");

        string? Get(string key) => options.TryGetValue(key, out var v) ? v : null;

        // Device and the precision the seed form carries.
        string deviceType = Get("device_type") ?? "CPU";
        o.Device = DeviceSelection.Parse(deviceType, devices);
        if (Get("device_id") is { } id) o.Device = o.Device.WithDeviceId(id, devices);
        if (Get("device_luid") is { } luid) o.Device = o.Device.WithDeviceLuid(luid, devices);
        InferencePrecision? fromDeviceType = o.Device.Precision;
        InferencePrecision? fromPrecision = null;
        if (Get("precision") is { } p)
            fromPrecision = p.Trim().ToUpperInvariant() switch
            {
                "FP32" => InferencePrecision.FP32,
                "FP16" => InferencePrecision.FP16,
                "BF16" => InferencePrecision.BF16,
                "ACCURACY" => InferencePrecision.ACCURACY,
                _ => throw Error($"option 'precision' has invalid value '{p}'; valid values are: FP32, FP16, BF16, ACCURACY"),
            };

        if (Get("num_of_threads") is { } t) o.NumThreads = PositiveInt("num_of_threads", t);
        if (Get("num_streams") is { } s) o.NumStreams = PositiveInt("num_streams", s);

        // Model cache: the current key, or the seed's switch + folder.
        bool useCompiled = Get("use_compiled_network") is { } uc && Bool("use_compiled_network", uc);
        string? blobPath = Get("blob_dump_path");
        string? cacheDir = Get("cache_dir");
        if (cacheDir is not null && cacheDir.Trim().Length == 0) cacheDir = null;
        if (blobPath is not null && !useCompiled && blobPath.Length > 0)
            o._notes.Add("blob_dump_path is set but use_compiled_network is not True; the seed enables the blob cache only with use_compiled_network=True, so no blobs are written");
        if (useCompiled)
        {
            string folder = string.IsNullOrWhiteSpace(blobPath)
                ? Path.Combine(AppContext.BaseDirectory, DefaultBlobFolder)
                : blobPath;
            if (cacheDir is not null && !SamePath(cacheDir, folder))
                throw Error($"options 'cache_dir' ('{cacheDir}') and 'use_compiled_network'+'blob_dump_path' ('{folder}') name different cache folders; set one of them");
            cacheDir = folder;
        }
        if (cacheDir is not null) ValidateFolder(cacheDir);
        o.CacheDir = cacheDir is null ? null : Path.GetFullPath(cacheDir);

        // Dynamic shapes: seed key (opt-in) and current key (opt-out) must agree when both are given.
        bool? enableDyn = Get("enable_dynamic_shapes") is { } ed ? Bool("enable_dynamic_shapes", ed) : null;
        bool? disableDyn = Get("disable_dynamic_shapes") is { } dd ? Bool("disable_dynamic_shapes", dd) : null;
        if (enableDyn is { } e1 && disableDyn is { } d1 && e1 == d1)
            throw Error($"options 'enable_dynamic_shapes'={Get("enable_dynamic_shapes")} and 'disable_dynamic_shapes'={Get("disable_dynamic_shapes")} contradict each other");
        o.DynamicShapes = enableDyn ?? !(disableDyn ?? false);

        if (Get("reshape_input") is { } ri) o.ReshapeInput = ParseReshapeInput(ri);
        if (Get("layout") is { } lay) o.Layout = ParseLayout(lay);

        if (Get("model_priority") is { } mp)
        {
            string v = mp.Trim().ToUpperInvariant();
            if (v is not ("LOW" or "MEDIUM" or "HIGH" or "DEFAULT"))
                throw Error($"option 'model_priority' has invalid value '{mp}'; valid values are: LOW, MEDIUM, HIGH, DEFAULT");
            o.ModelPriority = v;
        }
        if (Get("enable_qdq_optimizer") is { } q) o.EnableQdqOptimizer = Bool("enable_qdq_optimizer", q);
        if (Get("enable_causallm") is { } c) o.EnableCausalLm = Bool("enable_causallm", c);
        if (Get("enable_vpu_fast_compile") is { } vf)
        {
            o.EnableVpuFastCompile = Bool("enable_vpu_fast_compile", vf);
            if (o.EnableVpuFastCompile) o._notes.Add("enable_vpu_fast_compile applies to MYRIAD devices only; none is present, so it has no effect");
        }
        if (Get("enable_opencl_throttling") is { } ot)
        {
            o.EnableOpenClThrottling = Bool("enable_opencl_throttling", ot);
            if (o.EnableOpenClThrottling && !o.UsesGpu(devices))
                o._notes.Add("enable_opencl_throttling applies to GPU devices only; device_type selects none, so it has no effect");
        }
        if (Get("context") is { } ctx && ctx.Trim().Length > 0)
        {
            string h = ctx.Trim();
            bool hex = h.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
            if (!ulong.TryParse(hex ? h[2..] : h, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out ulong ptr) || ptr == 0)
                throw Error($"option 'context' has invalid value '{ctx}'; expected a non-null OpenCL cl_context address such as 0x123456ff");
            o.Context = ptr;
            if (!o.UsesGpu(devices))
                o._notes.Add("context (an OpenCL cl_context) applies to GPU devices only; device_type selects none, so it is not used");
        }

        // load_config: raw device properties; they must agree with the explicit keys.
        InferencePrecision? fromConfig = null;
        if (Get("load_config") is { } lc && lc.Trim().Length > 0)
        {
            o.LoadConfig = ParseLoadConfig(lc, o.Device, devices);
            foreach (var (dev, props) in o.LoadConfig)
            {
                if (!o.Device.Covers(dev)) continue;
                foreach (var (k, v) in props)
                    switch (k)
                    {
                        case "PERFORMANCE_HINT": o.Hint = Enum.Parse<PerformanceHint>(v); break;
                        case "INFERENCE_PRECISION_HINT":
                            fromConfig = v.ToLowerInvariant() switch { "f16" => InferencePrecision.FP16, "bf16" => InferencePrecision.BF16, _ => InferencePrecision.FP32 };
                            break;
                        case "EXECUTION_MODE_HINT" when v == "ACCURACY": fromConfig ??= InferencePrecision.ACCURACY; break;
                        case "NUM_STREAMS" when v != "AUTO":
                            int ns = int.Parse(v, CultureInfo.InvariantCulture);
                            if (o.NumStreams is { } given && given != ns)
                                throw Error($"num_streams={given} contradicts load_config {dev}.NUM_STREAMS={ns}");
                            o.NumStreams = ns;
                            break;
                        case "INFERENCE_NUM_THREADS":
                            int nt = int.Parse(v, CultureInfo.InvariantCulture);
                            if (o.NumThreads is { } gt && gt != nt)
                                throw Error($"num_of_threads={gt} contradicts load_config {dev}.INFERENCE_NUM_THREADS={nt}");
                            o.NumThreads = nt;
                            break;
                        case "CACHE_DIR":
                            if (o.CacheDir is not null && !SamePath(o.CacheDir, v))
                                throw Error($"cache folder '{o.CacheDir}' contradicts load_config {dev}.CACHE_DIR='{v}'");
                            ValidateFolder(v);
                            o.CacheDir = Path.GetFullPath(v);
                            break;
                        case "MODEL_PRIORITY": o.ModelPriority = v; break;
                    }
            }
        }

        // Precision: every source that states one must agree (never silently override the user).
        var stated = new List<(string Source, InferencePrecision Value)>();
        if (fromDeviceType is { } a) stated.Add(($"device_type={deviceType}", a));
        if (fromPrecision is { } b) stated.Add(($"precision={Get("precision")}", b));
        if (fromConfig is { } cfg) stated.Add(("load_config INFERENCE_PRECISION_HINT", cfg));
        for (int i = 1; i < stated.Count; i++)
            if (Canonical(stated[i].Value) != Canonical(stated[0].Value))
                throw Error($"precision conflict: {stated[0].Source} means {stated[0].Value} but {stated[i].Source} means {stated[i].Value}; state one precision");
        o.Precision = stated.Count > 0 ? stated[0].Value : InferencePrecision.FP32;
        foreach (var dev in o.Device.Devices)
            if (!devices.Find(dev)!.Precisions.Contains(Canonical(o.Precision).ToString()))
                throw Error($"device {dev} does not support precision {o.Precision}; it supports {string.Join(", ", devices.Find(dev)!.Precisions)}");
        return o;
    }

    private static InferencePrecision Canonical(InferencePrecision p) => p == InferencePrecision.ACCURACY ? InferencePrecision.FP32 : p;

    /// <summary>Number of parallel infer requests: num_streams, else the hint (THROUGHPUT: one per core), else 1.</summary>
    public int StreamCount => NumStreams ?? (Hint == PerformanceHint.LATENCY ? 1 : Math.Max(2, Environment.ProcessorCount / Math.Max(1, NumThreads ?? 1)));

    internal static OnnxRuntimeException Error(string message) => new(ErrorCode.InvalidArgument, "OpenVINO: " + message);

    private static string Suggest(string key)
    {
        string? best = null;
        int bestD = int.MaxValue;
        foreach (var k in ValidKeys)
        {
            int d = Levenshtein(key.ToLowerInvariant(), k);
            if (d < bestD) { bestD = d; best = k; }
        }
        return bestD <= 3 ? $" (did you mean '{best}'?)" : "";
    }

    private static int Levenshtein(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }

    /// <summary>True/False as ONNX Runtime spells them (any case).</summary>
    internal static bool Bool(string key, string value) => value.Trim().ToLowerInvariant() switch
    {
        "true" => true,
        "false" => false,
        _ => throw Error($"option '{key}' has invalid value '{value}'; valid values are: True, False"),
    };

    private static int PositiveInt(string key, string value)
    {
        if (!int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n <= 0)
            throw Error($"option '{key}' has invalid value '{value}'; expected a positive integer (1, 2, ...)");
        return n;
    }

    private static bool SamePath(string a, string b) =>
        string.Equals(Path.GetFullPath(a).TrimEnd('/', '\\'), Path.GetFullPath(b).TrimEnd('/', '\\'), StringComparison.Ordinal);

    private static void ValidateFolder(string path)
    {
        if (path.IndexOfAny(Path.GetInvalidPathChars()) >= 0 || path.Contains('\0'))
            throw Error($"cache folder '{path}' is not a valid path");
        if (File.Exists(path))
            throw Error($"cache folder '{path}' is a file, not a folder");
    }

    /// <summary>Parses <c>name[1,3,224,224]</c> or <c>name[1..8,3,100..300],other[1,16]</c>.</summary>
    public static Dictionary<string, DimBound[]> ParseReshapeInput(string text)
    {
        const string Expected = "expected NAME[d0,d1,...] entries separated by commas, each dim an integer N or a range MIN..MAX, e.g. 'input[1,3,224..448,224..448]'";
        var result = new Dictionary<string, DimBound[]>(StringComparer.Ordinal);
        foreach (var (name, body) in SplitBracketed("reshape_input", text, Expected))
        {
            var dims = new List<DimBound>();
            foreach (var raw in body.Split(','))
            {
                string d = raw.Trim();
                int dots = d.IndexOf("..", StringComparison.Ordinal);
                if (dots < 0)
                {
                    if (!long.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out long v) || v <= 0)
                        throw Error($"option 'reshape_input': dim '{d}' of '{name}' is not a positive integer; {Expected}");
                    dims.Add(new DimBound(v, v));
                }
                else
                {
                    string lo = d[..dots].Trim(), hi = d[(dots + 2)..].Trim();
                    if (!long.TryParse(lo, NumberStyles.None, CultureInfo.InvariantCulture, out long min) ||
                        !long.TryParse(hi, NumberStyles.None, CultureInfo.InvariantCulture, out long max) || min <= 0 || max < min)
                        throw Error($"option 'reshape_input': range '{d}' of '{name}' must be MIN..MAX with 0 < MIN <= MAX; {Expected}");
                    dims.Add(new DimBound(min, max));
                }
            }
            if (!result.TryAdd(name, dims.ToArray()))
                throw Error($"option 'reshape_input' names input '{name}' twice");
        }
        if (result.Count == 0) throw Error($"option 'reshape_input' is empty; {Expected}");
        return result;
    }

    /// <summary>Parses <c>input[NCHW],output[NC]</c>.</summary>
    public static Dictionary<string, string> ParseLayout(string text)
    {
        const string Expected = "expected NAME[LAYOUT] entries separated by commas, LAYOUT made of distinct letters or '?', e.g. 'image[NCHW],scores[NC]'";
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, body) in SplitBracketed("layout", text, Expected))
        {
            string l = body.Trim().ToUpperInvariant();
            if (l.Length == 0 || l.Any(ch => !(char.IsAsciiLetterUpper(ch) || ch == '?')) ||
                l.Where(ch => ch != '?').Distinct().Count() != l.Count(ch => ch != '?'))
                throw Error($"option 'layout': '{body}' for '{name}' is not a layout; {Expected}");
            if (!result.TryAdd(name, l)) throw Error($"option 'layout' names '{name}' twice");
        }
        if (result.Count == 0) throw Error($"option 'layout' is empty; {Expected}");
        return result;
    }

    private static IEnumerable<(string Name, string Body)> SplitBracketed(string key, string text, string expected)
    {
        int i = 0;
        var list = new List<(string, string)>();
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] == ',' || char.IsWhiteSpace(text[i]))) i++;
            if (i >= text.Length) break;
            int open = text.IndexOf('[', i);
            if (open < 0) throw Error($"option '{key}': '{text[i..]}' has no '['; {expected}");
            int close = text.IndexOf(']', open);
            if (close < 0) throw Error($"option '{key}': '{text[i..]}' has no closing ']'; {expected}");
            string name = text[i..open].Trim();
            if (name.Length == 0 || name.Contains(',')) throw Error($"option '{key}': missing or bad input name before '[' in '{text}'; {expected}");
            list.Add((name, text[(open + 1)..close]));
            i = close + 1;
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            if (i < text.Length && text[i] != ',') throw Error($"option '{key}': unexpected '{text[i..]}' after ']'; {expected}");
        }
        return list;
    }

    /// <summary>The device properties load_config accepts, with their valid values (null = any integer > 0).</summary>
    public static readonly IReadOnlyDictionary<string, string[]?> LoadConfigProperties = new Dictionary<string, string[]?>
    {
        ["PERFORMANCE_HINT"] = ["LATENCY", "THROUGHPUT", "CUMULATIVE_THROUGHPUT"],
        ["PERFORMANCE_HINT_NUM_REQUESTS"] = null,
        ["INFERENCE_PRECISION_HINT"] = ["f32", "f16", "bf16"],
        ["EXECUTION_MODE_HINT"] = ["PERFORMANCE", "ACCURACY"],
        ["NUM_STREAMS"] = null, // or AUTO
        ["INFERENCE_NUM_THREADS"] = null,
        ["CACHE_DIR"] = [],
        ["ENABLE_CPU_PINNING"] = ["YES", "NO", "TRUE", "FALSE"],
        ["ENABLE_HYPER_THREADING"] = ["YES", "NO", "TRUE", "FALSE"],
        ["SCHEDULING_CORE_TYPE"] = ["ANY_CORE", "PCORE_ONLY", "ECORE_ONLY"],
        ["MODEL_PRIORITY"] = ["LOW", "MEDIUM", "HIGH", "DEFAULT"],
        ["LOG_LEVEL"] = ["LOG_NONE", "LOG_ERROR", "LOG_WARNING", "LOG_INFO", "LOG_DEBUG", "LOG_TRACE"],
        ["DYNAMIC_QUANTIZATION_GROUP_SIZE"] = null,
        ["KV_CACHE_PRECISION"] = ["f32", "f16", "bf16", "u8"],
    };

    /// <summary>Parses load_config: inline JSON, or a path to a JSON file (as current ONNX Runtime takes it).</summary>
    public static Dictionary<string, IReadOnlyDictionary<string, string>> ParseLoadConfig(string value, DeviceSelection selection, DeviceRegistry devices)
    {
        string json = value.Trim();
        if (!json.StartsWith('{'))
        {
            if (!File.Exists(json))
                throw Error($"option 'load_config': '{value}' is neither inline JSON nor an existing JSON file");
            json = File.ReadAllText(json);
        }
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e) { throw Error($"option 'load_config' is not valid JSON: {e.Message}"); }
        using var _ = doc;
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
            throw Error("option 'load_config' must be a JSON object of device names, e.g. {\"CPU\": {\"PERFORMANCE_HINT\": \"THROUGHPUT\"}}");
        var result = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var dev in doc.RootElement.EnumerateObject())
        {
            if (!DeviceSelection.IsKnownDeviceName(dev.Name) && dev.Name is not ("AUTO" or "MULTI" or "HETERO"))
                throw Error($"option 'load_config': unknown device '{dev.Name}'; valid device names are: CPU, GPU, GPU.N, NPU, AUTO, MULTI, HETERO");
            if (dev.Value.ValueKind != JsonValueKind.Object)
                throw Error($"option 'load_config': the value of '{dev.Name}' must be an object of properties");
            var props = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in dev.Value.EnumerateObject())
            {
                if (!LoadConfigProperties.TryGetValue(p.Name, out var allowed))
                    throw Error($"option 'load_config': unknown property '{dev.Name}.{p.Name}'; valid properties are: {string.Join(", ", LoadConfigProperties.Keys)}");
                string v = p.Value.ValueKind switch
                {
                    JsonValueKind.String => p.Value.GetString()!,
                    JsonValueKind.Number => p.Value.GetRawText(),
                    JsonValueKind.True => "TRUE",
                    JsonValueKind.False => "FALSE",
                    _ => throw Error($"option 'load_config': '{dev.Name}.{p.Name}' must be a string or number"),
                };
                if (allowed is null)
                {
                    bool ok = int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ||
                              (p.Name == "NUM_STREAMS" && v.Equals("AUTO", StringComparison.OrdinalIgnoreCase)) ||
                              (p.Name == "DYNAMIC_QUANTIZATION_GROUP_SIZE" && v == "0");
                    if (!ok) throw Error($"option 'load_config': '{dev.Name}.{p.Name}' = '{v}' must be a positive integer{(p.Name == "NUM_STREAMS" ? " or AUTO" : "")}");
                    if (p.Name == "NUM_STREAMS") v = v.ToUpperInvariant();
                }
                else if (allowed.Length > 0)
                {
                    string? match = allowed.FirstOrDefault(a => a.Equals(v, StringComparison.OrdinalIgnoreCase));
                    v = match ?? throw Error($"option 'load_config': '{dev.Name}.{p.Name}' has invalid value '{v}'; valid values are: {string.Join(", ", allowed)}");
                }
                props[p.Name] = v;
            }
            result[dev.Name] = props;
        }
        return result;
    }
}

/// <summary>A fixed size (<c>Min == Max</c>) or bounds for one dim, from <c>reshape_input</c>.</summary>
public readonly record struct DimBound(long Min, long Max)
{
    /// <summary>True when the dim is fixed.</summary>
    public bool IsFixed => Min == Max;

    /// <inheritdoc/>
    public override string ToString() => IsFixed ? Min.ToString(CultureInfo.InvariantCulture) : $"{Min}..{Max}";
}
