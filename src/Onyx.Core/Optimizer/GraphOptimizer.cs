using Onyx.Core.Diagnostics;
using Onyx.Core.Execution;
using Onyx.Core.Ir;
using Onyx.Core.Optimizer.Passes;

namespace Onyx.Core.Optimizer;

/// <summary>
/// Runs the level-gated passes to a fixpoint (bounded), validating the graph after every pass so a
/// broken rewrite fails at session creation with the pass's name instead of giving wrong answers.
/// </summary>
public sealed class GraphOptimizer
{
    private readonly IReadOnlyList<IGraphPass> _passes;

    public GraphOptimizer(IReadOnlyList<IGraphPass>? passes = null) => _passes = passes ?? DefaultPasses();

    /// <summary>The standard pipeline, cheapest and most enabling passes first.</summary>
    public static IReadOnlyList<IGraphPass> DefaultPasses() =>
    [
        new EliminateIdentity(),
        new FuseQdq(),
        new FoldStaticShapes(),
        new FoldConstants(),
        new CancelTransposeReshape(),
        new FuseConvBatchNorm(),
        new FuseConvTransposeBias(),
        new FuseConvScaleBias(),
        new FuseMatMulAddIntoGemm(),
        new FuseConvResidual(),
        new FuseConvActivation(),
        new FuseScaleResidual(),
        new FuseHardSwish(),
        new FuseLayerNorm(),
        new FuseSkipLayerNorm(),
        new FuseGelu(),
        new FuseMatMulBias(),
        new FuseAttention(),
        new EliminateDeadNodes(),
    ];

    /// <summary>Optimizes <paramref name="graph"/> in place; returns the names of passes that changed it.</summary>
    public IReadOnlyList<string> Optimize(Graph graph, OptimizationLevel level, IKernelResolver? evaluator, string modelName = "model")
    {
        var applied = new List<string>();
        if (level == OptimizationLevel.Disabled) return applied;
        var ctx = new OptimizerContext(evaluator);
        for (int round = 0; round < 8; round++)
        {
            bool changed = false;
            foreach (var pass in _passes)
            {
                if (pass.Level > level) continue;
                bool did;
                var start = LoadProfile.Start();
                try { did = pass.Run(graph, ctx); }
                catch (OnnxRuntimeException) { throw; }
                catch (Exception e)
                {
                    throw new OnnxRuntimeException(ErrorCode.Fail, $"{modelName}: optimizer pass {pass.GetType().Name} failed: {e.Message}", e);
                }
                LoadProfile.Record("optimizer " + pass.GetType().Name, start);
                if (!did) continue;
                changed = true;
                applied.Add(pass.GetType().Name);
                start = LoadProfile.Start();
                Validate(graph, pass, modelName);
                LoadProfile.Record("optimizer (validate)", start);
            }
            if (!changed) break;
        }
        return applied;
    }

    private static void Validate(Graph graph, IGraphPass pass, string modelName)
    {
        try
        {
            ExecutionPlan.TopologicalOrder(graph, modelName);
            var defined = new HashSet<string>(graph.Inputs.Select(v => v.Name).Concat(graph.Initializers.Keys), StringComparer.Ordinal);
            foreach (var n in graph.Nodes) foreach (var o in n.Outputs) if (o.Length > 0) defined.Add(o);
            foreach (var o in graph.Outputs)
                if (!defined.Contains(o.Name)) throw new InvalidOperationException($"graph output '{o.Name}' is no longer produced");
        }
        catch (Exception e)
        {
            throw new OnnxRuntimeException(ErrorCode.Fail, $"{modelName}: optimizer pass {pass.GetType().Name} left an invalid graph: {e.Message}", e);
        }
    }
}
