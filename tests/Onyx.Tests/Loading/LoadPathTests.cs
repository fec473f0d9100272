using System.Diagnostics;
using System.Reflection.Emit;
using Onyx.Core.Diagnostics;
using Onyx.Core.Execution;
using Onyx.Core.Ir;
using Onyx.Core.Optimizer;
using Onyx.Tensors;
using Xunit;
using IrAttribute = Onyx.Core.Ir.Attribute;

namespace Onyx.Tests.Loading;

/// <summary>
/// The load path's JIT listing (ONYX_PROFILE_LOAD=2) and the precompilable replacements of framework
/// generics it led to: each checked against the behaviour it replaces.
/// </summary>
public sealed class LoadPathTests
{
    private static string CompileAndCall(string name)
    {
        var method = new DynamicMethod(name, typeof(int), Type.EmptyTypes, typeof(LoadPathTests).Module, skipVisibility: true);
        var il = method.GetILGenerator();
        il.Emit(OpCodes.Ldc_I4_7);
        il.Emit(OpCodes.Ret);
        Assert.Equal(7, ((Func<int>)method.CreateDelegate(typeof(Func<int>)))());
        return "dynamicClass:" + name;
    }

    [Fact]
    public void JitEventLogListsWhatThisThreadCompiledAndNothingElse()
    {
        using var log = JitEventLog.TryStart();
        Assert.NotNull(log);
        string id = Guid.NewGuid().ToString("N");
        long before = Stopwatch.GetTimestamp();
        string mine = CompileAndCall("Mine_" + id);
        long after = Stopwatch.GetTimestamp();
        string? theirs = null;
        var other = new Thread(() => theirs = CompileAndCall("Theirs_" + id));
        other.Start();
        other.Join();

        var methods = log.Drain(TimeSpan.FromSeconds(60));
        Assert.NotNull(methods);
        var m = Assert.Single(methods, x => x.Name == mine);
        Assert.True(m.JitMs >= 0 && m.JitMs < 10_000, $"JIT time {m.JitMs} ms");
        // The events' clock is tied to Stopwatch's through the marker; allow for a loaded machine.
        long slack = Stopwatch.Frequency;
        Assert.InRange(m.StartTimestamp, before - slack, after + slack);
        Assert.Contains(m.Tier, new[] { "tier0", "min-opts", "full-opts", "tier0-instr", "" });
        Assert.DoesNotContain(methods, x => x.Name == theirs);
        Assert.DoesNotContain(methods, x => x.Name.EndsWith(JitEventLog.MarkerName, StringComparison.Ordinal));
        // In order of compilation, each a namespace:name pair.
        Assert.All(methods, x => Assert.Contains(':', x.Name));
        for (int i = 1; i < methods.Count; i++) Assert.True(methods[i].StartTimestamp >= methods[i - 1].StartTimestamp);

        // A second drain sees the later methods too.
        string later = CompileAndCall("Later_" + id);
        var again = log.Drain(TimeSpan.FromSeconds(60));
        Assert.NotNull(again);
        Assert.Contains(again, x => x.Name == later);
    }

