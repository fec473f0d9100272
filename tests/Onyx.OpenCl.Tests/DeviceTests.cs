using System.Diagnostics;
using Onyx.Core.Execution;
using Onyx.Cpu;
using Onyx.Onnx;
using Onyx.Tensors;
using Xunit.Abstractions;
using static Onyx.OpenCl.Tests.ModelBuilder;
using static Onyx.OpenCl.Tests.Compare;

namespace Onyx.OpenCl.Tests;

public class DiscoveryTests
{
    [Fact]
    public void DiscoverNeverThrowsAndHonoursCpuOptIn()
    {
        var without = OpenClPlatform.Discover(includeCpuDevices: false);
        Assert.DoesNotContain(without, d => d.IsCpuType);
        var with = OpenClPlatform.Discover(includeCpuDevices: true);
        Assert.True(with.Count >= without.Count);
        for (int i = 0; i < with.Count; i++)
        {
            var d = with[i];
            Assert.Equal(i, d.Index);
            Assert.Equal($"GPU.{i}", d.Id);
            Assert.False(string.IsNullOrEmpty(d.Name));
            Assert.True(d.ComputeUnits > 0);
            Assert.True(d.GlobalMemoryBytes > 0);
            Assert.StartsWith("OpenCL", d.OpenClVersion);
        }
    }

    [Fact]
    public void CapabilityClaimsCnnOpsAndRefusesOthers()
    {
        var conv = new Onyx.Core.Ir.Node("Conv", ["x", "w"], ["y"]);
        Assert.True(GpuCapability.Supports(conv));
        Assert.False(GpuCapability.Supports(new Onyx.Core.Ir.Node("NonMaxSuppression", ["a", "b"], ["y"])));
        Assert.False(GpuCapability.Supports(new Onyx.Core.Ir.Node("Relu", ["x"], ["y"], domain: "com.microsoft")));
        var m = OnnxModelLoader.Load(new ModelBuilder().Input("x", 2, 3).Input("lo", 1).Node("Clip", ["x", "lo"], ["y"]).Output("y").Build());
        Assert.Contains("not a constant", GpuCapability.WhyNot(m.Graph.Nodes[0], m.Graph));
        // A run-time shape is read on the host (the int64 input's host copy), so Reshape by a graph input is claimed.
        var r = OnnxModelLoader.Load(new ModelBuilder().Input("x", 2, 3).Input("s", global::Onnx.TensorProto.Types.DataType.Int64, 2)
            .Node("Reshape", ["x", "s"], ["y"]).Output("y").Build());
        Assert.Null(GpuCapability.WhyNot(r.Graph.Nodes[0], r.Graph));
    }
}

public class CacheTests
{
    private static string NewDir() => Path.Combine(Path.GetTempPath(), "onyx-clcache-" + Guid.NewGuid().ToString("N"));

    [GpuFact]
    public void SecondDeviceReusesTheCachedBinary()
    {
        var dir = NewDir();
        try
        {
            var info = Gpu.Device!.Info;
            var c1 = new ProgramCache(dir);
            using (var d1 = new OpenClDevice(info, c1)) d1.Program(GpuPrecision.FP32);
            Assert.Equal(1, c1.Misses);
            Assert.Single(Directory.GetFiles(dir, "*.clbin"));
            var c2 = new ProgramCache(dir);
            using var d2 = new OpenClDevice(info, c2);
            d2.Program(GpuPrecision.FP32);
            Assert.Equal(1, c2.Hits);
            Assert.Equal(0, c2.Misses);
            RunsCorrectly(d2);
        }
        finally { Directory.Delete(dir, true); }
    }

    [GpuTheory]
    [InlineData("flip")]
    [InlineData("truncate")]
    [InlineData("foreign")]
    [InlineData("garbage")]
    public void CorruptOrForeignBinaryIsRebuiltNeverRun(string damage)
    {
        var dir = NewDir();
        try
        {
            var info = Gpu.Device!.Info;
            var c1 = new ProgramCache(dir);
            using (var d1 = new OpenClDevice(info, c1)) d1.Program(GpuPrecision.FP32);
            var file = Assert.Single(Directory.GetFiles(dir, "*.clbin"));
            var bytes = File.ReadAllBytes(file);
            switch (damage)
            {
                case "flip": bytes[^10] ^= 0x5A; bytes[bytes.Length / 2] ^= 0xFF; File.WriteAllBytes(file, bytes); break;
                case "truncate": File.WriteAllBytes(file, bytes[..(bytes.Length / 2)]); break;
                case "garbage": File.WriteAllBytes(file, new byte[1000]); break;
                case "foreign":
                    // A valid cache file made for another device/driver, placed under this key's file name.
                    ProgramCache.Write(file, "other-device|driver=0.0|src=x|opt=", bytes[^100..]);
                    break;
            }
            var c2 = new ProgramCache(dir);
            using var d2 = new OpenClDevice(info, c2);
            d2.Program(GpuPrecision.FP32);
            Assert.Equal(0, c2.Hits);
            Assert.Equal(1, c2.Rejected);
            Assert.Equal(1, c2.Misses);
            RunsCorrectly(d2);
            // The rebuilt file is valid again.
            var c3 = new ProgramCache(dir);
            using var d3 = new OpenClDevice(info, c3);
            d3.Program(GpuPrecision.FP32);
            Assert.Equal(1, c3.Hits);
        }
        finally { Directory.Delete(dir, true); }
    }

