namespace Onyx.OpenCl;

/// <summary>
/// The OpenCL C 1.2 source of every GPU kernel. One program per precision: the prelude chosen by
/// <see cref="Prelude"/> defines the storage type (DTYPE), the element-wise compute type (CT) and
/// load/store macros. Reductions and dot products always accumulate in float.
/// </summary>
internal static class KernelSource
{
    /// <summary>Build options are part of the cache key; keep them stable.</summary>
    public const string BuildOptions = "-cl-std=CL1.2";

    /// <summary>The prelude for one precision mode.</summary>
    public static string Prelude(GpuPrecision precision, bool halfArithmetic) => precision switch
    {
        GpuPrecision.FP32 => """
            #define DTYPE float
            #define CT float
            #define LD(p, i) ((p)[i])
            #define LDF(p, i) ((p)[i])
            #define ST(p, i, v) ((p)[i] = (float)(v))
            """,
        _ when halfArithmetic => """
            #pragma OPENCL EXTENSION cl_khr_fp16 : enable
            #define DTYPE half
            #define CT half
            #define LD(p, i) ((p)[i])
            #define LDF(p, i) ((float)(p)[i])
            #define ST(p, i, v) ((p)[i] = (half)(v))
            """,
        _ => """
            #define DTYPE half
            #define CT float
            #define LD(p, i) vload_half((i), (p))
            #define LDF(p, i) vload_half((i), (p))
            #define ST(p, i, v) vstore_half((float)(v), (i), (p))
            """,
    };

    /// <summary>Full program source for a precision mode.</summary>
    public static string Program(GpuPrecision precision, bool halfArithmetic) => Prelude(precision, halfArithmetic) + "\n" + Body;

    // Activation codes shared by unary, conv and matmul (fused epilogues).
    public const int ActNone = 0, ActRelu = 1, ActClip = 2, ActLeakyRelu = 3, ActSigmoid = 4, ActTanh = 5,
        ActHardSigmoid = 6, ActHardSwish = 7, ActExp = 8, ActLog = 9, ActSqrt = 10, ActAbs = 11, ActNeg = 12,
        ActReciprocal = 13, ActFloor = 14, ActCeil = 15, ActElu = 16, ActSoftplus = 17, ActErf = 18, ActGelu = 19,
        ActSin = 20, ActCos = 21, ActIdentity = 22, ActSelu = 23, ActMish = 24, ActSign = 25, ActRound = 26,
        ActSoftsign = 27, ActGeluTanh = 28;

    // Binary op codes.
    public const int BinAdd = 0, BinSub = 1, BinMul = 2, BinDiv = 3, BinPow = 4, BinMax = 5, BinMin = 6, BinPRelu = 7,
        BinMod = 8, BinFmod = 9; // Mod: integers with the divisor's sign (fmod=0) or C's (fmod=1); floats always fmod

