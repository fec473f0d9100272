using Xunit;
using static Onyx.Tests.ModelBuilder;
using static Onyx.Tests.Optimizer.FusionTestKit;

namespace Onyx.Tests.Optimizer;

/// <summary>
/// The activations the stores apply after the micro-kernel (ActivationMatch): Conv/MatMulBias + HardSwish,
/// HardSigmoid, Sigmoid, Tanh, Swish (x·Sigmoid(α·x)) with the scalar affine after; FuseScaleResidual
/// (x + x·s → x·(s + 1)); FuseConvTransposeBias (ConvTranspose + Add / BatchNormalization).
/// </summary>
public sealed class FuseActivationTests
{
    private const int C = 4;

    /// <summary>x[1,C,7,9] → Conv(W[C,C/group,3,3], b, pads 1) → "c", then the caller's tail → y.</summary>
    private static ModelBuilder ConvThen(int group = 1)
    {
        var m = new ModelBuilder(14).Input("x", F, 1, C, 7, 9).Output("y", F, 1, C, 7, 9)
            .Initializer("w", Random(C * (C / group) * 9, 1, 0.6f), C, C / group, 3, 3).Initializer("b", Random(C, 2), C);
        return m.Node("Conv", ["x", "w", "b"], ["c"], Attr("pads", [1L, 1, 1, 1]), Attr("group", (long)group));
    }

    private static InferenceSession Check(ModelBuilder m, int nodes, string fused = "FusedConv")
    {
        var (off, on, s) = RunBoth(m, ("x", Random(C * 63, 3, 4f), [1, C, 7, 9]));
        AssertClose(off, on, 1e-5f);
        Assert.Equal(1, Count(s, fused));
        Assert.Equal(nodes, s.Plan.Nodes.Count());
        return s;
    }

    [Theory]
    [InlineData("HardSwish", 1)]
    [InlineData("HardSwish", C)]
    [InlineData("HardSigmoid", 1)]
    [InlineData("Sigmoid", C)]
    [InlineData("Tanh", 1)]
    public void SingleActivationFuses(string act, int group)
    {
        var m = ConvThen(group);
        if (act == "HardSigmoid") m.Node(act, ["c"], ["y"], Attr("alpha", 0.3f), Attr("beta", 0.4f));
        else m.Node(act, ["c"], ["y"]);
        using var s = Check(m, 1);
    }

