using Onyx.Core.Ir;

namespace Onyx.Core.Optimizer;

/// <summary>Optimization levels, numbered as ONNX Runtime's GraphOptimizationLevel.</summary>
public enum OptimizationLevel
{
    Disabled = 0,
    Basic = 1,
    Extended = 2,
    Layout = 3,
    All = 99,
}

/// <summary>
/// One graph rewrite. <see cref="Run"/> edits the graph in place and returns whether it changed
/// anything; the <see cref="GraphOptimizer"/> repeats passes to a fixpoint and validates the graph
/// after each one.
/// </summary>
public interface IGraphPass
{
    /// <summary>Lowest level at which the pass runs.</summary>
    OptimizationLevel Level { get; }

    /// <summary>Rewrites <paramref name="graph"/>; true when something changed.</summary>
    bool Run(Graph graph, OptimizerContext context);
}
