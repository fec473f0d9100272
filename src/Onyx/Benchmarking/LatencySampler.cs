using System.Diagnostics;

namespace Onyx.Benchmarking;

/// <summary>
/// The measurement loop shared by `onyx bench`, bench/Onyx.Bench and the ONNX Runtime plugin, so
/// both runtimes are timed the same way: warm-up runs, then one timestamp pair per Run, the median
/// and p90 of those, and the working set's growth over the process's level before the session loaded.
/// </summary>
internal static class LatencySampler
{
    /// <summary>Working-set reads per measurement: each reads /proc and would evict caches if done after every Run.</summary>
    private const int WorkingSetSamples = 32;

    /// <summary>
    /// Runs <paramref name="run"/> untimed <paramref name="warmup"/> times and then until its latency
    /// settles (see <see cref="Settle"/>; skipped when warmup is 0), then <paramref name="iterations"/>
    /// times timed (ms each).
    /// </summary>
    public static List<double> Repeat(int iterations, int warmup, Action run, ref long peakWorkingSet) =>
        Repeat(iterations, warmup, run, ref peakWorkingSet, out _);

    /// <summary>The same; <paramref name="firstRunMs"/> is the first warm-up Run's latency (it pays any lazy set-up; NaN without warm-up).</summary>
    public static List<double> Repeat(int iterations, int warmup, Action run, ref long peakWorkingSet, out double firstRunMs)
    {
        firstRunMs = double.NaN;
        for (int i = 0; i < warmup; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            run();
            if (i == 0) firstRunMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        if (warmup > 0) Settle(run);
        peakWorkingSet = Math.Max(peakWorkingSet, WorkingSetBytes());
        var times = new List<double>(iterations);
        int every = Math.Max(1, iterations / WorkingSetSamples);
        for (int i = 0; i < iterations; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            run();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            if (i % every == every - 1) peakWorkingSet = Math.Max(peakWorkingSet, WorkingSetBytes());
        }
        return times;
    }

    /// <summary>Median and p90 (nearest rank) of <paramref name="times"/>, which it sorts.</summary>
    public static BenchTiming Summarize(double loadMs, List<double> times, long peakWorkingSet, long baselineWorkingSet, double firstRunMs = double.NaN)
    {
        if (times.Count == 0) throw new ArgumentException("at least one timed iteration is needed");
        times.Sort();
        double median = times.Count % 2 == 1 ? times[times.Count / 2] : (times[times.Count / 2 - 1] + times[times.Count / 2]) / 2;
        double p90 = times[Math.Min(times.Count - 1, (int)Math.Ceiling(times.Count * 0.9) - 1)];
        return new BenchTiming(loadMs, median, p90, Math.Max(0, peakWorkingSet - baselineWorkingSet) / (1024.0 * 1024.0), firstRunMs);
    }

    /// <summary>The process's current working set in bytes.</summary>
    public static long WorkingSetBytes()
    {
        using var p = Process.GetCurrentProcess();
        return p.WorkingSet64;
    }

    /// <summary>
    /// .NET recompiles hot methods (tiered, profile-guided) on a background thread, after delays
    /// that grow while new code keeps appearing and stretch further on a loaded machine; the
    /// instrumented tier in between is even slower than the first. Measured on mnist-8 under load:
    /// ~1.7 s to the steady state. So warm-up goes on in ~100 ms batches for at least 2 s and until
    /// the last five batch medians lie within 5% of each other (at most 6 s). Native ONNX Runtime
    /// is steady from the start and gets the same treatment, so both are timed alike.
    /// </summary>
    private static void Settle(Action run)
    {
        const double batchMs = 100, minMs = 2000, maxMs = 6000;
        const int window = 5;
        var total = Stopwatch.StartNew();
        var times = new List<double>();
        var medians = new List<double>();
        while (total.Elapsed.TotalMilliseconds < maxMs)
        {
            times.Clear();
            long batchStart = Stopwatch.GetTimestamp();
            do
            {
                long t0 = Stopwatch.GetTimestamp();
                run();
                times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
            while (Stopwatch.GetElapsedTime(batchStart).TotalMilliseconds < batchMs);
            times.Sort();
            medians.Add(times[times.Count / 2]);
            if (total.Elapsed.TotalMilliseconds < minMs || medians.Count < window) continue;
            var last = medians.GetRange(medians.Count - window, window);
            if (last.Max() <= last.Min() * 1.05) break;
        }
    }
}
