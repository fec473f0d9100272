using Xunit;
using static Onyx.Tests.ModelBuilder;
using static Onyx.Tests.Optimizer.FusionTestKit;

namespace Onyx.Tests.Optimizer;

/// <summary>FuseAttention: the exported per-head Reshape/Transpose/MatMul/Softmax chain becomes one MultiHeadAttention.</summary>
public sealed class FuseAttentionTests
{
    private const int B = 2, S = 5, H = 4, D = 4, Hidden = H * D;

    /// <summary>x → Q, K, V projections → exported scaled dot-product attention → y [B, S, Hidden].</summary>
    private static ModelBuilder Model(bool mask, bool mulScale, bool zeroShape, long softmaxAxis = -1)
    {
        var m = new ModelBuilder(17).Input("x", F, B, S, Hidden).Output("y", F, B, S, Hidden)
            .Initializer(Int64s("split", zeroShape ? [0, 0, H, D] : [B, S, H, D]))
            .Initializer(Int64s("merge", zeroShape ? [0, 0, -1] : [B, S, Hidden]))
            .Initializer("scale", [mulScale ? 1 / MathF.Sqrt(D) : MathF.Sqrt(D)]);
        foreach (var (p, i) in new[] { ("q", 0), ("k", 1), ("v", 2) })
        {
            m.Initializer($"w{p}", Random(Hidden * Hidden, 10 + i), Hidden, Hidden).Initializer($"b{p}", Random(Hidden, 20 + i), Hidden)
                .Node("MatMul", ["x", $"w{p}"], [$"{p}mm"]).Node("Add", [$"{p}mm", $"b{p}"], [$"{p}3"])
                .Node("Reshape", [$"{p}3", "split"], [$"{p}r"])
                .Node("Transpose", [$"{p}r"], [$"{p}4"], Attr("perm", p == "k" ? [0L, 2, 3, 1] : [0L, 2, 1, 3]));
        }
        m.Node("MatMul", ["q4", "k4"], ["qk"]).Node(mulScale ? "Mul" : "Div", mulScale ? ["scale", "qk"] : ["qk", "scale"], ["scaled"]);
        string scores = "scaled";
        if (mask)
        {
            var causal = new float[S * S];
            for (int i = 0; i < S; i++) for (int j = i + 1; j < S; j++) causal[i * S + j] = -10000f;
            m.Initializer("mask", causal, S, S).Node("Add", ["mask", "scaled"], ["masked"]);
            scores = "masked";
        }
        return m.Node("Softmax", [scores], ["p"], Attr("axis", softmaxAxis)).Node("MatMul", ["p", "v4"], ["ctx"])
            .Node("Transpose", ["ctx"], ["ctxt"], Attr("perm", [0L, 2, 1, 3])).Node("Reshape", ["ctxt", "merge"], ["y"]);
    }

    private static readonly float[] X = Random(B * S * Hidden, 7, scale: 2f);

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, false, false)]
    [InlineData(true, true, false)]
    [InlineData(false, true, true)]
    public void ExportedAttentionFuses(bool mask, bool mulScale, bool zeroShape)
    {
        var (off, on, s) = RunBoth(Model(mask, mulScale, zeroShape), ("x", X, [B, S, Hidden]));
        using (s)
        {
            Assert.Equal(1, Count(s, "MultiHeadAttention"));
            Assert.Equal(0, Count(s, "Softmax"));
            Assert.Equal(0, Count(s, "Transpose"));
            Assert.Equal(0, Count(s, "Reshape"));
            AssertClose(off, on);
        }
    }

    [Fact]
    public void SoftmaxOverAnotherAxisIsNotFused()
    {
        var (off, on, s) = RunBoth(Model(false, false, false, softmaxAxis: 2), ("x", X, [B, S, Hidden]));
        using (s)
        {
            Assert.Equal(0, Count(s, "MultiHeadAttention"));
            AssertClose(off, on);
        }
    }

    [Fact]
    public void ProbabilitiesReadElsewhereAreNotFused()
    {
        // The attention probabilities are also a graph output: the fused op never materialises them.
        var m = Model(false, false, false).Output("p", F, B, H, S, S);
        var (off, on, s) = RunBoth(m, ("x", X, [B, S, Hidden]));
        using (s)
        {
            Assert.Equal(0, Count(s, "MultiHeadAttention"));
            AssertClose(off, on);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SplitHeadAttentionBecomesOnnxAttention(bool mask)
    {
        // Q, K, V already [B, H, S, D] (sliced from a packed QKV in PaddleOCR): K is transposed on its own.
        const int L = 6;
        var m = new ModelBuilder(17).Input("q", F, B, H, S, D).Input("k", F, B, H, L, D).Input("v", F, B, H, L, D).Output("y", F, B, H, S, D)
            .Initializer("scale", [0.5f])
            .Node("Transpose", ["k"], ["kt"], Attr("perm", [0L, 1, 3, 2])).Node("MatMul", ["q", "kt"], ["qk"]).Node("Mul", ["qk", "scale"], ["scaled"]);
        string scores = "scaled";
        if (mask)
        {
            m.Initializer("mask", Random(S * L, 9, scale: 4f), S, L).Node("Add", ["scaled", "mask"], ["masked"]);
            scores = "masked";
        }
        m.Node("Softmax", [scores], ["p"], Attr("axis", -1L)).Node("MatMul", ["p", "v"], ["y"]);
        var (off, on, s) = RunBoth(m, ("q", Random(B * H * S * D, 1), [B, H, S, D]), ("k", Random(B * H * L * D, 2), [B, H, L, D]), ("v", Random(B * H * L * D, 3), [B, H, L, D]));
        using (s)
        {
            Assert.Equal(1, Count(s, "Attention"));
            Assert.Single(s.Plan.Nodes);
            AssertClose(off, on);
        }
    }
}
