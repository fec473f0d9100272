using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.Core.Optimizer.Passes;

/// <summary>
/// BatchNormalization(Conv(x, W, B)) → Conv(x, W', B') with W' = W·s and B' = (B − mean)·s + beta,
/// s = scale / sqrt(var + epsilon), for constant float parameters in inference mode.
/// </summary>
internal sealed class FuseConvBatchNorm : IGraphPass
{
    public OptimizationLevel Level => OptimizationLevel.Basic;

    public bool Run(Graph graph, OptimizerContext context)
    {
        bool changed = false;
        var usage = new GraphUsage(graph);
        foreach (var conv in graph.Nodes.ToList())
        {
            if (conv.OpType != "Conv" || conv.Domain.Length != 0 || !conv.HasOutput(0)) continue;
            if (usage.SoleConsumer(conv.Outputs[0]) is not { OpType: "BatchNormalization", Domain: "" } bn) continue;
            if (bn.Inputs[0] != conv.Outputs[0] || bn.Outputs.Skip(1).Any(o => o.Length > 0)) continue;
            if (bn.Attributes.GetInt("training_mode", 0) != 0 || bn.OpsetVersion < 6 && bn.Attributes.GetInt("is_test", 1) == 0) continue;
            if (GraphConstants.FloatConvWeights(graph, conv) is not var (w, b)) continue;
            var p = new Tensor?[4];
            for (int i = 0; i < 4; i++) p[i] = GraphConstants.Const(graph, bn, i + 1);
            int m = w.Shape[0];
            if (p.Any(t => t is not { DType: DType.Float32 } || t.Length != m)) continue;
            float eps = bn.Attributes.GetFloat("epsilon", 1e-5f);

            usage.Remove(conv); // changed in place below
            usage.Remove(bn);
            var scale = p[0]!.Span<float>(); var beta = p[1]!.Span<float>(); var mean = p[2]!.Span<float>(); var variance = p[3]!.Span<float>();
            var w2 = w.Clone();
            var b2 = Tensor.Allocate(DType.Float32, [m]);
            var wd = w2.Span<float>();
            int per = w.Length / m;
            for (int o = 0; o < m; o++)
            {
                float s = scale[o] / MathF.Sqrt(variance[o] + eps);
                var filter = wd.Slice(o * per, per);
                WeightMath.Scale(filter, s);
                b2.Span<float>()[o] = ((b is null ? 0f : b.Span<float>()[o]) - mean[o]) * s + beta[o];
            }
            string wName = GraphConstants.Fresh(graph, conv.Inputs[1] + "/bn_folded");
            string bName = GraphConstants.Fresh(graph, (conv.HasInput(2) ? conv.Inputs[2] : conv.Outputs[0] + "/bias") + "/bn_folded");
            graph.Initializers[wName] = w2;
            graph.Initializers[bName] = b2;
            conv.Inputs[1] = wName;
            if (conv.Inputs.Count > 2) conv.Inputs[2] = bName; else conv.Inputs.Add(bName);
            conv.Outputs[0] = bn.Outputs[0];
            graph.Nodes.Remove(bn);
            usage.Add(conv);
            changed = true;
        }
        return changed;
    }
}
