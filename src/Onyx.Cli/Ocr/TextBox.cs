using SkiaSharp;

namespace Onyx.Cli.Ocr;

/// <summary>A detected text region: four corners (top-left, top-right, bottom-right, bottom-left) in image pixels.</summary>
public sealed record TextBox(SKPoint[] Points, float Score)
{
    public SKPoint TopLeft => Points[0];

    /// <summary>Corners as "(x,y) (x,y) (x,y) (x,y)", rounded to whole pixels.</summary>
    public override string ToString() =>
        string.Join(' ', Points.Select(p => $"({MathF.Round(p.X):0},{MathF.Round(p.Y):0})"));
}

/// <summary>One recognized line of text.</summary>
public sealed record OcrLine(string Text, float Confidence, TextBox Box);

/// <summary>Wall-clock time spent per pipeline stage, in milliseconds.</summary>
public sealed class OcrTimings
{
    public double Decode { get; set; }
    public double DetPreprocess { get; set; }
    public double DetInference { get; set; }
    public double DetPostprocess { get; set; }
    public double Classify { get; set; }
    public double RecPreprocess { get; set; }
    public double RecInference { get; set; }
    public double RecDecode { get; set; }
    public double Total => Decode + DetPreprocess + DetInference + DetPostprocess + Classify + RecPreprocess + RecInference + RecDecode;
}

/// <summary>The result of running the pipeline on one image.</summary>
public sealed record OcrResult(IReadOnlyList<OcrLine> Lines, OcrTimings Timings, int DetWidth, int DetHeight);
