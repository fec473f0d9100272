using Onyx.Core.Execution;
using Onyx.Onnx;

namespace Onyx.OpenVino.Tests;

/// <summary>EPContext models with a GPU subgraph: the blob records GPU.N and its precision, and reloads onto that GPU.</summary>
public class GpuEpContextTests
{
    public GpuEpContextTests() => TestKernels.EnsureRegistered();

    private static (string Dir, string Model) Export(string deviceType, string precision = "FP32")
    {
        string dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "onyx-ov-gpuctx-" + Guid.NewGuid().ToString("N"))).FullName;
        string model = Path.Combine(dir, "cnn.onnx");
        File.WriteAllBytes(model, GpuModels.CnnThenTile());
        var so = Run.Ov(("device_type", deviceType), ("precision", precision));
        so.AddSessionConfigEntry("ep.context_enable", "1");
        using (var s = new InferenceSession(model, so)) Assert.Equal("GPU.0", Run.State(s).Compiled.Subgraphs[0].Source.Device);
        string ctx = Path.Combine(dir, "cnn_ctx.onnx");
        Assert.True(File.Exists(ctx));
        return (dir, ctx);
    }

    [GpuDeviceTheory]
    [InlineData("FP32", 1e-5f)]
    [InlineData("FP16", 1e-2f)]
    public void GpuSubgraphReloadsOntoTheGpu(string precision, float tol)
    {
        var (dir, ctx) = Export("HETERO:GPU,CPU", precision);
        var x = Run.Random(72, 9);
        using var cpu = new InferenceSession(GpuModels.CnnThenTile());
        var expected = GpuModels.RunOne(cpu, x, 1, 2, 6, 6);

        using var loaded = new InferenceSession(ctx, Run.Ov(("device_type", "HETERO:GPU,CPU")));
        var subs = Run.State(loaded).Compiled.Subgraphs;
        Assert.Equal(2, subs.Count);
        Assert.All(subs, c => Assert.Equal("epcontext", c.Origin));
        var gpu = Assert.Single(subs, c => c.Gpu is not null);
        Assert.Equal("GPU.0", gpu.Source.Device);
        Assert.Equal(precision == "FP16" ? OpenCl.GpuPrecision.FP16 : OpenCl.GpuPrecision.FP32, gpu.Gpu!.Precision);
        Assert.Equal(["Conv", "Relu"], gpu.Source.Nodes.Select(n => n.OpType));
        Assert.Equal("CPU", Assert.Single(subs, c => c.Gpu is null).Source.Device);
        GpuModels.Close(expected, GpuModels.RunOne(loaded, x, 1, 2, 6, 6), tol);
        Directory.Delete(dir, recursive: true);
    }

    /// <summary>Without the GPU the subgraph runs on the CPU device, with the reason logged; with CPU fallback disabled it is refused.</summary>
    [GpuDeviceFact]
    public void WithoutTheGpuItRunsOnTheCpuWithAReason()
    {
        var (dir, ctx) = Export("GPU");
        var logs = new List<string>();
        var provider = new OpenVinoProvider(new Dictionary<string, string>(), (_, m) => { lock (logs) logs.Add(m); }, OptionsTests.CpuOnly);
        var graph = OnnxModelLoader.Load(File.ReadAllBytes(ctx)).Graph;
        var compiled = provider.Compile(graph, Cpu.CpuKernels.Registry, false, "cnn_ctx", null, ctx);
        var sub = Assert.Single(compiled.Subgraphs, c => c.Source.Nodes.Any(n => n.OpType == "EPContext"));
        Assert.Null(sub.Gpu);
        Assert.Equal("CPU", sub.Source.Device);
        Assert.Contains(logs, m => m.Contains("compiled for GPU.0") && m.Contains("not present here") && m.Contains("runs on the CPU device"));

        var ex = Assert.Throws<OnnxRuntimeException>(() => provider.Compile(graph, Cpu.CpuKernels.Registry, true, "cnn_ctx", null, ctx));
        Assert.Contains("disable_cpu_ep_fallback", ex.Message);

        var x = Run.Random(72, 10);
        using var cpu = new InferenceSession(GpuModels.CnnThenTile());
        using var reloaded = new InferenceSession(ctx, Run.Ov(("device_type", "GPU")));
        GpuModels.Close(GpuModels.RunOne(cpu, x, 1, 2, 6, 6), GpuModels.RunOne(reloaded, x, 1, 2, 6, 6), 1e-5f);
        Directory.Delete(dir, recursive: true);
    }
}
