namespace Onyx.Cli.Ocr;

/// <summary>Execution provider, its options and the thread count for <see cref="OnyxModelRunner"/>.</summary>
public sealed record OnyxRunnerSettings(string ExecutionProvider, IReadOnlyDictionary<string, string> ProviderOptions, int? Threads);

/// <summary>Runs an OCR model with Onyx's public InferenceSession API.</summary>
public sealed class OnyxModelRunner : IOcrModelRunner
{
    public OnyxModelRunner(string modelPath, OnyxRunnerSettings settings)
    {
        _ = modelPath;
        _ = settings;
        throw new NotSupportedException("Onyx.InferenceSession is not in this build yet (waiting for the lead's public API in src/Onyx).");
    }

    public float[] Run(float[] input, int[] shape, out int[] outputShape) => throw new NotSupportedException();

    public void Dispose() { }
}
