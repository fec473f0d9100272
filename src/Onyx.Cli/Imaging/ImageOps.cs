using SkiaSharp;

namespace Onyx.Cli.Imaging;

/// <summary>Geometric image operations done with SkiaSharp (resampling, perspective warp, rotation).</summary>
public static class ImageOps
{
    static readonly SKSamplingOptions Linear = new(SKFilterMode.Linear, SKMipmapMode.None);
    static readonly SKSamplingOptions Cubic = new(SKCubicResampler.CatmullRom);

    /// <summary>Bilinear resize to exactly <paramref name="width"/> x <paramref name="height"/>.</summary>
    public static RgbImage Resize(RgbImage image, int width, int height)
    {
        if (width == image.Width && height == image.Height)
            return new RgbImage(width, height, (byte[])image.Pixels.Clone());
        using var src = image.ToBitmap();
        using var srcImage = SKImage.FromBitmap(src);
        using var dst = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(dst))
        {
            canvas.Clear(SKColors.Black);
            canvas.DrawImage(srcImage, new SKRect(0, 0, image.Width, image.Height), new SKRect(0, 0, width, height), Linear);
        }
        return RgbImage.FromBitmap(dst);
    }

    /// <summary>
    /// Perspective-rectifies the quadrilateral <paramref name="quad"/> (top-left, top-right, bottom-right,
    /// bottom-left, in source pixels) into a <paramref name="width"/> x <paramref name="height"/> image.
    /// Pixels outside the source replicate its border (as cv2.BORDER_REPLICATE), sampling is bicubic.
    /// </summary>
    public static RgbImage WarpQuad(RgbImage image, ReadOnlySpan<SKPoint> quad, int width, int height)
    {
        if (quad.Length != 4)
            throw new ArgumentException($"Expected 4 corner points, got {quad.Length}.", nameof(quad));
        Span<SKPoint> dstPts = [new(0, 0), new(width, 0), new(width, height), new(0, height)];
        SKMatrix h = Homography(quad, dstPts);
        using var src = image.ToBitmap();
        using var srcImage = SKImage.FromBitmap(src);
        using var dst = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(dst))
        using (var shader = SKShader.CreateImage(srcImage, SKShaderTileMode.Clamp, SKShaderTileMode.Clamp, Cubic, h))
        using (var paint = new SKPaint { Shader = shader, BlendMode = SKBlendMode.Src })
        {
            canvas.DrawRect(new SKRect(0, 0, width, height), paint);
        }
        return RgbImage.FromBitmap(dst);
    }

    /// <summary>Rotates by 90 degrees counter-clockwise (numpy.rot90 with k=1).</summary>
    public static RgbImage Rotate90CounterClockwise(RgbImage image)
    {
        int w = image.Width, h = image.Height;
        var result = new RgbImage(h, w);
        byte[] s = image.Pixels, d = result.Pixels;
        // Output (x', y') with width h, height w: source pixel (x = w-1-y', y = x').
        for (int yo = 0; yo < w; yo++)
        {
            int xs = w - 1 - yo;
            for (int xo = 0; xo < h; xo++)
            {
                int si = (xo * w + xs) * 3, di = (yo * h + xo) * 3;
                d[di] = s[si]; d[di + 1] = s[si + 1]; d[di + 2] = s[si + 2];
            }
        }
        return result;
    }

    /// <summary>Rotates by 180 degrees.</summary>
    public static RgbImage Rotate180(RgbImage image)
    {
        var result = new RgbImage(image.Width, image.Height);
        int n = image.Width * image.Height;
        byte[] s = image.Pixels, d = result.Pixels;
        for (int i = 0; i < n; i++)
        {
            int si = i * 3, di = (n - 1 - i) * 3;
            d[di] = s[si]; d[di + 1] = s[si + 1]; d[di + 2] = s[si + 2];
        }
        return result;
    }

    /// <summary>Encodes a bitmap as PNG.</summary>
    public static void SavePng(SKBitmap bitmap, string path)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException("PNG encoding failed.");
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir))
            Directory.CreateDirectory(dir);
        using var file = File.Create(path);
        data.SaveTo(file);
    }

    /// <summary>
    /// The projective transform that maps the four <paramref name="from"/> points onto the four
    /// <paramref name="to"/> points (cv2.getPerspectiveTransform), as a SkiaSharp matrix.
    /// </summary>
    public static SKMatrix Homography(ReadOnlySpan<SKPoint> from, ReadOnlySpan<SKPoint> to)
    {
        // Unknowns a..h with x' = (a x + b y + c) / (g x + h y + 1), y' = (d x + e y + f) / (g x + h y + 1).
        var m = new double[8, 9];
        for (int i = 0; i < 4; i++)
        {
            double x = from[i].X, y = from[i].Y, u = to[i].X, v = to[i].Y;
            int r = 2 * i;
            m[r, 0] = x; m[r, 1] = y; m[r, 2] = 1; m[r, 6] = -x * u; m[r, 7] = -y * u; m[r, 8] = u;
            m[r + 1, 3] = x; m[r + 1, 4] = y; m[r + 1, 5] = 1; m[r + 1, 6] = -x * v; m[r + 1, 7] = -y * v; m[r + 1, 8] = v;
        }
        for (int col = 0; col < 8; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < 8; r++)
                if (Math.Abs(m[r, col]) > Math.Abs(m[pivot, col])) pivot = r;
            if (Math.Abs(m[pivot, col]) < 1e-12)
                throw new ArgumentException("Degenerate quadrilateral: the perspective transform is singular.");
            if (pivot != col)
                for (int k = 0; k < 9; k++) (m[col, k], m[pivot, k]) = (m[pivot, k], m[col, k]);
            for (int r = 0; r < 8; r++)
            {
                if (r == col) continue;
                double f = m[r, col] / m[col, col];
                if (f == 0) continue;
                for (int k = col; k < 9; k++) m[r, k] -= f * m[col, k];
            }
        }
        Span<double> p = stackalloc double[8];
        for (int i = 0; i < 8; i++) p[i] = m[i, 8] / m[i, i];
        return new SKMatrix(
            (float)p[0], (float)p[1], (float)p[2],
            (float)p[3], (float)p[4], (float)p[5],
            (float)p[6], (float)p[7], 1f);
    }
}
