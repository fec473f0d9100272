using Onyx.Core.Inference;
using Onyx.Core.Ir;
using Onyx.Tensors;
using Xunit;
using Xunit.Abstractions;

namespace Onyx.Tests.Inference;

/// <summary>Shape inference on real models and a sweep over the ONNX backend node tests.</summary>
public sealed class ModelShapeInferenceTests(ITestOutputHelper output)
{
    private static Model Load(string path)
    {
        var model = Onyx.Onnx.OnnxModelLoader.Load(path);
        ShapeInference.Infer(model.Graph);
        return model;
    }

    private static TensorTypeInfo? Inferred(Graph g, string name) =>
        (g.ValueInfos.TryGetValue(name, out var vi) ? vi.Type : g.TypeOf(name)) as TensorTypeInfo;

    [Fact]
    public void MnistShapesAreAllFixed()
    {
        var g = Load(Path.Combine(RepoPaths.Models, "mnist", "mnist-8.onnx")).Graph;
        var y = Inferred(g, g.Outputs[0].Name)!;
        Assert.Equal("tensor(float)[1,10]", y.ToString());
        foreach (var n in g.Nodes)
            foreach (var o in n.Outputs)
            {
                var t = Inferred(g, o);
                Assert.True(t?.Shape is not null && t.Shape.All(d => d.IsFixed), $"{n.Describe()} output '{o}': {t}");
            }
    }

    [Theory]
    [InlineData("ch_PP-OCRv4_det_infer.onnx")]
    [InlineData("ch_PP-OCRv4_rec_infer.onnx")]
    [InlineData("ch_ppocr_mobile_v2.0_cls_infer.onnx")]
    public void PpocrOutputsHaveRankAndChannels(string file)
    {
        string path = Path.Combine(RepoPaths.Models, "ppocr", file);
        var g = Load(path).Graph;
        // Strip the declared output shapes and infer again from a fresh load: the rank and channel
        // dims must come out of inference alone.
        var fresh = Onyx.Onnx.OnnxModelLoader.Load(path).Graph;
        for (int i = 0; i < fresh.Outputs.Count; i++)
            fresh.Outputs[i] = fresh.Outputs[i] with { Type = new TensorTypeInfo(((TensorTypeInfo)fresh.Outputs[i].Type!).ElementType, null) };
        fresh.ValueInfos.Clear();
        ShapeInference.Infer(fresh);
        int known = 0, total = 0;
        foreach (var n in fresh.Nodes)
            foreach (var o in n.Outputs)
                if (o.Length > 0) { total++; if (Inferred(fresh, o)?.Shape is not null) known++; }
        output.WriteLine($"{file}: {known}/{total} node outputs have a known rank");
        var y = Inferred(fresh, fresh.Outputs[0].Name)!;
        var declared = (TensorTypeInfo)g.Outputs[0].Type!;
        output.WriteLine($"{file}: inferred {y}, declared {declared}");
        Assert.NotNull(y.Shape);
        Assert.Equal(declared.Shape!.Length, y.Shape!.Length);
        for (int i = 0; i < y.Shape.Length; i++)
            if (declared.Shape[i].IsFixed) Assert.Equal(declared.Shape[i], y.Shape[i]);
        Assert.Equal(known, total);
    }

    [Fact]
    public void BackendNodeModelsNeverThrowOrContradictDeclaredOutputs()
    {
        string root = Path.Combine(RepoPaths.BackendTests, "node");
        if (!Directory.Exists(root)) return;
        int models = 0, outputs = 0, withShape = 0, exact = 0, loadFailed = 0;
        var failures = new List<string>();
        var missing = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var dir in Directory.GetDirectories(root).OrderBy(d => d, StringComparer.Ordinal))
        {
            string file = Path.Combine(dir, "model.onnx");
            if (!File.Exists(file)) continue;
            string name = Path.GetFileName(dir);
            Model model;
            try { model = Onyx.Onnx.OnnxModelLoader.Load(file); }
            catch (Exception) { loadFailed++; continue; }
            var g = model.Graph;
            var declared = g.Outputs.Select(o => o.Type as TensorTypeInfo).ToArray();
            // infer with the outputs' declared shapes hidden, then compare
            for (int i = 0; i < g.Outputs.Count; i++)
                if (declared[i] is { } d) g.Outputs[i] = g.Outputs[i] with { Type = new TensorTypeInfo(d.ElementType, null) };
            models++;
            try { ShapeInference.Infer(g); }
            catch (Exception e) { failures.Add($"{name}: threw {e.Message}"); continue; }
            for (int i = 0; i < g.Outputs.Count; i++)
            {
                var d = declared[i];
                if (d?.Shape is null) continue;
                outputs++;
                var t = g.ValueInfos.TryGetValue(g.Outputs[i].Name, out var vi) ? vi.Type as TensorTypeInfo : null;
                if (t?.Shape is null && Environment.GetEnvironmentVariable("ONYX_SHAPES_DEBUG") is not null) output.WriteLine($"missing: {name}");
                if (t?.Shape is null) missing[g.Nodes.Count > 0 ? g.Nodes[^1].OpType : "?"] = missing.GetValueOrDefault(g.Nodes.Count > 0 ? g.Nodes[^1].OpType : "?") + 1;
                if (t is null) continue;
                if (t.ElementType != DType.Undefined && t.ElementType != d.ElementType)
                { failures.Add($"{name}: output {i} type {t} vs declared {d}"); continue; }
                if (t.Shape is null) continue;
                withShape++;
                if (t.Shape.Length != d.Shape.Length) { failures.Add($"{name}: output {i} rank {t} vs declared {d}"); continue; }
                bool ok = true, all = true;
                for (int k = 0; k < d.Shape.Length; k++)
                {
                    if (d.Shape[k].IsFixed && t.Shape[k].IsFixed && d.Shape[k].Value != t.Shape[k].Value) ok = false;
                    if (d.Shape[k].IsFixed && !t.Shape[k].IsFixed) all = false;
                }
                if (!ok) failures.Add($"{name}: output {i} inferred {t} vs declared {d}");
                else if (all) exact++;
            }
        }
        output.WriteLine($"{models} models ({loadFailed} failed to load), {outputs} declared output shapes: " +
            $"{withShape} inferred with rank ({100.0 * withShape / Math.Max(1, outputs):F1}%), {exact} with every fixed dim ({100.0 * exact / Math.Max(1, outputs):F1}%)");
        output.WriteLine("outputs without an inferred shape, by op: " + string.Join(", ", missing.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value}")));
        foreach (var f in failures) output.WriteLine(f);
        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n" + string.Join("\n", failures.Take(60)));
    }
}
