using System.Diagnostics;
using Onyx.Core.Execution;
using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.OpenVino;

/// <summary>
/// One claimed subgraph compiled for a device: the optimized graph, its plan, a bounded LRU cache of
/// plans specialised per input shape, and the pool of infer requests (streams) that bounds how many
/// Run calls execute it at once. Thread-safe.
/// </summary>
public sealed class CompiledSubgraph : IDisposable
{
    private readonly IKernelResolver _kernels;
    private readonly Action<string>? _log;
    private readonly ExecutionPlan? _generic;
    private readonly OpenCl.GpuSubgraph? _gpu;
    private readonly bool _specialize;
    private readonly int _capacity;
    private readonly LinkedList<(string Key, ExecutionPlan Plan)> _lru = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, ExecutionPlan Plan)>> _byKey = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _requests;
    private readonly string _modelName;

    /// <summary>The claimed subgraph as partitioned.</summary>
    public ClaimedSubgraph Source { get; }

    /// <summary>The graph after the provider's passes.</summary>
    public Graph Optimized { get; }

    /// <summary>How this subgraph came to be: compiled now, or loaded from a cache blob.</summary>
    public string Origin { get; }

    /// <summary>The model-cache key, when it was computed.</summary>
    public string? Key { get; init; }

    /// <summary>Nodes removed by constant folding at compile time.</summary>
    public int FoldedNodes { get; }

    /// <summary>Weights stored in the lower precision.</summary>
    public IReadOnlyList<string> LoweredWeights { get; }

    /// <summary>Infer requests (parallel streams) of this subgraph.</summary>
    public int Streams { get; }

    /// <summary>Plans specialised on an input shape so far (misses of the shape cache).</summary>
    public int Specializations => _specializations;
    private int _specializations;

    /// <summary>Runs that found their shape's plan in the cache.</summary>
    public int CacheHits => _hits;
    private int _hits;

    /// <summary>Shape plans currently cached (at most <see cref="Capacity"/>).</summary>
    public int CachedPlans { get { lock (_gate) return _lru.Count; } }

    /// <summary>Bound of the shape-plan cache.</summary>
    public int Capacity => _capacity;

    /// <summary>Most Run calls seen inside this subgraph at once.</summary>
    public int PeakConcurrency => _peak;
    private int _peak, _active;

    internal CompiledSubgraph(ClaimedSubgraph source, Graph optimized, IKernelResolver kernels, OpenVinoOptions options,
        string origin, int folded, IReadOnlyList<string> lowered, string modelName, Action<string>? log)
    {
        Source = source;
        Optimized = optimized;
        Origin = origin;
        FoldedNodes = folded;
        LoweredWeights = lowered;
        _kernels = kernels;
        _log = log;
        _modelName = modelName;
        Streams = Math.Max(1, options.StreamCount * Math.Max(1, options.Device.Mode == DeviceMode.Multi ? options.Device.Devices.Count : 1));
        _requests = new SemaphoreSlim(Streams, Streams);
        // num_of_threads is the provider's total; streams share the cores. One stream without
        // num_of_threads computes on the session's intra-op pool.
        int total = options.NumThreads ?? (Streams > 1 ? Environment.ProcessorCount : 0);
        ThreadsPerRequest = total == 0 ? 0 : Math.Max(1, total / Streams);
        for (int i = 0; i < Streams; i++)
            _free.Enqueue(new InferRequest(ThreadsPerRequest > 0 ? new Onyx.Kernels.Threading.IntraOpPool(ThreadsPerRequest, allowSpinning: false) : null));
        _generic = new ExecutionPlan(optimized, kernels, modelName);
        _specialize = Optimizer.IsShapeSpecializable(optimized);
        _capacity = options.DynamicShapes ? 16 : 1;
    }

    /// <summary>
    /// A subgraph compiled for a GPU.N device: its nodes become OpenCL kernels (<see cref="OpenCl.GpuSubgraph"/>);
    /// tensors stay in device memory between them and cross to the host only at the subgraph's boundary.
    /// </summary>
    internal CompiledSubgraph(ClaimedSubgraph source, OpenCl.GpuSubgraph gpu, OpenVinoOptions options, string modelName, string? origin = null)
    {
        Source = source;
        Optimized = source.Graph;
        Origin = origin ?? "compiled for " + source.Device;
        LoweredWeights = gpu.Precision == OpenCl.GpuPrecision.FP16 ? ["(all float weights: FP16 storage on the device)"] : [];
        _kernels = null!;
        _modelName = modelName;
        _gpu = gpu;
        Streams = 1; // the device runs one subgraph at a time (its queue is in order); requests wait on it
        _requests = new SemaphoreSlim(1, 1);
        _capacity = 0;
    }

    /// <summary>The GPU program of a subgraph compiled for a GPU.N device; null on the CPU device.</summary>
    public OpenCl.GpuSubgraph? Gpu => _gpu;

    /// <summary>
    /// True when this subgraph is the whole model: inputs given as OpenCL buffers are then answered with
    /// OpenCL-buffer outputs (the IO buffer optimisation: no host copy either way).
    /// </summary>
    public bool WholeModel { get; init; }

    /// <summary>Threads each infer request computes with (its own intra-op pool), or 0 to use the session's pool.</summary>
    public int ThreadsPerRequest { get; }

    /// <summary>Runs the subgraph on one infer request of the pool (waits while all are busy).</summary>
    public OnnxValue?[] Run(IReadOnlyList<OnnxValue?> inputs, RunContext run)
    {
        _requests.Wait(run.Cancellation);
        _free.TryDequeue(out var request);
        int now = Interlocked.Increment(ref _active);
        int peak;
        while (now > (peak = Volatile.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, peak) != peak) { }
        try
        {
            if (_gpu is not null) return RunGpu(inputs);
            var ctx = request?.Pool is { } pool
                ? new RunContext { Cancellation = run.Cancellation, Tag = run.Tag, IntraOpPool = pool, Pool = run.Pool, Observer = run.Observer }
                : run;
            return PlanFor(inputs).Run(inputs, null, ctx);
        }
        finally
        {
            Interlocked.Decrement(ref _active);
            if (request is not null) _free.Enqueue(request);
            _requests.Release();
        }
    }

    private OnnxValue?[] RunGpu(IReadOnlyList<OnnxValue?> inputs)
    {
        var values = new OnnxValue[inputs.Count];
        bool deviceInputs = false;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = inputs[i] ?? throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"{_modelName}: {Source.Name}: input '{Source.Inputs[i]}' is missing");
            deviceInputs |= values[i] is OpenCl.OpenClBuffer;
        }
        return _gpu!.Run(values, deviceOutputs: WholeModel && deviceInputs);
    }

    /// <summary>One infer request: a stream with its own intra-op pool (null: the session's).</summary>
    private sealed class InferRequest(Onyx.Kernels.Threading.IntraOpPool? pool)
    {
        public Onyx.Kernels.Threading.IntraOpPool? Pool { get; } = pool;
    }

    private readonly System.Collections.Concurrent.ConcurrentQueue<InferRequest> _free = new();

    /// <summary>Stops the infer requests' worker threads.</summary>
    public void Dispose()
    {
        while (_free.TryDequeue(out var r)) r.Pool?.Dispose();
        _gpu?.Dispose();
    }

    private ExecutionPlan PlanFor(IReadOnlyList<OnnxValue?> inputs)
    {
        if (!_specialize) return _generic!;
        var shapes = new int[]?[inputs.Count];
        var key = new System.Text.StringBuilder();
        for (int i = 0; i < inputs.Count; i++)
        {
            if (inputs[i] is Tensor t)
            {
                shapes[i] = t.Shape;
                key.Append(string.Join("x", t.Shape));
            }
            key.Append(';');
        }
        string k = key.ToString();
        lock (_gate)
        {
            if (_byKey.TryGetValue(k, out var hit))
            {
                _lru.Remove(hit);
                _lru.AddFirst(hit);
                Interlocked.Increment(ref _hits);
                return hit.Value.Plan;
            }
        }
        var sw = Stopwatch.StartNew();
        var (graph, folded) = Optimizer.Specialize(Optimized, shapes, _kernels, _log);
        var plan = new ExecutionPlan(graph, _kernels, _modelName);
        Interlocked.Increment(ref _specializations);
        _log?.Invoke($"{Source.Name}: specialised for input shapes {k} ({folded} nodes folded, {sw.Elapsed.TotalMilliseconds:0.0} ms)");
        lock (_gate)
        {
            if (_byKey.TryGetValue(k, out var raced)) return raced.Value.Plan;
            var node = _lru.AddFirst((k, plan));
            _byKey[k] = node;
            while (_lru.Count > _capacity)
            {
                var last = _lru.Last!;
                _lru.RemoveLast();
                _byKey.Remove(last.Value.Key);
            }
        }
        return plan;
    }
}

