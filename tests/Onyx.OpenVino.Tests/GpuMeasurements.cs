using System.Diagnostics;
using System.Runtime.InteropServices;
using Xunit.Abstractions;

namespace Onyx.OpenVino.Tests;

/// <summary>
/// Numbers for src/Onyx.OpenCl/README.md (printed, nothing timed is asserted): host CPU time spent while waiting
/// for the GPU with and without enable_opencl_throttling, and PP-OCR det/rec on the GPU device vs the CPU device.
/// Run with: ONYX_OPENCL_ALLOW_CPU=1 dotnet test tests/Onyx.OpenVino.Tests -c Release --filter GpuMeasurements --logger "console;verbosity=detailed"
/// </summary>
public class GpuMeasurements(ITestOutputHelper output)
{
    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec { public long Sec, Nsec; }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec ts);

    /// <summary>CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID), in ms; NaN off Linux.</summary>
    private static double ThreadCpuMs()
    {
        if (!OperatingSystem.IsLinux()) return double.NaN;
        return ClockGetTime(3, out var ts) == 0 ? ts.Sec * 1e3 + ts.Nsec / 1e6 : double.NaN;
    }

    private static string Models => Path.Combine(FindRoot(), "models", "ppocr");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(System.AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Onyx.sln"))) return dir.FullName;
        throw new InvalidOperationException("repository root not found");
    }

    private static (double WallMs, double ProcessCpuMs, double ThreadCpuMs) Measure(InferenceSession s, float[] x, long[] shape, int runs)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(x, shape);
        using (s.Run(null, [s.InputNames[0]], [value], [s.OutputNames[0]])) { } // warm-up (PoCL compiles kernels on first launch)
        var proc = Process.GetCurrentProcess();
        proc.Refresh();
        var cpu0 = proc.TotalProcessorTime;
        double t0 = ThreadCpuMs();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < runs; i++)
            using (s.Run(null, [s.InputNames[0]], [value], [s.OutputNames[0]])) { }
        double wall = sw.Elapsed.TotalMilliseconds / runs;
        proc.Refresh();
        return (wall, (proc.TotalProcessorTime - cpu0).TotalMilliseconds / runs, (ThreadCpuMs() - t0) / runs);
    }

    [GpuDeviceFact]
    public void ThrottlingAndPpOcrTimingsPerDevice()
    {
        string det = Path.Combine(Models, "ch_PP-OCRv4_det_infer.onnx"), rec = Path.Combine(Models, "ch_PP-OCRv4_rec_infer.onnx");
        var detX = Run.Random(3 * 320 * 320, 1);
        var recX = Run.Random(3 * 48 * 320, 2);
        const int runs = 3;
        output.WriteLine($"device: {DeviceRegistry.Default.Find("GPU")!.Name}; {runs} runs after one warm-up; per run");
        foreach (var (label, options) in new (string, (string, string)[])[]
        {
            ("det CPU device", [("device_type", "CPU")]),
            ("det GPU", [("device_type", "GPU")]),
            ("det GPU throttled", [("device_type", "GPU"), ("enable_opencl_throttling", "True")]),
            ("det GPU_FP16", [("device_type", "GPU_FP16")]),
        })
        {
            using var s = new InferenceSession(det, Run.Ov(options));
            var m = Measure(s, detX, [1, 3, 320, 320], runs);
            output.WriteLine($"{label,-22} wall {m.WallMs,8:0.0} ms  process CPU {m.ProcessCpuMs,8:0.0} ms  calling-thread CPU {m.ThreadCpuMs,7:0.0} ms");
        }
        foreach (var (label, options) in new (string, (string, string)[])[]
        {
            ("rec CPU device", [("device_type", "CPU")]),
            ("rec GPU (+CPU fallback)", [("device_type", "GPU")]),
            ("rec HETERO:GPU,CPU", [("device_type", "HETERO:GPU,CPU")]),
        })
        {
            using var s = new InferenceSession(rec, Run.Ov(options));
            var m = Measure(s, recX, [1, 3, 48, 320], runs);
            output.WriteLine($"{label,-22} wall {m.WallMs,8:0.0} ms  process CPU {m.ProcessCpuMs,8:0.0} ms  calling-thread CPU {m.ThreadCpuMs,7:0.0} ms");
        }
        // Where the GPU time goes: one profiled run per model (clFinish after each op).
        foreach (var (path, x, shape) in new[] { (det, detX, new long[] { 1, 3, 320, 320 }), (rec, recX, new long[] { 1, 3, 48, 320 }) })
        {
            using var s = new InferenceSession(path, Run.Ov(("device_type", "GPU")));
            foreach (var c in Run.State(s).Compiled.Subgraphs) if (c.Gpu is { } g) g.Profile = true;
            using var value = OrtValue.CreateTensorValueFromMemory(x, shape);
            using (s.Run(null, [s.InputNames[0]], [value], [s.OutputNames[0]])) { }
            var ops = Run.State(s).Compiled.Subgraphs.Where(c => c.Gpu is not null).SelectMany(c => c.Gpu!.OpTimes)
                .GroupBy(p => p.Key).Select(g => (Op: g.Key, Count: g.Sum(p => p.Value.Count), Ms: g.Sum(p => p.Value.Milliseconds)))
                .OrderByDescending(t => t.Ms).Take(6);
            output.WriteLine($"{Path.GetFileNameWithoutExtension(path)} GPU profile: {string.Join(", ", ops.Select(t => $"{t.Op} x{t.Count} {t.Ms:0} ms"))}");
        }
    }

    /// <summary>
    /// bert-base (bench/models/bert-base.onnx, 1×128 input_ids) on the CPU device vs wholly on the GPU device (the
    /// embedding Gather included). Opt-in: ONYX_OPENCL_BERT=1 (minutes on PoCL). Prints timings and the max difference.
    /// </summary>
    [GpuDeviceFact]
    public void BertBaseOnGpuVsCpu()
    {
        string path = Path.Combine(FindRoot(), "bench", "models", "bert-base.onnx");
        if (Environment.GetEnvironmentVariable("ONYX_OPENCL_BERT") != "1" || !File.Exists(path))
        {
            output.WriteLine("skipped: set ONYX_OPENCL_BERT=1 and provide bench/models/bert-base.onnx");
            return;
        }
        var ids = Enumerable.Range(0, 128).Select(i => (long)((i * 7919) % 30522)).ToArray();
        float[]? reference = null;
        foreach (var type in new[] { "CPU", "GPU" })
        {
            var so = Run.Ov(("device_type", type));
            if (type == "GPU") so.AddSessionConfigEntry("session.disable_cpu_ep_fallback", "1");
            using var s = new InferenceSession(path, so);
            var subs = Run.State(s).Compiled.Subgraphs;
            using var value = OrtValue.CreateTensorValueFromMemory(ids, [1, 128]);
            float[] y;
            using (var r = s.Run(null, ["input_ids"], [value], [s.OutputNames[0]])) y = ((Tensors.Tensor)r.First().Value).ToArray<float>();
            var proc = Process.GetCurrentProcess();
            proc.Refresh();
            var cpu0 = proc.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            const int runs = 2;
            for (int i = 0; i < runs; i++)
                using (s.Run(null, ["input_ids"], [value], [s.OutputNames[0]])) { }
            double wall = sw.Elapsed.TotalMilliseconds / runs;
            proc.Refresh();
            double diff = reference is null ? 0 : y.Zip(reference).Max(p => Math.Abs(p.First - p.Second));
            reference ??= y;
            output.WriteLine($"bert-base {type,-4} {subs.Count} subgraph(s) [{string.Join(", ", subs.Select(c => c.Source.Device + ":" + c.Source.Nodes.Count))}] " +
                $"wall {wall,8:0.0} ms  process CPU {(proc.TotalProcessorTime - cpu0).TotalMilliseconds / runs,8:0.0} ms  max |GPU-CPU| {diff:0.0e0}");
            if (type == "GPU") Assert.True(diff < 1e-2, $"GPU output differs from the CPU by {diff}");
        }
    }
}
