namespace Onyx.Cpu.Signal;

/// <summary>
/// A complex DFT of one length in double precision: iterative radix-2 for powers of two, recursive
/// mixed-radix Cooley-Tukey when every prime factor is small, a direct sum over a twiddle table
/// otherwise. Immutable after construction, so shareable across threads.
/// </summary>
internal sealed class Fft
{
    private readonly int _n;
    private readonly double[] _cos, _sin; // e^{-2πi k/n} = cos - i sin
    private readonly int[]? _bitrev;
    private readonly int[]? _factors; // prime factors, smallest first, when all are <= MaxRadix
    private const int MaxRadix = 61;

    public int Length => _n;

    public Fft(int n)
    {
        _n = n;
        _cos = new double[Math.Max(n, 1)];
        _sin = new double[Math.Max(n, 1)];
        for (int k = 0; k < n; k++)
        {
            double a = 2 * Math.PI * k / n;
            _cos[k] = Math.Cos(a);
            _sin[k] = Math.Sin(a);
        }
        if (n > 1 && (n & (n - 1)) != 0)
        {
            var f = new List<int>();
            int rest = n;
            for (int p = 2; p <= MaxRadix && rest > 1; p++)
                while (rest % p == 0) { f.Add(p); rest /= p; }
            if (rest == 1 && f.Count > 1) _factors = f.ToArray();
        }
        if (n > 1 && (n & (n - 1)) == 0)
        {
            int bits = System.Numerics.BitOperations.Log2((uint)n);
            _bitrev = new int[n];
            for (int i = 0; i < n; i++)
            {
                int r = 0;
                for (int b = 0; b < bits; b++) if ((i & (1 << b)) != 0) r |= 1 << (bits - 1 - b);
                _bitrev[i] = r;
            }
        }
    }

    /// <summary>Transforms (re, im) in place: forward uses e^{-2πi kn/N}; inverse uses e^{+2πi kn/N} and scales by 1/N.</summary>
    public void Transform(Span<double> re, Span<double> im, bool inverse)
    {
        int n = _n;
        if (n <= 1) return;
        double sign = inverse ? -1 : 1; // multiplies sin
        if (_bitrev is not null)
        {
            for (int i = 0; i < n; i++)
            {
                int j = _bitrev[i];
                if (j > i) { (re[i], re[j]) = (re[j], re[i]); (im[i], im[j]) = (im[j], im[i]); }
            }
            for (int size = 2; size <= n; size <<= 1)
            {
                int half = size >> 1, step = n / size;
                for (int start = 0; start < n; start += size)
                    for (int k = 0; k < half; k++)
                    {
                        double wr = _cos[k * step], wi = -sign * _sin[k * step];
                        int a = start + k, b = a + half;
                        double tr = re[b] * wr - im[b] * wi;
                        double ti = re[b] * wi + im[b] * wr;
                        re[b] = re[a] - tr; im[b] = im[a] - ti;
                        re[a] += tr; im[a] += ti;
                    }
            }
        }
        else if (_factors is not null)
        {
            var xr = re.ToArray();
            var xi = im.ToArray();
            MixedRadix(xr, xi, 0, 1, n, re, im, 0, -sign);
        }
        else
        {
            Span<double> or = n <= 512 ? stackalloc double[n] : new double[n];
            Span<double> oi = n <= 512 ? stackalloc double[n] : new double[n];
            for (int k = 0; k < n; k++)
            {
                double sr = 0, si = 0;
                int idx = 0;
                for (int j = 0; j < n; j++)
                {
                    double wr = _cos[idx], wi = -sign * _sin[idx];
                    sr += re[j] * wr - im[j] * wi;
                    si += re[j] * wi + im[j] * wr;
                    idx += k; if (idx >= n) idx -= n;
                }
                or[k] = sr; oi[k] = si;
            }
            or.CopyTo(re); oi.CopyTo(im);
        }
        if (inverse)
        {
            double s = 1.0 / n;
            for (int i = 0; i < n; i++) { re[i] *= s; im[i] *= s; }
        }
    }

    /// <summary>
    /// y = DFT of the n samples x[off + k*stride]: p sub-transforms of length n/p (p = next factor),
    /// combined with twiddles W_n^(j(k+mq)). <paramref name="sinSign"/> is -1 forward, +1 inverse.
    /// </summary>
    private void MixedRadix(double[] xr, double[] xi, int off, int stride, int n, Span<double> yr, Span<double> yi, int level, double sinSign)
    {
        if (n == 1) { yr[0] = xr[off]; yi[0] = xi[off]; return; }
        int p = _factors![level];
        int m = n / p;
        for (int j = 0; j < p; j++)
            MixedRadix(xr, xi, off + j * stride, stride * p, m, yr.Slice(j * m, m), yi.Slice(j * m, m), level + 1, sinSign);
        var tr = new double[n];
        var ti = new double[n];
        int scale = _n / n;
        for (int q = 0; q < p; q++)
            for (int k = 0; k < m; k++)
            {
                int outIdx = k + m * q;
                double sr = 0, si = 0;
                for (int j = 0; j < p; j++)
                {
                    int e = (int)((long)j * outIdx % n) * scale;
                    double wr = _cos[e], wi = sinSign * _sin[e];
                    double ar = yr[j * m + k], ai = yi[j * m + k];
                    sr += ar * wr - ai * wi;
                    si += ar * wi + ai * wr;
                }
                tr[outIdx] = sr; ti[outIdx] = si;
            }
        tr.CopyTo(yr);
        ti.CopyTo(yi);
    }
}
