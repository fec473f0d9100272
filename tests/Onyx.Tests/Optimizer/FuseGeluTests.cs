using Xunit;
using static Onyx.Tests.Optimizer.FusionTestKit;

namespace Onyx.Tests.Optimizer;

/// <summary>FuseGelu: the erf and tanh GELU subgraphs become one com.microsoft Gelu / FastGelu.</summary>
public sealed class FuseGeluTests
{
    private static readonly float[] X = Random(2 * 300, 31, scale: 5f);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ErfFormBecomesGelu(bool halfFirst)
    {
        // 0.5 * x * (1 + erf(x / sqrt 2)), in PyTorch's order or with x * 0.5 computed first.
        var m = new ModelBuilder(17).Input("x", F, 2, 300).Output("y", F, 2, 300)
            .Initializer("sqrt2", [MathF.Sqrt(2f)]).Initializer("one", [1f]).Initializer("half", [0.5f])
            .Node("Div", ["x", "sqrt2"], ["d"]).Node("Erf", ["d"], ["e"]).Node("Add", ["e", "one"], ["a"]);
        if (halfFirst) m.Node("Mul", ["half", "x"], ["h"]).Node("Mul", ["h", "a"], ["y"]);
        else m.Node("Mul", ["x", "a"], ["xm"]).Node("Mul", ["xm", "half"], ["y"]);
        var (off, on, s) = RunBoth(m, ("x", X, [2, 300]));
        using (s)
        {
            Assert.Equal(1, Count(s, "Gelu"));
            Assert.Equal(0, Count(s, "Erf"));
            Assert.Equal(0, Count(s, "Mul"));
            AssertClose(off, on);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TanhFormBecomesFastGelu(bool pow)
    {
        var m = new ModelBuilder(17).Input("x", F, 2, 300).Output("y", F, 2, 300)
            .Initializer("three", [3f]).Initializer("c", [0.044715f]).Initializer("k", [MathF.Sqrt(2f / MathF.PI)])
            .Initializer("one", [1f]).Initializer("half", [0.5f]);
        if (pow) m.Node("Pow", ["x", "three"], ["x3"]);
        else m.Node("Mul", ["x", "x"], ["x2"]).Node("Mul", ["x", "x2"], ["x3"]);
        m.Node("Mul", ["x3", "c"], ["cx3"]).Node("Add", ["x", "cx3"], ["inner"]).Node("Mul", ["k", "inner"], ["u"])
            .Node("Tanh", ["u"], ["t"]).Node("Add", ["one", "t"], ["a"]).Node("Mul", ["x", "half"], ["h"]).Node("Mul", ["h", "a"], ["y"]);
        var (off, on, s) = RunBoth(m, ("x", X, [2, 300]));
        using (s)
        {
            Assert.Equal(1, Count(s, "FastGelu"));
            Assert.Equal(0, Count(s, "Tanh"));
            AssertClose(off, on);
        }
    }

    [Fact]
    public void WrongConstantIsNotFused()
    {
        // 0.4 instead of 0.5: not a GELU.
        var m = new ModelBuilder(17).Input("x", F, 2, 300).Output("y", F, 2, 300)
            .Initializer("sqrt2", [MathF.Sqrt(2f)]).Initializer("one", [1f]).Initializer("half", [0.4f])
            .Node("Div", ["x", "sqrt2"], ["d"]).Node("Erf", ["d"], ["e"]).Node("Add", ["e", "one"], ["a"])
            .Node("Mul", ["x", "a"], ["xm"]).Node("Mul", ["xm", "half"], ["y"]);
        var (off, on, s) = RunBoth(m, ("x", X, [2, 300]));
        using (s)
        {
            Assert.Equal(0, Count(s, "Gelu"));
            Assert.Equal(1, Count(s, "Erf"));
            AssertClose(off, on);
        }
    }

    [Fact]
    public void SharedIntermediateIsNotFused()
    {
        // erf(x/√2) is also a graph output: fusing would drop a value someone reads.
        var m = new ModelBuilder(17).Input("x", F, 2, 300).Output("y", F, 2, 300).Output("e", F, 2, 300)
            .Initializer("sqrt2", [MathF.Sqrt(2f)]).Initializer("one", [1f]).Initializer("half", [0.5f])
            .Node("Div", ["x", "sqrt2"], ["d"]).Node("Erf", ["d"], ["e"]).Node("Add", ["e", "one"], ["a"])
            .Node("Mul", ["x", "a"], ["xm"]).Node("Mul", ["xm", "half"], ["y"]);
        var (off, on, s) = RunBoth(m, ("x", X, [2, 300]));
        using (s)
        {
            Assert.Equal(0, Count(s, "Gelu"));
            AssertClose(off, on);
        }
    }
}
