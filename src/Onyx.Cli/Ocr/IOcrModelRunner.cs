namespace Onyx.Cli.Ocr;

/// <summary>
/// Runs one single-input, single-output float model (the det, rec or cls network). The OCR pipeline
/// only talks to models through this, so it can be driven by Onyx (<see cref="OnyxModelRunner"/>)
/// or, in tests, by ONNX Runtime as an oracle.
/// </summary>
public interface IOcrModelRunner : IDisposable
{
    /// <summary>Runs the model on a dense float tensor of <paramref name="shape"/> (row-major).</summary>
    /// <returns>The first output, row-major, with its shape in <paramref name="outputShape"/>.</returns>
    float[] Run(float[] input, int[] shape, out int[] outputShape);
}

/// <summary>Creates the runner for a model file.</summary>
public delegate IOcrModelRunner OcrRunnerFactory(string modelPath);
