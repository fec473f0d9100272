using Onyx.Core.Ir;

namespace Onyx.Core.Optimizer.Passes;

/// <summary>Removes nodes none of whose outputs is read, and initializers nothing reads.</summary>
internal sealed class EliminateDeadNodes : IGraphPass
{
    public OptimizationLevel Level => OptimizationLevel.Basic;

    public bool Run(Graph graph, OptimizerContext context)
    {
        bool changed = false;
        while (true)
        {
            var usage = new GraphUsage(graph);
            var dead = graph.Nodes.Where(n => n.Outputs.All(o => o.Length == 0 || (usage.Consumers(o).Count == 0 && !usage.IsGraphOutput(o)))).ToList();
            if (dead.Count == 0) break;
            foreach (var n in dead) graph.Nodes.Remove(n);
            changed = true;
        }
        var finalUsage = new GraphUsage(graph);
        var inputs = graph.Inputs.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in graph.Initializers.Keys.ToList())
            if (!inputs.Contains(name) && finalUsage.Consumers(name).Count == 0 && !finalUsage.IsGraphOutput(name))
            {
                graph.Initializers.Remove(name);
                changed = true;
            }
        return changed;
    }
}
