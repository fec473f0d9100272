using System.CommandLine;
using Onyx.Core.Ir;
using Onyx.Cpu;
using Onyx.Onnx;

namespace Onyx.Cli.Commands;

/// <summary>
/// `onyx inspect MODEL [--ep OpenVINO] [--ep-option K=V ...] [--device D]`: the model's interface and
/// op counts, and with the OpenVINO provider the partition: each claimed subgraph with its nodes
/// and ops, and each node left to the CPU provider with the reason.
/// </summary>
public static class InspectCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "An .onnx file" };
        var ep = CliOptions.Ep();
        var epOption = CliOptions.EpOption();
        var device = new Option<string?>("--device") { Description = "Shortcut for --ep OpenVINO --ep-option device_type=DEVICE" };
        var load = new Option<bool>("--load") { Description = "Also create a session and report its load time and how each subgraph was obtained (compiled, cache, epcontext)" };
        var cmd = new Command("inspect", "Print a model's inputs, outputs and ops, and how providers partition it") { model, ep, epOption, device, load };
        cmd.SetAction(parse =>
        {
            string path = parse.GetValue(model)!;
            string? ep0 = parse.GetValue(ep);
            var opts = (parse.GetValue(epOption) ?? []).ToList();
            if (parse.GetValue(device) is { } dev)
            {
                ep0 ??= "OpenVINO";
                opts.Add("device_type=" + dev);
            }
            var so = CliOptions.Build(ep0, opts.ToArray());
            var m = OnnxModelLoader.Load(path);
            var g = m.Graph;
            Console.WriteLine($"{m.DisplayName}: ir {m.IrVersion}, opsets {string.Join(", ", m.Opsets.Select(o => $"{(o.Key.Length == 0 ? "ai.onnx" : o.Key)} {o.Value}"))}, producer '{m.ProducerName} {m.ProducerVersion}'");
            var initializers = g.Initializers.Keys.ToHashSet();
            foreach (var v in g.Inputs.Where(v => !initializers.Contains(v.Name))) Console.WriteLine($"  input  {v.Name}: {v.Type}");
            foreach (var v in g.Outputs) Console.WriteLine($"  output {v.Name}: {v.Type}");
            long weights = g.Initializers.Values.Sum(t => (long)t.Length * Math.Max(1, t.DType == Onyx.Tensors.DType.String ? 0 : t.DType.SizeOfSafe()));
            Console.WriteLine($"  {g.Nodes.Count} nodes, {g.Initializers.Count} initializers ({weights / 1024.0 / 1024.0:0.0} MiB)");
            Console.WriteLine("  ops: " + string.Join(", ", g.Nodes.GroupBy(n => (n.Domain.Length > 0 ? n.Domain + "." : "") + n.OpType)
                .OrderByDescending(x => x.Count()).Select(x => $"{x.Key} x{x.Count()}")));
            var missing = g.Nodes.Where(n => !CpuKernels.Registry.Supports(n.Domain, n.OpType, n.OpsetVersion))
                .Select(n => $"{n.OpType}@{n.OpsetVersion}").Distinct().ToList();
            if (missing.Count > 0) Console.WriteLine($"  no Onyx kernel yet for: {string.Join(", ", missing)}");
            var partition = SessionBuilder.Inspect(m, so, out var ov);
            if (partition is null)
            {
                Console.WriteLine($"  partition: every node on CPU");
                return 0;
            }
            Console.WriteLine($"  OpenVINO device {ov!.Device} ({string.Join(", ", ov.Device.Requested)} requested), precision {ov.Precision}, " +
                $"{ov.StreamCount} stream(s), dynamic shapes {(ov.DynamicShapes ? "on" : "off")}, cache {(ov.CacheDir ?? "off")}");
            foreach (var note in ov.Device.Notes.Concat(ov.Notes)) Console.WriteLine($"  note: {note}");
            Console.Write(partition.Describe(m.DisplayName));
            if (parse.GetValue(load))
            {
                var sw = System.Diagnostics.Stopwatch.StartNew();
                using var session = new InferenceSession(path, CliOptions.Build(ep0, opts.ToArray()));
                double ms = sw.Elapsed.TotalMilliseconds;
                var state = SessionBuilder.StateOf(session.Plan);
                Console.WriteLine($"  session load {ms:0.0} ms; " + string.Join(", ", state?.Compiled.Subgraphs.Select(c =>
                    $"{c.Source.Name}: {c.Origin}, {c.Optimized.Nodes.Count} nodes after optimization, {c.FoldedNodes} removed, {c.LoweredWeights.Count} weights in {ov.Precision}") ?? []));
            }
            return 0;
        });
        return cmd;
    }

    private static int SizeOfSafe(this Onyx.Tensors.DType t) { try { return Onyx.Tensors.DTypeInfo.SizeOf(t); } catch (ArgumentException) { return 1; } catch (NotSupportedException) { return 1; } }
}
