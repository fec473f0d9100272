using Xunit;
using static Onyx.Tests.ModelBuilder;
using static Onyx.Tests.Optimizer.FusionTestKit;

namespace Onyx.Tests.Optimizer;

/// <summary>CancelTransposeReshape and FoldStaticShapes: before/after op counts and equal outputs.</summary>
public sealed class LayoutPassTests
{
    private static readonly float[] X = Random(2 * 3 * 4, 1);

    [Fact]
    public void InverseTransposesCancel()
    {
        var m = new ModelBuilder(17).Input("x", F, 2, 3, 4).Output("y", F, 2, 3, 4)
            .Node("Transpose", ["x"], ["t"], Attr("perm", [2L, 0, 1])).Node("Transpose", ["t"], ["u"], Attr("perm", [1L, 2, 0]))
            .Node("Relu", ["u"], ["y"]);
        var (off, on, s) = RunBoth(m, ("x", X, [2, 3, 4]));
        using (s)
        {
            Assert.Equal(0, Count(s, "Transpose"));
            AssertClose(off, on, 0f);
        }
    }

    [Fact]
    public void TransposePairMergesIntoOne()
    {
        var m = new ModelBuilder(17).Input("x", F, 2, 3, 4).Output("y", F, 4, 3, 2)
            .Node("Transpose", ["x"], ["t"], Attr("perm", [1L, 0, 2])).Node("Transpose", ["t"], ["y"], Attr("perm", [2L, 0, 1]));
        var (off, on, s) = RunBoth(m, ("x", X, [2, 3, 4]));
        using (s)
        {
            Assert.Equal(1, Count(s, "Transpose"));
            AssertClose(off, on, 0f);
        }
    }

    [Fact]
    public void ReshapePairMergesIntoOne()
    {
        var m = new ModelBuilder(17).Input("x", F, 2, 3, 4).Output("y", F, 4, 6)
            .Initializer(Int64s("s1", 6, 4)).Initializer(Int64s("s2", 4, -1))
            .Node("Reshape", ["x", "s1"], ["r"]).Node("Reshape", ["r", "s2"], ["y"]);
        var (off, on, s) = RunBoth(m, ("x", X, [2, 3, 4]));
        using (s)
        {
            Assert.Equal(1, Count(s, "Reshape"));
            AssertClose(off, on, 0f);
        }
    }

    [Fact]
    public void ReshapeWithCopiedDimStaysTwoSteps()
    {
        // t = [0, -1] copies the inner result's first dim (6), not x's (2): merging would change the shape.
        var m = new ModelBuilder(17).Input("x", F, 2, 3, 4).Output("y", F, 6, 4)
            .Initializer(Int64s("s1", 6, 4)).Initializer(Int64s("s2", 0, -1))
            .Node("Reshape", ["x", "s1"], ["r"]).Node("Reshape", ["r", "s2"], ["y"]);
        var (off, on, s) = RunBoth(m, ("x", X, [2, 3, 4]));
        using (s)
        {
            Assert.Equal(2, Count(s, "Reshape"));
            AssertClose(off, on, 0f);
        }
    }

    [Fact]
    public void StaticShapeChainFolds()
    {
        // y = Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])): the exporters' dynamic-batch flatten.
        var m = new ModelBuilder(17).Input("x", F, 2, 3, 4).Output("y", F, 2, 12)
            .Initializer(Int64s("zero", 0)).Initializer(Int64s("minus1", -1)).Initializer(Int64s("ax", 0))
            .Node("Shape", ["x"], ["sh"]).Node("Gather", ["sh", "zero"], ["b"]).Node("Concat", ["b", "minus1"], ["shape"], Attr("axis", 0L))
            .Node("Reshape", ["x", "shape"], ["y"]);
        var (off, on, s) = RunBoth(m, ("x", X, [2, 3, 4]));
        using (s)
        {
            Assert.Equal(0, Count(s, "Shape"));
            Assert.Equal(0, Count(s, "Concat"));
            Assert.Single(s.Plan.Nodes);
            AssertClose(off, on, 0f);
        }
    }
}
