namespace Onyx.Cpu.Random;

/// <summary>
/// MT19937 with NumPy's legacy seeding (init_genrand) and double generation
/// (53-bit from two draws), so seeded ops reproduce the ONNX reference's numbers.
/// Not thread-safe: create one per Execute.
/// </summary>
internal sealed class Mt19937
{
    private readonly uint[] _mt = new uint[624];
    private int _index;
    private bool _hasGauss;
    private double _gauss;

    public Mt19937(uint seed)
    {
        _mt[0] = seed;
        for (int i = 1; i < 624; i++)
            _mt[i] = 1812433253u * (_mt[i - 1] ^ (_mt[i - 1] >> 30)) + (uint)i;
        _index = 624;
    }

    /// <summary>A generator seeded from the attribute, or from the clock when absent.</summary>
    public static Mt19937 Create(float? seed) =>
        new(seed is float s ? unchecked((uint)(long)s) : (uint)System.Random.Shared.Next());

    public uint NextUInt()
    {
        if (_index >= 624)
        {
            for (int i = 0; i < 624; i++)
            {
                uint y = (_mt[i] & 0x80000000u) | (_mt[(i + 1) % 624] & 0x7fffffffu);
                uint v = _mt[(i + 397) % 624] ^ (y >> 1);
                if ((y & 1) != 0) v ^= 0x9908b0dfu;
                _mt[i] = v;
            }
            _index = 0;
        }
        uint x = _mt[_index++];
        x ^= x >> 11;
        x ^= (x << 7) & 0x9d2c5680u;
        x ^= (x << 15) & 0xefc60000u;
        x ^= x >> 18;
        return x;
    }

    /// <summary>Uniform in [0, 1) with 53 bits, as numpy's random_sample.</summary>
    public double NextDouble()
    {
        uint a = NextUInt() >> 5, b = NextUInt() >> 6;
        return (a * 67108864.0 + b) / 9007199254740992.0;
    }

    /// <summary>Standard normal, numpy legacy polar (Marsaglia) method.</summary>
    public double NextGaussian()
    {
        if (_hasGauss) { _hasGauss = false; return _gauss; }
        double f, x1, x2, r2;
        do
        {
            x1 = 2.0 * NextDouble() - 1.0;
            x2 = 2.0 * NextDouble() - 1.0;
            r2 = x1 * x1 + x2 * x2;
        } while (r2 >= 1.0 || r2 == 0.0);
        f = Math.Sqrt(-2.0 * Math.Log(r2) / r2);
        _gauss = f * x1;
        _hasGauss = true;
        return f * x2;
    }
}
