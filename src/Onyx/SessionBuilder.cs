using Onyx.Core.Execution;
using Onyx.Core.Ir;
using Onyx.Cpu;

namespace Onyx;

/// <summary>
/// Turns a loaded model into a runnable plan: graph optimization at the session's level,
/// partitioning among the requested providers (CPU takes what is left), kernel creation.
/// </summary>
internal static class SessionBuilder
{
    public sealed record Result(ExecutionPlan Plan, IReadOnlyList<string> ProviderNames);

    public static Result Build(Model model, SessionOptions options)
    {
        IKernelResolver resolver = CpuKernels.Registry;
        var names = new List<string>();
        foreach (var ep in options.ExecutionProviders)
        {
            switch (ep.Name)
            {
                case "CPU":
                    break;
                default:
                    throw new OnnxRuntimeException(ErrorCode.NotImplemented, $"execution provider '{ep.Name}' is not available yet");
            }
        }
        names.Add("CPU");
        var plan = new ExecutionPlan(model.Graph, resolver, model.DisplayName);
        return new Result(plan, names);
    }
}
