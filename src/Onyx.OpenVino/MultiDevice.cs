using Onyx.Core.Execution;
using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.OpenVino;

/// <summary>
/// MULTI:a,b with a GPU among the devices: the model is compiled once per device (each with its own
/// partition and CPU fallback) and the session's graph becomes one node whose kernel hands each infer
/// request (Run call) to a device that is free, trying them in list order; when all are busy it waits for
/// the next one in turn. Concurrent Run calls therefore execute on the GPU and the CPU at the same time.
/// </summary>
internal static class MultiDevice
{
    public const string OpType = "OpenVINO_MULTI";

    public static CompiledModel Compile(OpenVinoProvider provider, Graph graph, KernelRegistry kernels, bool disableCpuFallback, string modelName,
        IReadOnlyDictionary<string, string>? sessionConfig, string? modelPath)
    {
        var sel = provider.Options.Device;
        var names = new HashSet<string>(graph.Inputs.Select(v => v.Name).Concat(graph.Initializers.Keys), StringComparer.Ordinal);
        if (graph.Outputs.Any(o => names.Contains(o.Name)) || (sessionConfig?.GetValueOrDefault("ep.context_enable")?.Trim() == "1"))
        {
            // An output that is an input (or an EPContext export) cannot sit behind one dispatching node: use the first device.
            provider.Log(LogLevel.Warning, $"OpenVINO: MULTI: {modelName} runs on {sel.Devices[0]} only (an output is a graph input, or an EPContext export was requested)");
            return provider.With(sel.Single(sel.Devices[0])).Compile(graph, kernels, disableCpuFallback, modelName, sessionConfig, modelPath);
        }
        var perDevice = new List<(string Id, CompiledModel Model)>();
        foreach (var id in sel.Devices)
            perDevice.Add((id, provider.With(sel.Single(id)).Compile(graph, kernels, disableCpuFallback, modelName, sessionConfig, modelPath)));
        var kernel = new MultiDeviceKernel(perDevice.Select(d => (d.Id, new ExecutionPlan(d.Model.Graph, d.Model.Resolver, modelName), provider.Options.StreamCount)).ToList());
        var fused = new Graph { Name = graph.Name, Opsets = graph.Opsets, Parent = graph.Parent };
        fused.Inputs.AddRange(graph.Inputs);
        fused.Outputs.AddRange(graph.Outputs);
        foreach (var (k, v) in graph.Initializers) fused.Initializers[k] = v;
        foreach (var (k, v) in graph.ValueInfos) fused.ValueInfos[k] = v;
        fused.Nodes.Add(new Node(OpType, graph.Inputs.Select(v => v.Name).ToList(), graph.Outputs.Select(v => v.Name).ToList(), name: OpType, domain: Partitioner.FusedDomain));
        provider.Log(LogLevel.Info, $"OpenVINO: MULTI: {modelName} compiled for {string.Join(", ", sel.Devices)}; infer requests go to the first free device");
        return new CompiledModel
        {
            Graph = fused,
            Resolver = new Resolver(kernel, kernels),
            Partition = perDevice[0].Model.Partition,
            Subgraphs = perDevice.SelectMany(d => d.Model.Subgraphs).ToList(),
            CompileTime = TimeSpan.FromTicks(perDevice.Sum(d => d.Model.CompileTime.Ticks)),
            Multi = kernel,
        };
    }

    private sealed class Resolver(MultiDeviceKernel kernel, IKernelResolver fallback) : IKernelResolver
    {
        public IKernel? TryCreate(KernelInfo info, out string? whyNot)
        {
            if (info.Node.Domain == Partitioner.FusedDomain && info.Node.OpType == OpType)
            {
                whyNot = null;
                return kernel;
            }
            return fallback.TryCreate(info, out whyNot);
        }
    }
}

/// <summary>The dispatching kernel of a MULTI model: one compiled plan per device, each with a bounded number of requests in flight.</summary>
public sealed class MultiDeviceKernel : IKernel
{
    private readonly (string Id, ExecutionPlan Plan, SemaphoreSlim Slots)[] _devices;
    private readonly long[] _runs;
    private int _next;

    internal MultiDeviceKernel(IReadOnlyList<(string Id, ExecutionPlan Plan, int Streams)> devices)
    {
        _devices = devices.Select(d => (d.Id, d.Plan, new SemaphoreSlim(Math.Max(1, d.Streams)))).ToArray();
        _runs = new long[_devices.Length];
    }

    /// <summary>The devices, in priority order.</summary>
    public IReadOnlyList<string> Devices => _devices.Select(d => d.Id).ToArray();

    /// <summary>Infer requests each device has run so far.</summary>
    public IReadOnlyList<long> Runs => _runs.Select(r => Interlocked.Read(ref r)).ToArray();

    /// <inheritdoc/>
    public void Execute(KernelContext context)
    {
        int d = -1;
        for (int i = 0; i < _devices.Length && d < 0; i++)
            if (_devices[i].Slots.Wait(0)) d = i;
        if (d < 0)
        {
            d = (int)((uint)Interlocked.Increment(ref _next) % (uint)_devices.Length);
            _devices[d].Slots.Wait(context.Run.Cancellation);
        }
        try
        {
            var inputs = new OnnxValue?[context.InputCount];
            for (int i = 0; i < inputs.Length; i++) inputs[i] = context.InputValue(i);
            var outputs = _devices[d].Plan.Run(inputs, null, context.Run);
            Interlocked.Increment(ref _runs[d]);
            for (int i = 0; i < outputs.Length; i++) context.SetOutput(i, outputs[i]);
        }
        finally
        {
            _devices[d].Slots.Release();
        }
    }
}
