using System.Diagnostics;
using Onyx.Onnx;

namespace Onyx.OpenVino.Tests;

public class PartitionTests
{
    public PartitionTests() => TestKernels.EnsureRegistered();

    /// <summary>x → Add(w) → Relu → test.onyx.Negate → MatMul(m) → y.</summary>
    internal static byte[] MixedModel()
    {
        var w = Run.Random(4, 1);
        var m = Run.Random(16, 2);
        return new ModelBuilder()
            .Input("x", "N", 4).Output("y", "N", 4)
            .Weight("w", w, 4).Weight("m", m, 4, 4)
            .Node("Add", ["x", "w"], ["a"])
            .Node("Relu", ["a"], ["r"])
            .Node("Negate", ["r"], ["n"], domain: "test.onyx")
            .Node("MatMul", ["n", "m"], ["y"])
            .Build();
    }

    [Fact]
    public void ClaimsSupportedRunsAndFallsBackForTheRest()
    {
        var bytes = MixedModel();
        using var ov = new InferenceSession(bytes, Run.Ov(("device_type", "CPU")));
        var state = Run.State(ov);
        var p = state.Compiled.Partition;
        Assert.Equal(2, p.Subgraphs.Count);
        Assert.Equal(new[] { "Add", "Relu" }, p.Subgraphs[0].Nodes.Select(n => n.OpType));
        Assert.Equal(new[] { "MatMul" }, p.Subgraphs[1].Nodes.Select(n => n.OpType));
        var refused = Assert.Single(p.Refused);
        Assert.Equal("Negate", refused.Node.OpType);
        Assert.Contains("domain 'test.onyx'", refused.Reason);
        Assert.Equal(new[] { "OpenVINO", "CPU" }, ov.ProviderNames);

        using var cpu = new InferenceSession(bytes);
        var x = Run.Random(12, 3);
        Assert.Equal(Run.One(cpu, "x", x, 3, 4), Run.One(ov, "x", x, 3, 4));
        Assert.Contains("OpenVINO_Subgraph_1 on CPU: 2 nodes [Add, Relu]", p.Describe());
        Assert.Contains("CPU fallback:", p.Describe());
    }

    [Fact]
    public void DisableCpuFallbackMakesRefusalAnError()
    {
        var so = Run.Ov(("device_type", "CPU"));
        so.AddSessionConfigEntry("session.disable_cpu_ep_fallback", "1");
        var e = Assert.Throws<OnnxRuntimeException>(() => new InferenceSession(MixedModel(), so));
        Assert.Contains("disable_cpu_ep_fallback", e.Message);
        Assert.Contains("Negate", e.Message);

        // A fully supported model is fine with fallback disabled.
        var full = new ModelBuilder().Input("x", 2).Output("y", 2).Node("Relu", ["x"], ["y"]).Build();
        using var s = new InferenceSession(full, so);
        Assert.Empty(Run.State(s).Compiled.Partition.Refused);
        Assert.Equal(new float[] { 0, 2 }, Run.One(s, "x", [-1, 2], 2));
    }

    [Fact]
    public void NeverFusesAcrossACpuDetour()
    {
        // a = Relu(x); b = Negate(a) on CPU; y = Add(a, b): Add cannot join Relu's subgraph (a cycle through Negate).
        var bytes = new ModelBuilder().Input("x", 4).Output("y", 4)
            .Node("Relu", ["x"], ["a"]).Node("Negate", ["a"], ["b"], domain: "test.onyx").Node("Add", ["a", "b"], ["y"]).Build();
        using var ov = new InferenceSession(bytes, Run.Ov());
        var p = Run.State(ov).Compiled.Partition;
        Assert.Equal(2, p.Subgraphs.Count);
        Assert.Equal(new float[] { 0, 0, 0, 0 }, Run.One(ov, "x", [1, -2, 3, 4], 4));
    }

