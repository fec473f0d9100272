using Xunit;
using static Onyx.Tests.ModelBuilder;
using static Onyx.Tests.Optimizer.FusionTestKit;

namespace Onyx.Tests.Optimizer;

/// <summary>FuseSkipLayerNorm: LayerNormalization(Add(a, b)) → com.microsoft SkipLayerNormalization (sum as output 3 when read elsewhere).</summary>
public sealed class FuseSkipLayerNormTests
{
    /// <summary>a, b [2,5,16] → s = a + b → LayerNorm(s, γ (, β)) → y, or z = y + s when <paramref name="sumReadAgain"/>.</summary>
    private static ModelBuilder Block(bool beta, bool sumReadAgain, long axis = -1)
    {
        var m = new ModelBuilder(17).Input("a", F, 2, 5, 16).Input("b", F, 2, 5, 16).Output(sumReadAgain ? "z" : "y", F, 2, 5, 16)
            .Initializer("g", Random(16, 1), 16);
        if (beta) m.Initializer("be", Random(16, 2), 16);
        m.Node("Add", ["a", "b"], ["s"]).Node("LayerNormalization", beta ? ["s", "g", "be"] : ["s", "g"], ["y"], Attr("axis", axis), Attr("epsilon", 1e-5f));
        if (sumReadAgain) m.Node("Add", ["y", "s"], ["z"]);
        return m;
    }

    private static (float[] Off, float[] On, InferenceSession S) Run(ModelBuilder m) =>
        RunBoth(m, ("a", Random(160, 3, 2f), [2, 5, 16]), ("b", Random(160, 4, 3f), [2, 5, 16]));

    [Theory]
    [InlineData(true, false, -1L)]
    [InlineData(false, false, 2L)]
    [InlineData(true, true, -1L)]
    public void AddThenLayerNormFuses(bool beta, bool sumReadAgain, long axis)
    {
        var (off, on, s) = Run(Block(beta, sumReadAgain, axis));
        using (s)
        {
            AssertClose(off, on, 1e-5f);
            Assert.Equal(1, Count(s, "SkipLayerNormalization"));
            Assert.Equal(0, Count(s, "LayerNormalization"));
            Assert.Equal(sumReadAgain ? 1 : 0, Count(s, "Add"));
        }
    }

    [Fact]
    public void LayerNormOverMoreThanTheLastAxisIsNotFused()
    {
        var m = new ModelBuilder(17).Input("a", F, 2, 5, 16).Input("b", F, 2, 5, 16).Output("y", F, 2, 5, 16)
            .Initializer("g", Random(80, 1), 5, 16)
            .Node("Add", ["a", "b"], ["s"]).Node("LayerNormalization", ["s", "g"], ["y"], Attr("axis", 1L));
        var (off, on, s) = Run(m);
        using (s)
        {
            AssertClose(off, on, 1e-5f);
            Assert.Equal(0, Count(s, "SkipLayerNormalization"));
        }
    }

    [Fact]
    public void BroadcastingAddIsNotFused()
    {
        var m = new ModelBuilder(17).Input("a", F, 2, 5, 16).Input("b", F, 1, 5, 16).Output("y", F, 2, 5, 16)
            .Initializer("g", Random(16, 1), 16)
            .Node("Add", ["a", "b"], ["s"]).Node("LayerNormalization", ["s", "g"], ["y"]);
        var (off, on, s) = RunBoth(m, ("a", Random(160, 3), [2, 5, 16]), ("b", Random(80, 4), [1, 5, 16]));
        using (s)
        {
            AssertClose(off, on, 1e-5f);
            Assert.Equal(0, Count(s, "SkipLayerNormalization"));
        }
    }
}
