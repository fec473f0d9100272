using Onyx.Bench.Ort;
using Onyx.Benchmarking;

namespace Onyx.Bench;

/// <summary>Runs one model on Onyx and (optionally) ONNX Runtime with the same inputs, in this process.</summary>
internal static class SideBySide
{
    /// <summary>
    /// Onyx with <paramref name="options"/> (its IntraOpNumThreads is set to <paramref name="threads"/>),
    /// then ONNX Runtime's CPU provider on the same seeded inputs, both timed by <see cref="LatencySampler"/>.
    /// </summary>
    public static (BenchTiming Onyx, BenchTiming? Ort, Dictionary<string, double>? Profile) Measure(string model, int threads, int iters, int warmup,
        IReadOnlyDictionary<string, int> dims, bool compareOrt, bool profile, SessionOptions options)
    {
        var inputs = BenchInputs.For(model, dims);
        options.IntraOpNumThreads = threads;
        var onyx = OnyxBenchmark.Measure(model, options, iters, warmup, inputs, profile, out var ops);
        BenchTiming? ort = compareOrt ? OrtBenchmark.Measure(model, threads, iters, warmup, inputs) : null;
        return (onyx, ort, ops);
    }
}
