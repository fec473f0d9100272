using SkiaSharp;

namespace Onyx.Cli.Ocr;

/// <summary>
/// Draws models/ppocr/sample.png: a synthetic "scan" of printed English text (two font sizes, rotated
/// about 2 degrees, paper tint, texture, slight blur and pixel noise). Deterministic for a given font file.
/// </summary>
public static class SampleImage
{
    /// <summary>The text on the sample, one entry per printed line, top to bottom.</summary>
    public static readonly string[] Lines =
    [
        "ONYX RUNTIME REPORT",
        "The quick brown fox jumps over the lazy dog",
        "Invoice 4721 was paid on 12 March 2025",
        "Total amount 389 dollars and 50 cents",
        "Thank you for your order",
    ];

    public const int Width = 800;
    public const int Height = 360;

    public static void Write(string path, string fontPath, int seed = 7)
    {
        using var bitmap = Render(fontPath, seed);
        Imaging.ImageOps.SavePng(bitmap, path);
    }

    public static SKBitmap Render(string fontPath, int seed = 7)
    {
        var rng = new Random(seed);
        var info = new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        var page = new SKBitmap(info);
        using (var canvas = new SKCanvas(page))
        {
            canvas.Clear(new SKColor(240, 236, 226));
            DrawPaperTexture(canvas, rng);

            using var typeface = SKTypeface.FromFile(fontPath)
                ?? throw new FileNotFoundException($"Cannot load font '{fontPath}'.", fontPath);
            using var title = new SKFont(typeface, 40) { Edging = SKFontEdging.Antialias, Embolden = true };
            using var body = new SKFont(typeface, 27) { Edging = SKFontEdging.Antialias };
            using var ink = new SKPaint { Color = new SKColor(28, 28, 36), IsAntialias = true };

            canvas.Save();
            canvas.RotateDegrees(2f, Width / 2f, Height / 2f);
            float y = 80;
            DrawWords(canvas, Lines[0], 60, y, title, ink);
            y += 72;
            for (int i = 1; i < Lines.Length; i++)
            {
                DrawWords(canvas, Lines[i], 60, y, body, ink);
                y += 56;
            }
            canvas.Restore();
        }

        // A scanner's softness, then sensor noise.
        var blurred = new SKBitmap(info);
        using (var canvas = new SKCanvas(blurred))
        using (var blur = new SKPaint { ImageFilter = SKImageFilter.CreateBlur(0.7f, 0.7f) })
        {
            canvas.Clear(new SKColor(240, 236, 226));
            canvas.DrawBitmap(page, 0, 0, blur);
        }
        page.Dispose();
        AddNoise(blurred, rng, amplitude: 10);
        return blurred;
    }

    /// <summary>
    /// Draws the words of a line with a wider gap than the font's space: PP-OCR's Chinese/English recognizer
    /// only emits a space for clearly separated words.
    /// </summary>
    static void DrawWords(SKCanvas canvas, string line, float x, float y, SKFont font, SKPaint paint)
    {
        float gap = font.MeasureText(" ") * WordGap;
        foreach (string word in line.Split(' '))
        {
            canvas.DrawText(word, x, y, SKTextAlign.Left, font, paint);
            x += font.MeasureText(word) + gap;
        }
    }

    /// <summary>Word gap as a multiple of the font's space width.</summary>
    public static float WordGap { get; set; } = 1.8f;

    static void DrawPaperTexture(SKCanvas canvas, Random rng)
    {
        // Faint fibres and blotches.
        using var paint = new SKPaint { IsAntialias = true, StrokeWidth = 1 };
        for (int i = 0; i < 400; i++)
        {
            byte shade = (byte)rng.Next(200, 235);
            paint.Color = new SKColor(shade, (byte)(shade - 4), (byte)(shade - 14), (byte)rng.Next(20, 60));
            float x = rng.NextSingle() * Width, y = rng.NextSingle() * Height;
            float angle = rng.NextSingle() * MathF.PI, len = 4 + rng.NextSingle() * 16;
            canvas.DrawLine(x, y, x + len * MathF.Cos(angle), y + len * MathF.Sin(angle), paint);
        }
        for (int i = 0; i < 40; i++)
        {
            paint.Color = new SKColor(210, 200, 180, (byte)rng.Next(6, 18));
            canvas.DrawCircle(rng.NextSingle() * Width, rng.NextSingle() * Height, 10 + rng.NextSingle() * 60, paint);
        }
    }

    static void AddNoise(SKBitmap bitmap, Random rng, int amplitude)
    {
        Span<byte> px = bitmap.GetPixelSpan();
        for (int i = 0; i < px.Length; i += 4)
        {
            int n = rng.Next(-amplitude, amplitude + 1);
            for (int c = 0; c < 3; c++)
                px[i + c] = (byte)Math.Clamp(px[i + c] + n + rng.Next(-2, 3), 0, 255);
        }
    }
}
