using Onyx.Cli.Ocr;
using Xunit;
using Xunit.Abstractions;

namespace Onyx.Models.Tests;

/// <summary>The shipped sample image is read correctly, end to end (det + rec + post-processing).</summary>
public sealed class OcrSampleTests(ITestOutputHelper output)
{
    /// <summary>Oracle run: the pipeline with ONNX Runtime executing the models.</summary>
    [Fact]
    public void Sample_IsRead_WithOnnxRuntime()
    {
        var result = AssertReadsSample(path => new OrtModelRunner(path));
        string annotated = Path.Combine(Path.GetTempPath(), "onyx-ocr-sample-annotated.png");
        OcrAnnotator.Save(OcrAssets.SampleImage, result, annotated);
        Assert.True(new FileInfo(annotated).Length > 0);
        output.WriteLine($"annotated: {annotated}");
    }

    /// <summary>The spec for Onyx: the same pipeline with Onyx executing the models.</summary>
    [Fact]
    public void Sample_IsRead_WithOnyx() =>
        AssertReadsSample(path => new OnyxModelRunner(path));

    /// <summary>
    /// With a wider unclip ratio (2.0, more margin around each line) the recognizer also keeps every space:
    /// the sample then reads exactly.
    /// </summary>
    [Fact]
    public void Sample_IsReadWithSpaces_WithUnclipRatio2_WithOnnxRuntime()
    {
        var options = OcrOptions.FromModelsDirectory(OcrAssets.ModelsDirectory) with { PostProcessor = new DbPostProcessor { UnclipRatio = 2.0f } };
        using var pipeline = new OcrPipeline(options, path => new OrtModelRunner(path));
        var result = pipeline.Run(OcrAssets.SampleImage);
        foreach (var line in result.Lines)
            output.WriteLine($"{line.Text} | {line.Confidence:0.000} | {line.Box}");
        Assert.Equal(SampleImage.Lines.Length, result.Lines.Count);
        for (int i = 0; i < SampleImage.Lines.Length; i++)
            Assert.True(TextCompare.EditDistance(SampleImage.Lines[i], result.Lines[i].Text) <= 1,
                $"line {i}: expected '{SampleImage.Lines[i]}', read '{result.Lines[i].Text}'");
    }

    /// <summary>With the 180° classifier on, an upright sample is left as is.</summary>
    [Fact]
    public void Sample_IsRead_WithAngleClassifier_WithOnnxRuntime() =>
        AssertReadsSample(path => new OrtModelRunner(path), useCls: true);

    /// <summary>The sample turned upside down is read correctly once the 180° classifier is on.</summary>
    [Fact]
    public void UpsideDownSample_IsRead_WithAngleClassifier_WithOnnxRuntime()
    {
        string flipped = Path.Combine(Path.GetTempPath(), "onyx-ocr-sample-180.png");
        Cli.Imaging.ImageOps.Rotate180(Cli.Imaging.RgbImage.Load(OcrAssets.SampleImage)).SavePng(flipped);
        var options = OcrOptions.FromModelsDirectory(OcrAssets.ModelsDirectory, useAngleClassifier: true);
        using var pipeline = new OcrPipeline(options, path => new OrtModelRunner(path));
        var result = pipeline.Run(flipped);
        foreach (var line in result.Lines)
            output.WriteLine($"{line.Text} | {line.Confidence:0.000} | {line.Box}");
        // Read bottom-up on the flipped page: the last printed line comes first. The mobile v2.0 classifier is
        // only 0.77 sure that the flipped "The quick brown fox ..." line is upside down (below cls_thresh 0.9),
        // so that one line stays unreadable (and may be dropped); the others must be right.
        var expected = SampleImage.Lines.Reverse().ToArray();
        int correct = result.Lines.Count(l => expected.Any(e => TextCompare.EditDistance(e.Replace(" ", ""), l.Text.Replace(" ", "")) <= 1));
        Assert.True(correct >= expected.Length - 1, $"{correct} of {expected.Length} lines read correctly");
        Assert.Equal(expected[0], result.Lines[0].Text);
    }

    OcrResult AssertReadsSample(OcrRunnerFactory factory, bool useCls = false)
    {
        var options = OcrOptions.FromModelsDirectory(OcrAssets.ModelsDirectory, useCls);
        using var pipeline = new OcrPipeline(options, factory);
        var result = pipeline.Run(OcrAssets.SampleImage);
        foreach (var line in result.Lines)
            output.WriteLine($"{line.Text} | {line.Confidence:0.000} | {line.Box}");
        output.WriteLine(result.Timings.ToString());

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
        return result;
    }
}
