namespace Onyx.Cli.Ocr;

/// <summary>Locates the shipped models/ and assets/fonts/ folders (next to the executable, or in a parent folder of it).</summary>
public static class OcrAssets
{
    public const string FontFileName = "DejaVuSans.ttf";

    /// <summary>The models/ folder: next to the executable (copied by the build) or the first one found walking up.</summary>
    public static string ModelsDirectory => FindUpward(Path.Combine("models", "ppocr"), "models")
        ?? throw new DirectoryNotFoundException($"No models/ppocr folder next to {AppContext.BaseDirectory} or above it.");

    /// <summary>The default OCR input image.</summary>
    public static string SampleImage => Path.Combine(ModelsDirectory, "ppocr", "sample.png");

    /// <summary>The DejaVu Sans TTF used for the sample and for annotations.</summary>
    public static string FontPath => FindUpward(Path.Combine("assets", "fonts", FontFileName), Path.Combine("assets", "fonts", FontFileName))
        ?? throw new FileNotFoundException($"No assets/fonts/{FontFileName} next to {AppContext.BaseDirectory} or above it.");

    static string? FindUpward(string probe, string result)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, probe);
            if (Directory.Exists(candidate) || File.Exists(candidate))
                return Path.Combine(dir.FullName, result);
        }
        return null;
    }
}
