using Onyx.Core.Ir;
using Onyx.Core.Optimizer;
using Xunit;

namespace Onyx.Tests.Optimizer;

/// <summary>Fusion passes update the usage they matched against; the result must equal a rebuild.</summary>
public sealed class GraphUsageTests
{
    private static void AssertSame(Graph graph, GraphUsage updated)
    {
        var fresh = new GraphUsage(graph);
        var names = graph.Nodes.SelectMany(n => n.Inputs.Concat(n.Outputs)).Append("gone").Append("x2").Where(v => v.Length > 0).Distinct();
        foreach (var v in names)
        {
            Assert.Equal(fresh.Producer(v), updated.Producer(v));
            Assert.Equal(fresh.Consumers(v).ToHashSet(), updated.Consumers(v).ToHashSet());
            Assert.Equal(fresh.SoleConsumer(v), updated.SoleConsumer(v));
        }
    }

    [Fact]
    public void RemoveAndAddMatchARebuild()
    {
        var g = new Graph();
        g.Outputs.Add(new ValueInfo("y", null, ""));
        var a = new Node("Relu", ["x"], ["a"]);
        var sq = new Node("Mul", ["a", "a"], ["sq"]); // reads one value twice
        var b = new Node("Add", ["sq", "x"], ["gone"]);
        var c = new Node("Sigmoid", ["gone"], ["y"]);
        g.Nodes.AddRange([a, sq, b, c]);
        var usage = new GraphUsage(g);

        // Replace b and c by one node, as a fusion does.
        var fused = new Node("Fused", ["sq", "x"], ["y"]);
        g.Nodes[g.Nodes.IndexOf(b)] = fused;
        g.Nodes.Remove(c);
        usage.Remove(b);
        usage.Remove(c);
        usage.Add(fused);
        AssertSame(g, usage);

        // Change a node in place: forget it first, record it after.
        usage.Remove(sq);
        sq.Inputs[1] = "x2";
        usage.Add(sq);
        AssertSame(g, usage);
        Assert.Null(usage.Producer("gone"));
        Assert.Equal([sq], usage.Consumers("a"));
    }
}
