using System.Runtime.CompilerServices;
using Onyx.Core.Execution;
using Onyx.Core.Ir;
using Onyx.Cpu;
using Onyx.OpenVino;

namespace Onyx;

/// <summary>
/// Turns a loaded model into a runnable plan: graph optimization at the session's level,
/// partitioning among the requested providers (CPU takes what is left), kernel creation.
/// Providers are tried in the order they were appended; the OpenVINO provider claims maximal
/// supported subgraphs and replaces each by one fused node whose kernel runs its compiled model.
/// </summary>
internal static class SessionBuilder
{
    public sealed record Result(ExecutionPlan Plan, IReadOnlyList<string> ProviderNames);

    /// <summary>What the OpenVINO provider did for one session (tests and diagnostics).</summary>
    public sealed record ProviderState(CompiledModel Compiled, IReadOnlyList<string> Log);

    private static readonly ConditionalWeakTable<ExecutionPlan, ProviderState> s_states = new();

    /// <summary>The session config key that turns CPU fallback into an error.</summary>
    public const string DisableCpuFallbackKey = "session.disable_cpu_ep_fallback";

    /// <summary>The OpenVINO provider state of a session's plan, if the provider was used.</summary>
    public static ProviderState? StateOf(ExecutionPlan plan) => s_states.TryGetValue(plan, out var s) ? s : null;

    public static Result Build(Model model, SessionOptions options)
    {
        KernelRegistry cpu = CpuKernels.Registry;
        var names = new List<string>();
        var graph = model.Graph;
        IKernelResolver resolver = cpu;
        ProviderState? state = null;
        bool cpuReached = false;
        bool disableFallback = options.ConfigEntries.TryGetValue(DisableCpuFallbackKey, out var v) && v.Trim() == "1";
        foreach (var ep in options.ExecutionProviders)
        {
            switch (ep.Name)
            {
                case "CPU":
                    cpuReached = true;
                    break;
                case OpenVinoProvider.Name:
                    if (state is not null)
                        throw new OnnxRuntimeException(ErrorCode.InvalidArgument, "the OpenVINO execution provider was appended twice");
                    var log = new List<string>();
                    var provider = new OpenVinoProvider(ep.Options, Logger(options, log));
                    if (cpuReached)
                    {
                        log.Add("OpenVINO: the CPU provider was appended before OpenVINO and claims every node; OpenVINO runs nothing");
                        names.Add(OpenVinoProvider.Name);
                        break;
                    }
                    var compiled = provider.Compile(graph, cpu, disableFallback, model.DisplayName, options.ConfigEntries, model.Path);
                    graph = compiled.Graph;
                    resolver = compiled.Resolver;
                    state = new ProviderState(compiled, log);
                    names.Add(OpenVinoProvider.Name);
                    break;
                default:
                    throw new OnnxRuntimeException(ErrorCode.NotImplemented, $"execution provider '{ep.Name}' is not available yet");
            }
        }
        names.Add("CPU");
        var plan = new ExecutionPlan(graph, resolver, model.DisplayName);
        if (state is not null) s_states.AddOrUpdate(plan, state);
        return new Result(plan, names);
    }

    /// <summary>The OpenVINO partition of a model under these options, without compiling (for `onyx inspect`).</summary>
    public static PartitionResult? Inspect(Model model, SessionOptions options, out OpenVinoOptions? providerOptions)
    {
        providerOptions = null;
        foreach (var ep in options.ExecutionProviders)
            if (ep.Name == OpenVinoProvider.Name)
            {
                var provider = new OpenVinoProvider(ep.Options, Logger(options, null));
                providerOptions = provider.Options;
                return provider.Inspect(model.Graph, CpuKernels.Registry, model.DisplayName);
            }
        return null;
    }

    /// <summary>Provider messages at or above the session's log severity go to stderr; all are kept in <paramref name="sink"/>.</summary>
    private static Action<LogLevel, string> Logger(SessionOptions options, List<string>? sink) => (level, message) =>
    {
        lock (sink ?? (object)options)
            sink?.Add($"[{level}] {message}");
        if ((int)level >= options.LogSeverityLevel)
            Console.Error.WriteLine($"{(options.LogId.Length > 0 ? options.LogId + " " : "")}[{level}] {message}");
    };
}