/// <summary>The kernel of a fused node: runs its compiled subgraph.</summary>
internal sealed class FusedSubgraphKernel(CompiledSubgraph compiled) : IKernel
{
    public CompiledSubgraph Compiled => compiled;

    public void Execute(KernelContext context)
    {
        var inputs = new OnnxValue?[context.InputCount];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = context.InputValue(i);
        var outputs = compiled.Run(inputs, context.Run);
        for (int i = 0; i < outputs.Length; i++) context.SetOutput(i, outputs[i]);
    }
}

/// <summary>Fused nodes first (by op type), then the CPU registry.</summary>
public sealed class CompositeResolver(IReadOnlyDictionary<string, CompiledSubgraph> fused, IKernelResolver fallback,
    IReadOnlyDictionary<string, DimBound[]>? bounds = null) : IKernelResolver
{
    /// <inheritdoc/>
    public IKernel? TryCreate(KernelInfo info, out string? whyNot)
    {
        if (info.Node.Domain == Partitioner.FusedDomain)
        {
            if (info.Node.OpType == ReshapeGuardKernel.OpType && bounds is not null)
            {
                whyNot = null;
                return new ReshapeGuardKernel(bounds);
            }
            if (fused.TryGetValue(info.Node.OpType, out var c))
            {
                whyNot = null;
                return new FusedSubgraphKernel(c);
            }
            whyNot = $"no compiled subgraph named {info.Node.OpType}";
            return null;
        }
        return fallback.TryCreate(info, out whyNot);
    }
}
