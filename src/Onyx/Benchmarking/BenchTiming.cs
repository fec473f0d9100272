namespace Onyx.Benchmarking;

/// <summary>What one runtime measured on one model at one thread count (milliseconds, mebibytes).</summary>
internal sealed record BenchTiming(double LoadMs, double MedianMs, double P90Ms, double PeakWorkingSetMb)
{
    /// <summary>[load, median, p90, peak working set]: the shape the ONNX Runtime plugin returns across its assembly boundary.</summary>
    public double[] ToArray() => [LoadMs, MedianMs, P90Ms, PeakWorkingSetMb];

    /// <summary>The inverse of <see cref="ToArray"/>.</summary>
    public static BenchTiming FromArray(double[] values) => values.Length == 4
        ? new BenchTiming(values[0], values[1], values[2], values[3])
        : throw new ArgumentException($"expected 4 timing values (load, median, p90, peak working set), got {values.Length}");
}
