using System.Numerics;
using Onyx.Kernels.Conv;
using Onyx.Kernels.Threading;

namespace Onyx.Kernels.Pool;

/// <summary>
/// Pooling over NC[D][H]W planes with pads, strides, dilations (ceil_mode is the caller's output
/// shape). <paramref name="g"/> describes one plane sweep; <c>planes</c> = N*C contiguous planes.
/// </summary>
public static unsafe class Pooling
{
    /// <summary>
    /// y = max over each window's in-bounds taps (pads never win). When <paramref name="indices"/> is
    /// given it receives the flat index of the winner over the whole input (row-major, or column-major
    /// spatial order within a plane when <paramref name="columnMajor"/>).
    /// </summary>
    public static void Max<T>(in ConvGeometry g, int planes, T* x, T* y, long* indices, bool columnMajor)
        where T : unmanaged, INumber<T> => Max(g, 0, planes, x, y, indices, columnMajor);

    /// <summary>
    /// <see cref="Max{T}(in ConvGeometry, int, T*, T*, long*, bool)"/> split by planes across <paramref name="pool"/>;
    /// float 1-D/2-D without indices runs the vectorised <see cref="PoolingF32"/>.
    /// </summary>
    public static void Max<T>(in ConvGeometry g, int planes, T* x, T* y, long* indices, bool columnMajor, IntraOpPool? pool)
        where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float) && indices == null && PoolingF32.Supports(g))
        {
            PoolingF32.Run(g, planes, (float*)x, (float*)y, max: true, countIncludePad: false, pool, KernelIsa.Current);
            return;
        }
        int parts = Parts(g, planes, pool);
        if (parts <= 1) { Max(g, 0, planes, x, y, indices, columnMajor); return; }
        var body = new MaxBody<T> { G = g, Planes = planes, X = x, Y = y, Indices = indices, ColumnMajor = columnMajor, Parts = parts };
        pool!.Run(parts, ref body);
    }

    /// <summary><see cref="Average{T}"/> split by planes across <paramref name="pool"/>; float 1-D/2-D runs the vectorised <see cref="PoolingF32"/>.</summary>
    public static void Average<T>(in ConvGeometry g, int planes, T* x, T* y, bool countIncludePad, IntraOpPool? pool)
        where T : unmanaged, INumberBase<T>
    {
        if (typeof(T) == typeof(float) && PoolingF32.Supports(g))
        {
            PoolingF32.Run(g, planes, (float*)x, (float*)y, max: false, countIncludePad, pool, KernelIsa.Current);
            return;
        }
        int parts = Parts(g, planes, pool);
        if (parts <= 1) { Average(g, planes, x, y, countIncludePad); return; }
        var body = new AverageBody<T> { G = g, Planes = planes, X = x, Y = y, CountIncludePad = countIncludePad, Parts = parts };
        pool!.Run(parts, ref body);
    }

    private static int Parts(in ConvGeometry g, int planes, IntraOpPool? pool)
    {
        if (pool is null || planes < 2) return 1;
        long work = (long)planes * g.OutSize * g.KernelSize;
        return work < (1 << 16) ? 1 : Math.Min(pool.DegreeOfParallelism, planes);
    }

    private struct MaxBody<T> : IParallelBody where T : unmanaged, INumber<T>
    {
        public ConvGeometry G;
        public int Planes, Parts;
        public T* X, Y;
        public long* Indices;
        public bool ColumnMajor;

        public void Invoke(int index)
        {
            var (p0, p1) = IntraOpPool.Share(Planes, index, Parts);
            Max(G, p0, p1 - p0, X, Y, Indices, ColumnMajor);
        }
    }

    private struct AverageBody<T> : IParallelBody where T : unmanaged, INumberBase<T>
    {
        public ConvGeometry G;
        public int Planes, Parts;
        public T* X, Y;
        public bool CountIncludePad;

        public void Invoke(int index)
        {
            var (p0, p1) = IntraOpPool.Share(Planes, index, Parts);
            Average(G, p1 - p0, X + (nint)p0 * G.InSize, Y + (nint)p0 * G.OutSize, CountIncludePad);
        }
    }

    /// <summary>Planes [first, first + count): x and y point at plane 0, so indices stay global.</summary>
    private static void Max<T>(in ConvGeometry g, int first, int count, T* x, T* y, long* indices, bool columnMajor)
        where T : unmanaged, INumber<T>
    {
        int inSize = g.InSize, outSize = g.OutSize;
        for (int p = first; p < first + count; p++)
        {
            T* xp = x + (nint)p * inSize;
            T* yp = y + (nint)p * outSize;
            int o = 0;
            for (int od = 0; od < g.OD; od++)
                for (int oh = 0; oh < g.OH; oh++)
                    for (int ow = 0; ow < g.OW; ow++, o++)
                    {
                        bool any = false;
                        T best = default;
                        int bd = 0, bh = 0, bw = 0;
                        for (int kd = 0; kd < g.KD; kd++)
                        {
                            int id = od * g.SD - g.PD + kd * g.DD;
                            if ((uint)id >= (uint)g.ID) continue;
                            for (int kh = 0; kh < g.KH; kh++)
                            {
                                int ih = oh * g.SH - g.PH + kh * g.DH;
                                if ((uint)ih >= (uint)g.IH) continue;
                                T* row = xp + ((nint)id * g.IH + ih) * g.IW;
                                for (int kw = 0; kw < g.KW; kw++)
                                {
                                    int iw = ow * g.SW - g.PW + kw * g.DW;
                                    if ((uint)iw >= (uint)g.IW) continue;
                                    T v = row[iw];
                                    if (!any || v > best || (T.IsNaN(v) && !T.IsNaN(best)))
                                    {
                                        best = v; bd = id; bh = ih; bw = iw; any = true;
                                    }
                                }
                            }
                        }
                        yp[o] = any ? best : T.Zero;
                        if (indices != null)
                        {
                            long local = columnMajor ? ((long)bw * g.IH + bh) * g.ID + bd : ((long)bd * g.IH + bh) * g.IW + bw;
                            indices[(nint)p * outSize + o] = (long)p * inSize + local;
                        }
                    }
        }
    }

    /// <summary>
    /// y = mean over each window. With <paramref name="countIncludePad"/> the divisor counts taps
    /// inside the padded extent [-pad_begin, in + pad_end) (taps past it, from ceil_mode, never count);
    /// otherwise only in-bounds taps.
    /// </summary>
    public static void Average<T>(in ConvGeometry g, int planes, T* x, T* y, bool countIncludePad)
        where T : unmanaged, INumberBase<T>
    {
        int inSize = g.InSize, outSize = g.OutSize;
        for (int p = 0; p < planes; p++)
        {
            T* xp = x + (nint)p * inSize;
            T* yp = y + (nint)p * outSize;
            int o = 0;
            for (int od = 0; od < g.OD; od++)
                for (int oh = 0; oh < g.OH; oh++)
                    for (int ow = 0; ow < g.OW; ow++, o++)
                    {
                        double sum = 0;
                        int inside = 0, padded = 0;
                        for (int kd = 0; kd < g.KD; kd++)
                        {
                            int id = od * g.SD - g.PD + kd * g.DD;
                            bool dIn = (uint)id < (uint)g.ID, dPad = id >= -g.PD && id < g.ID + g.PDEnd;
                            for (int kh = 0; kh < g.KH; kh++)
                            {
                                int ih = oh * g.SH - g.PH + kh * g.DH;
                                bool hIn = (uint)ih < (uint)g.IH, hPad = ih >= -g.PH && ih < g.IH + g.PHEnd;
                                for (int kw = 0; kw < g.KW; kw++)
                                {
                                    int iw = ow * g.SW - g.PW + kw * g.DW;
                                    bool wIn = (uint)iw < (uint)g.IW, wPad = iw >= -g.PW && iw < g.IW + g.PWEnd;
                                    if (dPad && hPad && wPad) padded++;
                                    if (dIn && hIn && wIn)
                                    {
                                        sum += double.CreateTruncating(xp[((nint)id * g.IH + ih) * g.IW + iw]);
                                        inside++;
                                    }
                                }
                            }
                        }
                        int div = countIncludePad ? padded : inside;
                        yp[o] = T.CreateTruncating(div == 0 ? 0.0 : sum / div);
                    }
        }
    }

    /// <summary>y = (sum over the window's in-bounds taps of |x|^p)^(1/p).</summary>
    public static void Lp<T>(in ConvGeometry g, int planes, T* x, T* y, double pNorm)
        where T : unmanaged, INumberBase<T>
    {
        int inSize = g.InSize, outSize = g.OutSize;
        for (int p = 0; p < planes; p++)
        {
            T* xp = x + (nint)p * inSize;
            T* yp = y + (nint)p * outSize;
            int o = 0;
            for (int od = 0; od < g.OD; od++)
                for (int oh = 0; oh < g.OH; oh++)
                    for (int ow = 0; ow < g.OW; ow++, o++)
                    {
                        double sum = 0;
                        for (int kd = 0; kd < g.KD; kd++)
                        {
                            int id = od * g.SD - g.PD + kd * g.DD;
                            if ((uint)id >= (uint)g.ID) continue;
                            for (int kh = 0; kh < g.KH; kh++)
                            {
                                int ih = oh * g.SH - g.PH + kh * g.DH;
                                if ((uint)ih >= (uint)g.IH) continue;
                                for (int kw = 0; kw < g.KW; kw++)
                                {
                                    int iw = ow * g.SW - g.PW + kw * g.DW;
                                    if ((uint)iw >= (uint)g.IW) continue;
                                    double v = Math.Abs(double.CreateTruncating(xp[((nint)id * g.IH + ih) * g.IW + iw]));
                                    sum += pNorm == 2 ? v * v : Math.Pow(v, pNorm);
                                }
                            }
                        }
                        yp[o] = T.CreateTruncating(pNorm == 2 ? Math.Sqrt(sum) : Math.Pow(sum, 1.0 / pNorm));
                    }
        }
    }

    /// <summary>Global average pool over contiguous planes of <paramref name="size"/> elements.</summary>
    public static void GlobalAverage(ReadOnlySpan<float> x, Span<float> y, int size, IntraOpPool? pool = null)
    {
        fixed (float* px = x, py = y) GlobalPoolF32.Run(px, py, y.Length, size, max: false, pool, KernelIsa.Current);
    }

    /// <summary>Global max pool over contiguous planes of <paramref name="size"/> elements (size &gt; 0).</summary>
    public static void GlobalMax(ReadOnlySpan<float> x, Span<float> y, int size, IntraOpPool? pool = null)
    {
        fixed (float* px = x, py = y) GlobalPoolF32.Run(px, py, y.Length, size, max: true, pool, KernelIsa.Current);
    }
}
