using Xunit;
using static Onyx.Tests.ModelBuilder;
using static Onyx.Tests.Optimizer.FusionTestKit;

namespace Onyx.Tests.Optimizer;

/// <summary>FuseConvResidual: Conv → Add(z) (→ activation) becomes one FusedConv with Z, only when z has the output's shape.</summary>
public sealed class FuseConvResidualTests
{
    /// <summary>x[1,4,6,6] → Conv(W[4,4,3,3], pads 1 (, b)) → Add with z (→ act) → y[1,4,6,6].</summary>
    private static ModelBuilder Block(bool bias, bool zFirst, string? act, long[] zShape, bool zIsX = false)
    {
        var m = new ModelBuilder(13).Input("x", F, 1, 4, 6, 6).Output("y", F, 1, 4, 6, 6)
            .Initializer("w", Random(4 * 4 * 9, 1, 0.3f), 4, 4, 3, 3);
        if (!zIsX) m.Input("z", F, zShape);
        if (bias) m.Initializer("b", Random(4, 2), 4);
        m.Node("Conv", bias ? ["x", "w", "b"] : ["x", "w"], ["c"], Attr("pads", [1L, 1, 1, 1]));
        string z = zIsX ? "x" : "z";
        m.Node("Add", zFirst ? [z, "c"] : ["c", z], [act is null ? "y" : "s"]);
        if (act is not null) m.Node(act, ["s"], ["y"]);
        return m;
    }

    private static (float[] Off, float[] On, InferenceSession S) Run(ModelBuilder m, long[] zShape, bool zIsX = false)
    {
        var x = ("x", Random(144, 3), new[] { 1, 4, 6, 6 });
        if (zIsX) return RunBoth(m, x);
        int n = (int)zShape.Aggregate(1L, (a, d) => a * d);
        return RunBoth(m, x, ("z", Random(n, 4), zShape.Select(d => (int)d).ToArray()));
    }

    [Theory]
    [InlineData(true, false, "Relu")]
    [InlineData(false, true, "Relu")]
    [InlineData(true, true, null)]
    [InlineData(false, false, "Sigmoid")]
    public void ConvAddActivationBecomesOneFusedConv(bool bias, bool zFirst, string? act)
    {
        long[] shape = [1, 4, 6, 6];
        var (off, on, s) = Run(Block(bias, zFirst, act, shape), shape);
        using (s)
        {
            AssertClose(off, on, 1e-5f);
            Assert.Equal(1, Count(s, "FusedConv"));
            Assert.Equal(0, Count(s, "Conv") + Count(s, "Add") + Count(s, "Relu") + Count(s, "Sigmoid"));
        }
    }

    [Fact]
    public void ResidualOfTheBlockInputFuses()
    {
        var (off, on, s) = Run(Block(true, false, "Relu", [], zIsX: true), [], zIsX: true);
        using (s)
        {
            AssertClose(off, on, 1e-5f);
            Assert.Equal(1, Count(s, "FusedConv"));
            Assert.Equal(0, Count(s, "Add"));
        }
    }

    [Theory]
    [InlineData(new long[] { 1, 4, 1, 1 })]
    [InlineData(new long[] { 1, 1, 6, 6 })]
    [InlineData(new long[] { 6 })]
    public void BroadcastingAddStaysSeparate(long[] zShape)
    {
        var (off, on, s) = Run(Block(true, false, "Relu", zShape), zShape);
        using (s)
        {
            AssertClose(off, on, 1e-5f);
            Assert.Equal(1, Count(s, "Add"));
        }
    }

    [Fact]
    public void ConvOutputReadTwiceStaysSeparate()
    {
        var m = new ModelBuilder(13).Input("x", F, 1, 4, 6, 6).Input("z", F, 1, 4, 6, 6).Output("y", F, 1, 4, 6, 6).Output("c", F, 1, 4, 6, 6)
            .Initializer("w", Random(4 * 4 * 9, 1, 0.3f), 4, 4, 3, 3)
            .Node("Conv", ["x", "w"], ["c"], Attr("pads", [1L, 1, 1, 1]))
            .Node("Add", ["c", "z"], ["y"]);
        var (off, on, s) = RunBoth(m, ("x", Random(144, 3), [1, 4, 6, 6]), ("z", Random(144, 4), [1, 4, 6, 6]));
        using (s)
        {
            AssertClose(off, on, 1e-5f);
            Assert.Equal(1, Count(s, "Add"));
        }
    }
}
