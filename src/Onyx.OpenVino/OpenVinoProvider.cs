using Google.Protobuf;
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

    /// <summary>MULTI with a GPU: the kernel that dispatches infer requests over the devices (null otherwise).</summary>
    public MultiDeviceKernel? Multi { get; init; }

    /// <summary>True when the whole model is one GPU subgraph: OpenCL-buffer inputs are read in place and answered with OpenCL-buffer outputs.</summary>
    public bool DeviceIo { get; init; }
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

    /// <summary>This provider narrowed to one device selection (same options otherwise).</summary>
    internal OpenVinoProvider With(DeviceSelection device) => new(Options.WithDevice(device), _log, Devices);

    internal void Log(LogLevel level, string message) => _log(level, message);

    private OpenVinoProvider(OpenVinoOptions options, Action<LogLevel, string> log, DeviceRegistry devices)
    {
        Devices = devices;
        Options = options;
        _log = log;
    }

    /// <summary>The partition the provider would make (for `onyx inspect`), reshape_input applied; compiles nothing.
    /// AUTO shows the device it picks; MULTI shows the partition of its first device (each device gets its own).</summary>
    public PartitionResult Inspect(Graph graph, KernelRegistry kernels, string modelName = "model")
    {
        var g = Strip(ApplyReshape(graph, modelName));
        // Sessions infer types before partitioning; so does inspect, or the GPU would claim nodes on untyped (int) values.
        try { Core.Inference.ShapeInference.Infer(g); }
        catch (Exception) { }
        var selection = Options.Device.Mode switch
        {
            DeviceMode.Auto => ResolveAuto(g, kernels, modelName),
            DeviceMode.Multi => Options.Device.Single(Options.Device.Devices[0]),
            _ => Options.Device,
        };
        return Partitioner.Partition(g, kernels, selection, modelName, Devices);
    }

    /// <summary>Ops that carry a model's arithmetic: AUTO puts a model on a GPU only when the GPU claims all of them.</summary>
    public static readonly IReadOnlySet<string> ComputeOps = new HashSet<string>(StringComparer.Ordinal) { "Conv", "ConvTranspose", "MatMul", "Gemm" };

    /// <summary>
    /// AUTO's rule: the first GPU candidate (in the list's order) that claims every Conv/ConvTranspose/MatMul/Gemm
    /// of the model (and the model has at least one); otherwise the CPU when listed; otherwise the first candidate.
    /// </summary>
    internal DeviceSelection ResolveAuto(Graph graph, KernelRegistry kernels, string modelName)
    {
        var sel = Options.Device;
        if (sel.Candidates.Count == 0) return sel.Single(sel.Devices[0]);
        foreach (var id in sel.Candidates)
        {
            var info = Devices.Find(id)!;
            if (!info.IsGpu) return sel.Single(id, $"AUTO selected {id} ({info.Name})");
            var compute = graph.Nodes.Where(n => n.Domain.Length == 0 && ComputeOps.Contains(n.OpType)).ToList();
            var p = Partitioner.Partition(graph, kernels, sel.Single(id), modelName, Devices);
            var claimed = new HashSet<Node>(p.Subgraphs.SelectMany(x => x.Nodes), ReferenceEqualityComparer.Instance);
            if (compute.Count > 0 && compute.All(claimed.Contains))
                return sel.Single(id, $"AUTO selected {id} ({info.Name}): it claims all {compute.Count} compute nodes of {modelName}");
            _log(LogLevel.Info, $"OpenVINO: AUTO: {id} claims {compute.Count(claimed.Contains)}/{compute.Count} compute nodes of {modelName}; trying the next device");
        }
        return sel.Single(sel.Candidates[0]);
    }

    /// <summary>Partitions and compiles <paramref name="graph"/>.</summary>
    /// <param name="graph">The model's main graph (not modified).</param>
    /// <param name="kernels">The CPU kernels compiled subgraphs run on.</param>
    /// <param name="disableCpuFallback">session.disable_cpu_ep_fallback: refuse instead of falling back.</param>
    /// <param name="modelName">Names the model in messages.</param>
    /// <param name="sessionConfig">Session config entries (ep.context_enable, ep.context_file_path, ep.context_embed_mode).</param>
    /// <param name="modelPath">Where the model was loaded from (EPContext paths are relative to it).</param>
    public CompiledModel Compile(Graph graph, KernelRegistry kernels, bool disableCpuFallback, string modelName = "model",
        IReadOnlyDictionary<string, string>? sessionConfig = null, string? modelPath = null)
    {
        if (Options.Device.Mode == DeviceMode.Auto)
        {
            var chosen = ResolveAuto(Strip(ApplyReshape(graph, modelName)), kernels, modelName);
            _log(LogLevel.Info, "OpenVINO: " + chosen.Notes[^1]);
            return With(chosen).Compile(graph, kernels, disableCpuFallback, modelName, sessionConfig, modelPath);
        }
        if (Options.Device.Mode == DeviceMode.Multi && Options.Device.Devices.Count > 1 && Options.Device.Devices.Any(id => Devices.Find(id)!.IsGpu))
            return MultiDevice.Compile(this, graph, kernels, disableCpuFallback, modelName, sessionConfig, modelPath);
        var sw = Stopwatch.StartNew();
        var device = Devices.Find(Options.Device.Devices[0])!;
        var g = ApplyReshape(graph, modelName);
        var fromContext = LoadEpContext(ref g, kernels, modelName, modelPath, disableCpuFallback);
        var partition = Partitioner.Partition(Strip(g), kernels, Options.Device, modelName, Devices);
        if (disableCpuFallback && partition.Refused.Count > 0)
            throw new OnnxRuntimeException(ErrorCode.EpFail,
                $"{modelName}: session.disable_cpu_ep_fallback is set but the OpenVINO provider cannot run {partition.Refused.Count} node(s): " +
                string.Join("; ", partition.Refused.Take(10).Select(r => $"{r.Node.Describe()}: {r.Reason}")) +
                (partition.Refused.Count > 10 ? $"; and {partition.Refused.Count - 10} more" : ""));
        var cache = Options.CacheDir is null ? null : new BlobCache(Options.CacheDir);
        var compiled = new Dictionary<string, CompiledSubgraph>(StringComparer.Ordinal);
        var list = new List<CompiledSubgraph>();
        foreach (var c in fromContext)
        {
            compiled[c.Source.Name] = c;
            list.Add(c);
        }
        bool wholeModel = partition.Subgraphs.Count == 1 && partition.Refused.Count == 0 && fromContext.Count == 0;
        foreach (var sub in partition.Subgraphs)
        {
            var subDevice = Devices.Find(sub.Device)!;
            var c = subDevice.IsGpu
                ? CompileGpu(sub, subDevice, kernels, cache, g, modelName, disableCpuFallback, wholeModel)
                : CompileOne(sub, kernels, cache, subDevice, g, modelName);
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
        if (sessionConfig is not null && sessionConfig.TryGetValue("ep.context_enable", out var enable) && enable.Trim() == "1")
            ExportEpContext(fused, graph, list, device, sessionConfig, modelName, modelPath);
        _log(LogLevel.Info, $"OpenVINO: {modelName}: {partition.ClaimedCount}/{partition.NodeCount} nodes in {partition.Subgraphs.Count} subgraph(s) on " +
            $"{string.Join(", ", partition.Subgraphs.Select(x => x.Device).Distinct().DefaultIfEmpty(Options.Device.ToString()))}, " +
            $"{partition.Refused.Count} on CPU; compiled in {sw.Elapsed.TotalMilliseconds:0.0} ms");
        return new CompiledModel
        {
            Graph = fused,
            Resolver = new CompositeResolver(compiled, kernels, Options.ReshapeInput),
            Partition = partition,
            Subgraphs = list,
            CompileTime = sw.Elapsed,
            DeviceIo = list.Count == 1 && list[0].WholeModel,
        };
    }

    /// <summary>
    /// Compiles a subgraph for a GPU.N device. When the device cannot build it (an attribute combination
    /// its kernels lack), the subgraph runs on the CPU device instead, unless CPU fallback is disabled.
    /// </summary>
    private CompiledSubgraph CompileGpu(ClaimedSubgraph sub, DeviceInfo device, KernelRegistry kernels, BlobCache? cache, Graph parent,
        string modelName, bool disableCpuFallback, bool wholeModel, OpenCl.GpuPrecision? fromBlob = null)
    {
        var sw = Stopwatch.StartNew();
        var precision = fromBlob ?? (Options.Precision == InferencePrecision.FP16 ? OpenCl.GpuPrecision.FP16 : OpenCl.GpuPrecision.FP32);
        try
        {
            var cl = GpuDevices.Open(device, Options.Context, Options.CacheDir);
            var gpu = OpenCl.GpuSubgraph.Compile(cl, sub.Nodes, sub.Graph.Initializers, sub.Inputs, sub.Outputs, precision);
            gpu.Throttle = Options.EnableOpenClThrottling;
            _log(LogLevel.Info, $"OpenVINO: {sub.Name}: compiled {sub.Nodes.Count} nodes for {device.Id} ({device.Name}) as {gpu.OpCount} OpenCL kernels " +
                $"in {precision}{(precision == OpenCl.GpuPrecision.FP16 ? (gpu.HalfArithmetic ? " (half arithmetic)" : " (half storage, float arithmetic)") : "")}" +
                $"{(Options.Context is { } c ? $", in the application's cl_context 0x{c:x}" : "")} in {sw.Elapsed.TotalMilliseconds:0.0} ms");
            return new CompiledSubgraph(sub, gpu, Options, modelName, fromBlob is null ? null : "epcontext") { WholeModel = wholeModel };
        }
        catch (OnnxRuntimeException e) when (!disableCpuFallback && e.ErrorCode is ErrorCode.NotImplemented or ErrorCode.InvalidArgument)
        {
            _log(LogLevel.Warning, $"OpenVINO: {sub.Name}: {device.Id} cannot build it ({e.Message}); it runs on the CPU device");
            var cpuSub = new ClaimedSubgraph { Index = sub.Index, Label = sub.Label, Device = "CPU", Nodes = sub.Nodes, Inputs = sub.Inputs, Outputs = sub.Outputs, Graph = sub.Graph };
            return CompileOne(cpuSub, kernels, cache, Devices.Find("CPU")!, parent, modelName);
        }
    }

    /// <summary>The EPContext node contract (ONNX Runtime's com.microsoft.EPContext).</summary>
    public const string EpContextDomain = "com.microsoft";

    /// <summary>The source attribute value of the EPContext nodes this provider writes and reads.</summary>
    public const string EpContextSource = "OpenVINOExecutionProvider";

    /// <summary>
    /// Replaces EPContext nodes of this provider by fused nodes whose compiled subgraph comes from the embedded (or
    /// referenced) blob. A blob records the device it was compiled for: a CPU blob must match this CPU; a GPU.N blob is
    /// compiled to OpenCL kernels on that GPU when it is present, else it runs on the CPU device (logged; refused when
    /// CPU fallback is disabled).
    /// </summary>
    private List<CompiledSubgraph> LoadEpContext(ref Graph g, KernelRegistry kernels, string modelName, string? modelPath, bool disableCpuFallback)
    {
        var result = new List<CompiledSubgraph>();
        if (!g.Nodes.Any(n => n.Domain == EpContextDomain && n.OpType == "EPContext")) return result;
        var copy = Optimizer.Copy(g);
        for (int i = 0; i < copy.Nodes.Count; i++)
        {
            var node = copy.Nodes[i];
            if (node.Domain != EpContextDomain || node.OpType != "EPContext") continue;
            string source = node.Attributes.GetString("source", EpContextSource);
            if (source is not (EpContextSource or Name))
                throw new OnnxRuntimeException(ErrorCode.EpFail, $"{modelName}: {node.Describe()} was written by '{source}', not by the OpenVINO provider");
            long embed = node.Attributes.GetInt("embed_mode", 1);
            var context = node.Attributes.Get("ep_cache_context")?.Bytes
                ?? throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"{modelName}: {node.Describe()} has no ep_cache_context");
            byte[] bytes = context;
            if (embed == 0)
            {
                string rel = System.Text.Encoding.UTF8.GetString(context);
                string full = Path.IsPathRooted(rel) ? rel : Path.Combine(Path.GetDirectoryName(modelPath ?? ".") ?? ".", rel);
                if (!File.Exists(full))
                    throw new OnnxRuntimeException(ErrorCode.NoSuchFile, $"{modelName}: {node.Describe()} refers to blob '{full}', which does not exist");
                bytes = File.ReadAllBytes(full);
            }
            var cpu = Devices.Find("CPU")!;
            var blob = BlobCache.Parse(bytes, null, null, out string? problem);
            if (blob is { GpuPrecision: null } && blob.Fingerprint != cpu.Fingerprint)
            {
                problem = $"compiled for another device ({blob.Fingerprint})";
                blob = null;
            }
            if (blob is null)
                throw new OnnxRuntimeException(ErrorCode.EpFail,
                    $"{modelName}: {node.Describe()}: its compiled blob cannot be used ({problem}); export the EPContext model again from the original model");
            string label = $"OpenVINO_EPContext_{result.Count + 1}";
            var gpu = blob.GpuPrecision is null ? null : Devices.Find(blob.DeviceId) is { IsGpu: true } d ? d : null;
            var claimed = new ClaimedSubgraph
            {
                Index = result.Count,
                Label = label,
                Device = gpu?.Id ?? "CPU",
                Nodes = gpu is null ? [node] : blob.Graph.Nodes,
                Inputs = node.Inputs.Where(x => x.Length > 0).ToList(),
                Outputs = node.Outputs.Where(x => x.Length > 0).ToList(),
                Graph = blob.Graph,
            };
            if (gpu is not null)
            {
                result.Add(CompileGpu(claimed, gpu, kernels, null, g, modelName, disableCpuFallback, wholeModel: false, blob.GpuPrecision));
                _log(LogLevel.Info, $"OpenVINO: {node.Describe()}: compiled for {blob.DeviceId} ({blob.GpuPrecision}); reloaded onto {gpu.Id} ({gpu.Name})" +
                    (gpu.Fingerprint == blob.Fingerprint ? "" : $", whose driver or runtime differs from the exporting one ({blob.Fingerprint})"));
            }
            else
            {
                if (blob.GpuPrecision is not null)
                {
                    string why = $"{node.Describe()}: compiled for {blob.DeviceId} ({blob.Fingerprint}), which is not present here " +
                        $"(GPU devices: {string.Join(", ", Devices.Devices.Where(x => x.IsGpu).Select(x => x.Id).DefaultIfEmpty("none"))})";
                    if (disableCpuFallback)
                        throw new OnnxRuntimeException(ErrorCode.EpFail, $"{modelName}: {why}, and session.disable_cpu_ep_fallback is set");
                    _log(LogLevel.Warning, $"OpenVINO: {why}; it runs on the CPU device");
                }
                result.Add(new CompiledSubgraph(claimed, blob.Graph, kernels, Options, "epcontext", blob.Folded, blob.Lowered, modelName, Verbose));
                _log(LogLevel.Info, $"OpenVINO: {node.Describe()}: loaded its compiled subgraph without compiling");
            }
            copy.Nodes[i] = new Node(label, claimed.Inputs, claimed.Outputs, name: node.Name, domain: Partitioner.FusedDomain);
        }
        g = copy;
        return result;
    }

    /// <summary>Writes the EPContext model: CPU nodes as they are, each compiled subgraph as one EPContext node.</summary>
    private void ExportEpContext(Graph fused, Graph original, List<CompiledSubgraph> compiled, DeviceInfo device,
        IReadOnlyDictionary<string, string> config, string modelName, string? modelPath)
    {
        string path = config.TryGetValue("ep.context_file_path", out var p) && p.Trim().Length > 0 ? p.Trim()
            : modelPath is not null ? Path.Combine(Path.GetDirectoryName(modelPath)!, Path.GetFileNameWithoutExtension(modelPath) + "_ctx.onnx")
            : throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"{modelName}: ep.context_enable needs ep.context_file_path when the model was not loaded from a file");
        string embedText = config.TryGetValue("ep.context_embed_mode", out var em) ? em.Trim() : "1";
        if (embedText is not ("0" or "1"))
            throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"ep.context_embed_mode must be 0 or 1, got '{embedText}'");
        bool embed = embedText == "1";
        var byName = compiled.ToDictionary(c => c.Source.Name, StringComparer.Ordinal);
        var export = Optimizer.Copy(fused, []);
        export.Opsets = new Dictionary<string, int>(fused.Opsets, StringComparer.Ordinal) { [EpContextDomain] = 1 };
        export.Inputs.Clear();
        export.Inputs.AddRange(original.Inputs);
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(folder);
        foreach (var node in fused.Nodes)
        {
            if (node.Domain != Partitioner.FusedDomain) { export.Nodes.Add(node); continue; }
            if (!byName.TryGetValue(node.OpType, out var c)) continue; // the reshape guard
            // Each blob records the device its subgraph was compiled for (a GPU.N subgraph reloads onto that GPU).
            var subDevice = Devices.Find(c.Source.Device) ?? device;
            string key = c.Key ?? BlobCache.Key(c.Source.Graph, Options, subDevice);
            byte[] blob = BlobCache.Serialize(key, subDevice, c.Optimized, c.LoweredWeights, c.FoldedNodes, Options.Precision, c.Gpu?.Precision);
            byte[] context = blob;
            if (!embed)
            {
                string file = $"{Path.GetFileNameWithoutExtension(path)}_{c.Source.Name}.blob";
                File.WriteAllBytes(Path.Combine(folder, file), blob);
                context = System.Text.Encoding.UTF8.GetBytes(file);
            }
            var attrs = new NodeAttributes();
            attrs.Set(new Core.Ir.Attribute { Name = "main_context", Kind = AttributeKind.Int, Int = 1 });
            attrs.Set(new Core.Ir.Attribute { Name = "embed_mode", Kind = AttributeKind.Int, Int = embed ? 1 : 0 });
            attrs.Set(new Core.Ir.Attribute { Name = "ep_cache_context", Kind = AttributeKind.String, Bytes = context });
            attrs.Set(new Core.Ir.Attribute { Name = "ep_sdk_version", Kind = AttributeKind.String, Bytes = System.Text.Encoding.UTF8.GetBytes(BlobCache.OnyxVersion) });
            attrs.Set(new Core.Ir.Attribute { Name = "partition_name", Kind = AttributeKind.String, Bytes = System.Text.Encoding.UTF8.GetBytes(c.Source.Name) });
            attrs.Set(new Core.Ir.Attribute { Name = "source", Kind = AttributeKind.String, Bytes = System.Text.Encoding.UTF8.GetBytes(EpContextSource) });
            export.Nodes.Add(new Node("EPContext", node.Inputs, node.Outputs, name: c.Source.Name, domain: EpContextDomain, attributes: attrs));
        }
        Optimizer.RemoveUnusedInitializers(export);
        File.WriteAllBytes(path, GraphSerializer.ToModel(export).ToByteArray());
        _log(LogLevel.Info, $"OpenVINO: wrote EPContext model {path} ({compiled.Count} compiled subgraph(s), {(embed ? "embedded" : "blob files beside it")})");
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
                    var loaded = new CompiledSubgraph(sub, blob.Graph, kernels, Options, "cache", blob.Folded, blob.Lowered, modelName, Verbose) { Key = key };
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

        // Compile: the graph optimizer at the provider's level (on private copies of the nodes), static shapes
        // fixed up front (model or reshape_input) specialised now, constants folded, weights lowered.
        var graph = Optimizer.CloneNodes(sub.Graph);
        int before = graph.Nodes.Count;
        var passes = QdqOptimizer.For(Options).Optimize(graph, Core.Optimizer.OptimizationLevel.All, kernels, modelName);
        int folded;
        var inputShapes = graph.Inputs.Select(v => FixedShape(v, parent)).ToList();
        if (inputShapes.All(s => s is not null) && Optimizer.IsShapeSpecializable(graph))
            (graph, folded) = Optimizer.Specialize(graph, inputShapes, kernels, Verbose);
        else
            (graph, folded) = Optimizer.FoldConstants(graph, kernels, Verbose);
        folded = Math.Max(folded, before - graph.Nodes.Count);
        if (passes.Count > 0) Verbose($"{sub.Name}: optimizer passes {string.Join(", ", passes)}");
        graph = Optimizer.Copy(graph);
        var lowered = Optimizer.LowerPrecision(graph, Options.Precision, m => _log(LogLevel.Warning, $"OpenVINO: {sub.Name}: {m}"));
        var result = new CompiledSubgraph(sub, graph, kernels, Options, "compiled", folded, lowered, modelName, Verbose) { Key = key };
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
