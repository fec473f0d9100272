using SkiaSharp;

namespace Onyx.Cli.Imaging;

/// <summary>
/// An 8-bit RGB image, row-major, 3 bytes per pixel. The pixel math of the OCR pipeline works on this;
/// SkiaSharp is used for decoding, resampling, warping and drawing.
/// </summary>
public sealed class RgbImage
{
    public RgbImage(int width, int height, byte[]? pixels = null)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), $"Image size must be positive, got {width}x{height}.");
        Width = width;
        Height = height;
        Pixels = pixels ?? new byte[checked(width * height * 3)];
        if (Pixels.Length != width * height * 3)
            throw new ArgumentException($"Expected {width * height * 3} bytes for {width}x{height} RGB, got {Pixels.Length}.", nameof(pixels));
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>R, G, B bytes, row after row.</summary>
    public byte[] Pixels { get; }

    /// <summary>Decodes a PNG/JPEG/... file. Transparent pixels are composited over white.</summary>
    public static RgbImage Load(string path)
    {
        using var data = SKData.Create(path)
            ?? throw new FileNotFoundException($"Cannot read image '{path}'.", path);
        using var decoded = SKBitmap.Decode(data)
            ?? throw new InvalidDataException($"'{path}' is not an image SkiaSharp can decode.");
        return FromBitmap(decoded);
    }

    /// <summary>Copies any SkiaSharp bitmap into RGB (alpha composited over white).</summary>
    public static RgbImage FromBitmap(SKBitmap bitmap)
    {
        var info = new SKImageInfo(bitmap.Width, bitmap.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var rgba = new SKBitmap(info);
        using (var canvas = new SKCanvas(rgba))
        {
            canvas.Clear(SKColors.White);
            canvas.DrawBitmap(bitmap, 0, 0);
        }
        var image = new RgbImage(bitmap.Width, bitmap.Height);
        ReadOnlySpan<byte> src = rgba.GetPixelSpan();
        Span<byte> dst = image.Pixels;
        int rowBytes = rgba.RowBytes;
        for (int y = 0; y < image.Height; y++)
        {
            var srow = src.Slice(y * rowBytes, image.Width * 4);
            var drow = dst.Slice(y * image.Width * 3, image.Width * 3);
            for (int x = 0, s = 0, d = 0; x < image.Width; x++, s += 4, d += 3)
            {
                drow[d] = srow[s];
                drow[d + 1] = srow[s + 1];
                drow[d + 2] = srow[s + 2];
            }
        }
        return image;
    }

    /// <summary>An opaque RGBA SkiaSharp bitmap with the same pixels (caller disposes).</summary>
    public SKBitmap ToBitmap()
    {
        var bitmap = new SKBitmap(new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        Span<byte> dst = bitmap.GetPixelSpan();
        ReadOnlySpan<byte> src = Pixels;
        int rowBytes = bitmap.RowBytes;
        for (int y = 0; y < Height; y++)
        {
            var srow = src.Slice(y * Width * 3, Width * 3);
            var drow = dst.Slice(y * rowBytes, Width * 4);
            for (int x = 0, s = 0, d = 0; x < Width; x++, s += 3, d += 4)
            {
                drow[d] = srow[s];
                drow[d + 1] = srow[s + 1];
                drow[d + 2] = srow[s + 2];
                drow[d + 3] = 255;
            }
        }
        return bitmap;
    }

    /// <summary>Saves as PNG.</summary>
    public void SavePng(string path)
    {
        using var bitmap = ToBitmap();
        ImageOps.SavePng(bitmap, path);
    }
}
