using Onyx.OpenCl;
using Onyx.Tensors;

namespace Onyx.OpenVino.Tests;

/// <summary>The OpenVINO provider on its GPU.N device (OpenCL; PoCL on CPU-only machines).</summary>
public class GpuDeviceTests
{
    public GpuDeviceTests() => TestKernels.EnsureRegistered();

    [GpuDeviceFact]
    public void GpuRunsTheWholeModelAndMatchesTheCpu()
    {
        var bytes = GpuModels.Cnn();
        var x = Run.Random(72, 1);
        using var cpu = new InferenceSession(bytes);
        var expected = GpuModels.RunOne(cpu, x, 1, 2, 6, 6);
        foreach (var (type, tol) in new[] { ("GPU", 1e-5f), ("GPU_FP32", 1e-5f), ("GPU.0_FP32", 1e-5f), ("GPU_FP16", 1e-2f) })
        {
            using var s = new InferenceSession(bytes, Run.Ov(("device_type", type)));
            var state = Run.State(s);
            var sub = Assert.Single(state.Compiled.Subgraphs);
            Assert.Equal("GPU.0", sub.Source.Device);
            Assert.NotNull(sub.Gpu);
            Assert.Equal(type.EndsWith("FP16") ? GpuPrecision.FP16 : GpuPrecision.FP32, sub.Gpu!.Precision);
            Assert.Empty(state.Compiled.Partition.Refused);
            GpuModels.Close(expected, GpuModels.RunOne(s, x, 1, 2, 6, 6), tol);
        }
    }

    [GpuDeviceFact]
    public void HeteroSplitsByCapabilityInListOrder()
    {
        var bytes = GpuModels.CnnThenTile();
        var x = Run.Random(72, 2);
        using var cpu = new InferenceSession(bytes);
        var expected = GpuModels.RunOne(cpu, x, 1, 2, 6, 6);

        using var s = new InferenceSession(bytes, Run.Ov(("device_type", "HETERO:GPU,CPU")));
        var p = Run.State(s).Compiled.Partition;
        Assert.Equal(2, p.Subgraphs.Count);
        Assert.Equal("GPU.0", p.Subgraphs[0].Device);
        Assert.Equal(new[] { "Conv", "Relu" }, p.Subgraphs[0].Nodes.Select(n => n.OpType));
        Assert.Equal("CPU", p.Subgraphs[1].Device);
        Assert.Equal(new[] { "Tile" }, p.Subgraphs[1].Nodes.Select(n => n.OpType));
        Assert.Empty(p.Refused);
        string text = p.Describe();
        Assert.Contains("OpenVINO_Subgraph_1 on GPU.0: 2 nodes [Conv, Relu]", text);
        Assert.Contains("OpenVINO_Subgraph_2 on CPU: 1 nodes [Tile]", text);
        GpuModels.Close(expected, GpuModels.RunOne(s, x, 1, 2, 6, 6), 1e-5f);

        // CPU first: the CPU device takes everything.
        using var c = new InferenceSession(bytes, Run.Ov(("device_type", "HETERO:CPU,GPU")));
        Assert.All(Run.State(c).Compiled.Partition.Subgraphs, x => Assert.Equal("CPU", x.Device));
    }

    [GpuDeviceFact]
    public void GpuAloneFallsBackToCpuUnlessFallbackIsDisabled()
    {
        var bytes = GpuModels.CnnThenTile();
        var x = Run.Random(72, 3);
        using var cpu = new InferenceSession(bytes);
        using var s = new InferenceSession(bytes, Run.Ov(("device_type", "GPU")));
        var p = Run.State(s).Compiled.Partition;
        Assert.Equal("GPU.0", Assert.Single(p.Subgraphs).Device);
        var refused = Assert.Single(p.Refused);
        Assert.Equal("Tile", refused.Node.OpType);
        Assert.Contains("GPU.0: no GPU kernel", refused.Reason);
        GpuModels.Close(GpuModels.RunOne(cpu, x, 1, 2, 6, 6), GpuModels.RunOne(s, x, 1, 2, 6, 6), 1e-5f);

        var so = Run.Ov(("device_type", "GPU"));
        so.AddSessionConfigEntry("session.disable_cpu_ep_fallback", "1");
        var e = Assert.Throws<OnnxRuntimeException>(() => new InferenceSession(bytes, so));
        Assert.Contains("Tile", e.Message);
    }

