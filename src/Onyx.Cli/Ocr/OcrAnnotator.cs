using Onyx.Cli.Imaging;
using SkiaSharp;

namespace Onyx.Cli.Ocr;

/// <summary>Draws OCR results onto a copy of the input image.</summary>
public static class OcrAnnotator
{
    /// <summary>Draws each box and its text (DejaVu Sans) on a copy of the image.</summary>
    public static void Save(string imagePath, OcrResult result, string outputPath)
    {
        var image = RgbImage.Load(imagePath);
        using var bitmap = image.ToBitmap();
        using (var canvas = new SKCanvas(bitmap))
        using (var typeface = SKTypeface.FromFile(OcrAssets.FontPath))
        using (var stroke = new SKPaint { Color = new SKColor(0, 170, 60), Style = SKPaintStyle.Stroke, StrokeWidth = 2, IsAntialias = true })
        using (var label = new SKPaint { Color = new SKColor(220, 20, 60), IsAntialias = true })
        using (var backdrop = new SKPaint { Color = new SKColor(255, 255, 255, 200) })
        {
            foreach (var line in result.Lines)
            {
                var p = line.Box.Points;
                using var path = new SKPath();
                path.AddPoly(p, close: true);
                canvas.DrawPath(path, stroke);

                float boxHeight = Geometry.Distance(p[0], p[3]);
                using var font = new SKFont(typeface, Math.Clamp(boxHeight * 0.45f, 10, 28));
                string text = $"{line.Text} ({line.Confidence:0.00})";
                float width = font.MeasureText(text);
                float x = p[0].X, y = Math.Max(p[0].Y - 3, font.Size);
                canvas.DrawRect(new SKRect(x, y - font.Size, x + width + 4, y + font.Size * 0.25f), backdrop);
                canvas.DrawText(text, x + 2, y, SKTextAlign.Left, font, label);
            }
        }
        ImageOps.SavePng(bitmap, outputPath);
    }
}
