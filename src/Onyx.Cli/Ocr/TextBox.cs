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

/// <summary>Time spent in one pipeline stage: wall clock, and CPU time of the whole process (all threads).</summary>
public sealed class OcrStage(string name)
{
    public string Name { get; } = name;
    public double WallMs { get; set; }
    public double CpuMs { get; set; }
}

/// <summary>Time per pipeline stage, in the order the stages first ran.</summary>
public sealed class OcrTimings
{
    public const string Decode = "decode image";
    public const string DetPreprocess = "det pre";
    public const string DetInference = "det infer";
    public const string DetPostprocess = "det post";
    public const string Classify = "cls";
    public const string RecPreprocess = "rec pre (crop+resize)";
    public const string RecInference = "rec infer";
    public const string RecDecode = "rec decode";

    readonly List<OcrStage> _stages = [];

    public IReadOnlyList<OcrStage> Stages => _stages;

    /// <summary>Adds to a stage (created on first use).</summary>
    public void Add(string name, double wallMs, double cpuMs)
    {
        var stage = _stages.Find(s => s.Name == name);
        if (stage is null)
        {
            stage = new OcrStage(name);
            _stages.Add(stage);
        }
        stage.WallMs += wallMs;
        stage.CpuMs += cpuMs;
    }

    /// <summary>Wall-clock milliseconds of a stage (0 if it did not run).</summary>
    public double WallMs(string name) => _stages.Find(s => s.Name == name)?.WallMs ?? 0;

    public double TotalWallMs => _stages.Sum(s => s.WallMs);
    public double TotalCpuMs => _stages.Sum(s => s.CpuMs);

    public override string ToString() =>
        string.Join(", ", _stages.Select(s => $"{s.Name} {s.WallMs:0.0} ms (cpu {s.CpuMs:0.0})"));
}

/// <summary>Measures consecutive stages: each <see cref="Lap"/> charges the time since the previous one.</summary>
public sealed class StageClock
{
    readonly System.Diagnostics.Stopwatch _wall = System.Diagnostics.Stopwatch.StartNew();
    readonly System.Diagnostics.Process _process = System.Diagnostics.Process.GetCurrentProcess();
    TimeSpan _cpu;

    public StageClock() => _cpu = CpuNow();

    TimeSpan CpuNow()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    public void Lap(OcrTimings timings, string stage)
    {
        double wall = _wall.Elapsed.TotalMilliseconds;
        var cpu = CpuNow();
        timings.Add(stage, wall, (cpu - _cpu).TotalMilliseconds);
        _cpu = cpu;
        _wall.Restart();
    }
}

/// <summary>The result of running the pipeline on one image.</summary>
public sealed record OcrResult(IReadOnlyList<OcrLine> Lines, OcrTimings Timings, int DetWidth, int DetHeight);
