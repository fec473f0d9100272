using System.Diagnostics;
using Onyx.Benchmarking;
using Onyx.Tensors;
using Rt = Microsoft.ML.OnnxRuntime;

namespace Onyx.Bench.Ort;

/// <summary>
/// Times ONNX Runtime (CPU provider) on one model with <see cref="LatencySampler"/>, the loop Onyx is
/// timed with. <see cref="Measure(string, int, int, int, string[], Array[], long[][])"/> is the plugin
/// contract `onyx bench` calls by reflection: primitive arguments only, so nothing but this assembly
/// and ONNX Runtime has to agree on types across the load-context boundary.
/// </summary>
public static class OrtBenchmark
{
    /// <summary>
    /// Loads <paramref name="modelPath"/> (intra-op threads = <paramref name="threads"/>, one inter-op
    /// thread, default optimizations) and times <paramref name="iterations"/> Runs after
    /// <paramref name="warmup"/>. Inputs are parallel arrays: name, a float[], long[] or int[] of
    /// row-major data, and the shape. Returns [load ms, median ms, p90 ms, peak working set growth MiB, first Run ms].
    /// </summary>
    public static double[] Measure(string modelPath, int threads, int iterations, int warmup,
        string[] inputNames, Array[] inputData, long[][] inputShapes)
    {
        if (inputNames.Length != inputData.Length || inputNames.Length != inputShapes.Length)
            throw new ArgumentException($"{inputNames.Length} input names, {inputData.Length} data arrays and {inputShapes.Length} shapes");
        long baseline = LatencySampler.WorkingSetBytes();
        var sw = Stopwatch.StartNew();
        using var options = new Rt.SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1 };
        using var session = new Rt.InferenceSession(modelPath, options);
        double load = sw.Elapsed.TotalMilliseconds;
        var values = new List<Rt.OrtValue>(inputNames.Length);
        try
        {
            for (int i = 0; i < inputNames.Length; i++) values.Add(ToOrt(inputNames[i], inputData[i], inputShapes[i]));
            var outputNames = session.OutputNames.ToList();
            using var runOptions = new Rt.RunOptions();
            long peak = baseline;
            var times = LatencySampler.Repeat(iterations, warmup, () =>
            {
                using var r = session.Run(runOptions, inputNames, values, outputNames);
            }, ref peak, out double first);
            return LatencySampler.Summarize(load, times, peak, baseline, first).ToArray();
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    /// <summary>The same, for callers that hold Onyx tensors (bench/Onyx.Bench references this assembly directly).</summary>
    internal static BenchTiming Measure(string modelPath, int threads, int iterations, int warmup, IReadOnlyList<(string Name, Tensor Value)> inputs)
    {
        var (names, data, shapes) = BenchInputs.ToArrays(inputs);
        return BenchTiming.FromArray(Measure(modelPath, threads, iterations, warmup, names, data, shapes));
    }

    private static Rt.OrtValue ToOrt(string name, Array data, long[] shape) => data switch
    {
        float[] f => Rt.OrtValue.CreateTensorValueFromMemory(f, shape),
        long[] l => Rt.OrtValue.CreateTensorValueFromMemory(l, shape),
        int[] n => Rt.OrtValue.CreateTensorValueFromMemory(n, shape),
        _ => throw new NotSupportedException($"input '{name}': {data.GetType().Name} data (bench inputs are float[], long[] or int[])"),
    };
}
