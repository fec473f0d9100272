using System.Runtime.Intrinsics;

namespace Onyx.Kernels.Elementwise;

/// <summary>
/// Which vector widths the elementwise drivers may use: the hardware's, narrowed by the
/// <c>ONYX_ISA</c> environment variable (<c>scalar</c>, <c>v256</c>, <c>v512</c>) so one machine tests every path.
/// </summary>
public static class SimdIsa
{
    /// <summary>Vector512 paths allowed.</summary>
    public static readonly bool Use512;

    /// <summary>Vector256 paths allowed.</summary>
    public static readonly bool Use256;

    static SimdIsa()
    {
        string isa = (Environment.GetEnvironmentVariable("ONYX_ISA") ?? "").Trim().ToLowerInvariant();
        bool hw512 = Vector512.IsHardwareAccelerated, hw256 = Vector256.IsHardwareAccelerated;
        (Use512, Use256) = isa switch
        {
            "scalar" => (false, false),
            "v128" => (false, false),
            "v256" => (false, hw256),
            _ => (hw512, hw256),
        };
    }
}