    [GpuDeviceFact]
    public void AutoPicksTheGpuWhenItClaimsTheComputeElseTheCpu()
    {
        using (var s = new InferenceSession(GpuModels.Cnn(), Run.Ov(("device_type", "AUTO:GPU,CPU"))))
            Assert.Equal("GPU.0", Assert.Single(Run.State(s).Compiled.Subgraphs).Source.Device);
        // The GPU refuses 1-D convolution, so AUTO puts the model on the CPU.
        var bytes = GpuModels.Conv1d();
        using var cpu = new InferenceSession(bytes);
        using var a = new InferenceSession(bytes, Run.Ov(("device_type", "AUTO:GPU,CPU")));
        Assert.Equal("CPU", Assert.Single(Run.State(a).Compiled.Subgraphs).Source.Device);
        var x = Run.Random(16, 4);
        Assert.Equal(GpuModels.RunOne(cpu, x, 1, 2, 8), GpuModels.RunOne(a, x, 1, 2, 8));
    }

    [GpuDeviceFact]
    public void MultiSpreadsConcurrentRequestsOverBothDevices()
    {
        var bytes = GpuModels.Cnn();
        using var cpu = new InferenceSession(bytes);
        using var s = new InferenceSession(bytes, Run.Ov(("device_type", "MULTI:GPU,CPU")));
        var multi = Run.State(s).Compiled.Multi;
        Assert.NotNull(multi);
        Assert.Equal(new[] { "GPU.0", "CPU" }, multi!.Devices);
        Assert.Contains(Run.State(s).Compiled.Subgraphs, c => c.Source.Device == "GPU.0");
        Assert.Contains(Run.State(s).Compiled.Subgraphs, c => c.Source.Device == "CPU");
        const int requests = 24;
        var inputs = Enumerable.Range(0, requests).Select(i => Run.Random(72, 100 + i)).ToArray();
        var results = new float[requests][];
        Parallel.For(0, requests, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => results[i] = GpuModels.RunOne(s, inputs[i], 1, 2, 6, 6));
        for (int i = 0; i < requests; i++) GpuModels.Close(GpuModels.RunOne(cpu, inputs[i], 1, 2, 6, 6), results[i], 1e-5f);
        Assert.Equal(requests, multi.Runs.Sum());
    }

    [GpuDeviceFact]
    public void ThrottledWaitGivesTheSameResults()
    {
        var bytes = GpuModels.Cnn();
        var x = Run.Random(72, 5);
        using var plain = new InferenceSession(bytes, Run.Ov(("device_type", "GPU")));
        using var throttled = new InferenceSession(bytes, Run.Ov(("device_type", "GPU"), ("enable_opencl_throttling", "True")));
        Assert.True(Run.State(throttled).Compiled.Subgraphs[0].Gpu!.Throttle);
        Assert.False(Run.State(plain).Compiled.Subgraphs[0].Gpu!.Throttle);
        Assert.Equal(GpuModels.RunOne(plain, x, 1, 2, 6, 6), GpuModels.RunOne(throttled, x, 1, 2, 6, 6));
    }

