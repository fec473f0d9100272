using System.Diagnostics;
using Onyx.Core.Execution;
using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.OpenVino;

/// <summary>Log severity, as SessionOptions.LogSeverityLevel numbers it.</summary>
public enum LogLevel
{
    /// <summary>Everything.</summary>
    Verbose = 0,
    /// <summary>What the provider did.</summary>
    Info = 1,
    /// <summary>Something the user should know (dropped devices, rejected blobs).</summary>
    Warning = 2,
    /// <summary>Failures.</summary>
    Error = 3,
}

/// <summary>The result of applying the provider to a model.</summary>
public sealed class CompiledModel
{
    /// <summary>The graph to run: claimed subgraphs replaced by fused nodes.</summary>
    public required Graph Graph { get; init; }

    /// <summary>Fused nodes first, then the CPU kernels.</summary>
    public required IKernelResolver Resolver { get; init; }

    /// <summary>The partition.</summary>
    public required PartitionResult Partition { get; init; }

    /// <summary>Compiled subgraphs, by fused op type.</summary>
    public required IReadOnlyList<CompiledSubgraph> Subgraphs { get; init; }

    /// <summary>Time spent partitioning and compiling.</summary>
    public TimeSpan CompileTime { get; init; }
}

/// <summary>
/// The OpenVINO execution provider (Onyx's C# implementation of its contract): validates options,
/// picks devices, partitions a model into claimed subgraphs and CPU fallback, and compiles each
/// claimed subgraph (optimizer, precision, static plan), through the model cache when enabled.
/// </summary>
public sealed class OpenVinoProvider
{
    /// <summary>The provider name sessions report.</summary>
    public const string Name = "OpenVINO";

    private readonly Action<LogLevel, string> _log;

    /// <summary>Validated options.</summary>
    public OpenVinoOptions Options { get; }

    /// <summary>The device registry it was created against.</summary>
    public DeviceRegistry Devices { get; }

    /// <summary>Creates the provider; throws <see cref="OnnxRuntimeException"/> for a bad option or absent device.</summary>
    public OpenVinoProvider(IReadOnlyDictionary<string, string>? options, Action<LogLevel, string>? log = null, DeviceRegistry? devices = null)
    {
        Devices = devices ?? DeviceRegistry.Default;
        Options = OpenVinoOptions.Parse(options, Devices);
        _log = log ?? ((_, _) => { });
        foreach (var note in Options.Device.Notes) _log(LogLevel.Warning, "OpenVINO: " + note);
        foreach (var note in Options.Notes) _log(LogLevel.Warning, "OpenVINO: " + note);
    }

    /// <summary>Applies reshape_input to the graph's declared input shapes (a copy); validates names, ranks and fixed dims.</summary>
    public Graph ApplyReshape(Graph graph, string modelName)
    {
        if (Options.ReshapeInput.Count == 0) return graph;
        var g = Optimizer.Copy(graph);
        foreach (var (name, bounds) in Options.ReshapeInput)
        {
            int i = g.Inputs.FindIndex(v => v.Name == name);
            if (i < 0)
                throw OpenVinoOptions.Error($"option 'reshape_input' names '{name}', which is not an input of {modelName}; its inputs are: {string.Join(", ", graph.Inputs.Select(v => v.Name))}");
            if (g.Inputs[i].Type is not TensorTypeInfo tt)
                throw OpenVinoOptions.Error($"option 'reshape_input': input '{name}' of {modelName} is not a tensor");
            if (tt.Shape is { } shape)
            {
                if (shape.Length != bounds.Length)
                    throw OpenVinoOptions.Error($"option 'reshape_input': '{name}' has rank {shape.Length} ({tt}) but {bounds.Length} dims were given");
                for (int d = 0; d < shape.Length; d++)
                    if (shape[d].Value is { } fixedDim && (fixedDim < bounds[d].Min || fixedDim > bounds[d].Max))
                        throw OpenVinoOptions.Error($"option 'reshape_input': dim {d} of '{name}' is fixed to {fixedDim} by the model, outside {bounds[d]}");
            }
            var dims = bounds.Select((b, d) => b.IsFixed ? Dim.Fixed(b.Min) : (tt.Shape?[d] ?? Dim.Named($"{name}_{d}"))).ToArray();
            g.Inputs[i] = g.Inputs[i] with { Type = new TensorTypeInfo(tt.ElementType, dims) };
        }
        // A guard node checks every bounded input before anything runs.
        g.Nodes.Insert(0, new Node(ReshapeGuardKernel.OpType, Options.ReshapeInput.Keys, [], name: "reshape_input_guard", domain: Partitioner.FusedDomain));
        return g;
    }

