namespace Onyx.Core.Execution;

/// <summary>Turns a node into a kernel: the CPU registry, or a provider's compiled-subgraph table.</summary>
public interface IKernelResolver
{
    /// <summary>A kernel for the node, or null with a reason when this resolver cannot run it.</summary>
    IKernel? TryCreate(KernelInfo info, out string? whyNot);
}
