using Onyx.Tensors;
using Xunit;
using static Onyx.Tests.ModelBuilder;
using static Onyx.Tests.Optimizer.FusionTestKit;

namespace Onyx.Tests.Optimizer;

/// <summary>
/// FuseQkvProjections: the Q, K and V projections of a fused MultiHeadAttention become one MatMulBias with
/// head-interleaved weights feeding the packed-QKV query; outputs match the unoptimized graph, and 2 threads
/// match 1 thread.
/// </summary>
public sealed class FuseQkvProjectionsTests
{
    // Sizes off every kernel block: 3 heads of 5, 7 tokens, 2 batches.
    private const int B = 2, S = 7, H = 3, D = 5, Hidden = H * D;

    /// <summary>x → Q, K, V projections (K and V from <paramref name="kvSource"/>) → exported attention → output projection → y.</summary>
    private static ModelBuilder Model(bool mask, string kvSource = "x", bool exposeK = false)
    {
        var m = new ModelBuilder(17).Input("x", F, B, S, Hidden).Output("y", F, B, S, Hidden)
            .Initializer(Int64s("split", [0, 0, H, D])).Initializer(Int64s("merge", [0, 0, -1]))
            .Initializer("scale", [MathF.Sqrt(D)]);
        if (kvSource != "x") m.Input(kvSource, F, B, S, Hidden);
        if (exposeK) m.Output("k3", F, B, S, Hidden);
        foreach (var (p, i) in new[] { ("q", 0), ("k", 1), ("v", 2) })
        {
            m.Initializer($"w{p}", Random(Hidden * Hidden, 10 + i), Hidden, Hidden).Initializer($"b{p}", Random(Hidden, 20 + i), Hidden)
                .Node("MatMul", [p == "q" ? "x" : kvSource, $"w{p}"], [$"{p}mm"]).Node("Add", [$"{p}mm", $"b{p}"], [$"{p}3"])
                .Node("Reshape", [$"{p}3", "split"], [$"{p}r"])
                .Node("Transpose", [$"{p}r"], [$"{p}4"], Attr("perm", p == "k" ? [0L, 2, 3, 1] : [0L, 2, 1, 3]));
        }
        m.Node("MatMul", ["q4", "k4"], ["qk"]).Node("Div", ["qk", "scale"], ["scaled"]);
        string scores = "scaled";
        if (mask)
        {
            var causal = new float[S * S];
            for (int i = 0; i < S; i++) for (int j = i + 1; j < S; j++) causal[i * S + j] = -10000f;
            m.Initializer("mask", causal, S, S).Node("Add", ["scaled", "mask"], ["masked"]);
            scores = "masked";
        }
        return m.Node("Softmax", [scores], ["p"], Attr("axis", -1L)).Node("MatMul", ["p", "v4"], ["ctx"])
            .Node("Transpose", ["ctx"], ["ctxt"], Attr("perm", [0L, 2, 1, 3])).Node("Reshape", ["ctxt", "merge"], ["att"])
            .Initializer("wo", Random(Hidden * Hidden, 30), Hidden, Hidden).Initializer("bo", Random(Hidden, 31), Hidden)
            .Node("MatMul", ["att", "wo"], ["omm"]).Node("Add", ["omm", "bo"], ["y"]);
    }

    private static readonly float[] X = Random(B * S * Hidden, 7, scale: 2f), M = Random(B * S * Hidden, 8, scale: 2f);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SelfAttentionProjectionsFuse(bool mask)
    {
        var (off, on, s) = RunBoth(Model(mask), ("x", X, [B, S, Hidden]));
        using (s)
        {
            Assert.Equal(1, Count(s, "MultiHeadAttention"));
            Assert.Equal(2, Count(s, "MatMulBias")); // packed QKV + output projection (was 4)
            Assert.Equal(1, Count(s, "Reshape"));    // the [B, S, H, 3, D] view of the packed projection
            Assert.Equal(0, Count(s, "MatMul"));
            AssertClose(off, on);
        }
    }

    [Fact]
    public void CrossAttentionIsNotFused()
    {
        // K and V project another input than Q: no shared A, so three GEMMs stay.
        var (off, on, s) = RunBoth(Model(true, kvSource: "m"), ("x", X, [B, S, Hidden]), ("m", M, [B, S, Hidden]));
        using (s)
        {
            Assert.Equal(1, Count(s, "MultiHeadAttention"));
            Assert.Equal(4, Count(s, "MatMulBias"));
            AssertClose(off, on);
        }
    }

    [Fact]
    public void ProjectionReadElsewhereIsNotFused()
    {
        var m = Model(false, exposeK: true);
        var (off, on, s) = RunBoth(m, ("x", X, [B, S, Hidden]));
        using (s)
        {
            Assert.Equal(1, Count(s, "MultiHeadAttention"));
            Assert.Equal(4, Count(s, "MatMulBias"));
            AssertClose(off, on);
        }
    }

    [Fact]
    public void TwoThreadsMatchOneThread()
    {
        byte[] model = Model(true).ToBytes();
        float[] RunWith(int threads)
        {
            using var session = new InferenceSession(model, new SessionOptions { IntraOpNumThreads = threads });
            using var r = session.Run([NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(X, [B, S, Hidden]))]);
            return r[0].AsTensor<float>().ToArray();
        }
        Assert.Equal(RunWith(1), RunWith(2));
    }
}
