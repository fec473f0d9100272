using Onyx.Cli.Ocr;
using Xunit;
using Xunit.Abstractions;

namespace Onyx.Models.Tests;

/// <summary>The shipped sample image is read correctly, end to end (det + rec + post-processing).</summary>
public sealed class OcrSampleTests(ITestOutputHelper output)
{
    /// <summary>Oracle run: the pipeline with ONNX Runtime executing the models.</summary>
    [Fact]
    public void Sample_IsRead_WithOnnxRuntime() =>
        AssertReadsSample(path => new OrtModelRunner(path));

    /// <summary>The spec for Onyx: the same pipeline with Onyx executing the models.</summary>
    [Fact]
    public void Sample_IsRead_WithOnyx() =>
        AssertReadsSample(path => new OnyxModelRunner(path));

    /// <summary>With the 180° classifier on, an upright sample is left as is.</summary>
    [Fact]
    public void Sample_IsRead_WithAngleClassifier_WithOnnxRuntime() =>
        AssertReadsSample(path => new OrtModelRunner(path), useCls: true);

    void AssertReadsSample(OcrRunnerFactory factory, bool useCls = false)
    {
        var options = OcrOptions.FromModelsDirectory(OcrAssets.ModelsDirectory, useCls);
        using var pipeline = new OcrPipeline(options, factory);
        var result = pipeline.Run(OcrAssets.SampleImage);
        foreach (var line in result.Lines)
            output.WriteLine($"{line.Text} | {line.Confidence:0.000} | {line.Box}");
        var t = result.Timings;
        output.WriteLine($"det pre {t.DetPreprocess:0.0} ms, det infer {t.DetInference:0.0} ms, det post {t.DetPostprocess:0.0} ms, " +
                         $"cls {t.Classify:0.0} ms, rec pre {t.RecPreprocess:0.0} ms, rec infer {t.RecInference:0.0} ms, rec decode {t.RecDecode:0.0} ms");

        // PP-OCR's Chinese/English recognizer often omits the space between English words (a property of the
        // model, ONNX Runtime reads the sample the same way), so lines are compared without spaces.
        var expected = SampleImage.Lines;
        Assert.Equal(expected.Length, result.Lines.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            int distance = TextCompare.EditDistance(expected[i].Replace(" ", ""), result.Lines[i].Text.Replace(" ", ""));
            Assert.True(distance <= 1, $"line {i}: expected '{expected[i]}', read '{result.Lines[i].Text}' (edit distance {distance} ignoring spaces)");
            Assert.True(result.Lines[i].Confidence > 0.8f, $"line {i}: confidence {result.Lines[i].Confidence}");
        }
        // Reading order: boxes go down the page.
        for (int i = 1; i < result.Lines.Count; i++)
            Assert.True(result.Lines[i].Box.TopLeft.Y > result.Lines[i - 1].Box.TopLeft.Y);
    }
}
