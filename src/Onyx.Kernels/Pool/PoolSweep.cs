using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Onyx.Kernels.Pool;

/// <summary>
/// The pooling inner loop over the depthwise phase layout: d[j] = max (or sum) over t of s[off[t] + j]
/// for j in [0, n), n a multiple of 16. Max propagates NaN like the scalar pool (Vector.Max is IEEE
/// maximum on .NET 9+); pads hold -inf (max) or 0 (sum), so they never change a result.
/// </summary>
internal static unsafe class PoolSweep
{
    public static void Run(float* s, int* off, int taps, float* d, int n, bool max, IsaPath isa)
    {
        nint j = 0;
        if (isa >= IsaPath.V512 && KernelIsa.IsSupported(IsaPath.V512))
        {
            for (; j < n; j += 16)
            {
                var a = Vector512.LoadUnsafe(ref *(s + off[0] + j));
                if (max) for (int t = 1; t < taps; t++) a = Vector512.Max(a, Vector512.LoadUnsafe(ref *(s + off[t] + j)));
                else for (int t = 1; t < taps; t++) a += Vector512.LoadUnsafe(ref *(s + off[t] + j));
                a.StoreUnsafe(ref *(d + j));
            }
        }
        else if (isa >= IsaPath.V256 && KernelIsa.IsSupported(IsaPath.V256))
        {
            for (; j < n; j += 8)
            {
                var a = Vector256.LoadUnsafe(ref *(s + off[0] + j));
                if (max) for (int t = 1; t < taps; t++) a = Vector256.Max(a, Vector256.LoadUnsafe(ref *(s + off[t] + j)));
                else for (int t = 1; t < taps; t++) a += Vector256.LoadUnsafe(ref *(s + off[t] + j));
                a.StoreUnsafe(ref *(d + j));
            }
        }
        for (; j < n; j++)
        {
            float a = s[off[0] + j];
            for (int t = 1; t < taps; t++)
            {
                float v = s[off[t] + j];
                a = max ? (v > a || float.IsNaN(v) ? v : a) : a + v;
            }
            d[j] = a;
        }
    }
}
