using Onyx.Core.Diagnostics;
using Onyx.Core.Execution;
using Onyx.Core.Ir;
using Onyx.Onnx;
using Onyx.Tensors;

namespace Onyx;

/// <summary>
/// A loaded, optimized, partitioned model ready to run, named as in ONNX Runtime's C# API.
/// <see cref="Run(IReadOnlyCollection{NamedOnnxValue})"/> and its overloads are thread-safe:
/// any number of threads may run one session at once.
/// </summary>
public sealed class InferenceSession : IDisposable
{
    private readonly Model _model;
    private readonly ExecutionPlan _plan;
    private readonly Dictionary<string, int> _inputIndex;
    private readonly Dictionary<string, int> _outputIndex;
    private readonly PoolStarter _poolStarter;
    private readonly BufferPool _arena = new();
    private readonly int[] _requiredInputs;
    private RunContext? _defaultRun;

    /// <summary>The common Run's context (no run options, no profiling): one immutable instance, made by the first Run.</summary>
    private RunContext DefaultRun => _defaultRun ??= new RunContext { IntraOpPool = _poolStarter.Pool, Pool = _arena };
    private readonly bool _readsInputsInPlace;

    /// <summary>Loads a model file with default options.</summary>
    public InferenceSession(string modelPath) : this(modelPath, new SessionOptions()) { }

    /// <summary>Loads a model file.</summary>
    public InferenceSession(string modelPath, SessionOptions options) : this(Parse(() => OnnxModelLoader.Load(modelPath)), options) { }

    /// <summary>Loads a model from bytes with default options.</summary>
    public InferenceSession(byte[] model) : this(model, new SessionOptions()) { }

    /// <summary>Loads a model from bytes.</summary>
    public InferenceSession(byte[] model, SessionOptions options) : this(Parse(() => OnnxModelLoader.Load(model)), options) { }

    /// <summary>Parses the model: the first phase of a profiled load (ONYX_PROFILE_LOAD=1).</summary>
    private static Model Parse(Func<Model> load)
    {
        WarmUpKernelRegistry();
        var profile = LoadProfile.Begin();
        // The weights' memory-pressure batch opens here and closes at the end of the constructor this
        // parse feeds, so that a load reports its native memory once: each report of a few MB makes the
        // GC run a blocking gen-2 collection (~10 ms each on ppocr-det), and parse and plan reported apart.
        var pressure = NativeBuffer.BatchMemoryPressure();
        try
        {
            var start = LoadProfile.Start();
            var model = load();
            LoadProfile.Record("parse", start);
            t_parseBatchOpen = true;
            return model;
        }
        catch
        {
            pressure.Dispose();
            profile?.Abandon();
            throw;
        }
    }

    /// <summary>True between a <see cref="Parse"/> that opened a pressure batch and the constructor that closes it.</summary>
    [ThreadStatic] private static bool t_parseBatchOpen;

    private static int s_registryRequested;

