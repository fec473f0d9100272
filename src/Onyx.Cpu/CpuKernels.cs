using Onyx.Core.Execution;

namespace Onyx.Cpu;

/// <summary>The CPU execution provider's kernels: every class in this assembly with [OnnxKernel].</summary>
public static class CpuKernels
{
    private static readonly Lazy<KernelRegistry> s_registry = new(() => KernelRegistry.FromAssemblies(typeof(CpuKernels).Assembly));

    /// <summary>The registry, built once per process.</summary>
    public static KernelRegistry Registry => s_registry.Value;
}
