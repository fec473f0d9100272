using System.CommandLine;
using System.Diagnostics;
using Onyx.Cli.Io;
using Onyx.Onnx;
using Onyx.Tensors;
using Spectre.Console;

namespace Onyx.Cli.Commands;

/// <summary>`onyx run MODEL`: runs any model on given or seeded random inputs and summarises the outputs.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "Path to an .onnx model" };
        var inputs = new Option<string[]>("--input") { Description = "NAME=FILE.npy or NAME=FILE.pb (repeatable); missing inputs get seeded random data" };
        var dims = new Option<string[]>("--dim") { Description = "Symbolic dimension NAME=VALUE for random inputs (repeatable)" };
        var save = new Option<string?>("--save-outputs") { Description = "Folder to write each output as NAME.npy" };
        var seed = new Option<int>("--seed") { Description = "Seed for random inputs", DefaultValueFactory = _ => 42 };
        var threads = CliOptions.Threads();
        var ep = CliOptions.Ep();
        var epOption = CliOptions.EpOption();
        var cmd = new Command("run", "Run a model and print its outputs") { model, inputs, dims, save, seed, threads, ep, epOption };
        cmd.SetAction(parse =>
        {
            string path = parse.GetValue(model)!;
            var options = CliOptions.Build(parse.GetValue(ep), parse.GetValue(epOption), parse.GetValue(threads));
            var sw = Stopwatch.StartNew();
            using var session = new InferenceSession(path, options);
            double loadMs = sw.Elapsed.TotalMilliseconds;

            var dimMap = ParsePairs(parse.GetValue(dims), "--dim").ToDictionary(p => p.Key, p => int.Parse(p.Value));
            var given = ParsePairs(parse.GetValue(inputs), "--input").ToDictionary(p => p.Key, p => p.Value);
            foreach (var name in given.Keys)
                if (!session.InputMetadata.ContainsKey(name))
                    throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"--input: the model has no input '{name}'; inputs: {string.Join(", ", session.InputNames)}");
            var rng = new Random(parse.GetValue(seed));
            var feeds = new List<NamedOnnxValue>();
            foreach (var (name, meta) in session.InputMetadata)
            {
                Tensor t = given.TryGetValue(name, out var file) ? Load(file) : RandomInputs.Create(meta, dimMap, rng);
                feeds.Add(NamedOnnxValue.CreateFromOnnxValue(name, t));
            }
            sw.Restart();
            using var results = session.Run(feeds);
            double runMs = sw.Elapsed.TotalMilliseconds;

            var table = new Table().AddColumns("output", "type", "shape", "first values");
            foreach (var r in results) table.AddRow(Markup.Escape(r.Name), Markup.Escape(r.OnnxValue.Type.ToString().Split('[')[0]),
                Markup.Escape(r.OnnxValue is Tensor t ? t.ShapeString : "-"), Markup.Escape(Preview(r.OnnxValue)));
            AnsiConsole.Write(table);
            Console.WriteLine($"load {loadMs:0.0} ms, run {runMs:0.0} ms, providers: {string.Join(", ", session.ProviderNames)}");

            if (parse.GetValue(save) is { } dir)
            {
                Directory.CreateDirectory(dir);
                foreach (var r in results)
                    if (r.OnnxValue is Tensor t) Npy.Write(t, Path.Combine(dir, SafeName(r.Name) + ".npy"));
                Console.WriteLine($"outputs written to {dir}");
            }
            return 0;
        });
        return cmd;
    }

    private static Tensor Load(string file) => Path.GetExtension(file).ToLowerInvariant() switch
    {
        ".npy" => Npy.Read(file),
        ".pb" => TensorProtoReader.ReadFile(file),
        _ => throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"input file '{file}' must be .npy or .pb"),
    };

    private static IEnumerable<KeyValuePair<string, string>> ParsePairs(string[]? items, string option)
    {
        foreach (var item in items ?? [])
        {
            int eq = item.IndexOf('=');
            if (eq <= 0) throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"{option} '{item}' must be NAME=VALUE");
            yield return new(item[..eq], item[(eq + 1)..]);
        }
    }

    private static string SafeName(string name) => string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '_' or '-' or '.' ? c : '_'));

    internal static string Preview(OnnxValue v, int count = 6)
    {
        if (v is not Tensor t) return v.Type.ToString();
        if (t.DType == DType.String) return string.Join(", ", t.Strings.Take(count));
        if (t.DType.IsFloat() && t.DType is DType.Float32 or DType.Float64 or DType.Float16 or DType.BFloat16)
            return string.Join(", ", t.ToDoubleArray().Take(count).Select(x => x.ToString("G5"))) + (t.Length > count ? ", ..." : "");
        if (t.DType.IsInteger() || t.DType == DType.Bool)
            return string.Join(", ", t.ToInt64Array().Take(count)) + (t.Length > count ? ", ..." : "");
        return $"{t.Length} elements";
    }
}