    [GpuDeviceFact]
    public void SharedContextAndClMemInputsAndOutputsStayOnTheDevice()
    {
        var bytes = GpuModels.Cnn();
        var x = Run.Random(72, 6);
        using var cpu = new InferenceSession(bytes);
        var expected = GpuModels.RunOne(cpu, x, 1, 2, 6, 6);
        using var app = new AppClContext();
        uint before = app.ReferenceCount;
        nint input = app.Buffer(x);
        string ctx = $"0x{app.Context:x}";
        foreach (var type in new[] { "GPU", "GPU_FP16" })
        {
            using (var s = new InferenceSession(bytes, Run.Ov(("device_type", type), ("context", ctx))))
            {
                var sub = Assert.Single(Run.State(s).Compiled.Subgraphs);
                Assert.Equal(app.Context, sub.Gpu!.Device.Context); // the device runs in the application's context
                Assert.True(Run.State(s).Compiled.DeviceIo);
                using var value = OrtValue.CreateTensorValueFromOpenClBuffer(input, [1, 2, 6, 6]);
                using var result = s.Run(null, ["x"], [value], ["y"]);
                var y = result.First();
                Assert.True(y.IsOpenClBuffer);
                Assert.Equal(new long[] { 1, 4, 6, 6 }, y.GetTensorTypeAndShape().Shape);
                // Read back through the application's own queue: the output is a buffer of its context.
                GpuModels.Close(expected, app.Read(y.GetOpenClBuffer(), expected.Length), type == "GPU" ? 1e-5f : 1e-2f);
                GpuModels.Close(expected, y.ToHost().AsTensor().ToArray<float>(), type == "GPU" ? 1e-5f : 1e-2f);
                // Host inputs still work in the same session.
                GpuModels.Close(expected, GpuModels.RunOne(s, x, 1, 2, 6, 6), type == "GPU" ? 1e-5f : 1e-2f);
            }
        }
        // The provider retains the context while its device is open; it never takes the application's reference.
        Assert.True(app.ReferenceCount >= before);
        nint again = app.Buffer(x);
        Assert.Equal(x, app.Read(again, x.Length));
    }

    [GpuDeviceFact]
    public void ClMemInputIsCopiedToTheHostWhenTheModelIsSplit()
    {
        var bytes = GpuModels.CnnThenTile();
        var x = Run.Random(72, 7);
        using var cpu = new InferenceSession(bytes);
        using var app = new AppClContext();
        using var s = new InferenceSession(bytes, Run.Ov(("device_type", "HETERO:GPU,CPU"), ("context", $"0x{app.Context:x}")));
        Assert.False(Run.State(s).Compiled.DeviceIo);
        using var value = OrtValue.CreateTensorValueFromOpenClBuffer(app.Buffer(x), [1, 2, 6, 6]);
        using var result = s.Run(null, ["x"], [value], ["y"]);
        Assert.False(result.First().IsOpenClBuffer);
        GpuModels.Close(GpuModels.RunOne(cpu, x, 1, 2, 6, 6), result.First().AsTensor().ToArray<float>(), 1e-5f);
    }

    [GpuDeviceFact]
    public void ContextWithoutTheDeviceIsAClearError()
    {
        // A buffer of the wrong size, and a cl_mem fed to a session of another context, are named errors.
        using var app = new AppClContext();
        var bytes = GpuModels.Cnn();
        using var s = new InferenceSession(bytes, Run.Ov(("device_type", "GPU")));
        var small = app.Buffer(new float[4]);
        Assert.Contains("needs 288", Assert.Throws<OnnxRuntimeException>(() => OrtValue.CreateTensorValueFromOpenClBuffer(small, [1, 2, 6, 6])).Message);
        using var value = OrtValue.CreateTensorValueFromOpenClBuffer(app.Buffer(Run.Random(72, 8)), [1, 2, 6, 6]);
        var e = Assert.ThrowsAny<Exception>(() => s.Run(null, ["x"], [value], ["y"]));
        Assert.Contains("another OpenCL context", e.ToString());
    }

    [GpuDeviceFact]
    public void KernelCacheUnderCacheDirIsReused()
    {
        string dir = Path.Combine(Path.GetTempPath(), "onyx-ov-gpu-cache-" + Guid.NewGuid().ToString("N"));
        var bytes = GpuModels.Cnn();
        using (var s = new InferenceSession(bytes, Run.Ov(("device_type", "GPU"), ("cache_dir", dir))))
        {
            var cache = Run.State(s).Compiled.Subgraphs[0].Gpu!.Device.Cache!;
            Assert.StartsWith(Path.GetFullPath(dir), Path.GetFullPath(cache.Directory));
        }
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(dir, "opencl")));
    }
}
