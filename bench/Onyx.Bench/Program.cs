using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Onyx.Benchmarking;

namespace Onyx.Bench;

/// <summary>
/// Side-by-side model benchmarks, Onyx vs ONNX Runtime, same inputs, same thread count, same process.
/// `Onyx.Bench MODEL... [--threads 1,2] [--compare-ort] [--json] [--profile]` or `Onyx.Bench --suite`.
/// </summary>
public static class Program
{
    private static readonly string Root = FindRoot();

    public static int Main(string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        var models = new Argument<string[]>("models") { Description = "Model files, or suite names (ppocr-det, ppocr-rec, mnist, resnet50, mobilenetv2, bert-base, gpt2-small, resnet50-int8, mobilenetv2-int8)", Arity = ArgumentArity.ZeroOrMore };
        var threads = new Option<string>("--threads") { Description = "Comma-separated thread counts", DefaultValueFactory = _ => "1" };
        var iters = new Option<int>("--iters") { DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { DefaultValueFactory = _ => 2 };
        var dims = new Option<string[]>("--dim") { Description = "Symbolic dimension NAME=VALUE" };
        var compare = new Option<bool>("--compare-ort") { Description = "Also run ONNX Runtime and print the ratio" };
        var json = new Option<bool>("--json") { Description = "One JSON object per model and thread count" };
        var profile = new Option<bool>("--profile") { Description = "Print Onyx time per op type" };
        var suite = new Option<bool>("--suite") { Description = "Run the fixed suite at 1 and 2 threads and write bench/results/latest.md" };
        var rounds = new Option<int>("--rounds") { Description = "Suite only: measure every model this many times, round-robin, and report each runtime's median", DefaultValueFactory = _ => 3 };
        var ep = new Option<string?>("--ep") { Description = "Onyx execution provider: CPU (default) or OpenVINO (ONNX Runtime always runs its CPU provider)" };
        var epOption = new Option<string[]>("--ep-option") { Description = "Provider option KEY=VALUE (repeatable), e.g. device_type=CPU" };
        var root = new RootCommand("Onyx side-by-side model benchmarks") { models, threads, iters, warmup, dims, compare, json, profile, suite, rounds, ep, epOption };
        root.SetAction(p =>
        {
            var dimMap = BenchInputs.ParseDims(p.GetValue(dims));
            if (p.GetValue(suite)) return RunSuite(p.GetValue(iters), p.GetValue(warmup), Math.Max(1, p.GetValue(rounds)), args);
            var threadCounts = p.GetValue(threads)!.Split(',').Select(int.Parse).ToArray();
            foreach (var m in p.GetValue(models) ?? [])
                foreach (int t in threadCounts)
                {
                    var (path, modelDims) = Resolve(m, dimMap);
                    var options = ProviderArguments.Build(p.GetValue(ep), p.GetValue(epOption));
                    var (onyx, ort, ops) = SideBySide.Measure(path, t, p.GetValue(iters), p.GetValue(warmup), modelDims, p.GetValue(compare), p.GetValue(profile), options);
                    Print(m, t, onyx, ort, p.GetValue(json));
                    if (ops is not null)
                        foreach (var (op, ms) in ops.OrderByDescending(kv => kv.Value).Take(int.TryParse(Environment.GetEnvironmentVariable("ONYX_PROFILE_TOP"), out int top) ? top : 60))
                            Console.WriteLine($"  {op,-28} {ms,9:0.000} ms  {100 * ms / ops.Values.Sum(),5:0.0}%");
                }
            return 0;
        });
        return root.Parse(args).Invoke();
    }

    private static (string Path, IReadOnlyDictionary<string, int> Dims) Resolve(string name, Dictionary<string, int> dims) => name switch
    {
        // PP-OCR inputs are [N,3,H,W] with symbolic dims: "#i" keys set dimension i of every input by position.
        "ppocr-det" => (Path.Combine(Root, "models/ppocr/ch_PP-OCRv4_det_infer.onnx"), Merge(dims, ("#0", 1), ("#2", 640), ("#3", 640))),
        "ppocr-rec" => (Path.Combine(Root, "models/ppocr/ch_PP-OCRv4_rec_infer.onnx"), Merge(dims, ("#0", 1), ("#2", 48), ("#3", 320))),
        "mnist" => (Path.Combine(Root, "models/mnist/mnist-8.onnx"), dims),
        "resnet50" or "mobilenetv2" or "bert-base" or "gpt2-small" or "resnet50-int8" or "mobilenetv2-int8" => (ModelZoo.Materialize(name, Path.Combine(Root, "bench", "models")), dims),
        _ => (name, dims),
    };

    private static Dictionary<string, int> Merge(Dictionary<string, int> given, params (string, int)[] defaults)
    {
        var r = new Dictionary<string, int>(given);
        foreach (var (k, v) in defaults) r.TryAdd(k, v);
        return r;
    }

    /// <summary>JSON has no NaN (the first-Run time without warm-up).</summary>
    private static double? OrNull(double v) => double.IsNaN(v) ? null : v;

    private static void Print(string model, int threads, BenchTiming onyx, BenchTiming? ort, bool json)
    {
        double? ratio = ort is null ? null : onyx.MedianMs / ort.MedianMs;
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                model, threads, load_ms = onyx.LoadMs, first_run_ms = OrNull(onyx.FirstRunMs), median_ms = onyx.MedianMs, p90_ms = onyx.P90Ms, peak_working_set_mb = onyx.PeakWorkingSetMb,
                ort = ort is null ? null : new { load_ms = ort.LoadMs, first_run_ms = OrNull(ort.FirstRunMs), median_ms = ort.MedianMs, p90_ms = ort.P90Ms, peak_working_set_mb = ort.PeakWorkingSetMb },
                ratio,
            }));
            return;
        }
        Console.WriteLine($"{model} threads={threads}: onyx load {onyx.LoadMs:0} ms, first run {onyx.FirstRunMs:0.0} ms, median {onyx.MedianMs:0.00} ms, p90 {onyx.P90Ms:0.00} ms, ws +{onyx.PeakWorkingSetMb:0} MB" +
            (ort is null ? "" : $" | ort load {ort.LoadMs:0} ms, first run {ort.FirstRunMs:0.0} ms, median {ort.MedianMs:0.00} ms, p90 {ort.P90Ms:0.00} ms, ws +{ort.PeakWorkingSetMb:0} MB | ratio {ratio:0.00}"));
    }

    /// <summary>
    /// The fixed suite at 1 and 2 threads. These machines are shared: a noisy window of a few seconds can slow
    /// whichever runtime is being timed, by 10-40% at 2 threads. So every model is measured
    /// <paramref name="rounds"/> times, round-robin over the suite (one window cannot hit all rounds of one
    /// model), and the reported round is the one with the median ratio: each round pairs the two runtimes in
    /// adjacent time windows, so a window that slowed one of them moves that round's ratio, not the median.
    /// Loads and first Runs are the first round's (the model's first load in the process, for both
    /// runtimes). The table lists every round's ratio too.
    /// </summary>
    private static int RunSuite(int iters, int warmup, int rounds, string[] args)
    {
        string[] suite = ["ppocr-det", "ppocr-rec", "mnist", "resnet50", "mobilenetv2", "bert-base", "gpt2-small"];
        var runs = new Dictionary<(string, int), List<(BenchTiming Onyx, BenchTiming Ort)>>();
        var failures = new Dictionary<(string, int), string>();
        for (int round = 1; round <= rounds; round++)
            foreach (var m in suite)
                foreach (int t in new[] { 1, 2 })
                {
                    if (failures.ContainsKey((m, t))) continue;
                    try
                    {
                        var (path, dims) = Resolve(m, []);
                        var (onyx, ort, _) = SideBySide.Measure(path, t, iters, warmup, dims, compareOrt: true, profile: false, new SessionOptions());
                        Console.Write($"round {round}: ");
                        Print(m, t, onyx, ort, json: false);
                        if (!runs.TryGetValue((m, t), out var list)) runs[(m, t)] = list = [];
                        list.Add((onyx, ort!));
                    }
                    catch (Exception e)
                    {
                        Console.WriteLine($"{m} threads={t}: FAILED {e.Message}");
                        failures[(m, t)] = e.Message.ReplaceLineEndings(" ").Replace("|", "/");
                    }
                }
        var md = new StringBuilder();
        md.AppendLine("# Onyx vs ONNX Runtime 1.31.1 — latency ratio (same process, same inputs, same threads)");
        md.AppendLine();
        md.AppendLine($"Command: `dotnet run --project bench/Onyx.Bench -c Release -- {string.Join(' ', args)}`  ");
        md.AppendLine($"Machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC  ");
        md.AppendLine($"Each model was measured in {rounds} rounds, round-robin over the suite ({iters} timed Runs per runtime and round): the medians and ratio are the round with the median ratio, loads are the first round's.");
        md.AppendLine();
        md.AppendLine("| model | threads | onyx median ms | ort median ms | ratio | ratio per round | onyx load ms | ort load ms |");
        md.AppendLine("|---|---|---|---|---|---|---|---|");
        Console.WriteLine();
        foreach (var m in suite)
            foreach (int t in new[] { 1, 2 })
            {
                if (failures.TryGetValue((m, t), out var error))
                {
                    md.AppendLine($"| {m} | {t} | failed: {error} | | | | | |");
                    continue;
                }
                var list = runs[(m, t)];
                var (onyx, ort) = MedianRound(list);
                Print(m, t, onyx, ort, json: false);
                string perRound = string.Join(" ", list.Select(r => (r.Onyx.MedianMs / r.Ort.MedianMs).ToString("0.00")));
                md.AppendLine($"| {m} | {t} | {onyx.MedianMs:0.00} | {ort.MedianMs:0.00} | {onyx.MedianMs / ort.MedianMs:0.00} | {perRound} | {onyx.LoadMs:0} | {ort.LoadMs:0} |");
            }
        string outPath = Path.Combine(Root, "bench", "results", "latest.md");
        Directory.CreateDirectory(Path.GetDirectoryName(outPath)!);
        File.WriteAllText(outPath, md.ToString());
        Console.WriteLine($"wrote {outPath}");
        return 0;
    }

    /// <summary>The round with the median Onyx/ORT ratio (the lower middle one for an even count), with the first round's loads and first Runs.</summary>
    private static (BenchTiming Onyx, BenchTiming Ort) MedianRound(List<(BenchTiming Onyx, BenchTiming Ort)> rounds)
    {
        var (onyx, ort) = rounds.OrderBy(r => r.Onyx.MedianMs / r.Ort.MedianMs).ElementAt((rounds.Count - 1) / 2);
        return (onyx with { LoadMs = rounds[0].Onyx.LoadMs, FirstRunMs = rounds[0].Onyx.FirstRunMs },
                ort with { LoadMs = rounds[0].Ort.LoadMs, FirstRunMs = rounds[0].Ort.FirstRunMs });
    }

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Onyx.sln"))) return d.FullName;
        return Directory.GetCurrentDirectory();
    }
}
