using Onyx.Bench.Ort;
using Onyx.Benchmarking;

namespace Onyx.Bench;

/// <summary>Runs one model on Onyx and (optionally) ONNX Runtime with the same inputs, in this process.</summary>
internal static class SideBySide
{
    /// <summary>
    /// Onyx with <paramref name="options"/> (its IntraOpNumThreads is set to <paramref name="threads"/>),
    /// then ONNX Runtime's CPU provider on the same seeded inputs, both timed by <see cref="LatencySampler"/>.
    /// Both loads are timed alike: from the file path, default options, nothing of the model loaded before,
    /// the file read once beforehand so that neither load pays disk reads the other gets from the page cache.
    /// </summary>
    public static (BenchTiming Onyx, BenchTiming? Ort, Dictionary<string, double>? Profile) Measure(string model, int threads, int iters, int warmup,
        IReadOnlyDictionary<string, int> dims, bool compareOrt, bool profile, SessionOptions options)
    {
        options.IntraOpNumThreads = threads;
        ModelFileWarmup.Touch(model);
        var onyx = OnyxBenchmark.Measure(model, options, iters, warmup, session => BenchInputs.For(session, dims), profile, out var ops, out var inputs);
        BenchTiming? ort = compareOrt ? OrtBenchmark.Measure(model, threads, iters, warmup, inputs) : null;
        return (onyx, ort, ops);
    }
}
