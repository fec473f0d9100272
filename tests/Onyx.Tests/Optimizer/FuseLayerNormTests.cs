using Xunit;
using static Onyx.Tests.ModelBuilder;
using static Onyx.Tests.Optimizer.FusionTestKit;

namespace Onyx.Tests.Optimizer;

/// <summary>FuseLayerNorm: the spelled-out mean/variance/normalize/affine chain becomes one LayerNormalization.</summary>
public sealed class FuseLayerNormTests
{
    private static ModelBuilder Model(int opset, bool pow, bool beta, long axis = -1)
    {
        var m = new ModelBuilder(opset).Input("x", F, 2, 3, 48).Output("y", F, 2, 3, 48)
            .Initializer("two", [2f]).Initializer("eps", [1e-5f]).Initializer("gamma", Random(48, 2), 48).Initializer("beta", Random(48, 3), 48)
            .Initializer(Int64s("axes", axis));
        AttributeProtoOrInput(m, "x", "mean", opset, axis);
        m.Node("Sub", ["x", "mean"], ["d"]);
        if (pow) m.Node("Pow", ["d", "two"], ["sq"]); else m.Node("Mul", ["d", "d"], ["sq"]);
        AttributeProtoOrInput(m, "sq", "var", opset, axis);
        m.Node("Add", ["var", "eps"], ["ve"]).Node("Sqrt", ["ve"], ["std"]).Node("Div", ["d", "std"], ["n"])
            .Node("Mul", ["gamma", "n"], [beta ? "g" : "y"]);
        if (beta) m.Node("Add", ["g", "beta"], ["y"]);
        return m;
    }

    private static void AttributeProtoOrInput(ModelBuilder m, string x, string y, int opset, long axis)
    {
        if (opset >= 18) m.Node("ReduceMean", [x, "axes"], [y]);
        else m.Node("ReduceMean", [x], [y], Attr("axes", [axis]));
    }

    // Rows with a large common offset: the fused kernel's variance must not cancel.
    private static readonly float[] X = Random(2 * 3 * 48, 5).Select((v, i) => v + (i / 48) * 100f).ToArray();

    [Theory]
    [InlineData(17, true, true)]
    [InlineData(17, false, true)]
    [InlineData(18, true, false)]
    public void SpelledOutLayerNormFuses(int opset, bool pow, bool beta)
    {
        var (off, on, s) = RunBoth(Model(opset, pow, beta), ("x", X, [2, 3, 48]));
        using (s)
        {
            Assert.Equal(1, Count(s, "LayerNormalization"));
            Assert.Single(s.Plan.Nodes);
            AssertClose(off, on, 2e-4f);
        }
    }

    [Fact]
    public void NonTrailingAxisIsNotFused()
    {
        // Means over axis 1 of [2, 3, 48] with a per-channel gamma of 48 would not broadcast into LayerNorm's axis.
        var m = new ModelBuilder(17).Input("x", F, 2, 3, 48).Output("y", F, 2, 3, 48)
            .Initializer("two", [2f]).Initializer("eps", [1e-5f]).Initializer("gamma", Random(48, 2), 48)
            .Node("ReduceMean", ["x"], ["mean"], Attr("axes", [1L])).Node("Sub", ["x", "mean"], ["d"]).Node("Pow", ["d", "two"], ["sq"])
            .Node("ReduceMean", ["sq"], ["var"], Attr("axes", [1L])).Node("Add", ["var", "eps"], ["ve"]).Node("Sqrt", ["ve"], ["std"])
            .Node("Div", ["d", "std"], ["n"]).Node("Mul", ["n", "gamma"], ["y"]);
        var (off, on, s) = RunBoth(m, ("x", X, [2, 3, 48]));
        using (s)
        {
            Assert.Equal(0, Count(s, "LayerNormalization"));
            AssertClose(off, on, 2e-4f);
        }
    }
}