    [Fact]
    public void NoCycleBetweenTwoSubgraphs()
    {
        // Connected components would fuse everything and loop through both CPU nodes; the partition must stay a DAG.
        var bytes = new ModelBuilder().Input("x", 4).Output("y", 4)
            .Node("Relu", ["x"], ["a1"]).Node("Negate", ["x"], ["u"], domain: "test.onyx").Node("Sigmoid", ["u"], ["b2"])
            .Node("Add", ["a1", "b2"], ["b1"]).Node("Negate", ["b2"], ["v"], domain: "test.onyx").Node("Mul", ["a1", "v"], ["a2"])
            .Node("Add", ["b1", "a2"], ["y"]).Build();
        using var ov = new InferenceSession(bytes, Run.Ov());
        using var cpu = new InferenceSession(bytes);
        var p = Run.State(ov).Compiled.Partition;
        Assert.Equal(5, p.ClaimedCount);
        Assert.Equal(2, p.Refused.Count);
        var x = new float[] { -1, 0.5f, 2, -3 };
        Assert.Equal(Run.One(cpu, "x", x, 4), Run.One(ov, "x", x, 4));
    }

    [Fact]
    public void SeedTableRefusalsAreExplained()
    {
        var bytes = new ModelBuilder().Input("x", 2, 2).Output("y", 2, 2).Int64Weight("i", [0, 1, 1, 0], 2, 2)
            .Node("GatherElements", ["x", "i"], ["g"]).Node("Relu", ["g"], ["y"]).Build();
        var model = OnnxModelLoader.Load(bytes);
        var partition = SessionBuilder.Inspect(model, Run.Ov(), out _)!;
        var r = Assert.Single(partition.Refused);
        Assert.Contains("marks it No", r.Reason);
        Assert.Single(partition.Subgraphs);
    }

    [Fact]
    public void ConcurrentRunsAreSafeAndStreamsBoundParallelism()
    {
        var m = Run.Random(64 * 64, 5);
        var bytes = new ModelBuilder().Input("x", "N", 64).Output("y", "N", 64).Weight("m", m, 64, 64)
            .Node("MatMul", ["x", "m"], ["h"]).Node("Relu", ["h"], ["y"]).Build();
        using var cpu = new InferenceSession(bytes);
        foreach (int streams in new[] { 1, 2 })
        {
            using var ov = new InferenceSession(bytes, Run.Ov(("num_streams", streams.ToString())));
            var compiled = Run.State(ov).Compiled.Subgraphs.Single();
            Assert.Equal(streams, compiled.Streams);
            var inputs = Enumerable.Range(0, 8).Select(i => Run.Random(16 * 64, 100 + i)).ToArray();
            var expected = inputs.Select(x => Run.One(cpu, "x", x, 16, 64)).ToArray();
            Parallel.For(0, 32, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
                Assert.Equal(expected[i % 8], Run.One(ov, "x", inputs[i % 8], 16, 64)));
            Assert.InRange(compiled.PeakConcurrency, 1, streams);
        }
    }

    [Fact]
    public void ThroughputHintGivesSeveralRequests()
    {
        var bytes = new ModelBuilder().Input("x", 2).Output("y", 2).Node("Relu", ["x"], ["y"]).Build();
        using var ov = new InferenceSession(bytes, Run.Ov(("load_config", "{\"CPU\": {\"PERFORMANCE_HINT\": \"THROUGHPUT\"}}")));
        Assert.True(Run.State(ov).Compiled.Subgraphs.Single().Streams >= 2);
    }
}

public class CompileTests
{
    public CompileTests() => TestKernels.EnsureRegistered();

    private static byte[] DenseModel(int k = 64, int n = 32)
    {
        var w = Run.Random(k * n, 11);
        var b = Run.Random(n, 12);
        return new ModelBuilder().Input("x", "N", k).Output("y", "N", n).Weight("w", w, k, n).Weight("b", b, n)
            .Node("MatMul", ["x", "w"], ["h"]).Node("Add", ["h", "b"], ["a"]).Node("Sigmoid", ["a"], ["y"]).Build();
    }