    /// <summary>
    /// The first session in a process builds the CPU kernel registry (one reflection pass over the
    /// kernel classes: 11-23 ms measured). Started on a pool thread while the model parses, it is
    /// usually ready when the optimizer first asks for it; if not, that call waits for it.
    /// </summary>
    private static void WarmUpKernelRegistry()
    {
        if (Interlocked.Exchange(ref s_registryRequested, 1) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(static _ => _ = Cpu.CpuKernels.Registry, null);
    }

    internal InferenceSession(Model model, SessionOptions options)
    {
        var profile = LoadProfile.Current ?? LoadProfile.Begin();
        // Folded constants and prepacked weights: one memory-pressure report for the whole load.
        // Nested in the parse's batch when there was one (see Parse): closing that one reports the load.
        bool parseBatch = t_parseBatchOpen;
        t_parseBatchOpen = false;
        var pressure = NativeBuffer.BatchMemoryPressure();
        PoolStarter? poolStarter = null;
        try
        {
            _model = model;
            Options = options;
            // Before IR version 4 every initializer had to be listed among the graph inputs as well, so
            // such a listing does not make it a caller-overridable input. ONNX Runtime treats those
            // initializers as constants (Graph::CanOverrideInitializer is ir_version >= 4), which lets
            // kernels prepack them and the optimizer fold them; do the same. IrVersion 0 means unknown
            // (a model built in memory), where the listing is taken at its word.
            if (model.IrVersion is > 0 and < 4)
                model.Graph.Inputs.RemoveAll(v => model.Graph.Initializers.ContainsKey(v.Name));
            // One pool per session: the calling thread plus IntraOpNumThreads - 1 workers (default: one per core),
            // started on a .NET pool thread while this one loads; the first Run takes it (see PoolStarter).
            _poolStarter = poolStarter = new PoolStarter(options.IntraOpNumThreads > 0 ? options.IntraOpNumThreads : Environment.ProcessorCount);
            var phase = LoadProfile.Start();
            _ = Cpu.CpuKernels.Registry; // built once per process, see WarmUpKernelRegistry
            LoadProfile.Record("kernel registry (wait)", phase);
            // The session-level optimizer runs for the CPU provider; the OpenVINO provider optimizes the
            // subgraphs it claims itself (as the seed recommends), so the graph reaches it as written.
            // Static shape inference before optimization: fills in intermediate and output types; only a
            // definite contradiction (OnnxRuntimeException) fails the session, anything else is ignored.
            phase = LoadProfile.Start();
            try { Core.Inference.ShapeInference.Infer(model.Graph); }
            catch (OnnxRuntimeException) { throw; }
            catch (Exception) { }
            LoadProfile.Record("shape inference", phase);
            var inferredOutputTypes = model.Graph.Outputs
                .Where(v => v.Type is null or TensorTypeInfo { Shape: null } && model.Graph.ValueInfos.TryGetValue(v.Name, out var vi) && vi.Type is not null)
                .ToDictionary(v => v.Name, v => model.Graph.ValueInfos[v.Name].Type);
            if (!options.ExecutionProviders.Any(p => p.Name == "OpenVINO"))
                AppliedPasses = new Core.Optimizer.GraphOptimizer().Optimize(model.Graph,
                    (Core.Optimizer.OptimizationLevel)(int)options.GraphOptimizationLevel, Cpu.CpuKernels.Registry, model.DisplayName);
            phase = LoadProfile.Start();
            var providers = SessionBuilder.Build(model, options);
            LoadProfile.Record("plan (kernels, prepacking)", phase);
            _plan = providers.Plan;
            ProviderNames = providers.ProviderNames;
            phase = LoadProfile.Start();
            var initializerNames = model.Graph.Initializers.Keys.ToHashSet();
            // Graph inputs that are also initializers are optional overrides; ONNX Runtime lists only the true inputs.
            var inputs = model.Graph.Inputs.Where(v => !initializerNames.Contains(v.Name)).ToList();
            InputMetadata = inputs.ToDictionary(v => v.Name, v => new NodeMetadata(v.Name, v.Type));
            InputNames = inputs.Select(v => v.Name).ToList();
            OverridableInitializerMetadata = model.Graph.Inputs.Where(v => initializerNames.Contains(v.Name))
                .ToDictionary(v => v.Name, v => new NodeMetadata(v.Name, v.Type));
            OutputMetadata = model.Graph.Outputs.ToDictionary(v => v.Name, v => new NodeMetadata(v.Name, inferredOutputTypes.GetValueOrDefault(v.Name) ?? v.Type));
            OutputNames = model.Graph.Outputs.Select(v => v.Name).ToList();
            ModelMetadata = new ModelMetadata(model);
            // Loops, not LINQ through (name, index) tuples: that generic code has no ReadyToRun image and
            // was JIT-compiled in every process's first load.
            _inputIndex = IndexByName(model.Graph.Inputs);
            _outputIndex = IndexByName(model.Graph.Outputs);
            _requiredInputs = new int[InputNames.Count];
            for (int i = 0; i < _requiredInputs.Length; i++) _requiredInputs[i] = _inputIndex[InputNames[i]];
            _readsInputsInPlace = ProviderNames.All(p => p == "CPU");
            LoadProfile.Record("session metadata", phase);
            phase = LoadProfile.Start();
            pressure.Dispose(); // may make the GC collect: timed, and inside the profiled load
            if (parseBatch) pressure.Dispose(); // batches carry no state: this closes the parse's, the outer one
            LoadProfile.Record("memory pressure report", phase);
        }
        catch
        {
            pressure.Dispose();
            if (parseBatch) pressure.Dispose();
            poolStarter?.Dispose();
            profile?.Abandon();
            throw;
        }
        profile?.End(model.DisplayName);
    }

    /// <summary>Each value's position in <paramref name="values"/>; a repeated name throws, as ToDictionary did.</summary>
    private static Dictionary<string, int> IndexByName(List<ValueInfo> values)
    {
        var index = new Dictionary<string, int>(values.Count);
        for (int i = 0; i < values.Count; i++) index.Add(values[i].Name, i);
        return index;
    }

    /// <summary>The options the session was created with.</summary>
    public SessionOptions Options { get; }

    /// <summary>Inputs the caller must (or may) feed, by name.</summary>
    public IReadOnlyDictionary<string, NodeMetadata> InputMetadata { get; }

    /// <summary>Input names in model order.</summary>
    public IReadOnlyList<string> InputNames { get; }

    /// <summary>Initializers that are also graph inputs: feeding one overrides the constant.</summary>
    public IReadOnlyDictionary<string, NodeMetadata> OverridableInitializerMetadata { get; }

    /// <summary>Outputs, by name.</summary>
    public IReadOnlyDictionary<string, NodeMetadata> OutputMetadata { get; }

    /// <summary>Output names in model order.</summary>
    public IReadOnlyList<string> OutputNames { get; }

    /// <summary>Descriptive metadata from the model file.</summary>
    public ModelMetadata ModelMetadata { get; }

    /// <summary>Providers that run part of this model, in priority order (ending with "CPU").</summary>
    public IReadOnlyList<string> ProviderNames { get; }

    internal Model Model => _model;

    /// <summary>Names of the optimizer passes that changed the graph (in order applied).</summary>
    internal IReadOnlyList<string> AppliedPasses { get; } = [];
    internal ExecutionPlan Plan => _plan;

    /// <summary>Runs the model and returns every output.</summary>
    public IDisposableReadOnlyCollection<DisposableNamedOnnxValue> Run(IReadOnlyCollection<NamedOnnxValue> inputs) =>
        Run(inputs, OutputNames);

    /// <summary>Runs the model and returns the named outputs.</summary>
    public IDisposableReadOnlyCollection<DisposableNamedOnnxValue> Run(IReadOnlyCollection<NamedOnnxValue> inputs, IReadOnlyCollection<string> outputNames) =>
        Run(inputs, outputNames, null);

    /// <summary>Runs the model with run options and returns the named outputs.</summary>
    public IDisposableReadOnlyCollection<DisposableNamedOnnxValue> Run(IReadOnlyCollection<NamedOnnxValue> inputs, IReadOnlyCollection<string> outputNames, RunOptions? options)
    {
        var feeds = new List<(string, OnnxValue)>(inputs.Count);
        // CPU kernels read DenseTensor inputs in place (pinned for the Run); another provider may keep
        // an input past the Run, so it gets a copy.
        using var pins = _readsInputsInPlace ? new InputPins() : null;
        foreach (var i in inputs) feeds.Add((i.Name, i.ToOnnxValue(pins)));
        var results = RunCore(feeds, outputNames, options);
        var named = new List<DisposableNamedOnnxValue>(results.Length);
        int k = 0;
        foreach (var n in outputNames)
        {
            var value = results[k++];
            named.Add(new DisposableNamedOnnxValue(n, pins is null ? value : pins.Detach(value)));
        }
        return new DisposableList<DisposableNamedOnnxValue>(named);
    }

    /// <summary>Runs the model on <see cref="OrtValue"/> inputs and returns the named outputs as values.</summary>
    public IDisposableReadOnlyCollection<OrtValue> Run(RunOptions? runOptions, IReadOnlyCollection<string> inputNames,
        IReadOnlyCollection<OrtValue> inputValues, IReadOnlyCollection<string> outputNames)
    {
        if (inputNames.Count != inputValues.Count)
            throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"{inputNames.Count} input names but {inputValues.Count} input values");
        var feeds = new List<(string, OnnxValue)>(inputNames.Count);
        using (var values = inputValues.GetEnumerator())
            foreach (var n in inputNames)
            {
                values.MoveNext();
                feeds.Add((n, values.Current.Value));
            }
        var results = RunCore(feeds, outputNames, runOptions);
        var list = new List<OrtValue>(results.Length);
        foreach (var v in results) list.Add(new OrtValue(v));
        return new DisposableList<OrtValue>(list);
    }

