using System.Runtime.Intrinsics;

namespace Onyx.Kernels.Elementwise;

/// <summary>
/// Which vector widths the elementwise drivers may use: <see cref="KernelIsa.Current"/> (so
/// <c>ONYX_ISA=scalar|v256|v512</c> forces a path here too), and only where the width is hardware accelerated.
/// </summary>
public static class SimdIsa
{
    /// <summary>Vector512 paths allowed.</summary>
    public static readonly bool Use512 = KernelIsa.Current >= IsaPath.V512 && Vector512.IsHardwareAccelerated;

    /// <summary>Vector256 paths allowed.</summary>
    public static readonly bool Use256 = KernelIsa.Current >= IsaPath.V256 && Vector256.IsHardwareAccelerated;
}
