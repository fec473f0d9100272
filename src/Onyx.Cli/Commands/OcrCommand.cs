using System.CommandLine;
using System.Diagnostics;
using Onyx.Cli.Ocr;
using Spectre.Console;

namespace Onyx.Cli.Commands;

/// <summary><c>onyx ocr</c>: PP-OCRv4 text detection and recognition run by Onyx; plus the hidden <c>onyx make-sample</c>.</summary>
public static class OcrCommand
{
    public static Command Create()
    {
        var image = new Argument<string?>("image")
        {
            Description = "Image to read (PNG, JPEG, ...). Default: the shipped models/ppocr/sample.png.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var ep = CliOptions.Ep();
        var epOptions = CliOptions.EpOption();
        var annotated = new Option<string?>("--save-annotated")
        {
            Description = "Write a copy of the image with the boxes and recognized text drawn on it (PNG).",
        };
        var threads = CliOptions.Threads();
        var unclip = new Option<float>("--unclip-ratio")
        {
            Description = "How far detected boxes are grown (PaddleOCR det_db_unclip_ratio). 2.0 gives more margin and keeps spaces between English words more often.",
            DefaultValueFactory = _ => 1.5f,
        };
        var cls = new Option<bool>("--cls") { Description = "Also run the 180° text-direction classifier on each line." };

        var command = new Command("ocr", "Read the text in an image with PP-OCRv4 (detection + recognition) running on Onyx.")
        {
            image, ep, epOptions, annotated, threads, unclip, cls,
        };
        command.SetAction(parse =>
        {
            try
            {
                // The main job runs through the OpenVINO-contract provider by default (the product's
                // headline); `--ep CPU` runs the plain CPU provider.
                string? epName = parse.GetValue(ep) ?? "OpenVINO";
                string[] epOpts = parse.GetValue(epOptions) ?? [];
                int threadCount = parse.GetValue(threads);
                // Validate the provider options once, up front; each model gets its own SessionOptions.
                CliOptions.Build(epName, epOpts, threadCount).Dispose();
                return Run(parse.GetValue(image), () => CliOptions.Build(epName, epOpts, threadCount), epName,
                    parse.GetValue(annotated), parse.GetValue(cls), parse.GetValue(unclip));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                AnsiConsole.MarkupLine($"[red]ocr failed:[/] {Markup.Escape(e.Message)}");
                return 1;
            }
        });
        return command;
    }

    /// <summary>Hidden <c>onyx make-sample [OUT.png]</c>: regenerates models/ppocr/sample.png.</summary>
    public static Command CreateMakeSample()
    {
        var output = new Argument<string?>("output") { Arity = ArgumentArity.ZeroOrOne, Description = "Where to write the PNG." };
        var command = new Command("make-sample", "Draw the OCR sample image (models/ppocr/sample.png).") { output };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            string path = parse.GetValue(output) ?? OcrAssets.SampleImage;
            SampleImage.Write(path, OcrAssets.FontPath);
            Console.WriteLine($"wrote {path}");
            return 0;
        });
        return command;
    }

    static int Run(string? imagePath, Func<SessionOptions> sessionOptions, string epName, string? annotatedPath, bool useCls, float unclipRatio)
    {
        imagePath ??= OcrAssets.SampleImage;
        if (!File.Exists(imagePath))
            throw new FileNotFoundException($"Image '{imagePath}' does not exist.");

        if (unclipRatio <= 0)
            throw new ArgumentException($"--unclip-ratio must be positive, got {unclipRatio}.");
        var options = OcrOptions.FromModelsDirectory(OcrAssets.ModelsDirectory, useCls) with
        {
            PostProcessor = new DbPostProcessor { UnclipRatio = unclipRatio },
        };
        var load = Stopwatch.StartNew();
        var providers = new List<string>();
        using var pipeline = new OcrPipeline(options, path =>
        {
            var runner = new OnyxModelRunner(path, sessionOptions());
            providers.Add($"{Path.GetFileNameWithoutExtension(path)}: {string.Join('+', runner.ProviderNames)}");
            return runner;
        });
        double loadMs = load.Elapsed.TotalMilliseconds;

        var result = pipeline.Run(imagePath);

        // Redirected output gets Spectre's 80-column default; give the table room so rows do not wrap.
        if (Console.IsOutputRedirected && AnsiConsole.Profile.Width < 140)
            AnsiConsole.Profile.Width = 140;

        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(imagePath)}[/] (det input {result.DetWidth}x{result.DetHeight}, ep {Markup.Escape(epName)})");
        AnsiConsole.MarkupLine($"[grey]{Markup.Escape(string.Join("; ", providers))}[/]");
        var table = new Table().AddColumn("#").AddColumn("Text").AddColumn(new TableColumn("Conf").RightAligned()).AddColumn("Box (TL TR BR BL)");
        for (int i = 0; i < result.Lines.Count; i++)
        {
            var line = result.Lines[i];
            table.AddRow((i + 1).ToString(), Markup.Escape(line.Text), line.Confidence.ToString("0.000"), line.Box.ToString());
        }
        AnsiConsole.Write(table);

        var t = result.Timings;
        var times = new Table()
            .AddColumn("Stage")
            .AddColumn(new TableColumn("wall ms").RightAligned())
            .AddColumn(new TableColumn("cpu ms").RightAligned());
        times.AddRow("load models", loadMs.ToString("0.0"), "");
        foreach (var stage in t.Stages)
            times.AddRow(stage.Name, stage.WallMs.ToString("0.0"), stage.CpuMs.ToString("0.0"));
        times.AddRow("total (excl. load)", t.TotalWallMs.ToString("0.0"), t.TotalCpuMs.ToString("0.0"));
        AnsiConsole.Write(times);

        if (annotatedPath is not null)
        {
            OcrAnnotator.Save(imagePath, result, annotatedPath);
            AnsiConsole.MarkupLine($"annotated image: {Markup.Escape(annotatedPath)}");
        }
        return 0;
    }
}
