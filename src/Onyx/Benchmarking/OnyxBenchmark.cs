using System.Diagnostics;
using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Benchmarking;

/// <summary>Times Onyx on one model: load, then <see cref="LatencySampler"/> over RunCore; optionally a per-op profile.</summary>
internal static class OnyxBenchmark
{
    /// <summary>
    /// Loads <paramref name="model"/> with <paramref name="options"/> and times it on <paramref name="inputs"/>.
    /// With <paramref name="profile"/>, a further set of Runs reports milliseconds per Run by op type.
    /// </summary>
    public static BenchTiming Measure(string model, SessionOptions options, int iterations, int warmup,
        IReadOnlyList<(string Name, Tensor Value)> inputs, bool profile, out Dictionary<string, double>? opMs) =>
        Measure(model, options, iterations, warmup, _ => inputs, profile, out opMs, out _);

    /// <summary>
    /// The same, with the inputs made from the loaded session by <paramref name="inputsFor"/>: the timed
    /// load is then the first Onyx load of the model in the process, as ONNX Runtime's is (making inputs
    /// from a load of its own first would warm Onyx's loader and kernels up before the clock starts).
    /// </summary>
    public static BenchTiming Measure(string model, SessionOptions options, int iterations, int warmup,
        Func<InferenceSession, IReadOnlyList<(string Name, Tensor Value)>> inputsFor, bool profile,
        out Dictionary<string, double>? opMs, out IReadOnlyList<(string Name, Tensor Value)> inputs)
    {
        ReleaseDisposedSessions();
        try { return MeasureSession(model, options, iterations, warmup, inputsFor, profile, out opMs, out inputs); }
        finally { ReleaseDisposedSessions(); }
    }

    /// <summary>
    /// A disposed session's weights go back to the allocator when the GC finalizes their buffers, while ONNX
    /// Runtime frees its session's at once. Collecting before and after each measurement gives every timed
    /// load (Onyx's and the ONNX Runtime load that follows) the same start: earlier sessions' memory freed.
    /// Without it, which runtime's large-model load found freed pages to reuse depended on GC timing (BERT-base
    /// loads moved by 100-300 ms between runs of the same suite).
    /// </summary>
    private static void ReleaseDisposedSessions()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private static BenchTiming MeasureSession(string model, SessionOptions options, int iterations, int warmup,
        Func<InferenceSession, IReadOnlyList<(string Name, Tensor Value)>> inputsFor, bool profile,
        out Dictionary<string, double>? opMs, out IReadOnlyList<(string Name, Tensor Value)> inputs)
    {
        long baseline = LatencySampler.WorkingSetBytes();
        var sw = Stopwatch.StartNew();
        using var session = new InferenceSession(model, options);
        double load = sw.Elapsed.TotalMilliseconds;
        inputs = inputsFor(session);
        var feeds = new List<(string, OnnxValue)>(inputs.Count);
        foreach (var (name, value) in inputs) feeds.Add((name, value));
        var outputs = session.OutputNames;
        long peak = baseline;
        var times = LatencySampler.Repeat(iterations, warmup, () => session.RunCore(feeds, outputs, null), ref peak, out double first);
        opMs = null;
        if (profile)
        {
            // Separate Runs: reading the clock around every op would skew the latency above.
            int runs = Math.Max(5, iterations / 2);
            // ONYX_PROFILE_NODES=1: time per node (with its filter shape and group), not per op type.
            var observer = new OpTimes(Environment.GetEnvironmentVariable("ONYX_PROFILE_NODES") == "1" ? session.Model.Graph : null);
            for (int i = 0; i < runs; i++)
            {
                session.RunCore(feeds, outputs, null, observer);
                observer.EndRun();
            }
            opMs = observer.MedianMs();
        }
        return LatencySampler.Summarize(load, times, peak, baseline, first);
    }

    /// <summary>
    /// Each op type's wall time per Run, as the median over the profiled Runs: on a shared machine one
    /// preempted op would dominate a mean.
    /// </summary>
    private sealed class OpTimes(Core.Ir.Graph? perNode) : IStepObserver
    {
        private readonly Dictionary<string, long> _run = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<long>> _runs = new(StringComparer.Ordinal);
        private int _count;

        public void OnStep(Core.Ir.Node node, long elapsedTicks)
        {
            string key = perNode is null ? node.OpType : NodeLabel(perNode, node);
            _run[key] = _run.GetValueOrDefault(key) + elapsedTicks;
        }

        /// <summary>"FusedConv conv1 W[64,3,7,7] g1 s2": enough to find a layer's shape in the profile.</summary>
        private static string NodeLabel(Core.Ir.Graph graph, Core.Ir.Node node)
        {
            string weight = node.Inputs.Count > 1 && graph.Initializers.TryGetValue(node.Inputs[1], out var w) ? " W" + w.ShapeString : "";
            long group = node.Attributes.GetInt("group", 1);
            var strides = node.Attributes.GetInts("strides");
            string stride = strides is { Length: > 0 } ? " s" + strides[0] : "";
            return $"{node.OpType} {node.Name}{weight}{(group > 1 ? " g" + group : "")}{stride}";
        }

        public void EndRun()
        {
            foreach (var (op, ticks) in _run)
            {
                if (!_runs.TryGetValue(op, out var list)) _runs[op] = list = new List<long>(new long[_count]);
                list.Add(ticks);
            }
            _count++;
            foreach (var list in _runs.Values) while (list.Count < _count) list.Add(0);
            _run.Clear();
        }

        /// <summary>
        /// The median per op, or with <c>ONYX_PROFILE_QUANTILE=q</c> that quantile (0.1: on a loaded machine, the op's
        /// time in the Runs nothing else got in its way).
        /// </summary>
        public Dictionary<string, double> MedianMs()
        {
            double q = double.TryParse(Environment.GetEnvironmentVariable("ONYX_PROFILE_QUANTILE"), System.Globalization.CultureInfo.InvariantCulture, out double v) ? v : 0.5;
            return _runs.ToDictionary(kv => kv.Key, kv =>
            {
                var sorted = kv.Value.Order().ToList();
                return sorted[Math.Clamp((int)(sorted.Count * q), 0, sorted.Count - 1)] * 1000.0 / Stopwatch.Frequency;
            });
        }
    }
}
