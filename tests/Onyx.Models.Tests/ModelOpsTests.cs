using Onyx.Cli.Ocr;
using Onyx.Core.Ir;
using Onyx.Cpu;
using Onyx.Onnx;
using Xunit;
using Xunit.Abstractions;

namespace Onyx.Models.Tests;

/// <summary>Every operator (at its opset) used by the shipped models has a CPU kernel: the to-do list for running them on Onyx.</summary>
public sealed class ModelOpsTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("ppocr/ch_PP-OCRv4_det_infer.onnx")]
    [InlineData("ppocr/ch_PP-OCRv4_rec_infer.onnx")]
    [InlineData("ppocr/ch_ppocr_mobile_v2.0_cls_infer.onnx")]
    [InlineData("mnist/mnist-8.onnx")]
    public void AllOperators_HaveCpuKernels(string model)
    {
        Model m = OnnxModelLoader.Load(Path.Combine(OcrAssets.ModelsDirectory, model));
        var used = m.Graph.Nodes
            .GroupBy(n => (n.Domain, n.OpType, n.OpsetVersion))
            .OrderBy(g => g.Key.OpType, StringComparer.Ordinal)
            .ToList();
        var missing = new List<string>();
        foreach (var g in used)
        {
            bool ok = CpuKernels.Registry.Supports(g.Key.Domain, g.Key.OpType, g.Key.OpsetVersion);
            string name = $"{(g.Key.Domain.Length == 0 ? "" : g.Key.Domain + ".")}{g.Key.OpType}-{g.Key.OpsetVersion}";
            output.WriteLine($"{(ok ? "ok     " : "MISSING")} {name} x{g.Count()}");
            if (!ok) missing.Add(name);
        }
        Assert.True(missing.Count == 0, $"{model}: no CPU kernel for {string.Join(", ", missing)}");
    }
}
