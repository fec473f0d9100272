using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Onyx.Kernels.Threading;

namespace Onyx.Kernels.Pool;

/// <summary>
/// FP32 GlobalAveragePool / GlobalMaxPool: one value per contiguous plane. Small planes (7x7 in
/// classifier heads) are dominated by per-call overhead, so the loop reduces each plane inline with
/// four vector accumulators and a masked tail instead of calling a span reducer per plane.
/// </summary>
public static unsafe class GlobalPoolF32
{
    /// <summary>Elements below which one thread reduces everything: the reduction is memory-bound, so a second
    /// thread only pays on inputs far past L2 (PP-OCR's SE blocks pool many small tensors).</summary>
    private const long ParallelThreshold = 1L << 20;

    /// <summary>y[p] = mean (or max, NaN propagating) of x[p*size .. p*size + size); an empty plane gives 0 (mean) or -inf (max).</summary>
    public static void Run(float* x, float* y, int planes, int size, bool max, IntraOpPool? pool, IsaPath isa)
    {
        if (planes == 0) return;
        int parts = pool is null || (long)planes * size < ParallelThreshold ? 1 : Math.Min(pool.DegreeOfParallelism, planes);
        var body = new Body { X = x, Y = y, Planes = planes, Size = size, Max = max, Parts = parts, Isa = isa };
        if (parts > 1) pool!.Run(parts, ref body);
        else body.Invoke(0);
    }

    private struct Body : IParallelBody
    {
        public float* X, Y;
        public int Planes, Size, Parts;
        public bool Max;
        public IsaPath Isa;

        public void Invoke(int index)
        {
            var (p0, p1) = IntraOpPool.Share(Planes, index, Parts);
            bool v512 = Isa >= IsaPath.V512 && Avx512F.IsSupported;
            for (int p = p0; p < p1; p++)
            {
                float* s = X + (nint)p * Size;
                float r = v512 ? ReduceV512(s, Size, Max) : ReduceScalar(s, Size, Max);
                Y[p] = Max ? r : Size == 0 ? 0f : r / Size;
            }
        }
    }

    private static float ReduceV512(float* s, int n, bool max)
    {
        var id = Vector512.Create(max ? float.NegativeInfinity : 0f);
        Vector512<float> a0 = id, a1 = id, a2 = id, a3 = id;
        int i = 0;
        for (; i + 64 <= n; i += 64)
        {
            if (max)
            {
                a0 = Vector512.Max(a0, Vector512.LoadUnsafe(ref *(s + i))); a1 = Vector512.Max(a1, Vector512.LoadUnsafe(ref *(s + i + 16)));
                a2 = Vector512.Max(a2, Vector512.LoadUnsafe(ref *(s + i + 32))); a3 = Vector512.Max(a3, Vector512.LoadUnsafe(ref *(s + i + 48)));
            }
            else
            {
                a0 += Vector512.LoadUnsafe(ref *(s + i)); a1 += Vector512.LoadUnsafe(ref *(s + i + 16));
                a2 += Vector512.LoadUnsafe(ref *(s + i + 32)); a3 += Vector512.LoadUnsafe(ref *(s + i + 48));
            }
        }
        for (; i < n; i += 16)
        {
            // Masked-off lanes load the identity and never fault past the plane.
            var m = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(n - i)).AsSingle();
            var v = Avx512F.MaskLoad(s + i, m, id);
            a0 = max ? Vector512.Max(a0, v) : a0 + v;
        }
        if (max) return MaxAcross(Vector512.Max(Vector512.Max(a0, a1), Vector512.Max(a2, a3)));
        return Vector512.Sum(a0 + a1 + (a2 + a3));
    }

    /// <summary>Largest lane; Vector.Max and Math.Max both propagate NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float MaxAcross(Vector512<float> v)
    {
        var h = Vector256.Max(v.GetLower(), v.GetUpper());
        var q = Vector128.Max(h.GetLower(), h.GetUpper());
        float r = q[0];
        for (int k = 1; k < 4; k++) r = Math.Max(r, q[k]);
        return r;
    }

    private static float ReduceScalar(float* s, int n, bool max)
    {
        float a = max ? float.NegativeInfinity : 0f;
        for (int i = 0; i < n; i++) a = max ? (s[i] > a || float.IsNaN(s[i]) ? s[i] : a) : a + s[i];
        return a;
    }
}