    [Fact]
    public void ConstantsAreFoldedAtCompileTime()
    {
        var bytes = new ModelBuilder().Input("x", 3).Output("y", 3)
            .ConstantNode("c1", [1, 2, 3], 3).ConstantNode("c2", [10, 20, 30], 3)
            .Node("Add", ["c1", "c2"], ["c"]).Node("Mul", ["c", "c"], ["cc"]).Node("Add", ["x", "cc"], ["y"]).Build();
        using var ov = new InferenceSession(bytes, Run.Ov());
        var c = Run.State(ov).Compiled.Subgraphs.Single();
        Assert.True(c.FoldedNodes == 4, string.Join("\n", Run.State(ov).Log));
        Assert.Single(c.Optimized.Nodes);
        Assert.Equal(new float[] { 121, 485, 1089 }, Run.One(ov, "x", [0, 1, 0], 3));
    }

    [Theory]
    [InlineData("FP16", 2e-3)]
    [InlineData("BF16", 1.6e-2)]
    public void LowPrecisionWeightsStayWithinTolerance(string precision, double tolerance)
    {
        var bytes = DenseModel();
        using var fp32 = new InferenceSession(bytes, Run.Ov());
        using var low = new InferenceSession(bytes, Run.Ov(("precision", precision)));
        var c = Run.State(low).Compiled.Subgraphs.Single();
        Assert.Contains("w", c.LoweredWeights);
        Assert.Contains("b", c.LoweredWeights);
        var x = Run.Random(8 * 64, 13);
        var a = Run.One(fp32, "x", x, 8, 64);
        var b = Run.One(low, "x", x, 8, 64);
        double worst = a.Zip(b, (p, q) => Math.Abs(p - q)).Max();
        Assert.True(worst > 0, "lowered weights should change the result a little");
        Assert.True(worst <= tolerance, $"{precision}: max abs error {worst} > {tolerance}");
    }

    [Fact]
    public void SeedDeviceTypeCpuFp16LowersWeights()
    {
        using var s = new InferenceSession(DenseModel(), Run.Ov(("device_type", "CPU_FP16")));
        Assert.NotEmpty(Run.State(s).Compiled.Subgraphs.Single().LoweredWeights);
    }
}

public class CacheTests
{
    public CacheTests() => TestKernels.EnsureRegistered();

