using System.Runtime.Intrinsics;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Onyx.Kernels;
using Onyx.Kernels.Gemm;
using Onyx.Kernels.Threading;

// Usage: Onyx.Bench gemm [size=1024] [isa=best|scalar|v256|v512] [threads=1] [prepacked=0|1] [seconds=2] [M] [N] [K]
//        Onyx.Bench kern [kc] | peak [isa] | conv cin cout hw k stride group [seconds]
//        Onyx.Bench block cin expand hw stride [threads=1] [seconds=2]  (a MobileNetV2 inverted residual block)
//        Onyx.Bench convt cin cout hw k stride [threads=1] [seconds=2]  (ConvTranspose, unpadded; ONYX_CONVT_TILED=0: generic path)
//        Onyx.Bench int8 [size=1024] [isa] [threads=1] [seconds=2]
//        Onyx.Bench gemv [M=1] [N=1000] [K=1280] [isa] [threads=1] [seconds=2]  (A · Bᵀ, B [N, K]: few-rows vs packed; ONYX_BENCH_COLD=copies)
//        Onyx.Bench attn [S=64] [heads=12] [D=64] [threads=1]  (packed-GEMM heads, scores GEMM alone, SmallHeadAttention)
//        Onyx.Bench act [gelu|fastgelu|tanh|sigmoid] [rows=64] [cols=3072]  (a GEMM post activation as the driver applies it)
unsafe
{
    string mode = args.Length > 0 ? args[0] : "gemm";
    if (mode == "gemm")
    {
        int size = args.Length > 1 ? int.Parse(args[1]) : 1024;
        IsaPath isa = args.Length > 2 ? KernelIsa.Select(args[2]) : KernelIsa.Best;
        int threads = args.Length > 3 ? int.Parse(args[3]) : 1;
        bool prepacked = args.Length > 4 && args[4] == "1";
        double seconds = args.Length > 5 ? double.Parse(args[5]) : 2;
        int m = args.Length > 6 ? int.Parse(args[6]) : size; // optional 7th..9th args: M (e.g. 1 for GEMV), N, K
        int n = args.Length > 7 ? int.Parse(args[7]) : size, k = args.Length > 8 ? int.Parse(args[8]) : size;
        float* a = (float*)NativeMemory.AlignedAlloc((nuint)(m * k * 4), 64);
        float* b = (float*)NativeMemory.AlignedAlloc((nuint)(k * n * 4), 64);
        float* c = (float*)NativeMemory.AlignedAlloc((nuint)(m * n * 4), 64);
        var rnd = new Random(1);
        for (int i = 0; i < m * k; i++) a[i] = (float)rnd.NextDouble() - 0.5f;
        for (int i = 0; i < k * n; i++) b[i] = (float)rnd.NextDouble() - 0.5f;
        using var pool = threads > 1 ? new IntraOpPool(threads) : null;
        // ONYX_BENCH_COLD=copies: cycle through that many prepacked B copies so B comes from DRAM, as model weights do.
        int copies = int.TryParse(Environment.GetEnvironmentVariable("ONYX_BENCH_COLD"), out int cc) ? cc : 1;
        var pbs = prepacked ? Enumerable.Range(0, copies).Select(_ => new PackedMatrixB(b, n, false, k, n, isa)).ToArray() : null;
        int turn = 0;
        // ONYX_BENCH_ACT=relu|gelu|fastgelu|...: a column bias plus that activation in the store (MatMulBias), else none.
        float* colBias = (float*)NativeMemory.AlignedAlloc((nuint)(n * 4), 64);
        for (int i = 0; i < n; i++) colBias[i] = 0.01f * (i % 7);
        var ep = Enum.TryParse(Environment.GetEnvironmentVariable("ONYX_BENCH_ACT"), true, out FusedActivation act)
            ? new GemmEpilogue { Bias = colBias, BiasKind = BiasKind.PerColumn, Activation = act } : default;
        // ONYX_BENCH_FRESHC=1: C freshly allocated for every call, as a graph output is (page faults included).
        bool freshC = Environment.GetEnvironmentVariable("ONYX_BENCH_FRESHC") == "1";
        void Once()
        {
            if (freshC) { NativeMemory.AlignedFree(c); c = (float*)NativeMemory.AlignedAlloc((nuint)m * (nuint)n * 4, 64); }
            if (pbs != null) SGemm.Multiply(false, m, 1f, a, k, pbs[turn++ % pbs.Length], 0f, c, n, ep, pool);
            else SGemm.Multiply(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n, ep, pool, isa);
        }
        for (int i = 0; i < 3; i++) Once();
        double best = double.MaxValue, bestCpu = double.MaxValue;
        var total = Stopwatch.StartNew();
        int reps = 0;
        while (total.Elapsed.TotalSeconds < seconds || reps < 3)
        {
            long t0 = Stopwatch.GetTimestamp();
            double c0 = CpuClock.ThreadSeconds();
            Once();
            double cpu = CpuClock.ThreadSeconds() - c0;
            double s = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            best = Math.Min(best, s);
            bestCpu = Math.Min(bestCpu, cpu);
            reps++;
        }
        double flop = 2.0 * m * n * k;
        // Wall time is what a user sees; on a shared, oversubscribed machine the thread's own CPU time
        // (CLOCK_THREAD_CPUTIME_ID, excludes time preempted) is the fairer single-thread number.
        Console.WriteLine($"gemm {m}x{n}x{k} isa={isa} threads={threads} prepacked={prepacked}: wall best {best * 1e3:F2} ms = {flop / best / 1e9:F1} GFLOP/s; thread-cpu best {bestCpu * 1e3:F2} ms = {flop / bestCpu / 1e9:F1} GFLOP/s ({reps} reps)");
    }
    else if (mode == "block")
    {
        // block cin expand hw stride [threads=1] [seconds=2]: one MobileNetV2 inverted residual block as the model runs it
        // (1x1 expand + Clip, 3x3 depthwise + Clip, 1x1 project), wall time per block, best and median.
        int cin = int.Parse(args[1]), e = int.Parse(args[2]), hw = int.Parse(args[3]), st = int.Parse(args[4]);
        int threads = args.Length > 5 ? int.Parse(args[5]) : 1;
        double seconds = args.Length > 6 ? double.Parse(args[6]) : 2;
        using var pool = threads > 1 ? new IntraOpPool(threads) : null;
        int o = (hw + 2 - 3) / st + 1;
        var gE = Onyx.Kernels.Conv.ConvGeometry.Create(1, cin, e, 1, [hw, hw], [hw, hw], [1, 1], [1, 1], [1, 1], [0, 0, 0, 0]);
        var gD = Onyx.Kernels.Conv.ConvGeometry.Create(1, e, e, e, [hw, hw], [o, o], [3, 3], [st, st], [1, 1], [1, 1, 1, 1]);
        var gP = Onyx.Kernels.Conv.ConvGeometry.Create(1, e, cin, 1, [o, o], [o, o], [1, 1], [1, 1], [1, 1], [0, 0, 0, 0]);
        var rnd = new Random(1);
        float* Buf(long n, double scale)
        {
            var p = (float*)NativeMemory.AlignedAlloc((nuint)Math.Max(n, 16) * 4, 64);
            for (long i = 0; i < n; i++) p[i] = (float)((rnd.NextDouble() - 0.5) * scale);
            return p;
        }
        float* x = Buf(cin * hw * hw, 1), t1 = Buf(e * hw * hw, 0), t2 = Buf(e * o * o, 0), y = Buf(cin * o * o, 0);
        float* wE = Buf(e * cin, 0.2), wD = Buf(e * 9, 0.2), wP = Buf(cin * e, 0.2), bE = Buf(e, 0.1), bP = Buf(cin, 0.1);
        using var cE = new Onyx.Kernels.Conv.ConvF32(wE, e, cin, 1, 1, 1, 1);
        using var cD = new Onyx.Kernels.Conv.ConvF32(wD, e, 1, e, 1, 3, 3);
        using var cP = new Onyx.Kernels.Conv.ConvF32(wP, cin, e, 1, 1, 1, 1);
        var clip = new GemmEpilogue { Activation = FusedActivation.Clip, Min = 0, Max = 6 };
        void Block()
        {
            cE.Forward(gE, x, t1, bE, clip, pool);
            cD.Forward(gD, t1, t2, bE, clip, pool);
            cP.Forward(gP, t2, y, bP, GemmEpilogue.None, pool);
        }
        for (int i = 0; i < 5; i++) Block();
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < seconds || times.Count < 5)
        {
            long t0 = Stopwatch.GetTimestamp();
            Block();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        times.Sort();
        Console.WriteLine($"block {cin}->{e}->{cin} {hw}x{hw} s{st} t{threads}: best {times[0]:F4} ms, p10 {times[times.Count / 10]:F4}, median {times[times.Count / 2]:F4} ({times.Count} reps)");
    }
    else if (mode == "convt")
    {
        // convt cin cout hw k stride [threads=1] [seconds=2]: ConvTranspose, no pads, input hw x hw
        int cin = int.Parse(args[1]), cout = int.Parse(args[2]), hw = int.Parse(args[3]), ks = int.Parse(args[4]), st = int.Parse(args[5]);
        int threads = args.Length > 6 ? int.Parse(args[6]) : 1;
        double seconds = args.Length > 7 ? double.Parse(args[7]) : 2;
        using var pool = threads > 1 ? new IntraOpPool(threads) : null;
        int o = (hw - 1) * st + ks;
        var geo = Onyx.Kernels.Conv.ConvGeometry.Create(1, cout, cin, 1, [o, o], [hw, hw], [ks, ks], [st, st], [1, 1], [0, 0, 0, 0]);
        float* x = (float*)NativeMemory.AlignedAlloc((nuint)(cin * hw * hw * 4), 64), y = (float*)NativeMemory.AlignedAlloc((nuint)(cout * o * o * 4), 64);
        float* w = (float*)NativeMemory.AlignedAlloc((nuint)(cin * cout * ks * ks * 4), 64), b = (float*)NativeMemory.AlignedAlloc((nuint)(cout * 4), 64);
        var rnd = new Random(1);
        for (int i = 0; i < cin * hw * hw; i++) x[i] = (float)rnd.NextDouble();
        for (int i = 0; i < cin * cout * ks * ks; i++) w[i] = (float)rnd.NextDouble() - 0.5f;
        for (int i = 0; i < cout; i++) b[i] = 0.1f;
        using var t = new Onyx.Kernels.Conv.ConvTransposeF32(w, cin, cout, 1, ks * ks);
        for (int i = 0; i < 3; i++) t.Forward(geo, x, y, b, pool);
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < seconds || times.Count < 5)
        {
            long t0 = Stopwatch.GetTimestamp();
            t.Forward(geo, x, y, b, pool);
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        times.Sort();
        Console.WriteLine($"convt {cin}->{cout} {hw}x{hw} k{ks} s{st} t{threads}: best {times[0]:F4} ms, p10 {times[times.Count / 10]:F4}, median {times[times.Count / 2]:F4} ({times.Count} reps)");
    }
    else if (mode == "attn")
    {
        // One attention block's per-head GEMMs as AttentionCore runs them: scores = Q_h K_hᵀ (transB, rows 768 apart),
        // softmax, Y_h = P V_h; args: S, heads, D, threads.
        int s = args.Length > 1 ? int.Parse(args[1]) : 64, heads = args.Length > 2 ? int.Parse(args[2]) : 12;
        int d = args.Length > 3 ? int.Parse(args[3]) : 64, threads = args.Length > 4 ? int.Parse(args[4]) : 1;
        int ld = heads * d;
        float* q = (float*)NativeMemory.AlignedAlloc((nuint)(s * ld * 4), 64), k = (float*)NativeMemory.AlignedAlloc((nuint)(s * ld * 4), 64);
        float* v = (float*)NativeMemory.AlignedAlloc((nuint)(s * ld * 4), 64), y = (float*)NativeMemory.AlignedAlloc((nuint)(s * ld * 4), 64);
        float* sc = (float*)NativeMemory.AlignedAlloc((nuint)(threads * s * s * 4), 64);
        var rnd = new Random(1);
        for (int i = 0; i < s * ld; i++) { q[i] = (float)rnd.NextDouble() - 0.5f; k[i] = (float)rnd.NextDouble() - 0.5f; v[i] = (float)rnd.NextDouble() - 0.5f; }
        using var pool = threads > 1 ? new IntraOpPool(threads) : null;
        var body = new AttnBench { Q = q, K = k, V = v, Y = y, Scores = sc, S = s, D = d, Ld = ld, Heads = heads, Parts = threads };
        for (int phase = 0; phase < 3; phase++)
        {
            body.GemmOnly = phase == 1;
            body.Fused = phase == 2;
            double best = double.MaxValue;
            for (int rep = 0; rep < 2000; rep++)
            {
                long t0 = Stopwatch.GetTimestamp();
                if (pool != null) pool.Run(threads, ref body); else body.Invoke(0);
                best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
            Console.WriteLine($"attn S={s} heads={heads} D={d} threads={threads} {(body.Fused ? "SmallHeadAttention" : body.GemmOnly ? "scores GEMM only" : "full")}: best {best * 1e3:F1} us");
        }
    }
    else if (mode == "act")
    {
        // A GEMM post activation over one [rows, cols] output as the driver applies it; args: gelu|fastgelu|tanh|sigmoid, rows, cols.
        string kind = args.Length > 1 ? args[1] : "gelu";
        int rows = args.Length > 2 ? int.Parse(args[2]) : 64, cols = args.Length > 3 ? int.Parse(args[3]) : 3072;
        var act = new GemmEpilogue { Activation = kind switch { "fastgelu" => FusedActivation.FastGelu, "tanh" => FusedActivation.Tanh, "sigmoid" => FusedActivation.Sigmoid, _ => FusedActivation.Gelu } };
        float* c = (float*)NativeMemory.AlignedAlloc((nuint)(rows * cols * 4), 64), src = (float*)NativeMemory.AlignedAlloc((nuint)(rows * cols * 4), 64);
        var rnd = new Random(1);
        for (int i = 0; i < rows * cols; i++) src[i] = (float)(rnd.NextDouble() * 8 - 4);
        double best = double.MaxValue;
        for (int rep = 0; rep < 1000; rep++)
        {
            Buffer.MemoryCopy(src, c, rows * cols * 4L, rows * cols * 4L);
            long t0 = Stopwatch.GetTimestamp();
            Activations.ApplyTile(c, cols, rows, cols, act, KernelIsa.Best);
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        Console.WriteLine($"act {kind} {rows}x{cols}: best {best * 1e3:F1} us = {best * 1e6 / (rows * cols):F3} ns/element");
    }
    else if (mode == "spin")
    {
        // What one Thread.SpinWait(1) costs here: IntraOpPool's worker spin budget is counted in them.
        for (int round = 0; round < 3; round++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < 1_000_000; i++) Thread.SpinWait(1);
            Console.WriteLine($"Thread.SpinWait(1): {Stopwatch.GetElapsedTime(t0).TotalMilliseconds * 1e6 / 1_000_000:F1} ns");
        }
    }
    else if (mode == "gemv")
    {
        int m = args.Length > 1 ? int.Parse(args[1]) : 1, n = args.Length > 2 ? int.Parse(args[2]) : 1000, k = args.Length > 3 ? int.Parse(args[3]) : 1280;
        IsaPath isa = args.Length > 4 ? KernelIsa.Select(args[4]) : KernelIsa.Best;
        int threads = args.Length > 5 ? int.Parse(args[5]) : 1;
        double seconds = args.Length > 6 ? double.Parse(args[6]) : 2;
        int copies = int.TryParse(Environment.GetEnvironmentVariable("ONYX_BENCH_COLD"), out int cc) ? cc : 1;
        float* a = (float*)NativeMemory.AlignedAlloc((nuint)(m * k * 4), 64);
        float* c = (float*)NativeMemory.AlignedAlloc((nuint)(m * n * 4), 64);
        var bs = new nint[copies];
        var rnd = new Random(1);
        for (int i = 0; i < m * k; i++) a[i] = (float)rnd.NextDouble() - 0.5f;
        for (int t = 0; t < copies; t++)
        {
            float* b = (float*)NativeMemory.AlignedAlloc((nuint)((long)k * n * 4), 64);
            for (long i = 0; i < (long)k * n; i++) b[i] = (float)rnd.NextDouble() - 0.5f;
            bs[t] = (nint)b;
        }
        var packed = bs.Select(b => new PackedMatrixB((float*)b, k, true, k, n, isa)).ToArray();
        using var pool = threads > 1 ? new IntraOpPool(threads) : null;
        int turn = 0;
        foreach (bool few in new[] { true, false, true, false })
        {
            void Once()
            {
                int t = turn++ % copies;
                if (few) Onyx.Kernels.Gemv.SmallRowsGemmT.Multiply(m, n, k, a, k, (float*)bs[t], k, c, n, Onyx.Kernels.Gemv.SmallRowsAddend.None, pool, isa);
                else SGemm.Multiply(false, m, 1f, a, k, packed[t], 0f, c, n, default, pool);
            }
            for (int i = 0; i < 3; i++) Once();
            double best = double.MaxValue, sum = 0;
            int reps = 0;
            var total = Stopwatch.StartNew();
            while (total.Elapsed.TotalSeconds < seconds || reps < 3)
            {
                long t0 = Stopwatch.GetTimestamp();
                Once();
                double s = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                best = Math.Min(best, s);
                sum += s;
                reps++;
            }
            Console.WriteLine($"gemv {m}x{n}x{k} B^T isa={isa} threads={threads} {(few ? "few-rows" : "packed  ")}: best {best * 1e3:F3} ms, mean {sum / reps * 1e3:F3} ms = {4.0 * n * k / (sum / reps) / 1e9:F1} GB/s of B ({reps} reps, {copies} B copies)");
        }
    }
    else if (mode == "conv")
    {
        // conv cin cout hw k stride group [seconds]
        int cin = int.Parse(args[1]), cout = int.Parse(args[2]), hw = int.Parse(args[3]), ks = int.Parse(args[4]), st = int.Parse(args[5]), grp = int.Parse(args[6]);
        double seconds = args.Length > 7 ? double.Parse(args[7]) : 2;
        int threads = args.Length > 8 ? int.Parse(args[8]) : 1;
        using var pool = threads > 1 ? new IntraOpPool(threads) : null;
        int pad = ks / 2, o = (hw + 2 * pad - ks) / st + 1;
        var geo = Onyx.Kernels.Conv.ConvGeometry.Create(1, cin, cout, grp, [hw, hw], [o, o], [ks, ks], [st, st], [1, 1], [pad, pad, pad, pad]);
        var x = new float[cin * hw * hw]; var w = new float[cout * cin / grp * ks * ks]; var y = new float[cout * o * o]; var bias = new float[cout];
        var rnd = new Random(1);
        for (int i = 0; i < x.Length; i++) x[i] = (float)rnd.NextDouble();
        for (int i = 0; i < w.Length; i++) w[i] = (float)rnd.NextDouble() - 0.5f;
        fixed (float* px0 = x, pw = w, py0 = y, pb = bias)
        {
            // 64-byte aligned copies, as the session's arena hands out (managed arrays are only 8-byte aligned).
            float* px = (float*)NativeMemory.AlignedAlloc((nuint)x.Length * 4, 64), py = (float*)NativeMemory.AlignedAlloc((nuint)y.Length * 4, 64);
            Buffer.MemoryCopy(px0, px, x.Length * 4L, x.Length * 4L);
            using var conv = new Onyx.Kernels.Conv.ConvF32(pw, cout, cin / grp, grp, 1, ks, ks);
            var relu = new GemmEpilogue { Activation = FusedActivation.Relu };
            for (int i = 0; i < 3; i++) conv.Forward(geo, px, py, pb, relu, pool);
            double bestCpu = double.MaxValue, bestWall = double.MaxValue; int reps = 0; var total = Stopwatch.StartNew();
            while (total.Elapsed.TotalSeconds < seconds || reps < 3)
            {
                double c0 = CpuClock.ThreadSeconds();
                long t0 = Stopwatch.GetTimestamp();
                conv.Forward(geo, px, py, pb, relu, pool);
                bestWall = Math.Min(bestWall, Stopwatch.GetElapsedTime(t0).TotalSeconds);
                bestCpu = Math.Min(bestCpu, CpuClock.ThreadSeconds() - c0);
                reps++;
            }
            double flop = 2.0 * cout * (cin / grp) * ks * ks * o * o;
            Console.WriteLine($"conv {cin}->{cout} {hw}x{hw} k{ks} s{st} g{grp} t{threads}: wall best {bestWall * 1e3:F3} ms = {flop / bestWall / 1e9:F1} GFLOP/s; thread-cpu best {bestCpu * 1e3:F3} ms = {flop / bestCpu / 1e9:F1} GFLOP/s ({reps} reps)");
        }
    }
    else if (mode == "kern")
    {
        // kern [kc=256] [reps]: the 12x32 V512 micro-kernel alone on an L1-resident panel and strip (no packing, no edges).
        int kc = args.Length > 1 ? int.Parse(args[1]) : 256;
        long reps = args.Length > 2 ? long.Parse(args[2]) : 2_000_000;
        float* a = (float*)NativeMemory.AlignedAlloc((nuint)(12 * kc * 4), 64);
        float* b = (float*)NativeMemory.AlignedAlloc((nuint)(32 * kc * 4), 64);
        float* c = (float*)NativeMemory.AlignedAlloc(12 * 32 * 4, 64);
        for (int i = 0; i < 12 * kc; i++) a[i] = 0.001f * (i % 7);
        for (int i = 0; i < 32 * kc; i++) b[i] = 0.001f * (i % 5);
        for (int i = 0; i < 1000; i++) GemmKernelV512.Kernel12x32<R12>(a, b, 32, c, 32, kc, 1f, 0, null, null, 0, 0, 0);
        double c0 = CpuClock.ThreadSeconds();
        for (long i = 0; i < reps; i++) GemmKernelV512.Kernel12x32<R12>(a, b, 32, c, 32, kc, 1f, 1, null, null, 0, 0, 0);
        double s = CpuClock.ThreadSeconds() - c0;
        Console.WriteLine($"kern 12x32 kc={kc}: {2.0 * 12 * 32 * kc * reps / s / 1e9:F1} GFLOP/s");
    }
    else if (mode == "gather")
    {
        // gather cin hw k stride [cols=128]: im2col into packed strips alone (the conv's non-GEMM cost).
        int cin = int.Parse(args[1]), hw = int.Parse(args[2]), ks = int.Parse(args[3]), st = int.Parse(args[4]);
        int cols = args.Length > 5 ? int.Parse(args[5]) : 128;
        bool runs = args.Length > 6 && args[6] == "runs"; // the portable per-run copy path, for comparison
        int pad = ks / 2, o = (hw + 2 * pad - ks) / st + 1;
        var geo = Onyx.Kernels.Conv.ConvGeometry.Create(1, cin, 64, 1, [hw, hw], [o, o], [ks, ks], [st, st], [1, 1], [pad, pad, pad, pad]);
        float* x = (float*)NativeMemory.AlignedAlloc((nuint)(cin * hw * hw * 4), 64);
        float* col = (float*)NativeMemory.AlignedAlloc((nuint)(cin * ks * ks * (cols + 32) * 4), 64);
        for (int i = 0; i < cin * hw * hw; i++) x[i] = i;
        int outSize = o * o;
        double c0 = CpuClock.ThreadSeconds();
        int reps = 0;
        while (CpuClock.ThreadSeconds() - c0 < 1)
        {
            for (int s0 = 0; s0 < outSize; s0 += cols)
                if (runs) Onyx.Kernels.Conv.Im2Col.GatherPackedRuns(geo, x, cin, s0, Math.Min(cols, outSize - s0), col, 32);
                else Onyx.Kernels.Conv.Im2Col.GatherPacked(geo, x, cin, s0, Math.Min(cols, outSize - s0), col, 32);
            reps++;
        }
        double sec = (CpuClock.ThreadSeconds() - c0) / reps;
        Console.WriteLine($"gather {cin}x{hw}x{hw} k{ks} s{st}: {sec * 1e3:F3} ms per image = {(double)cin * ks * ks * outSize / sec / 1e9:F2} G floats/s");
    }
    else if (mode == "int8")
    {
        // int8 [size=1024] [isa] [threads=1] [seconds=2]: u8 activations x prepacked s8 weights, int32 out.
        int size = args.Length > 1 ? int.Parse(args[1]) : 1024;
        IsaPath isa = args.Length > 2 ? KernelIsa.Select(args[2]) : KernelIsa.Best;
        int threads = args.Length > 3 ? int.Parse(args[3]) : 1;
        double seconds = args.Length > 4 ? double.Parse(args[4]) : 2;
        int m = size, n = size, k = size;
        byte* a = (byte*)NativeMemory.AlignedAlloc((nuint)(m * k), 64);
        byte* b = (byte*)NativeMemory.AlignedAlloc((nuint)(k * n), 64);
        int* c = (int*)NativeMemory.AlignedAlloc((nuint)(m * n * 4), 64);
        var rnd = new Random(1);
        for (int i = 0; i < m * k; i++) a[i] = (byte)rnd.Next(256);
        for (int i = 0; i < k * n; i++) b[i] = (byte)rnd.Next(256);
        using var pool = threads > 1 ? new IntraOpPool(threads) : null;
        using var pb = Int8PackedMatrix.PackB(b, true, k, n, n, false, [0], isa);
        for (int i = 0; i < 3; i++) Int8Gemm.Multiply(a, false, k, false, m, [128], pb, c, n, pool);
        double best = double.MaxValue, bestCpu = double.MaxValue;
        var total = Stopwatch.StartNew();
        int reps = 0;
        while (total.Elapsed.TotalSeconds < seconds || reps < 3)
        {
            long t0 = Stopwatch.GetTimestamp();
            double c0 = CpuClock.ThreadSeconds();
            Int8Gemm.Multiply(a, false, k, false, m, [128], pb, c, n, pool);
            bestCpu = Math.Min(bestCpu, CpuClock.ThreadSeconds() - c0);
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
            reps++;
        }
        double ops = 2.0 * m * n * k;
        Console.WriteLine($"int8 gemm {m}x{n}x{k} isa={isa} threads={threads}: wall best {best * 1e3:F2} ms = {ops / best / 1e9:F1} GOP/s; thread-cpu best {bestCpu * 1e3:F2} ms = {ops / bestCpu / 1e9:F1} GOP/s ({reps} reps)");
    }
    else if (mode == "packa")
    {
        // packa M K [trans=0]: GemmDriver.PackA of an M x K block into 12-row panels (the per-call cost of MatMul's A).
        int m = int.Parse(args[1]), k = int.Parse(args[2]);
        bool trans = args.Length > 3 && args[3] == "1";
        float* a = (float*)NativeMemory.AlignedAlloc((nuint)(m * k * 4), 64);
        float* d = (float*)NativeMemory.AlignedAlloc((nuint)((m + 12) * k * 4), 64);
        for (int i = 0; i < m * k; i++) a[i] = i;
        double c0 = CpuClock.ThreadSeconds();
        int reps = 0;
        while (CpuClock.ThreadSeconds() - c0 < 1)
        {
            GemmDriver.PackA(a, trans ? m : k, trans, 0, m, 0, k, 12, d, k);
            reps++;
        }
        double sec = (CpuClock.ThreadSeconds() - c0) / reps;
        Console.WriteLine($"packa {m}x{k} trans={trans}: {sec * 1e3:F4} ms = {(double)m * k / sec / 1e9:F2} G floats/s");
    }
    else if (mode == "peak")
    {
        // FMA throughput ceiling: 12 independent accumulator chains, no memory traffic.
        IsaPath isa = args.Length > 1 ? KernelIsa.Select(args[1]) : KernelIsa.Best;
        long iters = 200_000_000;
        Peak.Run(isa, 1000);
        double t0 = CpuClock.ThreadSeconds();
        float r = Peak.Run(isa, iters);
        double s = CpuClock.ThreadSeconds() - t0;
        int lanes = isa == IsaPath.V512 ? 16 : 8;
        Console.WriteLine($"peak isa={isa}: {2.0 * 12 * lanes * iters / s / 1e9:F1} GFLOP/s ({r})");
    }
}

static unsafe class CpuClock
{
    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, long* ts);

    /// <summary>CPU time consumed by the calling thread (Linux CLOCK_THREAD_CPUTIME_ID).</summary>
    public static double ThreadSeconds()
    {
        long* ts = stackalloc long[2];
        ClockGetTime(3, ts);
        return ts[0] + ts[1] * 1e-9;
    }
}

