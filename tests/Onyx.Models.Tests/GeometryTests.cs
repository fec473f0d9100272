using Onyx.Cli.Imaging;
using Onyx.Cli.Ocr;
using SkiaSharp;
using Xunit;

namespace Onyx.Models.Tests;

/// <summary>Unit tests of the pipeline's pieces (no models).</summary>
public sealed class GeometryTests
{
    [Fact]
    public void MinAreaRect_OfRotatedRectangleCorners_RecoversIt()
    {
        var rect = new RotatedRect(50, 40, 80, 20, Math.Cos(0.3), Math.Sin(0.3));
        var pts = rect.Corners().Select(p => ((double)p.X, (double)p.Y)).ToList();
        pts.Add((50, 40));
        var found = Geometry.MinAreaRect(Geometry.ConvexHull(pts));
        Assert.Equal(80 * 20, found.Area, 1);
        Assert.Equal(50, found.CenterX, 3);
        Assert.Equal(40, found.CenterY, 3);
        Assert.Equal(20, Math.Min(found.Width, found.Height), 3);
    }

    [Fact]
    public void OrderCorners_GivesTopLeftFirstClockwise()
    {
        SKPoint[] q = Geometry.OrderCorners([new(10, 30), new(100, 12), new(8, 10), new(102, 33)]);
        Assert.Equal(new SKPoint(8, 10), q[0]);
        Assert.Equal(new SKPoint(100, 12), q[1]);
        Assert.Equal(new SKPoint(102, 33), q[2]);
        Assert.Equal(new SKPoint(10, 30), q[3]);
    }

    [Theory]
    [InlineData(800, 360, 800, 352)]
    [InlineData(2000, 1000, 960, 480)]
    [InlineData(10, 10, 32, 32)]
    public void DetInputSize_IsMultipleOf32WithinLimit(int w, int h, int ew, int eh) =>
        Assert.Equal((ew, eh), OcrPipeline.DetInputSize(w, h, 960));

    [Fact]
    public void Homography_MapsCorners()
    {
        SKPoint[] from = [new(10, 5), new(90, 12), new(88, 40), new(12, 33)];
        SKPoint[] to = [new(0, 0), new(100, 0), new(100, 30), new(0, 30)];
        var m = ImageOps.Homography(from, to);
        for (int i = 0; i < 4; i++)
        {
            var p = m.MapPoint(from[i]);
            Assert.Equal(to[i].X, p.X, 2);
            Assert.Equal(to[i].Y, p.Y, 2);
        }
    }

    [Fact]
    public void Ctc_MergesRepeatsAndDropsBlanks()
    {
        var decoder = new CtcDecoder(["a", "b"]);
        Assert.Equal(4, decoder.ClassCount);
        // Steps: a a blank a b space b
        int[] best = [1, 1, 0, 1, 2, 3, 2];
        var probs = new float[best.Length * 4];
        for (int t = 0; t < best.Length; t++)
        {
            for (int c = 0; c < 4; c++) probs[t * 4 + c] = 0.1f;
            probs[t * 4 + best[t]] = 0.7f;
        }
        var (text, conf) = decoder.Decode(probs, best.Length);
        Assert.Equal("aab b", text);
        Assert.Equal(0.7f, conf, 5);
    }

    [Fact]
    public void KeyFile_MatchesRecognitionModelClasses()
    {
        var decoder = CtcDecoder.FromKeyFile(Path.Combine(OcrAssets.ModelsDirectory, "ppocr", "ppocr_keys_v1.txt"));
        Assert.Equal(6625, decoder.ClassCount);
    }

    [Fact]
    public void SampleImage_IsReproducible()
    {
        using var bitmap = SampleImage.Render(OcrAssets.FontPath);
        var rendered = RgbImage.FromBitmap(bitmap);
        var shipped = RgbImage.Load(OcrAssets.SampleImage);
        Assert.Equal(shipped.Width, rendered.Width);
        Assert.Equal(shipped.Height, rendered.Height);
        int differing = 0;
        for (int i = 0; i < shipped.Pixels.Length; i++)
            if (Math.Abs(shipped.Pixels[i] - rendered.Pixels[i]) > 2) differing++;
        Assert.True(differing < shipped.Pixels.Length / 100, $"{differing} channel values differ");
    }
}