    [Theory]
    [InlineData(1, true, true)]
    [InlineData(C, true, true)]
    [InlineData(1, true, false)]
    [InlineData(C, false, true)]
    public void HardSwishWithLearnableAffineFuses(int group, bool mul, bool add)
    {
        var m = ConvThen(group).Node("HardSwish", ["c"], ["h"]).Initializer("sc", [1.5f], 1).Initializer("sh", [-0.25f], 1);
        string t = "h";
        if (mul) { m.Node("Mul", ["sc", t], [add ? "hm" : "y"]); t = "hm"; }
        if (add) m.Node("Add", [t, "sh"], ["y"]);
        using var s = Check(m, 1);
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 1)]
    [InlineData(true, C)]
    public void SwishFuses(bool scaled, int group)
    {
        var m = ConvThen(group);
        if (scaled) m.Initializer("alpha", [1.702f]).Node("Mul", ["c", "alpha"], ["ca"]).Node("Sigmoid", ["ca"], ["sg"]);
        else m.Node("Sigmoid", ["c"], ["sg"]);
        m.Node("Mul", ["sg", "c"], ["y"]);
        using var s = Check(m, 1);
    }

    [Fact]
    public void SwishWhoseInputHasAnotherReaderIsNotFused()
    {
        var m = ConvThen().Node("Sigmoid", ["c"], ["sg"]).Node("Mul", ["c", "sg"], ["sw"]).Node("Add", ["sw", "c"], ["y"]);
        var (off, on, s) = RunBoth(m, ("x", Random(C * 63, 3, 4f), [1, C, 7, 9]));
        using (s)
        {
            AssertClose(off, on, 1e-5f);
            Assert.Equal(1, Count(s, "Sigmoid"));
        }
    }

    [Fact]
    public void AffineAfterReluIsNotFused()
    {
        // Relu lives in the micro-kernel registers: no affine after it, so the Mul stays.
        var m = ConvThen().Node("Relu", ["c"], ["r"]).Initializer("sc", [2f], 1).Node("Mul", ["r", "sc"], ["y"]);
        var (off, on, s) = RunBoth(m, ("x", Random(C * 63, 3, 4f), [1, C, 7, 9]));
        using (s)
        {
            AssertClose(off, on, 1e-5f);
            Assert.Equal(1, Count(s, "Mul"));
        }
    }

    [Theory]
    [InlineData("Swish")]
    [InlineData("HardSwish")]
    public void MatMulBiasTakesThePostActivations(string act)
    {
        var m = new ModelBuilder(14).Input("x", F, 2, 5, 24).Output("y", F, 2, 5, 40)
            .Initializer("w", Random(24 * 40, 3), 24, 40).Initializer("b", Random(40, 4), 40)
            .Node("MatMul", ["x", "w"], ["mm"]).Node("Add", ["mm", "b"], ["a"]);
        if (act == "Swish") m.Node("Sigmoid", ["a"], ["sg"]).Node("Mul", ["a", "sg"], ["y"]);
        else m.Node("HardSwish", ["a"], ["y"]);
        var (off, on, s) = RunBoth(m, ("x", Random(2 * 5 * 24, 5, 3f), [2, 5, 24]));
        using (s)
        {
            AssertClose(off, on, 1e-5f);
            Assert.Equal(1, Count(s, "MatMulBias"));
            Assert.Single(s.Plan.Nodes);
        }
    }

    /// <summary>c → GAP → 1x1 Conv → HardSigmoid = s; y = c + c·s (the PP-OCRv4 neck's SE residual).</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ScaleResidualBecomesOneMul(bool mulFirst)
    {
        var m = ConvThen().Initializer("w2", Random(C * C, 5), C, C, 1, 1).Initializer("b2", Random(C, 6), C)
            .Node("GlobalAveragePool", ["c"], ["g"]).Node("Conv", ["g", "w2", "b2"], ["gc"]).Node("HardSigmoid", ["gc"], ["s"])
            .Node("Mul", mulFirst ? ["s", "c"] : ["c", "s"], ["cs"]).Node("Add", mulFirst ? ["cs", "c"] : ["c", "cs"], ["y"]);
        var (off, on, s) = RunBoth(m, ("x", Random(C * 63, 3, 4f), [1, C, 7, 9]));
        using (s)
        {
            AssertClose(off, on, 1e-5f);
            Assert.Equal(0, Count(s, "Add"));
            Assert.Equal(1, Count(s, "Mul"));
            Assert.Equal(4, s.Plan.Nodes.Count()); // Conv, GlobalAveragePool, FusedConv(HardSigmoid, affine +1), Mul
        }
    }

    [Fact]
    public void ScaleResidualWithAGateFromAnInputAddsOne()
    {
        var m = new ModelBuilder(14).Input("x", F, 1, C, 5, 5).Input("s", F, 1, C, 1, 1).Output("y", F, 1, C, 5, 5)
            .Node("Mul", ["x", "s"], ["xs"]).Node("Add", ["xs", "x"], ["y"]);
        var (off, on, sess) = RunBoth(m, ("x", Random(C * 25, 3), [1, C, 5, 5]), ("s", Random(C, 4), [1, C, 1, 1]));
        using (sess)
        {
            AssertClose(off, on, 1e-5f);
            Assert.Equal(1, Count(sess, "Mul"));
            Assert.Equal(1, Count(sess, "Add")); // s + 1 on the [1, C, 1, 1] gate only
        }
    }

    /// <summary>x[1,Cin,5,6] → ConvTranspose(W[Cin, C/group, 2, 2], stride 2 (, B)) → Add(bias) → BN → Relu → y.</summary>
    [Theory]
    [InlineData(1, false, true)]
    [InlineData(2, true, true)]
    [InlineData(1, true, false)]
    public void ConvTransposeAbsorbsBiasAddAndBatchNorm(int group, bool withB, bool withAdd)
    {
        const int cin = 6;
        var m = new ModelBuilder(13).Input("x", F, 1, cin, 5, 6).Output("y", F, 1, C, 10, 12)
            .Initializer("w", Random(cin * (C / group) * 4, 1), cin, C / group, 2, 2)
            .Initializer("ab", Random(C, 2), 1, C, 1, 1)
            .Initializer("scale", Random(C, 3).Select(v => v + 1.5f).ToArray(), C).Initializer("beta", Random(C, 4), C)
            .Initializer("mean", Random(C, 5), C).Initializer("var", Random(C, 6).Select(v => v + 1.1f).ToArray(), C);
        if (withB) m.Initializer("b", Random(C, 7), C);
        m.Node("ConvTranspose", withB ? ["x", "w", "b"] : ["x", "w"], ["t"], Attr("strides", [2L, 2]), Attr("group", (long)group));
        string t = "t";
        if (withAdd) { m.Node("Add", ["ab", "t"], ["ta"]); t = "ta"; }
        m.Node("BatchNormalization", [t, "scale", "beta", "mean", "var"], ["bn"]).Node("Relu", ["bn"], ["y"]);
        var (off, on, s) = RunBoth(m, ("x", Random(cin * 30, 8), [1, cin, 5, 6]));
        using (s)
        {
            AssertClose(off, on, 1e-5f);
            Assert.Equal(1, Count(s, "ConvTranspose"));
            Assert.Equal(0, Count(s, "Add") + Count(s, "BatchNormalization"));
            Assert.Equal(2, s.Plan.Nodes.Count());
        }
    }
}