    private static void RunsCorrectly(OpenClDevice device)
    {
        var model = new ModelBuilder().Input("a", 3, 4).Input("b", 4).Node("Add", ["a", "b"], ["s"]).Node("Relu", ["s"], ["y"]).Output("y").Build();
        var m = OnnxModelLoader.Load(model);
        using var g = GpuSubgraph.Compile(device, m.Graph);
        var a = T(Random(12, 1), 3, 4);
        var b = T(Random(4, 2), 4);
        Close(Compare.Cpu(model, a, b)[0], g.Run([a, b])[0], 1e-6f, 1e-6f);
    }
}

public class SubgraphTests(ITestOutputHelper output)
{
    /// <summary>conv-bn-relu → depthwise conv-hardswish → pool → conv → resize → concat → sigmoid, then global pool + gemm.</summary>
    internal static byte[] SmallCnn() => new ModelBuilder().Input("x", 1, 3, 32, 32)
        .Weight("w1", Random(16 * 3 * 9, 1, -0.5f, 0.5f), 16, 3, 3, 3)
        .Weight("s", Random(16, 2, 0.5f, 1.5f), 16).Weight("bb", Random(16, 3), 16).Weight("m", Random(16, 4), 16).Weight("v", Random(16, 5, 0.5f, 2f), 16)
        .Weight("w2", Random(16 * 9, 6), 16, 1, 3, 3).Weight("b2", Random(16, 7), 16)
        .Weight("w3", Random(8 * 16, 8, -0.3f, 0.3f), 8, 16, 1, 1)
        .Floats("scales", 1, 1, 2, 2)
        .Weight("fc", Random(24 * 10, 9, -0.3f, 0.3f), 24, 10).Weight("fcb", Random(10, 10), 10)
        .Node("Conv", ["x", "w1"], ["c1"], Is("pads", 1, 1, 1, 1), Is("strides", 2, 2))
        .Node("BatchNormalization", ["c1", "s", "bb", "m", "v"], ["n1"])
        .Node("Relu", ["n1"], ["r1"])
        .Node("Conv", ["r1", "w2", "b2"], ["c2"], Is("pads", 1, 1, 1, 1), I("group", 16))
        .Node("HardSwish", ["c2"], ["h2"])
        .Node("MaxPool", ["h2"], ["p2"], Is("kernel_shape", 2, 2), Is("strides", 2, 2))
        .Node("Conv", ["p2", "w3"], ["c3"])
        .Node("Resize", ["c3", "", "scales"], ["u3"], S("mode", "nearest"))
        .Node("Concat", ["r1", "u3"], ["cat"], I("axis", 1))
        .Node("Sigmoid", ["cat"], ["map"])
        .Node("GlobalAveragePool", ["cat"], ["gp"])
        .Node("Flatten", ["gp"], ["f"])
        .Node("Gemm", ["f", "fc", "fcb"], ["logits"])
        .Node("Softmax", ["logits"], ["prob"], I("axis", 1))
        .Output("map").Output("prob").Build();

    [GpuFact]
    public void SmallCnnFp32AndFp16AccuracyVsCpu()
    {
        var model = SmallCnn();
        var x = T(Random(3 * 32 * 32, 11), 1, 3, 32, 32);
        var cpu = Compare.Cpu(model, x);
        var fp32 = OnGpu(model, GpuPrecision.FP32, [x]);
        var fp16 = OnGpu(model, GpuPrecision.FP16, [x]);
        var fp16f = OnGpu(model, GpuPrecision.FP16, [x], forceFloatCompute: true);
        for (int i = 0; i < cpu.Length; i++)
        {
            float e32 = MaxAbsError(fp32[i], cpu[i]), e16 = MaxAbsError(fp16[i], cpu[i]), e16f = MaxAbsError(fp16f[i], cpu[i]);
            output.WriteLine($"output {i}: max |err| FP32 {e32:E2}, FP16 {e16:E2} (half arithmetic: {Gpu.Device!.HalfArithmetic()}), FP16 float-compute {e16f:E2}");
            Assert.True(e32 < 1e-4f, $"FP32 error {e32}");
            Assert.True(e16 < 2e-2f, $"FP16 error {e16}");
            Assert.True(e16f < 2e-2f, $"FP16 float-compute error {e16f}");
        }
        using var g = GpuSubgraph.Compile(Gpu.Device!, OnnxModelLoader.Load(model).Graph);
        Assert.True(g.OpCount < OnnxModelLoader.Load(model).Graph.Nodes.Count, "activations are fused into their producers");
    }

