using System.Diagnostics;
using Onyx.Tensors;
using Ort = Microsoft.ML.OnnxRuntime;

namespace Onyx.Bench;

/// <summary>Timings of one runtime on one model at one thread count.</summary>
internal sealed record Timing(double LoadMs, double MedianMs, double P90Ms, double PeakWorkingSetMb);

/// <summary>Runs one model on Onyx and (optionally) ONNX Runtime with the same inputs, in this process.</summary>
internal static class SideBySide
{
    public static (Timing Onyx, Timing? Ort, Dictionary<string, double>? Profile) Measure(string model, int threads, int iters, int warmup,
        IReadOnlyDictionary<string, int> dims, bool compareOrt, bool profile)
    {
        var inputs = Inputs.For(model, dims);
        var onyx = MeasureOnyx(model, threads, iters, warmup, inputs, profile, out var ops);
        Timing? ort = compareOrt ? MeasureOrt(model, threads, iters, warmup, inputs) : null;
        return (onyx, ort, ops);
    }

    private static Timing MeasureOnyx(string model, int threads, int iters, int warmup, List<(string Name, Tensor Value)> inputs,
        bool profile, out Dictionary<string, double>? ops)
    {
        long baseline = WorkingSet();
        var sw = Stopwatch.StartNew();
        using var session = new InferenceSession(model, new SessionOptions { IntraOpNumThreads = threads });
        double load = sw.Elapsed.TotalMilliseconds;
        var feeds = inputs.Select(i => (i.Name, (OnnxValue)i.Value)).ToList();
        long peak = 0;
        var times = Repeat(iters, warmup, () => session.RunCore(feeds, session.OutputNames, null), ref peak);
        ops = null;
        if (profile)
        {
            var observer = new OpProfile();
            for (int i = 0; i < Math.Max(3, iters / 2); i++) session.RunCore(feeds, session.OutputNames, null, observer);
            ops = observer.PerOpMs(Math.Max(3, iters / 2));
        }
        return Summarize(load, times, peak - baseline);
    }

    private static Timing MeasureOrt(string model, int threads, int iters, int warmup, List<(string Name, Tensor Value)> inputs)
    {
        long baseline = WorkingSet();
        var sw = Stopwatch.StartNew();
        using var options = new Ort.SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1 };
        using var session = new Ort.InferenceSession(model, options);
        double load = sw.Elapsed.TotalMilliseconds;
        var values = inputs.Select(i => ToOrt(i.Value)).ToList();
        var names = inputs.Select(i => i.Name).ToList();
        var outputNames = session.OutputNames.ToList();
        using var runOptions = new Ort.RunOptions();
        long peak = 0;
        var times = Repeat(iters, warmup, () =>
        {
            using var r = session.Run(runOptions, names, values, outputNames);
        }, ref peak);
        foreach (var v in values) v.Dispose();
        return Summarize(load, times, peak - baseline);
    }

    private static Ort.OrtValue ToOrt(Tensor t) => t.DType switch
    {
        DType.Float32 => Ort.OrtValue.CreateTensorValueFromMemory(t.ToArray<float>(), t.Shape.Select(d => (long)d).ToArray()),
        DType.Int64 => Ort.OrtValue.CreateTensorValueFromMemory(t.ToArray<long>(), t.Shape.Select(d => (long)d).ToArray()),
        DType.Int32 => Ort.OrtValue.CreateTensorValueFromMemory(t.ToArray<int>(), t.Shape.Select(d => (long)d).ToArray()),
        _ => throw new NotSupportedException($"bench inputs of type {t.DType.OnnxName()}"),
    };

    private static List<double> Repeat(int iters, int warmup, Action run, ref long peak)
    {
        for (int i = 0; i < warmup; i++) run();
        var times = new List<double>(iters);
        for (int i = 0; i < iters; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            run();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            peak = Math.Max(peak, WorkingSet());
        }
        return times;
    }

    private static Timing Summarize(double load, List<double> times, long peakBytes)
    {
        times.Sort();
        double median = times[times.Count / 2];
        double p90 = times[Math.Min(times.Count - 1, (int)Math.Ceiling(times.Count * 0.9) - 1)];
        return new Timing(load, median, p90, Math.Max(0, peakBytes) / (1024.0 * 1024.0));
    }

    private static long WorkingSet()
    {
        using var p = Process.GetCurrentProcess();
        return p.WorkingSet64;
    }

    private sealed class OpProfile : Core.Execution.IStepObserver
    {
        private readonly Dictionary<string, long> _ticks = [];

        public void OnStep(Core.Ir.Node node, long elapsedTicks)
        {
            string key = node.OpType;
            _ticks[key] = _ticks.GetValueOrDefault(key) + elapsedTicks;
        }

        public Dictionary<string, double> PerOpMs(int runs) =>
            _ticks.ToDictionary(kv => kv.Key, kv => kv.Value * 1000.0 / Stopwatch.Frequency / runs);
    }
}

/// <summary>Seeded inputs for a model: image-like floats, token ids below 100.</summary>
internal static class Inputs
{
    public static List<(string Name, Tensor Value)> For(string model, IReadOnlyDictionary<string, int> dims)
    {
        using var session = new InferenceSession(model, new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL });
        var rng = new Random(7);
        var list = new List<(string, Tensor)>();
        foreach (var (name, meta) in session.InputMetadata)
        {
            var shape = meta.Dimensions.Select((d, i) => d >= 0 ? d
                : dims.TryGetValue(meta.SymbolicDimensions[i], out int v) ? v : dims.GetValueOrDefault($"#{i}", 1)).ToArray();
            var t = Tensor.Allocate(meta.ElementDataType, shape);
            switch (meta.ElementDataType)
            {
                case DType.Float32: foreach (ref var x in t.Span<float>()) x = (float)rng.NextDouble(); break;
                case DType.Int64: foreach (ref var x in t.Span<long>()) x = rng.Next(0, 100); break;
                case DType.Int32: foreach (ref var x in t.Span<int>()) x = rng.Next(0, 100); break;
                default: throw new NotSupportedException($"input '{name}' of type {meta.ElementDataType.OnnxName()}");
            }
            list.Add((name, t));
        }
        return list;
    }
}