static class Peak
{
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public static float Run(IsaPath isa, long iters) => isa == IsaPath.V512 ? Run512(iters) : Run256(iters);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    static float Run256(long iters)
    {
        var x = System.Runtime.Intrinsics.Vector256.Create(1.0000001f);
        var y = System.Runtime.Intrinsics.Vector256.Create(0.999999f);
        System.Runtime.Intrinsics.Vector256<float> a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x, a8 = x, a9 = x, a10 = x, a11 = x;
        for (long i = 0; i < iters; i++)
        {
            a0 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(a0, y, x); a1 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(a1, y, x);
            a2 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(a2, y, x); a3 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(a3, y, x);
            a4 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(a4, y, x); a5 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(a5, y, x);
            a6 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(a6, y, x); a7 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(a7, y, x);
            a8 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(a8, y, x); a9 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(a9, y, x);
            a10 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(a10, y, x); a11 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(a11, y, x);
        }
        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11).ToScalar();
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    static float Run512(long iters)
    {
        var x = System.Runtime.Intrinsics.Vector512.Create(1.0000001f);
        var y = System.Runtime.Intrinsics.Vector512.Create(0.999999f);
        System.Runtime.Intrinsics.Vector512<float> a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x, a8 = x, a9 = x, a10 = x, a11 = x;
        for (long i = 0; i < iters; i++)
        {
            a0 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(a0, y, x); a1 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(a1, y, x);
            a2 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(a2, y, x); a3 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(a3, y, x);
            a4 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(a4, y, x); a5 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(a5, y, x);
            a6 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(a6, y, x); a7 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(a7, y, x);
            a8 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(a8, y, x); a9 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(a9, y, x);
            a10 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(a10, y, x); a11 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(a11, y, x);
        }
        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11).ToScalar();
    }
}

unsafe struct AttnBench : IParallelBody
{
    public float* Q, K, V, Y, Scores;
    public int S, D, Ld, Heads, Parts;
    public bool GemmOnly, Fused;

    public readonly void Invoke(int index)
    {
        var (h0, h1) = IntraOpPool.Share(Heads, index, Parts);
        float* sc = Scores + (nint)index * S * S;
        for (int h = h0; h < h1; h++)
        {
            if (Fused)
            {
                Onyx.Kernels.Attention.SmallHeadAttention.Head(Q + h * D, Ld, K + h * D, Ld, V + h * D, Ld, Y + h * D, Ld, S, S, D, D, 0.125f, null, 0, 0, false);
                continue;
            }
            SGemm.Multiply(false, true, S, S, D, 0.125f, Q + h * D, Ld, K + h * D, Ld, 0f, sc, S, default, null);
            if (GemmOnly) continue;
            for (int r = 0; r < S; r++) Onyx.Kernels.Nn.SoftmaxF32.Row(sc + r * S, sc + r * S, S);
            SGemm.Multiply(false, false, S, D, S, 1f, sc, S, V + h * D, Ld, 0f, Y + h * D, Ld, default, null);
        }
    }
}
