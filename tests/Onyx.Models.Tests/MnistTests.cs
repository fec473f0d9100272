using Onyx.Cli.Imaging;
using Onyx.Cli.Ocr;
using Xunit;

namespace Onyx.Models.Tests;

/// <summary>mnist-8 from the ONNX model zoo classifies the three shipped digit images.</summary>
public sealed class MnistTests
{
    static string ModelsDir => OcrAssets.ModelsDirectory;

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(5)]
    public void Digit_IsClassified_WithOnyx(int digit)
    {
        using var runner = new OnyxModelRunner(Path.Combine(ModelsDir, "mnist", "mnist-8.onnx"));
        Assert.Equal(digit, Classify(runner, digit));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(5)]
    public void Digit_IsClassified_WithOnnxRuntime(int digit)
    {
        using var runner = new OrtModelRunner(Path.Combine(ModelsDir, "mnist", "mnist-8.onnx"));
        Assert.Equal(digit, Classify(runner, digit));
    }

    static int Classify(IOcrModelRunner runner, int digit)
    {
        float[] input = LoadDigit(Path.Combine(ModelsDir, "mnist", $"mnist{digit}.png"));
        float[] logits = runner.Run(input, [1, 1, 28, 28], out int[] shape);
        Assert.Equal([1, 10], shape);
        int best = 0;
        for (int i = 1; i < 10; i++)
            if (logits[i] > logits[best]) best = i;
        return best;
    }

    /// <summary>
    /// 28x28 grey values in [0,255], white digit on black. Larger images (mnist2.png is a plot of the digit with
    /// axes) are cropped to their dark plot area and box-filtered down to 28x28.
    /// </summary>
    static float[] LoadDigit(string path)
    {
        var image = RgbImage.Load(path);
        int w = image.Width, h = image.Height;
        var lum = new float[w * h];
        for (int i = 0; i < lum.Length; i++)
            lum[i] = 0.299f * image.Pixels[i * 3] + 0.587f * image.Pixels[i * 3 + 1] + 0.114f * image.Pixels[i * 3 + 2];
        if (w == 28 && h == 28)
            return lum;

        var (x0, x1) = LongestDarkRun(w, h, (i, j) => lum[j * w + i]);
        var (y0, y1) = LongestDarkRun(h, w, (j, i) => lum[j * w + i]);
        var result = new float[28 * 28];
        double cw = (x1 - x0 + 1) / 28.0, ch = (y1 - y0 + 1) / 28.0;
        for (int oy = 0; oy < 28; oy++)
        {
            for (int ox = 0; ox < 28; ox++)
            {
                int sx0 = x0 + (int)(ox * cw), sx1 = Math.Max(sx0 + 1, x0 + (int)((ox + 1) * cw));
                int sy0 = y0 + (int)(oy * ch), sy1 = Math.Max(sy0 + 1, y0 + (int)((oy + 1) * ch));
                double sum = 0;
                for (int y = sy0; y < sy1; y++)
                    for (int x = sx0; x < sx1; x++)
                        sum += lum[y * w + x];
                result[oy * 28 + ox] = (float)(sum / ((sx1 - sx0) * (sy1 - sy0)));
            }
        }
        return result;
    }

    /// <summary>The longest run of lines (columns or rows) that are mostly dark: the plot area.</summary>
    static (int Start, int End) LongestDarkRun(int count, int across, Func<int, int, float> at)
    {
        int bestStart = 0, bestLen = 0, runStart = -1;
        for (int i = 0; i <= count; i++)
        {
            bool dark = false;
            if (i < count)
            {
                int n = 0;
                for (int j = 0; j < across; j++)
                    if (at(i, j) < 100) n++;
                dark = n > across / 4; // a quarter: lines crossing the bright digit stay mostly dark
            }
            if (dark && runStart < 0) runStart = i;
            if (!dark && runStart >= 0)
            {
                if (i - runStart > bestLen) { bestLen = i - runStart; bestStart = runStart; }
                runStart = -1;
            }
        }
        if (bestLen < 28)
            throw new InvalidDataException("No plot area found in the digit image.");
        return (bestStart, bestStart + bestLen - 1);
    }
}
