using System.Runtime.Intrinsics;

namespace Onyx.Core.Optimizer;

/// <summary>
/// The float loops the folding passes run over weights, written on <see cref="Vector128{T}"/> (x64's and
/// Arm64's baseline) so that they are ReadyToRun-compiled and used as such. TensorPrimitives picks
/// Vector512 at run time, code no ahead-of-time image holds, so its generic operator pipeline was
/// JIT-compiled in every process (~7 ms in the first load of a model with BatchNormalization); weight
/// folding is memory-bound, so the narrower vectors lose nothing. Results are bit-identical (one
/// IEEE multiply per element either way).
/// </summary>
internal static class WeightMath
{
    /// <summary>x[i] *= s.</summary>
    public static void Scale(Span<float> x, float s)
    {
        int i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            var vs = Vector128.Create(s);
            ref float start = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
            for (; i <= x.Length - 4; i += 4)
                Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref start, (nuint)i) * vs, ref start, (nuint)i);
        }
        for (; i < x.Length; i++) x[i] *= s;
    }

    /// <summary>True when no element is NaN or infinite.</summary>
    public static bool AllFinite(ReadOnlySpan<float> x)
    {
        foreach (float v in x)
            if (!float.IsFinite(v)) return false;
        return true;
    }
}
