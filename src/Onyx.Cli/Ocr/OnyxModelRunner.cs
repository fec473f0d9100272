using Onyx.Tensors;

namespace Onyx.Cli.Ocr;

/// <summary>Runs an OCR (or any single-input float) model with Onyx's public <see cref="InferenceSession"/> API.</summary>
public sealed class OnyxModelRunner : IOcrModelRunner
{
    readonly InferenceSession _session;
    readonly string _inputName;
    readonly string[] _outputNames;

    /// <param name="modelPath">The .onnx file.</param>
    /// <param name="options">Session options (execution provider, threads); default CPU.</param>
    public OnyxModelRunner(string modelPath, SessionOptions? options = null)
    {
        _session = new InferenceSession(modelPath, options ?? new SessionOptions());
        if (_session.InputNames.Count != 1)
            throw new InvalidDataException($"{Path.GetFileName(modelPath)} has {_session.InputNames.Count} inputs, expected one image input.");
        _inputName = _session.InputNames[0];
        _outputNames = [_session.OutputNames[0]];
    }

    /// <summary>The providers the session placed nodes on (e.g. "OpenVINO", "CPU").</summary>
    public IReadOnlyList<string> ProviderNames => _session.ProviderNames;

    public float[] Run(float[] input, int[] shape, out int[] outputShape)
    {
        var tensor = new DenseTensor<float>(input, shape);
        using var results = _session.Run([NamedOnnxValue.CreateFromTensor(_inputName, tensor)], _outputNames);
        var output = results[0].AsTensor<float>();
        outputShape = output.Dimensions.ToArray();
        return output.ToArray();
    }

    public void Dispose() => _session.Dispose();
}
