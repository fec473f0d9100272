using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.Core.Optimizer.Passes;

/// <summary>
/// Add(Conv(x, W, B), c) → Conv(x, W, B + c) and Mul(Conv(x, W, B), c) → Conv(x, W·c, B·c), for a
/// constant float c that is a scalar or per output channel ([M,1,1], [1,M,1,1], …). Exporters
/// (mnist-8, PaddlePaddle) leave such affine ops after bias-less convolutions; folding them lets
/// FuseConvActivation see the Conv → Relu pair. Chains fold one op per match, through the fixpoint.
/// </summary>
internal sealed class FuseConvScaleBias : IGraphPass
{
    public OptimizationLevel Level => OptimizationLevel.Basic;

    public bool Run(Graph graph, OptimizerContext context)
    {
        bool changed = false;
        var usage = new GraphUsage(graph);
        foreach (var conv in graph.Nodes.ToList())
        {
            if (conv.OpType != "Conv" || conv.Domain.Length != 0 || !conv.HasOutput(0)) continue;
            string y = conv.Outputs[0];
            // Before opset 7, Add/Mul broadcast by the legacy axis attribute: not handled.
            if (usage.SoleConsumer(y) is not { OpType: "Add" or "Mul", Domain: "", OpsetVersion: >= 7 } op) continue;
            if (op.Inputs.Count != 2 || !op.HasOutput(0)) continue;
            int ci = op.Inputs[0] == y ? 1 : 0;
            if (op.Inputs[1 - ci] != y || op.Inputs[ci] == y) continue;
            if (GraphConstants.FloatConvWeights(graph, conv) is not var (w, b)) continue;
            if (GraphConstants.Const(graph, op, ci) is not { DType: DType.Float32 } c) continue;
            int m = w.Shape[0];
            if (!PerChannel(c, w.Rank, m)) continue;
            var cv = c.Span<float>();
            // A non-finite scale would turn the zeros of a padded border into NaN in one order only.
            if (op.OpType == "Mul" && !WeightMath.AllFinite(cv)) continue;

            bool add = op.OpType == "Add";
            usage.Remove(conv); // changed in place below
            usage.Remove(op);
            string suffix = add ? "/bias_folded" : "/scale_folded";
            if (!add)
            {
                // A fresh initializer, not an in-place edit: the weight may be shared with another Conv.
                var w2 = w.Clone();
                var wd = w2.Span<float>();
                int per = w.Length / m;
                for (int o = 0; o < m; o++)
                {
                    var filter = wd.Slice(o * per, per);
                    WeightMath.Scale(filter, cv[cv.Length == 1 ? 0 : o]);
                }
                string wName = GraphConstants.Fresh(graph, conv.Inputs[1] + suffix);
                graph.Initializers[wName] = w2;
                conv.Inputs[1] = wName;
            }
            if (add || b is not null)
            {
                var b2 = Tensor.Allocate(DType.Float32, [m]);
                var bd = b2.Span<float>();
                for (int o = 0; o < m; o++)
                {
                    float k = cv[cv.Length == 1 ? 0 : o], bias = b is null ? 0f : b.Span<float>()[o];
                    bd[o] = add ? bias + k : bias * k;
                }
                string bName = GraphConstants.Fresh(graph, (conv.HasInput(2) ? conv.Inputs[2] : y + "/bias") + suffix);
                graph.Initializers[bName] = b2;
                if (conv.Inputs.Count > 2) conv.Inputs[2] = bName; else conv.Inputs.Add(bName);
            }
            conv.Outputs[0] = op.Outputs[0];
            graph.Nodes.Remove(op);
            usage.Add(conv);
            changed = true;
        }
        return changed;
    }

    /// <summary>
    /// Whether <paramref name="c"/> broadcast against a rank-<paramref name="rank"/> Conv output
    /// [N, M, spatial…] keeps that shape and varies only along the channel axis (1 or M there, 1 elsewhere).
    /// </summary>
    private static bool PerChannel(Tensor c, int rank, int m)
    {
        if (c.Rank > rank) return false;
        for (int j = 0; j < c.Rank; j++)
        {
            int axis = rank - c.Rank + j, d = c.Shape[j];
            if (d != 1 && (axis != 1 || d != m)) return false;
        }
        return true;
    }
}