    /// <summary>Runs with Onyx values; validates names, types and fixed dimensions first.</summary>
    internal OnnxValue[] RunCore(IReadOnlyList<(string Name, OnnxValue Value)> feeds, IReadOnlyCollection<string> outputNames, RunOptions? options,
        IStepObserver? observer = null)
    {
        var graph = _model.Graph;
        var inputs = new OnnxValue?[graph.Inputs.Count];
        for (int f = 0; f < feeds.Count; f++)
        {
            var (name, value) = feeds[f];
            if (!_inputIndex.TryGetValue(name, out int i))
                throw new OnnxRuntimeException(ErrorCode.InvalidArgument,
                    $"{_model.DisplayName}: invalid input name '{name}'; the model's inputs are: {string.Join(", ", InputNames)}");
            InputValidator.Check(_model.DisplayName, graph.Inputs[i], value);
            // An OpenCL buffer stays on the device only when the whole model is one GPU subgraph; else one host copy.
            inputs[i] = value is OpenCl.OpenClBuffer b && SessionBuilder.StateOf(_plan)?.Compiled.DeviceIo != true ? b.ToHost() : value;
        }
        foreach (int i in _requiredInputs)
            if (inputs[i] is null)
                throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"{_model.DisplayName}: missing input '{graph.Inputs[i].Name}' ({graph.Inputs[i].Type})");
        var result = new OnnxValue[outputNames.Count];
        Span<int> wanted = result.Length <= 64 ? stackalloc int[result.Length] : new int[result.Length];
        int k = 0;
        foreach (var name in outputNames)
        {
            if (!_outputIndex.TryGetValue(name, out int o))
                throw new OnnxRuntimeException(ErrorCode.InvalidArgument,
                    $"{_model.DisplayName}: invalid output name '{name}'; the model's outputs are: {string.Join(", ", OutputNames)}");
            wanted[k++] = o;
        }
        // The common Run (no run options, no profiling) shares one immutable context.
        var run = options is null && observer is null ? DefaultRun
            : new RunContext { Cancellation = options?.Token ?? default, Tag = options?.LogId ?? "", IntraOpPool = _poolStarter.Pool, Pool = _arena, Observer = observer };
        OnnxValue?[] all;
        try
        {
            all = _plan.Run(inputs, null, run);
        }
        catch (OperationCanceledException)
        {
            throw new OnnxRuntimeException(ErrorCode.Fail, $"{_model.DisplayName}: run terminated by RunOptions.Terminate");
        }
        for (int i = 0; i < result.Length; i++)
            result[i] = all[wanted[i]] ?? throw new OnnxRuntimeException(ErrorCode.EngineError,
                $"{_model.DisplayName}: output '{graph.Outputs[wanted[i]].Name}' was not produced");
        return result;
    }

    /// <summary>Releases the session's threads. Outputs already returned stay valid.</summary>
    public void Dispose()
    {
        _poolStarter.Dispose();
        _arena.Dispose();
        GC.SuppressFinalize(this);
    }
}
