using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Onyx.Kernels.Gemm;

/// <summary>
/// float32 → uint8/int8 per tensor, as ONNX QuantizeLinear: y = saturate(round_half_even(x / scale) + zero_point)
/// (a true division, not a reciprocal multiply, so results match the scalar definition bit for bit),
/// and the min/max scan DynamicQuantizeLinear needs.
/// </summary>
public static unsafe class Int8Quantize
{
    /// <summary>Quantizes n values of <paramref name="x"/> into <paramref name="dst"/>.</summary>
    public static void Quantize(float* x, nint n, float scale, int zeroPoint, byte* dst, bool signedOutput, IsaPath? isa = null)
    {
        float lo = signedOutput ? -128f : 0f, hi = signedOutput ? 127f : 255f;
        float z = zeroPoint;
        nint i = 0;
        if ((isa ?? KernelIsa.Current) == IsaPath.V512 && Avx512F.IsSupported)
        {
            var vs = Vector512.Create(scale);
            var vz = Vector512.Create(z);
            var vlo = Vector512.Create(lo);
            var vhi = Vector512.Create(hi);
            for (; i + 16 <= n; i += 16)
            {
                // Round, add the zero point and clamp in float (every step exact), then narrow.
                Vector512<float> v = Vector512.Round(Vector512.LoadUnsafe(ref *(x + i)) / vs) + vz;
                v = Vector512.Min(Vector512.Max(v, vlo), vhi);
                Avx512F.ConvertToVector128Byte(Avx512F.ConvertToVector512Int32(v)).StoreUnsafe(ref *(dst + i));
            }
        }
        for (; i < n; i++)
        {
            float v = MathF.Round(x[i] / scale, MidpointRounding.ToEven) + z;
            dst[i] = (byte)(int)Math.Clamp(v, lo, hi);
        }
    }

    /// <summary>min(0, min x) and max(0, max x) over n values (DynamicQuantizeLinear's range).</summary>
    public static (float Min, float Max) RangeWithZero(ReadOnlySpan<float> x)
    {
        if (x.IsEmpty) return (0f, 0f);
        float min = System.Numerics.Tensors.TensorPrimitives.Min(x), max = System.Numerics.Tensors.TensorPrimitives.Max(x);
        return (Math.Min(0f, min), Math.Max(0f, max));
    }
}
