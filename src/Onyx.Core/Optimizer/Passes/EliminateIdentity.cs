using Onyx.Core.Ir;

namespace Onyx.Core.Optimizer.Passes;

/// <summary>Identity(x) → x, and inference-mode Dropout(x) → x when its mask is unused.</summary>
internal sealed class EliminateIdentity : IGraphPass
{
    public OptimizationLevel Level => OptimizationLevel.Basic;

    public bool Run(Graph graph, OptimizerContext context)
    {
        bool changed = false;
        var usage = new GraphUsage(graph);
        foreach (var node in graph.Nodes.ToList())
        {
            if (node.Domain.Length != 0 || !IsPassThrough(node, usage)) continue;
            string input = node.Inputs[0], output = node.Outputs[0];
            if (input.Length == 0 || output.Length == 0) continue;
            // Renaming a graph output, or a value a subgraph captures by name, is not a local edit.
            if (usage.IsGraphOutput(output)) continue;
            var consumers = usage.Consumers(output);
            if (consumers.Any(c => !c.Inputs.Contains(output))) continue;
            foreach (var c in consumers)
                for (int i = 0; i < c.Inputs.Count; i++)
                    if (c.Inputs[i] == output) c.Inputs[i] = input;
            graph.Nodes.Remove(node);
            changed = true;
            usage = new GraphUsage(graph);
        }
        return changed;
    }

    private static bool IsPassThrough(Node node, GraphUsage usage)
    {
        switch (node.OpType)
        {
            case "Identity":
                return node.Inputs.Count == 1;
            case "Dropout":
                bool maskUsed = node.HasOutput(1) && (usage.Consumers(node.Outputs[1]).Count > 0 || usage.IsGraphOutput(node.Outputs[1]));
                bool training = node.HasInput(2) || node.Attributes.GetInt("is_test", 1) == 0 && node.OpsetVersion < 7;
                return !maskUsed && !training;
            default:
                return false;
        }
    }
}
