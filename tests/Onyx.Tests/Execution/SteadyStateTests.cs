using Onnx;
using Onyx.Tensors;
using Xunit;
using static Onyx.Tests.ModelBuilder;

namespace Onyx.Tests.Execution;

/// <summary>Steady-state Run reuses the session arena: managed allocation per Run stays small and independent of tensor sizes.</summary>
public sealed class SteadyStateTests
{
    private const TensorProto.Types.DataType F = TensorProto.Types.DataType.Float;

    private static byte[] ConvNet()
    {
        var r = new Random(3);
        float[] W(int n) => Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() - 0.5)).ToArray();
        return new ModelBuilder(13).Input("x", F, 1, 8, 64, 64).Output("y", F, 1, 8, 64, 64)
            .Initializer("w1", W(16 * 8 * 9), 16, 8, 3, 3).Initializer("w2", W(8 * 16 * 9), 8, 16, 3, 3)
            .Node("Conv", ["x", "w1"], ["c1"], Attr("pads", [1L, 1, 1, 1]))
            .Node("Relu", ["c1"], ["r1"])
            .Node("Conv", ["r1", "w2"], ["c2"], Attr("pads", [1L, 1, 1, 1]))
            .Node("Add", ["c2", "x"], ["s"])
            .Node("Sigmoid", ["s"], ["y"]).ToBytes();
    }

    [Fact]
    public void RunAllocatesLittleManagedMemoryInSteadyState()
    {
        using var session = new InferenceSession(ConvNet(), new SessionOptions { IntraOpNumThreads = 1 });
        var x = new DenseTensor<float>(new float[8 * 64 * 64], [1, 8, 64, 64]);
        var feeds = new[] { NamedOnnxValue.CreateFromTensor("x", x) };
        for (int i = 0; i < 3; i++) using (session.Run(feeds)) { }
        long before = GC.GetAllocatedBytesForCurrentThread();
        const int runs = 10;
        for (int i = 0; i < runs; i++) using (session.Run(feeds)) { }
        long perRun = (GC.GetAllocatedBytesForCurrentThread() - before) / runs;
        // One intermediate is 1x16x64x64 floats = 256 KiB; the bound is far below any tensor buffer. The
        // plan reuses its frame and kernel contexts, so what remains is per-op tensor headers and the
        // public Run's wrappers and input pins (~4.4 KiB measured).
        Assert.True(perRun < 6 * 1024, $"{perRun} managed bytes allocated per Run");
    }

    /// <summary>
    /// The executor's own cost per node: a chain of 50 tiny Adds run through RunCore allocates only
    /// each output's tensor header (measured ~93 bytes a node: the Tensor and its shape array); the
    /// broadcast shape, the frame, the contexts and the slots cost nothing per Run.
    /// </summary>
    [Fact]
    public void TinyNodesAllocateOnlyTheirOutputHeaders()
    {
        const int nodes = 50;
        var builder = new ModelBuilder(13).Input("x", F, 1, 10).Output("y", F, 1, 10).Initializer("c", new float[10], 1, 10);
        for (int i = 0; i < nodes; i++) builder = builder.Node("Add", [i == 0 ? "x" : $"t{i - 1}", "c"], [i == nodes - 1 ? "y" : $"t{i}"]);
        using var session = new InferenceSession(builder.ToBytes(), new SessionOptions { IntraOpNumThreads = 1 });
        var feeds = new List<(string, OnnxValue)> { ("x", Tensor.FromArray(new float[10], 1, 10)) };
        var outputs = session.OutputNames;
        for (int i = 0; i < 3; i++) session.RunCore(feeds, outputs, null);
        long before = GC.GetAllocatedBytesForCurrentThread();
        const int runs = 20;
        for (int i = 0; i < runs; i++) session.RunCore(feeds, outputs, null);
        long perRun = (GC.GetAllocatedBytesForCurrentThread() - before) / runs;
        Assert.True(perRun < nodes * 128, $"{perRun} managed bytes allocated per Run of {nodes} nodes");
    }

    [Fact]
    public void ArenaReusesIntermediateBuffers()
    {
        using var session = new InferenceSession(ConvNet(), new SessionOptions { IntraOpNumThreads = 1 });
        var x = new DenseTensor<float>(new float[8 * 64 * 64], [1, 8, 64, 64]);
        var feeds = new[] { NamedOnnxValue.CreateFromTensor("x", x) };
        float[] first;
        using (var r = session.Run(feeds)) first = r[0].AsTensor<float>().ToArray();
        for (int i = 0; i < 5; i++)
            using (var r = session.Run(feeds))
                Assert.Equal(first, r[0].AsTensor<float>().ToArray());
    }

    /// <summary>
    /// Outputs that skip zero-filling (conv, elementwise) or reuse a dying input's buffer get stale arena
    /// memory: a Run after a Run on other data must still equal a fresh session's result.
    /// </summary>
    [Fact]
    public void ReusedArenaMemoryNeverLeaksIntoResults()
    {
        var r = new Random(11);
        DenseTensor<float> Input() => new(Enumerable.Range(0, 8 * 64 * 64).Select(_ => (float)(r.NextDouble() * 4 - 2)).ToArray(), [1, 8, 64, 64]);
        var first = Input();
        var second = Input();
        float[] expected;
        using (var fresh = new InferenceSession(ConvNet(), new SessionOptions { IntraOpNumThreads = 1 }))
        using (var res = fresh.Run([NamedOnnxValue.CreateFromTensor("x", second)]))
            expected = res[0].AsTensor<float>().ToArray();
        using var session = new InferenceSession(ConvNet(), new SessionOptions { IntraOpNumThreads = 1 });
        for (int i = 0; i < 2; i++) using (session.Run([NamedOnnxValue.CreateFromTensor("x", first)])) { }
        using var again = session.Run([NamedOnnxValue.CreateFromTensor("x", second)]);
        Assert.Equal(expected, again[0].AsTensor<float>().ToArray());
    }
}
