using Onyx.Kernels.Threading;

namespace Onyx.Cpu.Quantization;

/// <summary>
/// Direct depthwise integer convolution (one input and one output channel per group):
/// acc[n, c, oy, ox] = Σ_ij (x[n, c, iy, ix] - zx)(w[c, i, j] - zw[c]); padding contributes 0.
/// Channels split across the pool.
/// </summary>
internal static unsafe class IntDepthwise
{
    public static void Run(byte* x, bool sx, int zx, byte* w, bool sw, int[] zw, int N, int C, int H, int W, int KH, int KW,
        int OH, int OW, int pt, int pl, int sh, int sww, int dh, int dw, int* acc, IntraOpPool? pool)
    {
        fixed (int* pz = zw)
        {
            var body = new Body
            {
                X = x, Sx = sx, Zx = zx, Wt = w, Sw = sw, Zw = pz, ZwCount = zw.Length, C = C, H = H, Wd = W, KH = KH, KW = KW,
                OH = OH, OW = OW, Pt = pt, Pl = pl, Sh = sh, Sww = sww, Dh = dh, Dw = dw, Acc = acc,
            };
            int items = N * C;
            if (pool is { DegreeOfParallelism: > 1 } && (long)items * OH * OW * KH * KW >= 1 << 16) pool.Run(items, ref body);
            else for (int i = 0; i < items; i++) body.Invoke(i);
        }
    }

    private struct Body : IParallelBody
    {
        public byte* X, Wt;
        public bool Sx, Sw;
        public int Zx, ZwCount, C, H, Wd, KH, KW, OH, OW, Pt, Pl, Sh, Sww, Dh, Dw;
        public int* Zw, Acc;

        public void Invoke(int item)
        {
            int c = item % C;
            int zw = Zw[ZwCount == 1 ? 0 : c];
            int taps = KH * KW;
            int* wv = stackalloc int[taps];
            byte* wc = Wt + (nint)c * taps;
            for (int t = 0; t < taps; t++) wv[t] = (Sw ? *(sbyte*)(wc + t) : wc[t]) - zw;
            byte* xc = X + (nint)item * H * Wd;
            int* dst = Acc + (nint)item * OH * OW;
            for (int oy = 0; oy < OH; oy++)
                for (int ox = 0; ox < OW; ox++)
                {
                    int s = 0;
                    for (int i = 0; i < KH; i++)
                    {
                        int iy = oy * Sh - Pt + i * Dh;
                        if ((uint)iy >= (uint)H) continue;
                        byte* row = xc + (nint)iy * Wd;
                        for (int j = 0; j < KW; j++)
                        {
                            int ix = ox * Sww - Pl + j * Dw;
                            if ((uint)ix >= (uint)Wd) continue;
                            s += ((Sx ? *(sbyte*)(row + ix) : row[ix]) - Zx) * wv[i * KW + j];
                        }
                    }
                    dst[oy * OW + ox] = s;
                }
        }
    }
}