    /// <summary>The partition the provider would make (for `onyx inspect`), reshape_input applied; compiles nothing.</summary>
    public PartitionResult Inspect(Graph graph, KernelRegistry kernels, string modelName = "model") =>
        Partitioner.Partition(Strip(ApplyReshape(graph, modelName)), kernels, Options.Device, modelName);

    /// <summary>Partitions and compiles <paramref name="graph"/>.</summary>
    public CompiledModel Compile(Graph graph, KernelRegistry kernels, bool disableCpuFallback, string modelName = "model")
    {
        var sw = Stopwatch.StartNew();
        var g = ApplyReshape(graph, modelName);
        var partition = Partitioner.Partition(Strip(g), kernels, Options.Device, modelName);
        if (disableCpuFallback && partition.Refused.Count > 0)
            throw new OnnxRuntimeException(ErrorCode.EpFail,
                $"{modelName}: session.disable_cpu_ep_fallback is set but the OpenVINO provider cannot run {partition.Refused.Count} node(s): " +
                string.Join("; ", partition.Refused.Take(10).Select(r => $"{r.Node.Describe()}: {r.Reason}")) +
                (partition.Refused.Count > 10 ? $"; and {partition.Refused.Count - 10} more" : ""));
        var cache = Options.CacheDir is null ? null : new BlobCache(Options.CacheDir);
        var device = Devices.Find(Options.Device.Devices[0])!;
        var compiled = new Dictionary<string, CompiledSubgraph>(StringComparer.Ordinal);
        var list = new List<CompiledSubgraph>();
        foreach (var sub in partition.Subgraphs)
        {
            var c = CompileOne(sub, kernels, cache, device, g, modelName);
            compiled[sub.Name] = c;
            list.Add(c);
        }
        var fused = Partitioner.Fuse(partition);
        if (g.Nodes.Count > 0 && g.Nodes[0].OpType == ReshapeGuardKernel.OpType)
        {
            fused.Nodes.Insert(0, g.Nodes[0]);
            fused.Inputs.Clear();
            fused.Inputs.AddRange(g.Inputs);
        }
        _log(LogLevel.Info, $"OpenVINO: {modelName}: {partition.ClaimedCount}/{partition.NodeCount} nodes in {partition.Subgraphs.Count} subgraph(s) on {Options.Device}, " +
            $"{partition.Refused.Count} on CPU; compiled in {sw.Elapsed.TotalMilliseconds:0.0} ms");
        return new CompiledModel
        {
            Graph = fused,
            Resolver = new CompositeResolver(compiled, kernels, Options.ReshapeInput),
            Partition = partition,
            Subgraphs = list,
            CompileTime = sw.Elapsed,
        };
    }

    /// <summary>The graph without the reshape guard (the partitioner never sees it).</summary>
    private static Graph Strip(Graph g) =>
        g.Nodes.Count > 0 && g.Nodes[0].OpType == ReshapeGuardKernel.OpType ? Optimizer.Copy(g, g.Nodes.Skip(1)) : g;