    [GpuFact]
    public void RunsAsTheKernelOfAFusedNode()
    {
        // The provider's fused node: inputs/outputs are the subgraph boundary; its kernel is a GpuSubgraphKernel.
        var inner = OnnxModelLoader.Load(SmallCnn()).Graph;
        var sub = GpuSubgraph.Compile(Gpu.Device!, inner);
        CpuKernels.Registry.Register("test.gpu", "Fused", 1, int.MaxValue, _ => new GpuSubgraphKernel(sub));
        var outer = new ModelBuilder().Domain("test.gpu").Input("x", 1, 3, 32, 32)
            .Node("test.gpu.Fused", ["x"], ["map", "prob"]).Output("map").Output("prob").Build();
        var x = T(Random(3 * 32 * 32, 12), 1, 3, 32, 32);
        var viaKernel = Compare.Cpu(outer, x);
        var reference = Compare.Cpu(SmallCnn(), x);
        for (int i = 0; i < 2; i++) Close(reference[i], viaKernel[i], 1e-4f, 1e-3f);
    }

    [GpuFact]
    public void WrongInputIsAClearError()
    {
        using var g = GpuSubgraph.Compile(Gpu.Device!, OnnxModelLoader.Load(SmallCnn()).Graph);
        var e = Assert.Throws<OnnxRuntimeException>(() => g.Run([Tensor.FromArray(new long[] { 1 }, 1)]));
        Assert.Contains("float32", e.Message);
    }

    /// <summary>PP-OCR det through the GPU device (opt-in: ONYX_OPENCL_PPOCR=1, it is slow on PoCL).</summary>
    [GpuFact]
    public void PpOcrDetection()
    {
        string path = Path.Combine(FindRoot(), "models", "ppocr", "ch_PP-OCRv4_det_infer.onnx");
        if (!File.Exists(path)) return;
        var model = OnnxModelLoader.Load(path);
        var g = model.Graph;
        var refused = g.Nodes.Select(n => (n, why: GpuCapability.WhyNot(n, g))).Where(t => t.why is not null).ToList();
        output.WriteLine($"det: {g.Nodes.Count} nodes, {refused.Count} refused: {string.Join("; ", refused.Take(10).Select(t => $"{t.n.OpType}: {t.why}"))}");
        if (Environment.GetEnvironmentVariable("ONYX_OPENCL_PPOCR") != "1" || refused.Count > 0) return;
        int side = int.TryParse(Environment.GetEnvironmentVariable("ONYX_OPENCL_PPOCR_SIDE"), out var s) ? s : 320;
        var x = T(Random(3 * side * side, 1), 1, 3, side, side);
        var sw = Stopwatch.StartNew();
        var cpu = Compare.Cpu(File.ReadAllBytes(path), x);
        output.WriteLine($"CPU provider (session create + 1 run): {sw.ElapsedMilliseconds} ms");
        using var sess = new InferenceSession(path);
        var named = new[] { NamedOnnxValue.CreateFromOnnxValue(sess.InputNames[0], x) };
        sess.Run(named).Dispose();
        sw.Restart();
        sess.Run(named).Dispose();
        output.WriteLine($"CPU provider run: {sw.ElapsedMilliseconds} ms");
        foreach (var p in new[] { GpuPrecision.FP32, GpuPrecision.FP16 })
        {
            sw.Restart();
            using var sub = GpuSubgraph.Compile(Gpu.Device!, g, p);
            var first = sub.Run([x]);
            output.WriteLine($"{p}: compile + first run {sw.ElapsedMilliseconds} ms, ops after fusion {sub.OpCount}");
            sw.Restart();
            var r = sub.Run([x]);
            output.WriteLine($"{p}: run {sw.ElapsedMilliseconds} ms, max |err| vs CPU {MaxAbsError(r[0], cpu[0]):E2}");
            Close(cpu[0], r[0], p == GpuPrecision.FP32 ? 1e-3f : 5e-2f, p == GpuPrecision.FP32 ? 1e-3f : 5e-2f);
        }
    }

    private static string FindRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "Onyx.sln"))) d = d.Parent;
        return d?.FullName ?? ".";
    }
}