    [Fact]
    public void IndexHeapPopsInAscendingOrder()
    {
        var rng = new Random(3);
        for (int round = 0; round < 20; round++)
        {
            int n = rng.Next(0, 200);
            var heap = new IndexHeap(n);
            var reference = new SortedSet<int>();
            var values = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).ToArray();
            int next = 0;
            while (next < n || heap.Count > 0)
            {
                if (next < n && (heap.Count == 0 || rng.Next(3) > 0))
                {
                    heap.Push(values[next]);
                    reference.Add(values[next++]);
                    continue;
                }
                Assert.True(heap.TryPop(out int v));
                Assert.Equal(reference.Min, v);
                reference.Remove(v);
            }
            Assert.False(heap.TryPop(out _));
        }
    }

    [Fact]
    public void TopologicalOrderKeepsModelOrderWhereValid()
    {
        // c reads b, which comes after it in the model: b moves first, the rest keep their places.
        var g = new Graph();
        g.Inputs.Add(new ValueInfo("x", null));
        g.Nodes.Add(new Node("Relu", ["x"], ["a"], "a"));
        g.Nodes.Add(new Node("Relu", ["b"], ["c"], "c"));
        g.Nodes.Add(new Node("Relu", ["a"], ["b"], "b"));
        g.Nodes.Add(new Node("Relu", ["x"], ["d"], "d"));
        Assert.Equal(["a", "b", "c", "d"], ExecutionPlan.TopologicalOrder(g).Select(n => n.Name));
        g.Nodes.Add(new Node("Relu", ["f"], ["e"], "e"));
        g.Nodes.Add(new Node("Relu", ["e"], ["f"], "f"));
        var e = Assert.Throws<OnnxRuntimeException>(() => ExecutionPlan.TopologicalOrder(g));
        Assert.Contains("cycle", e.Message);
    }

    [Fact]
    public void WeightMathMatchesScalarMultiplyBitForBit()
    {
        var rng = new Random(11);
        for (int n = 0; n < 70; n++)
        {
            var x = new float[n + 3];
            for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 200 - 100);
            float s = (float)(rng.NextDouble() * 3 - 1.5);
            var expected = x.Select(v => v * s).ToArray();
            WeightMath.Scale(x.AsSpan(1, n), s); // an unaligned start, elements on both sides untouched
            Assert.Equal(expected[0] / s, x[0], 3);
            for (int i = 1; i <= n; i++) Assert.Equal(BitConverter.SingleToInt32Bits(expected[i]), BitConverter.SingleToInt32Bits(x[i]));
            Assert.Equal(expected[n + 1] / s, x[n + 1], 3);
        }
        Assert.True(WeightMath.AllFinite([]));
        Assert.True(WeightMath.AllFinite([1f, -2f, float.MaxValue, float.Epsilon]));
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
            for (int at = 0; at < 9; at++)
            {
                var v = Enumerable.Repeat(1f, 9).ToArray();
                v[at] = bad;
                Assert.False(WeightMath.AllFinite(v));
            }
    }

    [Fact]
    public void DimAndTensorTypeEqualityAreByValue()
    {
        Assert.Equal(Dim.Fixed(3), Dim.Fixed(3));
        Assert.Equal(Dim.Named("n"), Dim.Named("n"));
        Assert.Equal(Dim.Unknown, new Dim(null, null));
        Assert.NotEqual(Dim.Fixed(3), Dim.Fixed(4));
        Assert.NotEqual(Dim.Fixed(3), Dim.Named("3"));
        Assert.NotEqual(Dim.Named("n"), Dim.Unknown);
        Assert.NotEqual(Dim.Fixed(0), Dim.Unknown);
        Assert.True(Dim.Fixed(3) == Dim.Fixed(3) && Dim.Named("a") != Dim.Named("b"));
        Assert.Equal(Dim.Fixed(5).GetHashCode(), Dim.Fixed(5).GetHashCode());
        Assert.Equal(Dim.Named("s").GetHashCode(), Dim.Named(new string('s', 1)).GetHashCode());

        var a = new TensorTypeInfo(DType.Float32, [Dim.Fixed(1), Dim.Named("n")]);
        Assert.Equal(a, new TensorTypeInfo(DType.Float32, [Dim.Fixed(1), Dim.Named("n")]));
        Assert.NotEqual(a, new TensorTypeInfo(DType.Float32, [Dim.Fixed(1), Dim.Unknown]));
        Assert.NotEqual(a, new TensorTypeInfo(DType.Float32, [Dim.Fixed(1)]));
        Assert.NotEqual(a, new TensorTypeInfo(DType.Float16, [Dim.Fixed(1), Dim.Named("n")]));
        Assert.NotEqual(a, new TensorTypeInfo(DType.Float32, null));
        Assert.Equal(new TensorTypeInfo(DType.Int64, null), new TensorTypeInfo(DType.Int64, null));
        Assert.Equal("tensor(float)[2,3]", Tensor.Allocate(DType.Float32, [2, 3]).Type.ToString());
    }

    [Fact]
    public void RegistryFactoriesCallTheConstructorAndLetItsExceptionsThrough()
    {
        var registry = KernelRegistry.FromAssemblies(typeof(LoadPathTests).Assembly);
        var graph = new Graph();
        var node = new Node("LoadPathProbe", ["x"], ["y"], "ok", "onyx.test") { OpsetVersion = 1 };
        var kernel = Assert.IsType<ProbeKernel>(registry.TryCreate(new KernelInfo(node, graph, null), out var why));
        Assert.Null(why);
        Assert.Same(node, kernel.Node);
        Assert.Equal(42, kernel.Initialized); // field initializers ran
        var bad = new Node("LoadPathProbe", ["x"], ["y"], "throw", "onyx.test") { OpsetVersion = 1 };
        var e = Assert.Throws<InvalidOperationException>(() => registry.TryCreate(new KernelInfo(bad, graph, null), out _));
        Assert.Equal("probe refuses", e.Message);
        Assert.Null(registry.TryCreate(new KernelInfo(new Node("LoadPathProbe", [], [], "", "onyx.test") { OpsetVersion = 2 }, graph, null), out why));
        Assert.Contains("opset 2", why);
    }
}

