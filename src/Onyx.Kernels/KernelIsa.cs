using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Onyx.Kernels;

/// <summary>The instruction-set paths the hand-written kernels (GEMM, conv, pooling) come in.</summary>
public enum IsaPath
{
    /// <summary>Portable scalar code: the reference every vector path is tested against.</summary>
    Scalar = 0,
    /// <summary>AVX2 + FMA (Vector256).</summary>
    V256 = 1,
    /// <summary>AVX-512F (Vector512).</summary>
    V512 = 2,
}

/// <summary>
/// Picks the kernel path once per process: the best the CPU supports, or what the environment
/// variable <c>ONYX_ISA=scalar|v256|v512</c> forces (a forced path the CPU lacks falls back to the
/// best supported path below it, so tests can force every path on any machine).
/// </summary>
public static class KernelIsa
{
    /// <summary>The path kernels use unless a caller passes one explicitly.</summary>
    public static IsaPath Current { get; } = Select(Environment.GetEnvironmentVariable("ONYX_ISA"));

    /// <summary>The best path this CPU runs.</summary>
    public static IsaPath Best { get; } = Detect();

    /// <summary>True when <paramref name="path"/> can run on this CPU.</summary>
    public static bool IsSupported(IsaPath path) => EmulateAll || path <= Best;

    /// <summary>
    /// Tests only: treat every path as supported. .NET runs Vector512/Vector256 code in software
    /// where the hardware lacks it, so the AVX-512 kernels can be checked (slowly) on an AVX2 machine.
    /// </summary>
    internal static bool EmulateAll { get; set; }

    private static IsaPath Detect()
    {
        if (Avx512F.IsSupported && Vector512.IsHardwareAccelerated) return IsaPath.V512;
        if (Avx2.IsSupported && Fma.IsSupported && Vector256.IsHardwareAccelerated) return IsaPath.V256;
        return IsaPath.Scalar;
    }

    /// <summary>The path for an <c>ONYX_ISA</c> value (null or unknown = best).</summary>
    public static IsaPath Select(string? forced)
    {
        IsaPath best = Detect();
        IsaPath want = forced?.Trim().ToLowerInvariant() switch
        {
            "scalar" => IsaPath.Scalar,
            "v128" => IsaPath.Scalar, // no 128-bit GEMM path: scalar is the next one down
            "v256" or "avx2" => IsaPath.V256,
            "v512" or "avx512" => IsaPath.V512,
            _ => best,
        };
        return want <= best ? want : best;
    }
}