    private static string TempDir() => Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "onyx-ov-" + Guid.NewGuid().ToString("N"))).FullName;

    private static byte[] Model(int seed)
    {
        var w = Run.Random(32 * 32, seed);
        return new ModelBuilder().Input("x", "N", 32).Output("y", "N", 32).Weight("w", w, 32, 32)
            .ConstantNode("c", Run.Random(32, seed + 1), 32).Node("Mul", ["c", "c"], ["c2"])
            .Node("MatMul", ["x", "w"], ["h"]).Node("Add", ["h", "c2"], ["y"]).Build();
    }

    [Fact]
    public void SecondSessionLoadsTheBlob()
    {
        string dir = TempDir();
        var bytes = Model(1);
        var x = Run.Random(2 * 32, 9);
        var sw = Stopwatch.StartNew();
        using var first = new InferenceSession(bytes, Run.Ov(("cache_dir", dir), ("precision", "FP16")));
        double firstMs = sw.Elapsed.TotalMilliseconds;
        var c1 = Run.State(first).Compiled.Subgraphs.Single();
        Assert.Equal("compiled", c1.Origin);
        var blob = Assert.Single(Directory.GetFiles(dir, "*.blob"));
        sw.Restart();
        using var second = new InferenceSession(bytes, Run.Ov(("cache_dir", dir), ("precision", "FP16")));
        double secondMs = sw.Elapsed.TotalMilliseconds;
        var c2 = Run.State(second).Compiled.Subgraphs.Single();
        Assert.Equal("cache", c2.Origin);
        Assert.Equal(c1.FoldedNodes, c2.FoldedNodes);
        Assert.Equal(c1.LoweredWeights, c2.LoweredWeights);
        Assert.Equal(Run.One(first, "x", x, 2, 32), Run.One(second, "x", x, 2, 32));
        Console.WriteLine($"cache: first session {firstMs:0.0} ms, second {secondMs:0.0} ms, blob {new FileInfo(blob).Length} bytes");

        // Other options (precision) → other key → another blob, not the FP16 one.
        using var third = new InferenceSession(bytes, Run.Ov(("cache_dir", dir)));
        Assert.Equal("compiled", Run.State(third).Compiled.Subgraphs.Single().Origin);
        Assert.Equal(2, Directory.GetFiles(dir, "*.blob").Length);
    }

    [Theory]
    [InlineData("corrupt")]
    [InlineData("truncated")]
    [InlineData("foreign")]
    [InlineData("garbage")]
    public void BadBlobsAreDetectedLoggedAndRebuilt(string damage)
    {
        string dir = TempDir();
        var bytes = Model(2);
        using (var s = new InferenceSession(bytes, Run.Ov(("cache_dir", dir)))) { }
        string blob = Directory.GetFiles(dir, "*.blob").Single();
        byte[] data = File.ReadAllBytes(blob);
        switch (damage)
        {
            case "corrupt": data[^10] ^= 0x5A; File.WriteAllBytes(blob, data); break;
            case "truncated": File.WriteAllBytes(blob, data[..(data.Length / 2)]); break;
            case "garbage": File.WriteAllBytes(blob, [1, 2, 3]); break;
            case "foreign":
            {
                // A valid blob of another model, copied over this model's blob.
                string other = TempDir();
                using (var s = new InferenceSession(Model(3), Run.Ov(("cache_dir", other)))) { }
                File.Copy(Directory.GetFiles(other, "*.blob").Single(), blob, overwrite: true);
                break;
            }
        }
        using var again = new InferenceSession(bytes, Run.Ov(("cache_dir", dir)));
        var state = Run.State(again);
        Assert.Equal("compiled", state.Compiled.Subgraphs.Single().Origin);
        Assert.Contains(state.Log, l => l.Contains("rejected") && l.Contains("[Warning]"));
        using var cpu = new InferenceSession(bytes);
        var x = Run.Random(32, 4);
        Assert.Equal(Run.One(cpu, "x", x, 1, 32), Run.One(again, "x", x, 1, 32));
        // Rebuilt: the next session loads the rewritten blob.
        using var fixedUp = new InferenceSession(bytes, Run.Ov(("cache_dir", dir)));
        Assert.Equal("cache", Run.State(fixedUp).Compiled.Subgraphs.Single().Origin);
    }

    [Fact]
    public void SeedUseCompiledNetworkWritesToBlobDumpPath()
    {
        string dir = TempDir();
        using var s = new InferenceSession(Model(4), Run.Ov(("use_compiled_network", "True"), ("blob_dump_path", dir)));
        Assert.Single(Directory.GetFiles(dir, "*.blob"));
    }
}

public class DynamicShapeTests
{
    public DynamicShapeTests() => TestKernels.EnsureRegistered();

    /// <summary>y = Reshape(Relu(x) + 1, Shape(x)): shape arithmetic a specialised plan folds away.</summary>
    private static byte[] ShapeModel() => new ModelBuilder().Input("x", "N", "C").Output("y", "N", "C").Weight("one", [1f], 1)
        .Node("Relu", ["x"], ["r"]).Node("Add", ["r", "one"], ["a"]).Node("Shape", ["x"], ["s"]).Node("Reshape", ["a", "s"], ["y"]).Build();

