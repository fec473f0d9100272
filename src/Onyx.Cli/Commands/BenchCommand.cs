using System.CommandLine;
using System.Text.Json;
using Onyx.Benchmarking;
using Spectre.Console;

namespace Onyx.Cli.Commands;

/// <summary>
/// `onyx bench MODEL... [--threads N[,M]] [--iters K] [--warmup W] [--dim NAME=V]... [--ep E --ep-option K=V]
/// [--compare-ort [--ort-plugin PATH]] [--json] [--profile]`: load time, median and p90 latency and
/// peak working-set growth on seeded inputs, optionally side by side with ONNX Runtime in this process.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var models = new Argument<string[]>("model") { Description = "One or more .onnx files", Arity = ArgumentArity.OneOrMore };
        var threads = new Option<string>("--threads") { Description = "Intra-op thread counts, comma-separated (e.g. 1,2)", DefaultValueFactory = _ => "1" };
        var iters = new Option<int>("--iters") { Description = "Timed runs", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed runs first; any warm-up also runs until latency settles (JIT tiering). 0 = none", DefaultValueFactory = _ => 2 };
        var dims = new Option<string[]>("--dim") { Description = "Symbolic dimension NAME=VALUE (repeatable); #i=VALUE sets dimension i of every input" };
        var compare = new Option<bool>("--compare-ort") { Description = "Also time ONNX Runtime (CPU provider) in this process and print the ratio" };
        var plugin = new Option<string?>("--ort-plugin") { Description = $"Path of {OrtPlugin.FileName} or its folder (default: ${OrtPlugin.EnvironmentVariable}, then next to onyx)" };
        var json = new Option<bool>("--json") { Description = "One JSON object per model and thread count" };
        var profile = new Option<bool>("--profile") { Description = "Also report Onyx's time per op type" };
        var ep = CliOptions.Ep();
        var epOption = CliOptions.EpOption();
        var cmd = new Command("bench", "Time a model: load, median and p90 latency, peak working set (optionally vs ONNX Runtime)")
        {
            models, threads, iters, warmup, dims, compare, plugin, json, profile, ep, epOption,
        };
        cmd.SetAction(parse =>
        {
            try { return Execute(parse); }
            catch (OnnxRuntimeException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return cmd;

        int Execute(ParseResult parse)
        {
            int iterations = parse.GetValue(iters), warm = parse.GetValue(warmup);
            if (iterations < 1) throw new OnnxRuntimeException(ErrorCode.InvalidArgument, "--iters must be at least 1");
            if (warm < 0) throw new OnnxRuntimeException(ErrorCode.InvalidArgument, "--warmup must not be negative");
            var threadCounts = ParseThreads(parse.GetValue(threads)!);
            var dimMap = BenchInputs.ParseDims(parse.GetValue(dims));
            // Fail on a missing plugin before spending time on Onyx.
            var ort = parse.GetValue(compare) ? OrtPlugin.Load(parse.GetValue(plugin)) : null;
            foreach (var model in parse.GetValue(models)!)
            {
                if (!File.Exists(model)) throw new OnnxRuntimeException(ErrorCode.NoSuchFile, $"model file '{model}' does not exist");
                IReadOnlyList<(string Name, Onyx.Tensors.Tensor Value)>? inputs = null;
                ModelFileWarmup.Touch(model);
                foreach (int t in threadCounts)
                {
                    var options = CliOptions.Build(parse.GetValue(ep), parse.GetValue(epOption), t);
                    // Inputs come from the timed session itself: no untimed load warms Onyx up first.
                    var onyx = OnyxBenchmark.Measure(model, options, iterations, warm, s => inputs ??= BenchInputs.For(s, dimMap), parse.GetValue(profile), out var ops, out inputs);
                    var other = ort?.Measure(model, t, iterations, warm, inputs);
                    if (parse.GetValue(json)) Console.WriteLine(Json(Path.GetFileNameWithoutExtension(model), t, onyx, other, ops));
                    else PrintTable(Path.GetFileName(model), t, onyx, other, ops);
                }
            }
            return 0;
        }
    }

    private static int[] ParseThreads(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var counts = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], out counts[i]) || counts[i] < 1)
                throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"--threads '{text}' must be positive integers separated by commas");
        return counts.Length > 0 ? counts : throw new OnnxRuntimeException(ErrorCode.InvalidArgument, "--threads needs at least one count");
    }

    /// <summary>The record scripts read: Onyx's numbers at the top level, ONNX Runtime's under "ort", ratio = Onyx median / ORT median.</summary>
    internal static string Json(string model, int threads, BenchTiming onyx, BenchTiming? ort, Dictionary<string, double>? ops) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["model"] = model,
            ["threads"] = threads,
            ["load_ms"] = onyx.LoadMs,
            ["median_ms"] = onyx.MedianMs,
            ["p90_ms"] = onyx.P90Ms,
            ["peak_working_set_mb"] = onyx.PeakWorkingSetMb,
            ["ort"] = ort is null ? null : new Dictionary<string, double>
            {
                ["load_ms"] = ort.LoadMs,
                ["median_ms"] = ort.MedianMs,
                ["p90_ms"] = ort.P90Ms,
                ["peak_working_set_mb"] = ort.PeakWorkingSetMb,
            },
            ["ratio"] = ort is null ? null : onyx.MedianMs / ort.MedianMs,
            ["ops_ms"] = ops?.OrderByDescending(kv => kv.Value).ToDictionary(kv => kv.Key, kv => kv.Value),
        });

    private static void PrintTable(string model, int threads, BenchTiming onyx, BenchTiming? ort, Dictionary<string, double>? ops)
    {
        var table = new Table().Title(Markup.Escape($"{model}, {threads} thread{(threads == 1 ? "" : "s")}"))
            .AddColumns("runtime", "load ms", "median ms", "p90 ms", "peak working set MB");
        table.AddRow("onyx", F(onyx.LoadMs, "0.0"), F(onyx.MedianMs, "0.000"), F(onyx.P90Ms, "0.000"), F(onyx.PeakWorkingSetMb, "0.0"));
        if (ort is not null)
            table.AddRow("onnxruntime", F(ort.LoadMs, "0.0"), F(ort.MedianMs, "0.000"), F(ort.P90Ms, "0.000"), F(ort.PeakWorkingSetMb, "0.0"));
        AnsiConsole.Write(table);
        if (ort is not null) Console.WriteLine($"ratio (onyx / onnxruntime median): {onyx.MedianMs / ort.MedianMs:0.00}");
        if (ops is null) return;
        double total = ops.Values.Sum();
        var byOp = new Table().AddColumns("op", "ms per run", "share");
        foreach (var (op, ms) in ops.OrderByDescending(kv => kv.Value))
            byOp.AddRow(Markup.Escape(op), F(ms, "0.000"), F(total > 0 ? 100 * ms / total : 0, "0.0") + "%");
        AnsiConsole.Write(byOp);
    }

    private static string F(double v, string format) => v.ToString(format, System.Globalization.CultureInfo.InvariantCulture);
}