    private const string Body = """
        float act_f(float v, int act, float a, float b) {
            switch (act) {
                case 0: return v;
                case 1: return fmax(v, 0.0f);
                case 2: return fmin(fmax(v, a), b);
                case 3: return v >= 0.0f ? v : v * a;
                case 4: return 1.0f / (1.0f + exp(-v));
                case 5: return tanh(v);
                case 6: return fmax(0.0f, fmin(1.0f, a * v + b));
                case 7: return v * fmax(0.0f, fmin(1.0f, v / 6.0f + 0.5f));
                case 8: return exp(v);
                case 9: return log(v);
                case 10: return sqrt(v);
                case 11: return fabs(v);
                case 12: return -v;
                case 13: return 1.0f / v;
                case 14: return floor(v);
                case 15: return ceil(v);
                case 16: return v >= 0.0f ? v : a * (exp(v) - 1.0f);
                case 17: return v > 20.0f ? v : log1p(exp(v));
                case 18: return erf(v);
                case 19: return 0.5f * v * (1.0f + erf(v * 0.70710678118654752f));
                case 20: return sin(v);
                case 21: return cos(v);
                case 22: return v;
                case 23: return v > 0.0f ? b * v : b * (a * exp(v) - a);
                case 24: return v * tanh(v > 20.0f ? v : log1p(exp(v)));
                case 25: return v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : 0.0f);
                case 26: return rint(v);
                case 27: return v / (1.0f + fabs(v));
                case 28: return 0.5f * v * (1.0f + tanh(0.7978845608028654f * (v + 0.044715f * v * v * v)));
            }
            return v;
        }

        CT act_ct(CT v, int act, float a, float b) {
            switch (act) {
                case 0: case 22: return v;
                case 1: return fmax(v, (CT)0);
                case 2: return fmin(fmax(v, (CT)a), (CT)b);
                case 3: return v >= (CT)0 ? v : v * (CT)a;
                case 11: return fabs(v);
                case 12: return -v;
                case 14: return floor(v);
                case 15: return ceil(v);
            }
            return (CT)act_f((float)v, act, a, b);
        }

        __kernel void unary(__global const DTYPE* x, __global DTYPE* y, int n, int act, float a, float b) {
            int i = get_global_id(0);
            if (i >= n) return;
            ST(y, i, act_ct(LD(x, i), act, a, b));
        }

        CT bin_op(CT x, CT y, int op) {
            switch (op) {
                case 0: return x + y;
                case 1: return x - y;
                case 2: return x * y;
                case 3: return x / y;
                case 4: return (CT)pow((float)x, (float)y);
                case 5: return fmax(x, y);
                case 6: return fmin(x, y);
                case 7: return x >= (CT)0 ? x : x * y;
                case 8: case 9: return (CT)fmod((float)x, (float)y);
            }
            return x;
        }

        /* dims: output dims (8, leading 1s); sa/sb: element strides of a and b per output dim (0 = broadcast).
           plain 1: same shapes; plain 2: each operand's index is (i / inner) % len (scalar, channel or trailing
           vectors, same shape), given in fast = (innerA, lenA, innerB, lenB), which avoids 8 divisions per element. */
        __kernel void binary(__global const DTYPE* a, __global const DTYPE* b, __global DTYPE* y, int n, int op,
                             int8 dims, int8 sa, int8 sb, int plain, int4 fast) {
            int i = get_global_id(0);
            if (i >= n) return;
            if (plain == 1) { ST(y, i, bin_op(LD(a, i), LD(b, i), op)); return; }
            if (plain == 2) { ST(y, i, bin_op(LD(a, (i / fast.s0) % fast.s1), LD(b, (i / fast.s2) % fast.s3), op)); return; }
            int r = i, ia = 0, ib = 0;
            int d[8] = { dims.s0, dims.s1, dims.s2, dims.s3, dims.s4, dims.s5, dims.s6, dims.s7 };
            int xa[8] = { sa.s0, sa.s1, sa.s2, sa.s3, sa.s4, sa.s5, sa.s6, sa.s7 };
            int xb[8] = { sb.s0, sb.s1, sb.s2, sb.s3, sb.s4, sb.s5, sb.s6, sb.s7 };
            for (int k = 7; k >= 0; k--) { int q = r % d[k]; r /= d[k]; ia += q * xa[k]; ib += q * xb[k]; }
            ST(y, i, bin_op(LD(a, ia), LD(b, ib), op));
        }

        /* Comparisons (0 ==, 1 <, 2 <=, 3 >, 4 >=) and, on int storage, logic (5 and, 6 or, 7 xor) into bool (int 0/1);
           broadcasting as in binary. */
        int cmp_op(float x, float y, int op) {
            switch (op) {
                case 0: return x == y;
                case 1: return x < y;
                case 2: return x <= y;
                case 3: return x > y;
                case 4: return x >= y;
            }
            return 0;
        }

        int cmp_op_i(int x, int y, int op) {
            switch (op) {
                case 0: return x == y;
                case 1: return x < y;
                case 2: return x <= y;
                case 3: return x > y;
                case 4: return x >= y;
                case 5: return (x != 0) && (y != 0);
                case 6: return (x != 0) || (y != 0);
                case 7: return (x != 0) != (y != 0);
            }
            return 0;
        }

        int2 bcast_index(int i, int8 dims, int8 sa, int8 sb, int plain, int4 fast) {
            if (plain == 1) return (int2)(i, i);
            if (plain == 2) return (int2)((i / fast.s0) % fast.s1, (i / fast.s2) % fast.s3);
            int r = i, ia = 0, ib = 0;
            int d[8] = { dims.s0, dims.s1, dims.s2, dims.s3, dims.s4, dims.s5, dims.s6, dims.s7 };
            int xa[8] = { sa.s0, sa.s1, sa.s2, sa.s3, sa.s4, sa.s5, sa.s6, sa.s7 };
            int xb[8] = { sb.s0, sb.s1, sb.s2, sb.s3, sb.s4, sb.s5, sb.s6, sb.s7 };
            for (int k = 7; k >= 0; k--) { int q = r % d[k]; r /= d[k]; ia += q * xa[k]; ib += q * xb[k]; }
            return (int2)(ia, ib);
        }

        /* Integer arithmetic on int32 storage (Add Sub Mul Div Max Min Mod; shape math): wraps on overflow, division
           truncates, by zero gives 0. Broadcasting as in binary. */
        __kernel void binary_i(__global const int* a, __global const int* b, __global int* y, int n, int op,
                               int8 dims, int8 sa, int8 sb, int plain, int4 fast) {
            int i = get_global_id(0);
            if (i >= n) return;
            int2 ix = bcast_index(i, dims, sa, sb, plain, fast);
            int x = a[ix.x], v = b[ix.y], r = 0;
            switch (op) {
                case 0: r = (int)((uint)x + (uint)v); break;
                case 1: r = (int)((uint)x - (uint)v); break;
                case 2: r = (int)((uint)x * (uint)v); break;
                case 3: r = v == 0 ? 0 : (x == INT_MIN && v == -1 ? x : x / v); break;
                case 5: r = max(x, v); break;
                case 6: r = min(x, v); break;
                case 8: r = (v == 0 || v == -1) ? 0 : x % v; if (r != 0 && ((r < 0) != (v < 0))) r += v; break;
                case 9: r = (v == 0 || v == -1) ? 0 : x % v; break;
            }
            y[i] = r;
        }

        __kernel void compare(__global const DTYPE* a, __global const DTYPE* b, __global int* y, int n, int op,
                              int8 dims, int8 sa, int8 sb, int plain, int4 fast) {
            int i = get_global_id(0);
            if (i >= n) return;
            int2 ix = bcast_index(i, dims, sa, sb, plain, fast);
            y[i] = cmp_op(LDF(a, ix.x), LDF(b, ix.y), op);
        }

        __kernel void compare_i(__global const int* a, __global const int* b, __global int* y, int n, int op,
                                int8 dims, int8 sa, int8 sb, int plain, int4 fast) {
            int i = get_global_id(0);
            if (i >= n) return;
            int2 ix = bcast_index(i, dims, sa, sb, plain, fast);
            y[i] = cmp_op_i(a[ix.x], b[ix.y], op);
        }

        __kernel void not_i(__global const int* x, __global int* y, int n) {
            int i = get_global_id(0);
            if (i < n) y[i] = x[i] == 0 ? 1 : 0;
        }

        /* Where: out = c ? x : y with three-way broadcasting (element strides sc/sx/sy per output dim, 0 = broadcast). */
        __kernel void where_f(__global const int* c, __global const DTYPE* x, __global const DTYPE* y, __global DTYPE* o, int n,
                              int8 dims, int8 sc, int8 sx, int8 sy) {
            int i = get_global_id(0);
            if (i >= n) return;
            int2 cx = bcast_index(i, dims, sc, sx, 0, (int4)(1, 1, 1, 1));
            int2 cy = bcast_index(i, dims, sc, sy, 0, (int4)(1, 1, 1, 1));
            ST(o, i, c[cx.x] != 0 ? LD(x, cx.y) : LD(y, cy.y));
        }

        __kernel void where_i(__global const int* c, __global const int* x, __global const int* y, __global int* o, int n,
                              int8 dims, int8 sc, int8 sx, int8 sy) {
            int i = get_global_id(0);
            if (i >= n) return;
            int2 cx = bcast_index(i, dims, sc, sx, 0, (int4)(1, 1, 1, 1));
            int2 cy = bcast_index(i, dims, sc, sy, 0, (int4)(1, 1, 1, 1));
            o[i] = c[cx.x] != 0 ? x[cx.y] : y[cy.y];
        }

        /* Conv 2D, NCHW. p0 = N C H W M OH OW group; p1 = KH KW sh sw ph pw dh dw. One output per work item. */
        __kernel void conv2d(__global const DTYPE* x, __global const DTYPE* w, __global const DTYPE* bias, __global DTYPE* y,
                             int8 p0, int8 p1, int hasBias, int act, float a, float b) {
            int N = p0.s0, C = p0.s1, H = p0.s2, W = p0.s3, M = p0.s4, OH = p0.s5, OW = p0.s6, G = p0.s7;
            int KH = p1.s0, KW = p1.s1, sh = p1.s2, sw = p1.s3, ph = p1.s4, pw = p1.s5, dh = p1.s6, dw = p1.s7;
            int gid = get_global_id(0);
            if (gid >= N * M * OH * OW) return;
            int ow = gid % OW; int t = gid / OW; int oh = t % OH; t /= OH; int m = t % M; int n = t / M;
            int cpg = C / G, mpg = M / G, g = m / mpg;
            float acc = hasBias ? LDF(bias, m) : 0.0f;
            int ih0 = oh * sh - ph, iw0 = ow * sw - pw;
            for (int c = 0; c < cpg; c++) {
                int xb = (n * C + g * cpg + c) * H * W;
                int wb = (m * cpg + c) * KH * KW;
                for (int kh = 0; kh < KH; kh++) {
                    int ih = ih0 + kh * dh;
                    if (ih < 0 || ih >= H) continue;
                    for (int kw = 0; kw < KW; kw++) {
                        int iw = iw0 + kw * dw;
                        if (iw < 0 || iw >= W) continue;
                        acc += LDF(x, xb + ih * W + iw) * LDF(w, wb + kh * KW + kw);
                    }
                }
            }
            ST(y, gid, act_f(acc, act, a, b));
        }

        /* Conv 2D computing 4 output channels per work item (same group), for M % 4 == 0 and (M/G) % 4 == 0. */
        __kernel void conv2d_m4(__global const DTYPE* x, __global const DTYPE* w, __global const DTYPE* bias, __global DTYPE* y,
                                int8 p0, int8 p1, int hasBias, int act, float a, float b) {
            int N = p0.s0, C = p0.s1, H = p0.s2, W = p0.s3, M = p0.s4, OH = p0.s5, OW = p0.s6, G = p0.s7;
            int KH = p1.s0, KW = p1.s1, sh = p1.s2, sw = p1.s3, ph = p1.s4, pw = p1.s5, dh = p1.s6, dw = p1.s7;
            int M4 = M / 4;
            int gid = get_global_id(0);
            if (gid >= N * M4 * OH * OW) return;
            int ow = gid % OW; int t = gid / OW; int oh = t % OH; t /= OH; int m = (t % M4) * 4; int n = t / M4;
            int cpg = C / G, mpg = M / G, g = m / mpg;
            float4 acc = hasBias ? (float4)(LDF(bias, m), LDF(bias, m + 1), LDF(bias, m + 2), LDF(bias, m + 3)) : (float4)(0.0f);
            int ih0 = oh * sh - ph, iw0 = ow * sw - pw;
            int wstride = cpg * KH * KW;
            for (int c = 0; c < cpg; c++) {
                int xb = (n * C + g * cpg + c) * H * W;
                int wb = (m * cpg + c) * KH * KW;
                for (int kh = 0; kh < KH; kh++) {
                    int ih = ih0 + kh * dh;
                    if (ih < 0 || ih >= H) continue;
                    for (int kw = 0; kw < KW; kw++) {
                        int iw = iw0 + kw * dw;
                        if (iw < 0 || iw >= W) continue;
                        float xv = LDF(x, xb + ih * W + iw);
                        int wi = wb + kh * KW + kw;
                        acc += xv * (float4)(LDF(w, wi), LDF(w, wi + wstride), LDF(w, wi + 2 * wstride), LDF(w, wi + 3 * wstride));
                    }
                }
            }
            int plane = OH * OW, o = ((n * M + m) * OH + oh) * OW + ow;
            ST(y, o, act_f(acc.s0, act, a, b));
            ST(y, o + plane, act_f(acc.s1, act, a, b));
            ST(y, o + 2 * plane, act_f(acc.s2, act, a, b));
            ST(y, o + 3 * plane, act_f(acc.s3, act, a, b));
        }

        /* ConvTranspose 2D, NCHW, weight [C, M/G, KH, KW]. p0 = N C H W M OH OW group; p1 = KH KW sh sw ph pw dh dw. */
        __kernel void convt2d(__global const DTYPE* x, __global const DTYPE* w, __global const DTYPE* bias, __global DTYPE* y,
                              int8 p0, int8 p1, int hasBias, int act, float a, float b) {
            int N = p0.s0, C = p0.s1, H = p0.s2, W = p0.s3, M = p0.s4, OH = p0.s5, OW = p0.s6, G = p0.s7;
            int KH = p1.s0, KW = p1.s1, sh = p1.s2, sw = p1.s3, ph = p1.s4, pw = p1.s5, dh = p1.s6, dw = p1.s7;
            int gid = get_global_id(0);
            if (gid >= N * M * OH * OW) return;
            int ow = gid % OW; int t = gid / OW; int oh = t % OH; t /= OH; int m = t % M; int n = t / M;
            int cpg = C / G, mpg = M / G, g = m / mpg, mg = m % mpg;
            float acc = hasBias ? LDF(bias, m) : 0.0f;
            for (int kh = 0; kh < KH; kh++) {
                int th = oh + ph - kh * dh;
                if (th < 0 || th % sh != 0) continue;
                int ih = th / sh;
                if (ih >= H) continue;
                for (int kw = 0; kw < KW; kw++) {
                    int tw = ow + pw - kw * dw;
                    if (tw < 0 || tw % sw != 0) continue;
                    int iw = tw / sw;
                    if (iw >= W) continue;
                    for (int c = 0; c < cpg; c++) {
                        int ci = g * cpg + c;
                        acc += LDF(x, ((n * C + ci) * H + ih) * W + iw) * LDF(w, ((ci * mpg + mg) * KH + kh) * KW + kw);
                    }
                }
            }
            ST(y, gid, act_f(acc, act, a, b));
        }

        /* Batched matmul / gemm, tiled in local memory. sa = (row, k, batch) strides of A; sb = (k, col, batch) of B;
           sc = (row, col, batch, hasC) of C. */
        #define TS 16
        __kernel void matmul(__global const DTYPE* A, __global const DTYPE* B, __global const DTYPE* C, __global DTYPE* Y,
                             int M, int N, int K, int4 sa, int4 sb, int4 sc, float alpha, float beta, int act) {
            int col = get_global_id(0), row = get_global_id(1), batch = get_global_id(2);
            int lc = get_local_id(0), lr = get_local_id(1);
            __local float As[TS][TS];
            __local float Bs[TS][TS + 1];
            float acc = 0.0f;
            int abase = batch * sa.s2, bbase = batch * sb.s2;
            for (int t0 = 0; t0 < K; t0 += TS) {
                int ak = t0 + lc;
                As[lr][lc] = (row < M && ak < K) ? LDF(A, abase + row * sa.s0 + ak * sa.s1) : 0.0f;
                int bk = t0 + lr;
                Bs[lr][lc] = (bk < K && col < N) ? LDF(B, bbase + bk * sb.s0 + col * sb.s1) : 0.0f;
                barrier(CLK_LOCAL_MEM_FENCE);
                for (int k = 0; k < TS; k++) acc += As[lr][k] * Bs[k][lc];
                barrier(CLK_LOCAL_MEM_FENCE);
            }
            if (row < M && col < N) {
                float v = alpha * acc;
                if (sc.s3) v += beta * LDF(C, batch * sc.s2 + row * sc.s0 + col * sc.s1);
                ST(Y, (batch * M + row) * N + col, act_f(v, act, 0.0f, 0.0f));
            }
        }

        /* The same product without local memory or barriers, one output per work item, work-groups along the
           columns: CPU-type devices (PoCL) vectorise it across work items (contiguous B loads, A broadcast),
           where the tiled kernel's barriers cost more than they save. */
        __kernel void matmul_flat(__global const DTYPE* A, __global const DTYPE* B, __global const DTYPE* C, __global DTYPE* Y,
                                  int M, int N, int K, int4 sa, int4 sb, int4 sc, float alpha, float beta, int act) {
            int col = get_global_id(0), row = get_global_id(1), batch = get_global_id(2);
            if (row >= M || col >= N) return;
            int ai = batch * sa.s2 + row * sa.s0, bi = batch * sb.s2 + col * sb.s1;
            float acc = 0.0f;
            for (int k = 0; k < K; k++) acc += LDF(A, ai + k * sa.s1) * LDF(B, bi + k * sb.s0);
            float v = alpha * acc;
            if (sc.s3) v += beta * LDF(C, batch * sc.s2 + row * sc.s0 + col * sc.s1);
            ST(Y, (batch * M + row) * N + col, act_f(v, act, 0.0f, 0.0f));
        }

        /* Pooling 2D. p = N C H W OH OW KH KW sh sw pt pl dh dw isMax countIncludePad; pe = (pb, pr). */
        __kernel void pool2d(__global const DTYPE* x, __global DTYPE* y, int16 p, int2 pe) {
            int N = p.s0, C = p.s1, H = p.s2, W = p.s3, OH = p.s4, OW = p.s5, KH = p.s6, KW = p.s7;
            int sh = p.s8, sw = p.s9, pt = p.sa, pl = p.sb, dh = p.sc, dw = p.sd, isMax = p.se, cip = p.sf;
            int gid = get_global_id(0);
            if (gid >= N * C * OH * OW) return;
            int ow = gid % OW; int t = gid / OW; int oh = t % OH; int nc = t / OH;
            int base = nc * H * W;
            float acc = isMax ? -INFINITY : 0.0f;
            int cnt = 0, padCnt = 0;
            for (int kh = 0; kh < KH; kh++) {
                int ih = oh * sh - pt + kh * dh;
                for (int kw = 0; kw < KW; kw++) {
                    int iw = ow * sw - pl + kw * dw;
                    if (ih >= -pt && ih < H + pe.s0 && iw >= -pl && iw < W + pe.s1) padCnt++;
                    if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                    float v = LDF(x, base + ih * W + iw);
                    if (isMax) acc = fmax(acc, v); else acc += v;
                    cnt++;
                }
            }
            if (!isMax) acc = acc / (float)(cip ? padCnt : max(cnt, 1));
            ST(y, gid, acc);
        }

        __kernel void global_pool(__global const DTYPE* x, __global DTYPE* y, int nc, int hw, int isMax) {
            int i = get_global_id(0);
            if (i >= nc) return;
            int base = i * hw;
            float acc = isMax ? -INFINITY : 0.0f;
            for (int k = 0; k < hw; k++) { float v = LDF(x, base + k); acc = isMax ? fmax(acc, v) : acc + v; }
            ST(y, i, isMax ? acc : acc / (float)hw);
        }

        /* y = x * s[c] + b[c] (BatchNormalization folded); c = (i / inner) % C. */
        __kernel void channel_affine(__global const DTYPE* x, __global const float* s, __global const float* bb, __global DTYPE* y,
                                     int n, int C, int inner, int act) {
            int i = get_global_id(0);
            if (i >= n) return;
            int c = (i / inner) % C;
            ST(y, i, act_f(LDF(x, i) * s[c] + bb[c], act, 0.0f, 0.0f));
        }

        /* Normalisation over rows of len elements: y = (x - mean) / sqrt(var + eps) * scale + bias. perChannel 0
           (LayerNormalization): scale/bias indexed by the position in the row; perChannel C > 0
           (InstanceNormalization): by the row's channel, row % C. Two passes in float per row. */
        /* Layer/Instance normalisation per row; with stats, also LayerNormalization's Mean and InvStdDev per row. */
        __kernel void norm_rows(__global const DTYPE* x, __global const DTYPE* scale, __global const DTYPE* bias, __global DTYPE* y,
                                int rows, int len, float eps, int perChannel, int hasBias,
                                __global DTYPE* meanOut, __global DTYPE* invOut, int stats) {
            int r = get_global_id(0);
            if (r >= rows) return;
            int base = r * len;
            float mean = 0.0f;
            for (int j = 0; j < len; j++) mean += LDF(x, base + j);
            mean /= (float)len;
            float var = 0.0f;
            for (int j = 0; j < len; j++) { float d = LDF(x, base + j) - mean; var += d * d; }
            float inv = rsqrt(var / (float)len + eps);
            if (stats) { ST(meanOut, r, mean); ST(invOut, r, inv); }
            for (int j = 0; j < len; j++) {
                int si = perChannel > 0 ? r % perChannel : j;
                float v = (LDF(x, base + j) - mean) * inv * LDF(scale, si);
                if (hasBias) v += LDF(bias, si);
                ST(y, base + j, v);
            }
        }

        /* GroupNormalization: statistics per (instance, group) row of len = cpg * spatial elements (the group's
           channels are contiguous), then y = (x - mean) / sqrt(var + eps) * scale + bias with scale/bias per
           channel (perGroup 0, opset 21) or per group (perGroup 1, opset 18). Two passes in float per row. */
        __kernel void group_norm(__global const DTYPE* x, __global const DTYPE* scale, __global const DTYPE* bias, __global DTYPE* y,
                                 int rows, int groups, int cpg, int spatial, float eps, int perGroup) {
            int r = get_global_id(0);
            if (r >= rows) return;
            int len = cpg * spatial, base = r * len, g = r % groups;
            float mean = 0.0f;
            for (int j = 0; j < len; j++) mean += LDF(x, base + j);
            mean /= (float)len;
            float var = 0.0f;
            for (int j = 0; j < len; j++) { float d = LDF(x, base + j) - mean; var += d * d; }
            float inv = rsqrt(var / (float)len + eps);
            for (int j = 0; j < len; j++) {
                int si = perGroup ? g : g * cpg + j / spatial;
                ST(y, base + j, (LDF(x, base + j) - mean) * inv * LDF(scale, si) + LDF(bias, si));
            }
        }

        /* Gather: y[o, k, i] = x[o, idx[k], i] over outer x K x inner; the axis has A entries. Negative indices count
           from the end; one outside [-A, A) writes 0 and raises err = (1, index), which the host turns into the node's error. */
        __kernel void gather(__global const DTYPE* x, __global const int* idx, __global DTYPE* y, int n, int K, int inner, int A,
                             __global int* err) {
            int i = get_global_id(0);
            if (i >= n) return;
            int in = i % inner, t = i / inner, k = t % K, o = t / K;
            int j = idx[k];
            if (j < 0) j += A;
            if (j < 0 || j >= A) { err[0] = 1; err[1] = idx[k]; ST(y, i, 0.0f); return; }
            ST(y, i, LD(x, (o * A + j) * inner + in));
        }

        /* Gather of integer data (int32 storage); as gather. */
        __kernel void gather_i(__global const int* x, __global const int* idx, __global int* y, int n, int K, int inner, int A,
                               __global int* err) {
            int i = get_global_id(0);
            if (i >= n) return;
            int in = i % inner, t = i / inner, k = t % K, o = t / K;
            int j = idx[k];
            if (j < 0) j += A;
            if (j < 0 || j >= A) { err[0] = 1; err[1] = idx[k]; y[i] = 0; return; }
            y[i] = x[(o * A + j) * inner + in];
        }

        __kernel void softmax(__global const DTYPE* x, __global DTYPE* y, int outer, int len, int inner, int isLog) {
            int gid = get_global_id(0);
            if (gid >= outer * inner) return;
            int o = gid / inner, in = gid % inner;
            int base = o * len * inner + in;
            float mx = -INFINITY;
            for (int k = 0; k < len; k++) mx = fmax(mx, LDF(x, base + k * inner));
            float sum = 0.0f;
            for (int k = 0; k < len; k++) sum += exp(LDF(x, base + k * inner) - mx);
            if (isLog) { float ls = log(sum); for (int k = 0; k < len; k++) ST(y, base + k * inner, LDF(x, base + k * inner) - mx - ls); }
            else { float inv = 1.0f / sum; for (int k = 0; k < len; k++) ST(y, base + k * inner, exp(LDF(x, base + k * inner) - mx) * inv); }
        }

        /* y[offY + sum idx*sy] = x[offX + sum idx*sx] over an index space with dims (8, leading 1s). */
        __kernel void strided_copy(__global const DTYPE* x, __global DTYPE* y, int n, int8 dims, int8 sx, int offX, int8 sy, int offY) {
            int i = get_global_id(0);
            if (i >= n) return;
            int d[8] = { dims.s0, dims.s1, dims.s2, dims.s3, dims.s4, dims.s5, dims.s6, dims.s7 };
            int ax[8] = { sx.s0, sx.s1, sx.s2, sx.s3, sx.s4, sx.s5, sx.s6, sx.s7 };
            int ay[8] = { sy.s0, sy.s1, sy.s2, sy.s3, sy.s4, sy.s5, sy.s6, sy.s7 };
            int r = i, ix = offX, iy = offY;
            for (int k = 7; k >= 0; k--) { int q = r % d[k]; r /= d[k]; ix += q * ax[k]; iy += q * ay[k]; }
            ST(y, iy, LD(x, ix));
        }

        /* strided_copy of int storage (Concat/Transpose/Slice/Split/Expand of integer tensors). */
        __kernel void strided_copy_i(__global const int* x, __global int* y, int n, int8 dims, int8 sx, int offX, int8 sy, int offY) {
            int i = get_global_id(0);
            if (i >= n) return;
            int d[8] = { dims.s0, dims.s1, dims.s2, dims.s3, dims.s4, dims.s5, dims.s6, dims.s7 };
            int ax[8] = { sx.s0, sx.s1, sx.s2, sx.s3, sx.s4, sx.s5, sx.s6, sx.s7 };
            int ay[8] = { sy.s0, sy.s1, sy.s2, sy.s3, sy.s4, sy.s5, sy.s6, sy.s7 };
            int r = i, ix = offX, iy = offY;
            for (int k = 7; k >= 0; k--) { int q = r % d[k]; r /= d[k]; ix += q * ax[k]; iy += q * ay[k]; }
            y[iy] = x[ix];
        }

        /* Resize NCHW on H, W. p = N C H W OH OW isLinear coordMode; sc = (scaleH, scaleW); nearestMode. */
        float resize_coord(int xo, float scale, int lenOut, int lenIn, int mode) {
            switch (mode) {
                case 0: return ((float)xo + 0.5f) / scale - 0.5f;                               /* half_pixel */
                case 1: return lenOut > 1 ? ((float)xo + 0.5f) / scale - 0.5f : 0.0f;           /* pytorch_half_pixel */
                case 2: return lenOut == 1 ? 0.0f : (float)xo * (float)(lenIn - 1) / (float)(lenOut - 1); /* align_corners */
                case 3: return (float)xo / scale;                                                /* asymmetric */
                case 4: return ((float)xo + 0.5f) / scale;                                       /* tf_half_pixel_for_nn */
            }
            return 0.0f;
        }

        int resize_nearest(float v, int mode, int len) {
            int r;
            switch (mode) {
                case 0: r = (v - floor(v) == 0.5f) ? (int)floor(v) : (int)round(v); break; /* round_prefer_floor */
                case 1: r = (int)round(v); break;                                            /* round_prefer_ceil */
                case 2: r = (int)floor(v); break;
                default: r = (int)ceil(v); break;
            }
            return clamp(r, 0, len - 1);
        }

        __kernel void resize2d(__global const DTYPE* x, __global DTYPE* y, int8 p, float2 sc, int nearestMode) {
            int N = p.s0, C = p.s1, H = p.s2, W = p.s3, OH = p.s4, OW = p.s5, isLinear = p.s6, mode = p.s7;
            int gid = get_global_id(0);
            if (gid >= N * C * OH * OW) return;
            int ow = gid % OW; int t = gid / OW; int oh = t % OH; int nc = t / OH;
            int base = nc * H * W;
            float fy = resize_coord(oh, sc.s0, OH, H, mode), fx = resize_coord(ow, sc.s1, OW, W, mode);
            if (!isLinear) {
                ST(y, gid, LD(x, base + resize_nearest(fy, nearestMode, H) * W + resize_nearest(fx, nearestMode, W)));
                return;
            }
            fy = clamp(fy, 0.0f, (float)(H - 1)); fx = clamp(fx, 0.0f, (float)(W - 1));
            int y0 = (int)fy, x0 = (int)fx, y1 = min(y0 + 1, H - 1), x1 = min(x0 + 1, W - 1);
            float dy = fy - (float)y0, dx = fx - (float)x0;
            float v00 = LDF(x, base + y0 * W + x0), v01 = LDF(x, base + y0 * W + x1);
            float v10 = LDF(x, base + y1 * W + x0), v11 = LDF(x, base + y1 * W + x1);
            ST(y, gid, (v00 * (1.0f - dx) + v01 * dx) * (1.0f - dy) + (v10 * (1.0f - dx) + v11 * dx) * dy);
        }

        /* Reduce: for output i (decomposed over odims with input strides os), combine the rcount elements
           indexed over rdims with input strides rs. op: 0 sum, 1 mean, 2 max, 3 min, 4 sum of squares, 5 L2, 6 L1. */
        __kernel void reduce(__global const DTYPE* x, __global DTYPE* y, int n, int op, int8 odims, int8 os, int8 rdims, int8 rs, int rcount) {
            int i = get_global_id(0);
            if (i >= n) return;
            int d[8] = { odims.s0, odims.s1, odims.s2, odims.s3, odims.s4, odims.s5, odims.s6, odims.s7 };
            int s[8] = { os.s0, os.s1, os.s2, os.s3, os.s4, os.s5, os.s6, os.s7 };
            int rd[8] = { rdims.s0, rdims.s1, rdims.s2, rdims.s3, rdims.s4, rdims.s5, rdims.s6, rdims.s7 };
            int rss[8] = { rs.s0, rs.s1, rs.s2, rs.s3, rs.s4, rs.s5, rs.s6, rs.s7 };
            int r = i, base = 0;
            for (int k = 7; k >= 0; k--) { int q = r % d[k]; r /= d[k]; base += q * s[k]; }
            float acc = op == 2 ? -INFINITY : (op == 3 ? INFINITY : 0.0f);
            for (int j = 0; j < rcount; j++) {
                int rr = j, off = base;
                for (int k = 7; k >= 0; k--) { int q = rr % rd[k]; rr /= rd[k]; off += q * rss[k]; }
                float v = LDF(x, off);
                switch (op) {
                    case 2: acc = fmax(acc, v); break;
                    case 3: acc = fmin(acc, v); break;
                    case 4: case 5: acc += v * v; break;
                    case 6: acc += fabs(v); break;
                    default: acc += v; break;
                }
            }
            if (op == 1) acc /= (float)rcount;
            if (op == 5) acc = sqrt(acc);
            ST(y, i, acc);
        }

        /* Constant / edge / reflect pad over 8 dims. pads: leading pads per dim. */
        __kernel void pad(__global const DTYPE* x, __global DTYPE* y, int n, int8 odims, int8 idims, int8 lead, int mode, float value) {
            int i = get_global_id(0);
            if (i >= n) return;
            int od[8] = { odims.s0, odims.s1, odims.s2, odims.s3, odims.s4, odims.s5, odims.s6, odims.s7 };
            int id[8] = { idims.s0, idims.s1, idims.s2, idims.s3, idims.s4, idims.s5, idims.s6, idims.s7 };
            int pl[8] = { lead.s0, lead.s1, lead.s2, lead.s3, lead.s4, lead.s5, lead.s6, lead.s7 };
            int r = i, ix = 0, stride = 1, outside = 0;
            for (int k = 7; k >= 0; k--) {
                int q = r % od[k]; r /= od[k];
                int s = q - pl[k];
                if (s < 0 || s >= id[k]) {
                    if (mode == 0) outside = 1;
                    else if (mode == 1) s = clamp(s, 0, id[k] - 1);
                    else { int L = id[k]; if (L == 1) s = 0; else { int per = 2 * (L - 1); s = s % per; if (s < 0) s += per; if (s >= L) s = per - s; } }
                }
                ix += s * stride; stride *= id[k];
            }
            if (outside) ST(y, i, value); else ST(y, i, LD(x, ix));
        }

        /* The nearest half to v, as float (Cast to float16 in float32 storage). */
        float to_half_rte(float v) {
            ushort h;
            vstore_half_rte(v, 0, (__private half*)&h);
            return vload_half(0, (__private const half*)&h);
        }

        __kernel void round_half(__global const DTYPE* x, __global DTYPE* y, int n) {
            int i = get_global_id(0);
            if (i < n) ST(y, i, to_half_rte(LDF(x, i)));
        }

        /* float → int32 (toward zero; NaN → 0; outside the int32 range raises err with the value's bits) or → bool. */
        __kernel void cast_f2i(__global const DTYPE* x, __global int* y, int n, int toBool, __global int* err) {
            int i = get_global_id(0);
            if (i >= n) return;
            float v = LDF(x, i);
            if (toBool) { y[i] = v != 0.0f ? 1 : 0; return; }
            if (isnan(v)) { y[i] = 0; return; }
            float t = trunc(v);
            if (!(t >= -2147483648.0f && t < 2147483648.0f)) { err[0] = 1; err[1] = as_int(v); y[i] = 0; return; }
            y[i] = (int)t;
        }

        __kernel void cast_i2f(__global const int* x, __global DTYPE* y, int n, int toHalf) {
            int i = get_global_id(0);
            if (i >= n) return;
            float v = (float)x[i];
            ST(y, i, toHalf ? to_half_rte(v) : v);
        }

        __kernel void cast_i2b(__global const int* x, __global int* y, int n) {
            int i = get_global_id(0);
            if (i < n) y[i] = x[i] != 0 ? 1 : 0;
        }

        __kernel void fill(__global DTYPE* y, int n, float v) {
            int i = get_global_id(0);
            if (i < n) ST(y, i, v);
        }

        __kernel void to_storage(__global const float* x, __global DTYPE* y, int n) {
            int i = get_global_id(0);
            if (i < n) ST(y, i, x[i]);
        }

        __kernel void from_storage(__global const DTYPE* x, __global float* y, int n) {
            int i = get_global_id(0);
            if (i < n) y[i] = LDF(x, i);
        }
        """;
}
