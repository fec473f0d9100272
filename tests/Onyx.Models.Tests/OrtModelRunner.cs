namespace Onyx.Models.Tests;

// Inside the namespace so ONNX Runtime's types win over Onyx's same-named ones.
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onyx.Cli.Ocr;

/// <summary>Test-only oracle: runs a model with ONNX Runtime behind the pipeline's runner interface.</summary>
public sealed class OrtModelRunner : IOcrModelRunner
{
    readonly InferenceSession _session;
    readonly string _inputName;

    public OrtModelRunner(string modelPath, int threads = 1)
    {
        var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1 };
        _session = new InferenceSession(modelPath, options);
        _inputName = _session.InputMetadata.Keys.First();
    }

    public float[] Run(float[] input, int[] shape, out int[] outputShape)
    {
        var tensor = new DenseTensor<float>(input, shape);
        using var results = _session.Run([NamedOnnxValue.CreateFromTensor(_inputName, tensor)]);
        var output = results.First().AsTensor<float>();
        outputShape = output.Dimensions.ToArray();
        return output.ToArray();
    }

    public void Dispose() => _session.Dispose();
}
