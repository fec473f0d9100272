namespace Onyx.Benchmarking;

/// <summary>
/// What one runtime measured on one model at one thread count (milliseconds, mebibytes).
/// <see cref="FirstRunMs"/> is the first Run after load: where lazy set-up would show.
/// </summary>
internal sealed record BenchTiming(double LoadMs, double MedianMs, double P90Ms, double PeakWorkingSetMb, double FirstRunMs = double.NaN)
{
    /// <summary>[load, median, p90, peak working set, first Run]: the shape the ONNX Runtime plugin returns across its assembly boundary.</summary>
    public double[] ToArray() => [LoadMs, MedianMs, P90Ms, PeakWorkingSetMb, FirstRunMs];

    /// <summary>The inverse of <see cref="ToArray"/>; a plugin built before the first-Run time returns four values.</summary>
    public static BenchTiming FromArray(double[] values) => values.Length switch
    {
        4 => new BenchTiming(values[0], values[1], values[2], values[3]),
        5 => new BenchTiming(values[0], values[1], values[2], values[3], values[4]),
        _ => throw new ArgumentException($"expected 4 or 5 timing values (load, median, p90, peak working set[, first Run]), got {values.Length}"),
    };
}
