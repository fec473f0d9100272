using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Onyx.Kernels;
using Onyx.Kernels.Threading;

namespace Onyx.Cpu.Quantization;

/// <summary>
/// Direct depthwise integer convolution (one input and one output channel per group):
/// acc[n, c, oy, ox] = Σ_ij (x[n, c, iy, ix] - zx)(w[c, i, j] - zw[c]); padding contributes 0.
/// Channels split across the pool. The vector path copies each channel once into zero-padded float
/// planes (one per stride phase, so every tap reads contiguous pixels) and accumulates 16 output
/// pixels per FMA: exact, because |x - zx|, |w - zw| &lt;= 255 and up to 256 taps keep every partial
/// sum below 2^24.
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
            if (KernelIsa.Current == IsaPath.V512 && KH * KW <= 256) { InvokeV512(item); return; }
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
            [ThreadStatic] private static float* t_planes;
        [ThreadStatic] private static nint t_planesLen;

        private void InvokeV512(int item)
        {
            int c = item % C;
            int zw = Zw[ZwCount == 1 ? 0 : c];
            int taps = KH * KW;
            float* wv = stackalloc float[taps];
            byte* wc = Wt + (nint)c * taps;
            for (int t = 0; t < taps; t++) wv[t] = (Sw ? *(sbyte*)(wc + t) : wc[t]) - zw;
            // Padded extent every tap reads: rows (OH-1)*Sh + (KH-1)*Dh + 1, columns likewise; phase q holds columns q, q+Sww, ...
            int hp = (OH - 1) * Sh + (KH - 1) * Dh + 1;
            int wp = (OW - 1) * Sww + (KW - 1) * Dw + 1;
            int wq = (wp + Sww - 1) / Sww + 16; // +16: the last vector of a row may read past the end
            nint planeSize = (nint)hp * wq;
            nint need = planeSize * Sww;
            if (t_planesLen < need)
            {
                if (t_planes != null) NativeMemory.AlignedFree(t_planes);
                t_planes = (float*)NativeMemory.AlignedAlloc((nuint)need * sizeof(float), 64);
                t_planesLen = need;
            }
            float* planes = t_planes;
            byte* xc = X + (nint)item * H * Wd;
            float zx = Zx;
            for (int r = 0; r < hp; r++)
            {
                int iy = r - Pt;
                for (int q = 0; q < Sww; q++)
                {
                    float* dst = planes + q * planeSize + (nint)r * wq;
                    if ((uint)iy >= (uint)H) { new Span<float>(dst, wq).Clear(); continue; }
                    byte* row = xc + (nint)iy * Wd;
                    for (int k = 0; k < wq; k++)
                    {
                        int ix = k * Sww + q - Pl;
                        dst[k] = (uint)ix < (uint)Wd ? (Sx ? *(sbyte*)(row + ix) : row[ix]) - zx : 0f;
                    }
                }
            }
            int* outc = Acc + (nint)item * OH * OW;
            float* tail = stackalloc float[16];
            for (int oy = 0; oy < OH; oy++)
            {
                int* o = outc + (nint)oy * OW;
                for (int ox = 0; ox < OW; ox += 16)
                {
                    Vector512<float> acc = Vector512<float>.Zero;
                    for (int i = 0; i < KH; i++)
                    {
                        nint r = (nint)(oy * Sh + i * Dh) * wq + ox;
                        for (int j = 0; j < KW; j++)
                        {
                            int q = j * Dw;
                            float* src = planes + (q % Sww) * planeSize + r + q / Sww;
                            acc = Vector512.FusedMultiplyAdd(Vector512.Load(src), Vector512.Create(wv[i * KW + j]), acc);
                        }
                    }
                    Vector512<int> v = Vector512.ConvertToInt32(acc);
                    if (ox + 16 <= OW) v.Store(o + ox);
                    else
                    {
                        v.AsSingle().Store(tail);
                        for (int k = 0; ox + k < OW; k++) o[ox + k] = ((int*)tail)[k];
                    }
                }
            }
        }
    }
}
