using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Onyx.Kernels.Gemm;

/// <summary>
/// int32 accumulators → uint8/int8, the last step of QLinearConv/QLinearMatMul:
/// y = saturate(round_half_even(float(acc + bias) · scale) + zero_point), computed in float32 and
/// clamped before the conversion exactly as MLAS's <c>MlasRequantizeOutput</c> (so results match ORT).
/// </summary>
public static unsafe class Int8Requantize
{
    /// <summary>
    /// One row of n values. Bias: <paramref name="biasCol"/>[j] when not null, plus <paramref name="bias"/>;
    /// scale: <paramref name="scaleCol"/>[j] when not null, else <paramref name="scale"/>.
    /// </summary>
    public static void Row(int* acc, int n, int bias, int* biasCol, float scale, float* scaleCol, int zeroPoint, byte* dst, bool signedOutput, IsaPath? isa = null)
    {
        int lo = signedOutput ? -128 : 0, hi = signedOutput ? 127 : 255;
        float flo = lo - zeroPoint, fhi = hi - zeroPoint;
        int j = 0;
        if ((isa ?? KernelIsa.Current) == IsaPath.V512 && Avx512F.IsSupported)
        {
            var vb = Vector512.Create(bias);
            var vs = Vector512.Create(scale);
            var vlo = Vector512.Create(flo);
            var vhi = Vector512.Create(fhi);
            var vz = Vector512.Create(zeroPoint);
            for (; j + 16 <= n; j += 16)
            {
                Vector512<int> a = Vector512.LoadUnsafe(ref *(acc + j)) + vb;
                if (biasCol != null) a += Vector512.LoadUnsafe(ref *(biasCol + j));
                Vector512<float> f = Avx512F.ConvertToVector512Single(a) * (scaleCol != null ? Vector512.LoadUnsafe(ref *(scaleCol + j)) : vs);
                f = Vector512.Min(Vector512.Max(f, vlo), vhi);
                // vcvtps2dq rounds by MXCSR: round half to even, as ORT's cvtps2dq.
                Vector512<int> q = Avx512F.ConvertToVector512Int32(f) + vz;
                Avx512F.ConvertToVector128Byte(q).StoreUnsafe(ref *(dst + j));
            }
        }
        for (; j < n; j++)
        {
            float f = (float)(acc[j] + bias + (biasCol != null ? biasCol[j] : 0)) * (scaleCol != null ? scaleCol[j] : scale);
            f = Math.Clamp(f, flo, fhi);
            int q = (int)MathF.Round(f, MidpointRounding.ToEven) + zeroPoint;
            dst[j] = (byte)q;
        }
    }
}