/// <summary>A load reports its weights' memory pressure once, and leaves no batch open, whatever happens.</summary>
public sealed class LoadPressureBatchTests
{
    private const global::Onnx.TensorProto.Types.DataType F = global::Onnx.TensorProto.Types.DataType.Float;

    private static int BatchDepth() => (int)typeof(NativeBuffer)
        .GetField("t_batchDepth", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.GetValue(null)!;

    [Fact]
    public void EveryLoadClosesItsPressureBatches()
    {
        Assert.Equal(0, BatchDepth());
        var ok = new ModelBuilder(13).Input("x", F, 2).Initializer("w", [1f, 2f], 2).Node("Add", ["x", "w"], ["y"]).Output("y", F, 2);
        using (var session = new InferenceSession(ok.ToBytes())) Assert.Equal(0, BatchDepth());
        Assert.Equal(0, BatchDepth());
        var unknown = new ModelBuilder(13).Input("x", F, 2).Node("NoSuchOp", ["x"], ["y"]).Output("y", F, 2);
        Assert.Throws<OnnxRuntimeException>(() => new InferenceSession(unknown.ToBytes()));
        Assert.Equal(0, BatchDepth());
        Assert.Throws<OnnxRuntimeException>(() => new InferenceSession(new byte[] { 0x0A, 0xFF, 0x01 }));
        Assert.Equal(0, BatchDepth());
        // A buffer allocated now reports at once (no batch is open to swallow it) and takes its pressure back.
        NativeBuffer.Allocate(1024).Dispose();
        Assert.Equal(0, BatchDepth());
    }
}

/// <summary>FoldConstants' direct fold of tensor Constants against its plan path.</summary>
public sealed class FoldTensorConstantTests
{
    private static Node Constant(string output, params IrAttribute[] attributes) =>
        new("Constant", [], [output], output, "", new NodeAttributes(attributes)) { OpsetVersion = 13 };

    [Fact]
    public void TensorConstantsFoldToCopiesAndOthersStillFoldThroughTheirKernel()
    {
        var value = Tensor.FromArray(new[] { 1f, 2f, 3f }, 3);
        var big = Tensor.FromArray(new[] { 1f, 2f, 3f, 4f }, 4);
        var g = new Graph { Opsets = new Dictionary<string, int> { [""] = 13 } };
        g.Nodes.Add(Constant("t", new IrAttribute { Name = "value", Kind = AttributeKind.Tensor, Tensor = value }));
        g.Nodes.Add(Constant("i", new IrAttribute { Name = "value_ints", Kind = AttributeKind.Ints, Ints = [4, 5] }));
        g.Nodes.Add(Constant("big", new IrAttribute { Name = "value", Kind = AttributeKind.Tensor, Tensor = big }));
        g.Nodes.Add(new Node("Add", ["t", "t"], ["s"], "add") { OpsetVersion = 13 });
        foreach (var o in new[] { "s", "i", "big" }) g.Outputs.Add(new ValueInfo(o, null));

        var context = new OptimizerContext(Onyx.Cpu.CpuKernels.Registry) { MaxFoldedElements = 3 };
        Assert.True(new Onyx.Core.Optimizer.Passes.FoldConstants().Run(g, context));

        var t = g.Initializers["t"];
        Assert.NotSame(value, t); // a copy, as the kernel hands a graph output out
        Assert.Equal(new[] { 1f, 2f, 3f }, t.ToArray<float>());
        Assert.Equal(new[] { 2f, 4f, 6f }, g.Initializers["s"].ToArray<float>()); // its consumer folded after it
        Assert.Equal(new long[] { 4, 5 }, g.Initializers["i"].ToArray<long>());
        Assert.False(g.Initializers.ContainsKey("big")); // over the size limit: left to run
        Assert.Equal(["big"], g.Nodes.Select(n => n.Name));
    }
}

/// <summary>A kernel the registry test creates through the registry's constructor factory.</summary>
[OnnxKernel("LoadPathProbe", Domain = "onyx.test", Until = 1)]
internal sealed class ProbeKernel : IKernel
{
    public readonly int Initialized = 42;

    public ProbeKernel(KernelInfo info)
    {
        if (info.Node.Name == "throw") throw new InvalidOperationException("probe refuses");
        Node = info.Node;
    }

    public Node Node { get; }

    public void Execute(KernelContext context) { }
}
