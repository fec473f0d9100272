using Xunit;
using static Onyx.Tests.ModelBuilder;
using static Onyx.Tests.Optimizer.FusionTestKit;

namespace Onyx.Tests.Optimizer;

/// <summary>FuseMatMulBias: 3-D MatMul + bias (+ Relu / GELU) becomes one onyx.MatMulBias.</summary>
public sealed class FuseMatMulBiasTests
{
    private static ModelBuilder Linear(string? act, long[] biasShape)
    {
        var m = new ModelBuilder(17).Input("x", F, 2, 5, 24).Output("y", F, 2, 5, 40)
            .Initializer("w", Random(24 * 40, 3), 24, 40).Initializer("b", Random(40, 4), biasShape)
            .Node("MatMul", ["x", "w"], ["mm"]).Node("Add", ["b", "mm"], [act is null ? "y" : "a"]);
        if (act == "Relu") m.Node("Relu", ["a"], ["y"]);
        if (act == "Gelu")
            m.Initializer("sqrt2", [MathF.Sqrt(2f)]).Initializer("one", [1f]).Initializer("half", [0.5f])
                .Node("Div", ["a", "sqrt2"], ["d"]).Node("Erf", ["d"], ["e"]).Node("Add", ["e", "one"], ["ap"])
                .Node("Mul", ["a", "ap"], ["xm"]).Node("Mul", ["xm", "half"], ["y"]);
        return m;
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Relu")]
    [InlineData("Gelu")]
    public void MatMulBiasActivationFuses(string? act)
    {
        var (off, on, s) = RunBoth(Linear(act, [40]), ("x", Random(2 * 5 * 24, 5), [2, 5, 24]));
        using (s)
        {
            Assert.Equal(1, Count(s, "MatMulBias"));
            Assert.Single(s.Plan.Nodes);
            AssertClose(off, on);
        }
    }

    [Fact]
    public void BiasWithLeadingOnesFuses()
    {
        var (off, on, s) = RunBoth(Linear(null, [1, 1, 40]), ("x", Random(2 * 5 * 24, 6), [2, 5, 24]));
        using (s)
        {
            Assert.Equal(1, Count(s, "MatMulBias"));
            AssertClose(off, on);
        }
    }

    [Fact]
    public void PerRowBiasIsNotFused()
    {
        // A [5, 1] bias broadcasts along rows, not columns: not a Linear bias.
        var m = new ModelBuilder(17).Input("x", F, 2, 5, 24).Output("y", F, 2, 5, 40)
            .Initializer("w", Random(24 * 40, 3), 24, 40).Initializer("b", Random(5, 4), 5, 1)
            .Node("MatMul", ["x", "w"], ["mm"]).Node("Add", ["mm", "b"], ["y"]);
        var (off, on, s) = RunBoth(m, ("x", Random(2 * 5 * 24, 5), [2, 5, 24]));
        using (s)
        {
            Assert.Equal(0, Count(s, "MatMulBias"));
            AssertClose(off, on);
        }
    }
}
