using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.Core.Optimizer.Passes;

/// <summary>
/// ConvTranspose(x, W, B) followed by Add(per-channel constant) and/or BatchNormalization (inference)
/// → ConvTranspose(x, W', B'): the Add goes into the bias, the BN's s = scale / sqrt(var + eps) into W's
/// output-channel slices and the bias. Paddle exports its ConvTranspose bias as a separate Add and
/// PP-OCR's DB head follows it with BatchNormalization: two passes over a 320x320x24 map each.
/// </summary>
internal sealed class FuseConvTransposeBias : IGraphPass
{
    public OptimizationLevel Level => OptimizationLevel.Basic;

    public bool Run(Graph graph, OptimizerContext context)
    {
        bool changed = false;
        var usage = new GraphUsage(graph);
        foreach (var ct in graph.Nodes.ToList())
        {
            if (ct.OpType != "ConvTranspose" || ct.Domain.Length != 0 || !ct.HasOutput(0) || ct.Inputs.Count < 2) continue;
            if (GraphConstants.Const(graph, ct, 1) is not { DType: DType.Float32, Rank: >= 3 } w) continue;
            Tensor? b = ct.HasInput(2) ? GraphConstants.Const(graph, ct, 2) : null;
            if (ct.HasInput(2) && b is not { DType: DType.Float32 }) continue;
            int group = (int)ct.Attributes.GetInt("group", 1);
            if (group < 1 || w.Shape[0] % group != 0) continue;
            int m = w.Shape[1] * group;
            if (b is not null && b.Length != m) continue;

            var next = usage.SoleConsumer(ct.Outputs[0]);
            float[]? scale = null, shift = null;
            if (next is { OpType: "Add", Domain: "" } add && add.Inputs.Count == 2 && PerChannel(graph, add, ct.Outputs[0], m, w.Rank) is { } c)
            {
                scale = new float[m];
                for (int o = 0; o < m; o++) scale[o] = 1f; // a loop: Enumerable.Repeat/Array.Fill over float were JIT-compiled per process
                shift = c;
            }
            else if (next is { OpType: "BatchNormalization", Domain: "" } bn && bn.Inputs[0] == ct.Outputs[0] && BnScaleShift(graph, bn, m) is var (s, t))
            {
                scale = s;
                shift = t;
            }
            if (scale is null || shift is null) continue;

            // W is [C_in, M / group, k...]: output channel g·(M/group) + j reads W[ci, j] for ci in group g.
            var w2 = w.Clone();
            var wd = w2.Span<float>();
            int cin = w.Shape[0], mPer = w.Shape[1], inPer = cin / group, k = w.Length / (cin * mPer);
            for (int ci = 0; ci < cin; ci++)
                for (int j = 0; j < mPer; j++)
                {
                    float f = scale[ci / inPer * mPer + j];
                    if (f != 1f) WeightMath.Scale(wd.Slice((ci * mPer + j) * k, k), f);
                }
            var b2 = Tensor.Allocate(DType.Float32, [m]);
            var bd = b2.Span<float>();
            for (int o = 0; o < m; o++) bd[o] = (b is null ? 0f : b.Span<float>()[o]) * scale[o] + shift[o];

            usage.Remove(ct); // changed in place below
            usage.Remove(next!);
            string wName = GraphConstants.Fresh(graph, ct.Inputs[1] + "/folded");
            string bName = GraphConstants.Fresh(graph, (ct.HasInput(2) ? ct.Inputs[2] : ct.Outputs[0] + "/bias") + "/folded");
            graph.Initializers[wName] = w2;
            graph.Initializers[bName] = b2;
            ct.Inputs[1] = wName;
            if (ct.Inputs.Count > 2) ct.Inputs[2] = bName; else ct.Inputs.Add(bName);
            ct.Outputs[0] = next!.Outputs[0];
            graph.Nodes.Remove(next);
            usage.Add(ct);
            changed = true;
        }
        return changed;
    }

    /// <summary>
    /// The other operand of <paramref name="add"/> as m per-channel values, when it is a float constant of one
    /// element or of m elements on the channel axis ([m, 1, ..] right-aligned to the output's rank).
    /// </summary>
    private static float[]? PerChannel(Graph graph, Node add, string y, int m, int rank)
    {
        int k = add.Inputs[0] == y ? 1 : 0;
        if (add.Inputs[1 - k] != y || add.Inputs[k] == y) return null;
        if (GraphConstants.Const(graph, add, k) is not { DType: DType.Float32 } c || c.Rank > rank) return null;
        if (c.Length == 1)
        {
            var r = new float[m];
            float v = c.Span<float>()[0];
            for (int o = 0; o < m; o++) r[o] = v;
            return r;
        }
        int channelAxis = c.Rank - (rank - 1);
        if (c.Length != m || channelAxis < 0 || c.Shape[channelAxis] != m) return null;
        return c.Span<float>().ToArray();
    }

    private static (float[] Scale, float[] Shift)? BnScaleShift(Graph graph, Node bn, int m)
    {
        if (bn.Outputs.Skip(1).Any(o => o.Length > 0)) return null;
        if (bn.Attributes.GetInt("training_mode", 0) != 0 || bn.OpsetVersion < 6 && bn.Attributes.GetInt("is_test", 1) == 0) return null;
        var p = new Tensor?[4];
        for (int i = 0; i < 4; i++) p[i] = GraphConstants.Const(graph, bn, i + 1);
        if (p.Any(t => t is not { DType: DType.Float32 } || t.Length != m)) return null;
        float eps = bn.Attributes.GetFloat("epsilon", 1e-5f);
        var scale = new float[m];
        var shift = new float[m];
        for (int o = 0; o < m; o++)
        {
            scale[o] = p[0]!.Span<float>()[o] / MathF.Sqrt(p[3]!.Span<float>()[o] + eps);
            shift[o] = p[1]!.Span<float>()[o] - p[2]!.Span<float>()[o] * scale[o];
        }
        return (scale, shift);
    }
}
