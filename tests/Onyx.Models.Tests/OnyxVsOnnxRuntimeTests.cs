using Onyx.Cli.Ocr;
using Xunit;
using Xunit.Abstractions;

namespace Onyx.Models.Tests;

/// <summary>
/// Onyx's raw model outputs match ONNX Runtime's on the real inputs the OCR pipeline produces for the
/// sample (det map, cls scores, rec softmax), not just the final text.
/// </summary>
public sealed class OnyxVsOnnxRuntimeTests(ITestOutputHelper output)
{
    sealed record Call(string Model, float[] Input, int[] Shape, float[] Output, int[] OutputShape);

    /// <summary>Runs ONNX Runtime and remembers every call.</summary>
    sealed class RecordingRunner(string modelPath, List<Call> calls) : IOcrModelRunner
    {
        readonly OrtModelRunner _inner = new(modelPath);

        public float[] Run(float[] input, int[] shape, out int[] outputShape)
        {
            float[] result = _inner.Run(input, shape, out outputShape);
            calls.Add(new Call(modelPath, (float[])input.Clone(), (int[])shape.Clone(), result, outputShape));
            return result;
        }

        public void Dispose() => _inner.Dispose();
    }

    [Fact]
    public void OcrModelOutputs_MatchOnnxRuntime_OnSampleInputs()
    {
        var calls = new List<Call>();
        var options = OcrOptions.FromModelsDirectory(OcrAssets.ModelsDirectory, useAngleClassifier: true);
        using (var pipeline = new OcrPipeline(options, path => new RecordingRunner(path, calls)))
            pipeline.Run(OcrAssets.SampleImage);

        var failures = new List<string>();
        var runners = new Dictionary<string, OnyxModelRunner>();
        try
        {
            foreach (var call in calls)
            {
                if (!runners.TryGetValue(call.Model, out var onyx))
                    runners[call.Model] = onyx = new OnyxModelRunner(call.Model);
                float[] actual = onyx.Run(call.Input, call.Shape, out int[] shape);
                string name = $"{Path.GetFileName(call.Model)} [{string.Join(',', call.Shape)}]";
                if (!shape.SequenceEqual(call.OutputShape))
                {
                    failures.Add($"{name}: shape [{string.Join(',', shape)}] vs ONNX Runtime [{string.Join(',', call.OutputShape)}]");
                    continue;
                }
                double maxDiff = 0;
                int bad = 0;
                for (int i = 0; i < actual.Length; i++)
                {
                    double diff = Math.Abs(actual[i] - call.Output[i]);
                    maxDiff = Math.Max(maxDiff, diff);
                    if (!(diff <= 1e-4 + 1e-3 * Math.Abs(call.Output[i]))) bad++;
                }
                output.WriteLine($"{name}: max |onyx - ort| = {maxDiff:E2}, {bad} of {actual.Length} outside 1e-4 + 1e-3*|ort|");
                if (bad > 0) failures.Add($"{name}: {bad} values differ (max {maxDiff:E2})");
            }
        }
        finally
        {
            foreach (var r in runners.Values) r.Dispose();
        }
        Assert.True(calls.Count >= 3, "expected det, cls and rec calls");
        Assert.True(failures.Count == 0, string.Join("; ", failures));
    }
}