    [Fact]
    public void PlansAreSpecialisedPerShapeAndCachedWithABound()
    {
        using var ov = new InferenceSession(ShapeModel(), Run.Ov());
        var c = Run.State(ov).Compiled.Subgraphs.Single();
        for (int n = 1; n <= 4; n++)
        {
            var x = Run.Random(n * 3, n);
            Assert.Equal(x.Select(v => MathF.Max(v, 0) + 1), Run.One(ov, "x", x, n, 3));
        }
        Assert.Equal(4, c.Specializations);
        Run.One(ov, "x", Run.Random(6, 1), 2, 3);
        Assert.Equal(4, c.Specializations);
        Assert.Equal(1, c.CacheHits);

        // 200 varied shapes: the cache stays bounded and memory does not grow with the number of shapes.
        long before = 0;
        for (int i = 0; i < 200; i++)
        {
            int n = 1 + i % 50, ch = 1 + i / 50;
            var x = Run.Random(n * ch, i);
            var y = Run.One(ov, "x", x, n, ch);
            Assert.Equal(x.Length, y.Length);
            if (i == 49) { GC.Collect(); GC.WaitForPendingFinalizers(); before = GC.GetTotalMemory(true); }
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long after = GC.GetTotalMemory(true);
        Assert.True(c.CachedPlans <= c.Capacity, $"{c.CachedPlans} plans cached, capacity {c.Capacity}");
        Assert.True(after - before < 8 << 20, $"managed memory grew by {(after - before) >> 10} KiB over 150 shapes");
    }

    [Fact]
    public void DynamicShapesOffKeepsOnePlan()
    {
        using var ov = new InferenceSession(ShapeModel(), Run.Ov(("disable_dynamic_shapes", "True")));
        var c = Run.State(ov).Compiled.Subgraphs.Single();
        Run.One(ov, "x", Run.Random(3, 1), 1, 3);
        Run.One(ov, "x", Run.Random(6, 1), 2, 3);
        Assert.Equal(1, c.Capacity);
        Assert.Equal(1, c.CachedPlans);
    }

    [Fact]
    public void ReshapeInputFixesDimsUpFront()
    {
        using var ov = new InferenceSession(ShapeModel(), Run.Ov(("reshape_input", "x[2,3]")));
        var c = Run.State(ov).Compiled.Subgraphs.Single();
        Assert.DoesNotContain(c.Optimized.Nodes, n => n.OpType == "Shape");
        var x = Run.Random(6, 2);
        Assert.Equal(x.Select(v => MathF.Max(v, 0) + 1), Run.One(ov, "x", x, 2, 3));
        Assert.Equal(0, c.Specializations);
        var e = Assert.Throws<OnnxRuntimeException>(() => Run.One(ov, "x", Run.Random(9, 2), 3, 3));
        Assert.Contains("reshape_input", e.Message);
    }

    [Fact]
    public void ReshapeInputBoundsAreChecked()
    {
        using var ov = new InferenceSession(ShapeModel(), Run.Ov(("reshape_input", "x[1..4,3]")));
        Assert.Equal(6, Run.One(ov, "x", Run.Random(6, 2), 2, 3).Length);
        Assert.Contains("outside reshape_input", Assert.Throws<OnnxRuntimeException>(() => Run.One(ov, "x", Run.Random(15, 2), 5, 3)).Message);
        Assert.Contains("not an input", Assert.Throws<OnnxRuntimeException>(() => new InferenceSession(ShapeModel(), Run.Ov(("reshape_input", "z[1,3]")))).Message);
        Assert.Contains("rank", Assert.Throws<OnnxRuntimeException>(() => new InferenceSession(ShapeModel(), Run.Ov(("reshape_input", "x[1,3,3]")))).Message);
    }
}

public class EpContextTests
{
    public EpContextTests() => TestKernels.EnsureRegistered();

    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    public void ExportedModelLoadsWithoutCompiling(string embedMode)
    {
        string dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "onyx-ov-ctx-" + Guid.NewGuid().ToString("N"))).FullName;
        string model = Path.Combine(dir, "mixed.onnx");
        File.WriteAllBytes(model, PartitionTests.MixedModel());
        var so = Run.Ov(("precision", "FP16"));
        so.AddSessionConfigEntry("ep.context_enable", "1");
        so.AddSessionConfigEntry("ep.context_embed_mode", embedMode);
        using var original = new InferenceSession(model, so);
        string ctx = Path.Combine(dir, "mixed_ctx.onnx");
        Assert.True(File.Exists(ctx));
        Assert.Equal(embedMode == "0" ? 2 : 0, Directory.GetFiles(dir, "*.blob").Length);

        using var loaded = new InferenceSession(ctx, Run.Ov());
        var state = Run.State(loaded);
        Assert.Equal(2, state.Compiled.Subgraphs.Count);
        Assert.All(state.Compiled.Subgraphs, c => Assert.Equal("epcontext", c.Origin));
        Assert.Equal("Negate", Assert.Single(state.Compiled.Partition.Refused).Node.OpType);
        var x = Run.Random(8, 7);
        Assert.Equal(Run.One(original, "x", x, 2, 4), Run.One(loaded, "x", x, 2, 4));

        // Without the provider, nothing can run the EPContext nodes.
        Assert.Throws<OnnxRuntimeException>(() => new InferenceSession(ctx));
    }
}
