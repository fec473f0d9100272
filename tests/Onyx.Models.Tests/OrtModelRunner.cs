using Onyx.Cli.Ocr;
using Ort = Microsoft.ML.OnnxRuntime;
using OrtTensors = Microsoft.ML.OnnxRuntime.Tensors;

namespace Onyx.Models.Tests;

/// <summary>Test-only oracle: runs a model with ONNX Runtime behind the pipeline's runner interface.</summary>
public sealed class OrtModelRunner : IOcrModelRunner
{
    readonly Ort.InferenceSession _session;
    readonly string _inputName;

    public OrtModelRunner(string modelPath, int threads = 1)
    {
        var options = new Ort.SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1 };
        _session = new Ort.InferenceSession(modelPath, options);
        _inputName = _session.InputMetadata.Keys.First();
    }

    public float[] Run(float[] input, int[] shape, out int[] outputShape)
    {
        var tensor = new OrtTensors.DenseTensor<float>(input, shape);
        using var results = _session.Run([Ort.NamedOnnxValue.CreateFromTensor(_inputName, tensor)]);
        var output = results.First().AsTensor<float>();
        outputShape = output.Dimensions.ToArray();
        return output.ToArray();
    }

    public void Dispose() => _session.Dispose();
}
