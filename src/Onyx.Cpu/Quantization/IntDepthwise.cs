using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Onyx.Kernels;
using Onyx.Kernels.Threading;

namespace Onyx.Cpu.Quantization;

/// <summary>
/// Direct depthwise integer convolution (one input and one output channel per group):
/// acc[n, c, oy, ox] = Σ_ij (x[n, c, iy, ix] - zx)(w[c, i, j] - zw[c]); padding contributes 0.
/// Channels split across the pool. The vector path copies each channel once into a zero-padded float
/// plane (stride 2 picks even lanes with vpermt2ps) and accumulates 16 output
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
            [ThreadStatic] private static float* t_plane;
        [ThreadStatic] private static nint t_planeLen;

        private void InvokeV512(int item)
        {
            int c = item % C;
            int zw = Zw[ZwCount == 1 ? 0 : c];
            int taps = KH * KW;
            float* wv = stackalloc float[taps];
            byte* wc = Wt + (nint)c * taps;
            for (int t = 0; t < taps; t++) wv[t] = (Sw ? *(sbyte*)(wc + t) : wc[t]) - zw;
            // Padded extent every tap reads: rows (OH-1)*Sh + (KH-1)*Dh + 1, columns likewise, plus slack
            // so the last vectors of a row (two for stride 2) stay inside the plane.
            int hp = (OH - 1) * Sh + (KH - 1) * Dh + 1;
            int wp = (OW - 1) * Sww + (KW - 1) * Dw + 1;
            int wpp = wp + 48;
            nint need = (nint)hp * wpp;
            if (t_planeLen < need)
            {
                if (t_plane != null) NativeMemory.AlignedFree(t_plane);
                t_plane = (float*)NativeMemory.AlignedAlloc((nuint)need * sizeof(float), 64);
                t_planeLen = need;
            }
            float* plane = t_plane;
            byte* xc = X + (nint)item * H * Wd;
            var vzx = Vector512.Create((float)Zx);
            // Interior columns of the padded row: k in [Pl, Pl + Wd) ∩ [0, wp).
            int k0 = Math.Min(Pl, wpp), k1 = Math.Max(k0, Math.Min(Pl + Wd, wp));
            for (int r = 0; r < hp; r++)
            {
                float* dst = plane + (nint)r * wpp;
                int iy = r - Pt;
                if ((uint)iy >= (uint)H) { new Span<float>(dst, wpp).Clear(); continue; }
                byte* row = xc + (nint)iy * Wd - Pl;
                new Span<float>(dst, k0).Clear();
                int k = k0;
                if (Sx)
                    for (; k + 16 <= k1; k += 16)
                        (Vector512.ConvertToSingle(Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref *((sbyte*)row + k)))) - vzx).StoreUnsafe(ref *(dst + k));
                else
                    for (; k + 16 <= k1; k += 16)
                        (Vector512.ConvertToSingle(Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref *(row + k)))) - vzx).StoreUnsafe(ref *(dst + k));
                for (; k < k1; k++) dst[k] = (Sx ? *(sbyte*)(row + k) : row[k]) - Zx;
                new Span<float>(dst + k1, wpp - k1).Clear();
            }
            int* outc = Acc + (nint)item * OH * OW;
            float* tail = stackalloc float[16];
            // Stride 2 takes the even lanes of two loads (vpermt2ps); other strides gather.
            var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            for (int oy = 0; oy < OH; oy++)
            {
                int* o = outc + (nint)oy * OW;
                for (int ox = 0; ox < OW; ox += 16)
                {
                    Vector512<float> acc = Vector512<float>.Zero;
                    for (int i = 0; i < KH; i++)
                    {
                        float* src = plane + (nint)(oy * Sh + i * Dh) * wpp + ox * Sww;
                        for (int j = 0; j < KW; j++)
                        {
                            float* p = src + j * Dw;
                            Vector512<float> xv;
                            if (Sww == 1) xv = Vector512.LoadUnsafe(ref *p);
                            else if (Sww == 2) xv = Avx512F.PermuteVar16x32x2(Vector512.LoadUnsafe(ref *p), even, Vector512.LoadUnsafe(ref *(p + 16)));
                            else
                            {
                                for (int l = 0; l < 16; l++) tail[l] = ox + l < OW ? p[l * Sww] : 0f;
                                xv = Vector512.LoadUnsafe(ref *tail);
                            }
                            acc = Vector512.FusedMultiplyAdd(xv, Vector512.Create(wv[i * KW + j]), acc);
                        }
                    }
                    Vector512<int> v = Vector512.ConvertToInt32(acc);
                    if (ox + 16 <= OW) v.StoreUnsafe(ref *(o + ox));
                    else
                    {
                        v.AsSingle().StoreUnsafe(ref *tail);
                        for (int l = 0; ox + l < OW; l++) o[ox + l] = ((int*)tail)[l];
                    }
                }
            }
        }
    }
}