    private CompiledSubgraph CompileOne(ClaimedSubgraph sub, KernelRegistry kernels, BlobCache? cache, DeviceInfo device, Graph parent, string modelName)
    {
        var sw = Stopwatch.StartNew();
        string? key = null;
        if (cache is not null)
        {
            try
            {
                key = BlobCache.Key(sub.Graph, Options, device);
                var blob = cache.TryLoad(key, device, out string? problem);
                if (blob is not null)
                {
                    var loaded = new CompiledSubgraph(sub, blob.Graph, kernels, Options, "cache", blob.Folded, blob.Lowered, modelName, Verbose);
                    _log(LogLevel.Info, $"OpenVINO: {sub.Name}: loaded from cache blob {cache.PathFor(key)} in {sw.Elapsed.TotalMilliseconds:0.0} ms");
                    return loaded;
                }
                if (problem is not null)
                    _log(LogLevel.Warning, $"OpenVINO: {sub.Name}: cache blob {cache.PathFor(key)} rejected ({problem}); recompiling and rewriting it");
            }
            catch (NotSupportedException e)
            {
                _log(LogLevel.Warning, $"OpenVINO: {sub.Name}: not cacheable ({e.Message})");
                key = null;
            }
        }

        // Compile: static shapes fixed up front (model or reshape_input) specialise now; fold constants; lower weights.
        var graph = sub.Graph;
        int folded;
        var inputShapes = graph.Inputs.Select(v => FixedShape(v, parent)).ToList();
        if (inputShapes.All(s => s is not null) && Optimizer.IsShapeSpecializable(graph))
            (graph, folded) = Optimizer.Specialize(graph, inputShapes, kernels, Verbose);
        else
            (graph, folded) = Optimizer.FoldConstants(graph, kernels, Verbose);
        if (ReferenceEquals(graph, sub.Graph)) graph = Optimizer.Copy(graph);
        var lowered = Optimizer.LowerPrecision(graph, Options.Precision, m => _log(LogLevel.Warning, $"OpenVINO: {sub.Name}: {m}"));
        var result = new CompiledSubgraph(sub, graph, kernels, Options, "compiled", folded, lowered, modelName, Verbose);
        _log(LogLevel.Info, $"OpenVINO: {sub.Name}: compiled {sub.Nodes.Count} nodes ({folded} folded, {lowered.Count} weights in {Options.Precision}) in {sw.Elapsed.TotalMilliseconds:0.0} ms");
        if (cache is not null && key is not null)
        {
            try
            {
                cache.Save(key, device, graph, lowered, folded, Options.Precision);
                _log(LogLevel.Info, $"OpenVINO: {sub.Name}: wrote cache blob {cache.PathFor(key)}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
            {
                _log(LogLevel.Warning, $"OpenVINO: {sub.Name}: could not write cache blob to {cache.Folder}: {e.Message}");
            }
        }
        return result;
    }

    /// <summary>The fixed shape of a subgraph input when it is a graph input whose every dim is fixed (checked at Run).</summary>
    private static int[]? FixedShape(ValueInfo v, Graph parent)
    {
        var declared = parent.Inputs.FirstOrDefault(i => i.Name == v.Name);
        if (declared?.Type is not TensorTypeInfo { Shape: { } shape } || parent.Initializers.ContainsKey(v.Name)) return null;
        if (shape.Any(d => d.Value is null)) return null;
        return shape.Select(d => checked((int)d.Value!.Value)).ToArray();
    }

    private void Verbose(string message) => _log(LogLevel.Verbose, "OpenVINO: " + message);
}

/// <summary>Checks inputs against reshape_input before the model runs.</summary>
internal sealed class ReshapeGuardKernel(IReadOnlyDictionary<string, DimBound[]> bounds) : IKernel
{
    public const string OpType = "ReshapeInputGuard";

    public void Execute(KernelContext context)
    {
        for (int i = 0; i < context.InputCount; i++)
        {
            string name = context.Node.Inputs[i];
            if (context.InputValue(i) is not Tensor t || !bounds.TryGetValue(name, out var b)) continue;
            bool ok = t.Rank == b.Length;
            for (int d = 0; ok && d < b.Length; d++) ok = t.Shape[d] >= b[d].Min && t.Shape[d] <= b[d].Max;
            if (!ok)
                throw new OnnxRuntimeException(ErrorCode.InvalidArgument,
                    $"input '{name}' has shape {t.ShapeString}, outside reshape_input {name}[{string.Join(",", b)}]");
        }
    }
}
