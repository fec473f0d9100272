using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.Core.Optimizer.Passes;

/// <summary>
/// ONNX Runtime's QDQ transformer for Conv and MatMul: the node group
/// Q(Conv(DQ(x_q), DQ(w_q), bias)) → QLinearConv(x_q, ..., w_q, ..., y_scale, y_zp, bias_q) and
/// Q(MatMul(DQ(a_q), DQ(b_q))) → QLinearMatMul, so the int8 model runs as int8 kernels instead of
/// float kernels between dequantize/quantize pairs. Requirements (as ORT's selectors): x, y per
/// tensor; the weight per tensor or per output channel (Conv: axis 0; MatMul: per column, axis 1 of
/// a 2-D constant); u8/s8 data with constant float32 scales and constant zero points; the float
/// result read only by the QuantizeLinear. The bias is the int32 input of a DequantizeLinear or a
/// float constant, quantized with scale x_scale·w_scale[m] (round half to even), as ORT's bias
/// quantization. A Relu or Clip between the op and the Q is dropped when its range covers what the Q can
/// represent, because saturation already clamps there (ORT's ReluQuantFusion/ClipQuantFusion). The results can differ from the unfused graph by one
/// quantization step (one rounding instead of a float round trip), as in ORT.
/// </summary>
/// <remarks>
/// Runs before constant folding in the pipeline: folding would turn DQ(constant weight) into a
/// float initializer and hide the pattern (ORT's constant folding skips DequantizeLinear for the same reason).
/// </remarks>
public sealed class FuseQdq : IGraphPass
{
    /// <inheritdoc/>
    public OptimizationLevel Level => OptimizationLevel.Extended;

    /// <inheritdoc/>
    public bool Run(Graph graph, OptimizerContext context) => Apply(graph);

    /// <summary>Fuses every matching group in place; true when anything changed.</summary>
    public static bool Apply(Graph graph)
    {
        bool changed = false;
        var usage = new GraphUsage(graph);
        foreach (var node in graph.Nodes.ToList())
        {
            if (node.Domain.Length != 0 || node.OpType is not ("Conv" or "MatMul") || !graph.Nodes.Contains(node)) continue;
            if (TryFuse(graph, usage, node))
            {
                changed = true;
                usage = new GraphUsage(graph);
            }
        }
        if (changed) RemoveUnused(graph);
        return changed;
    }

    private static bool TryFuse(Graph graph, GraphUsage usage, Node op)
    {
        bool conv = op.OpType == "Conv";
        if (op.Inputs.Count < 2 || !op.HasOutput(0)) return false;
        if (usage.Producer(op.Inputs[0]) is not { } dqx || !IsQdq(dqx, "DequantizeLinear")) return false;
        if (usage.Producer(op.Inputs[1]) is not { } dqw || !IsQdq(dqw, "DequantizeLinear")) return false;

        // The float result must go only to a QuantizeLinear (optionally through a Relu it makes redundant).
        Node? relu = null;
        Node? q = usage.SoleConsumer(op.Outputs[0]);
        if (q is { OpType: "Relu" or "Clip", Domain: "" } && q.Inputs[0] == op.Outputs[0])
        {
            relu = q;
            q = usage.SoleConsumer(relu.Outputs[0]);
        }
        if (q is null || !IsQdq(q, "QuantizeLinear") || q.Inputs[0] != (relu ?? op).Outputs[0]) return false;

        // x and y per tensor, u8/s8 with constant zero points and float32 scales.
        if (PerTensor(graph, dqx) is not var (xScale, xZp) || PerTensor(graph, q) is not var (yScale, yZp)) return false;
        if (relu is not null && !Redundant(graph, relu, yScale.Span<float>()[0], yZp)) return false;

        // Weight: a u8/s8 tensor, per tensor or per output channel.
        Tensor? wScale = GraphConstants.Const(graph, dqw, 1), wZp = GraphConstants.Const(graph, dqw, 2);
        if (wScale is not { DType: DType.Float32 } || wZp is null || !IsByte(wZp.DType) || wZp.Length != wScale.Length) return false;
        Tensor? w = GraphConstants.Const(graph, dqw, 0);
        int channels;
        if (conv)
        {
            if (w is not { Rank: >= 3 } || w.DType != wZp.DType) return false;
            channels = w.Shape[0];
            if (wScale.Length != 1 && (wScale.Length != channels || Axis(dqw, w.Rank) != 0)) return false;
        }
        else
        {
            if (wScale.Length != 1)
            {
                if (w is not { Rank: 2 } || w.DType != wZp.DType || wScale.Length != w.Shape[1] || Axis(dqw, 2) != 1) return false;
            }
            channels = wScale.Length;
        }

        var inputs = new List<string>
        {
            dqx.Inputs[0], dqx.Inputs[1], dqx.Inputs[2],
            dqw.Inputs[0], dqw.Inputs[1], dqw.Inputs[2],
            q.Inputs[1], q.Inputs[2],
        };
        if (conv && op.HasInput(2))
        {
            if (QuantizedBias(graph, usage, op.Inputs[2], xScale.Span<float>()[0], wScale.Span<float>(), channels) is not { } bias) return false;
            string name = GraphConstants.Fresh(graph, op.Inputs[2] + "_quantized");
            graph.Initializers[name] = bias;
            inputs.Add(name);
        }
        var attrs = new NodeAttributes(conv ? op.Attributes.All : []);
        var fused = new Node(conv ? "QLinearConv" : "QLinearMatMul", inputs, [q.Outputs[0]], op.Name + "/qlinear", "", attrs) { OpsetVersion = 10 };
        graph.Nodes[graph.Nodes.IndexOf(op)] = fused;
        graph.Nodes.Remove(q);
        if (relu is not null) graph.Nodes.Remove(relu);
        return true;
    }

    /// <summary>
    /// True when Relu/Clip before Q(·, scale, zp) changes nothing: the activation's range [lo, hi] covers
    /// the representable range scale·([qmin, qmax] - zp), so saturation clamps where the activation would.
    /// </summary>
    private static bool Redundant(Graph graph, Node act, float scale, Tensor zp)
    {
        float lo = float.NegativeInfinity, hi = float.PositiveInfinity;
        if (act.OpType == "Relu") lo = 0f;
        else if (act.OpsetVersion < 11)
        {
            lo = act.Attributes.GetFloat("min", float.MinValue);
            hi = act.Attributes.GetFloat("max", float.MaxValue);
        }
        else
        {
            if (act.HasInput(1)) { if (GraphConstants.Const(graph, act, 1) is { DType: DType.Float32, Length: 1 } t) lo = t.Span<float>()[0]; else return false; }
            if (act.HasInput(2)) { if (GraphConstants.Const(graph, act, 2) is { DType: DType.Float32, Length: 1 } t) hi = t.Span<float>()[0]; else return false; }
        }
        int z = zp.DType == DType.UInt8 ? zp.Span<byte>()[0] : zp.Span<sbyte>()[0];
        int qmin = zp.DType == DType.UInt8 ? 0 : -128, qmax = zp.DType == DType.UInt8 ? 255 : 127;
        // Q(lo) must already be qmin and Q(hi) qmax (a quarter-step margin keeps clear of rounding ties).
        return lo / scale <= qmin - z + 0.25f && hi / scale >= qmax - z - 0.25f;
    }

    private static bool IsQdq(Node n, string op) =>
        n.OpType == op && n.Domain.Length == 0 && n.Inputs.Count >= 3 && n.HasInput(1) && n.HasInput(2) &&
        n.Attributes.GetInt("block_size", 0) == 0 && n.Attributes.GetInt("output_dtype", 0) == 0;

    private static bool IsByte(DType t) => t is DType.UInt8 or DType.Int8;

    private static long Axis(Node n, int rank)
    {
        long a = n.Attributes.GetInt("axis", 1);
        return a < 0 ? a + rank : a;
    }

    private static (Tensor Scale, Tensor Zp)? PerTensor(Graph graph, Node qdq)
    {
        if (GraphConstants.Const(graph, qdq, 1) is not { DType: DType.Float32, Length: 1 } s) return null;
        if (GraphConstants.Const(graph, qdq, 2) is not { Length: 1 } z || !IsByte(z.DType)) return null;
        return (s, z);
    }

    /// <summary>The bias as int32 with scale x_scale·w_scale[m]: the int32 of a DQ with that scale, else float rounded half to even.</summary>
    private static Tensor? QuantizedBias(Graph graph, GraphUsage usage, string name, float xs, ReadOnlySpan<float> ws, int channels)
    {
        float[] values;
        int[]? direct = null;
        if (graph.Initializers.TryGetValue(name, out var f) && !graph.Inputs.Any(v => v.Name == name))
        {
            if (f.DType != DType.Float32 || f.Length != channels) return null;
            values = f.Span<float>().ToArray();
        }
        else if (usage.Producer(name) is { OpType: "DequantizeLinear", Domain: "" } dqb &&
                 GraphConstants.Const(graph, dqb, 0) is { DType: DType.Int32 } bq && bq.Length == channels &&
                 GraphConstants.Const(graph, dqb, 1) is { DType: DType.Float32 } bs && (bs.Length == 1 || bs.Length == channels) &&
                 (!dqb.HasInput(2) || GraphConstants.Const(graph, dqb, 2) is { } bz && bz.ToInt64Array().All(v => v == 0)))
        {
            var b = bq.Span<int>();
            var s = bs.Span<float>();
            values = new float[channels];
            direct = b.ToArray();
            for (int m = 0; m < channels; m++)
            {
                float sm = s[s.Length == 1 ? 0 : m];
                values[m] = b[m] * sm;
                // The int32 is usable as is when its scale is x_scale·w_scale[m] (the quantizer's convention).
                float want = xs * ws[ws.Length == 1 ? 0 : m];
                if (Math.Abs(sm - want) > 1e-6f * Math.Abs(want)) direct = null;
            }
        }
        else return null;
        var r = new int[channels];
        for (int m = 0; m < channels; m++)
        {
            if (direct is not null) { r[m] = direct[m]; continue; }
            double v = Math.Round(values[m] / (double)(xs * ws[ws.Length == 1 ? 0 : m]), MidpointRounding.ToEven);
            r[m] = (int)Math.Clamp(v, int.MinValue, int.MaxValue);
        }
        return Tensor.FromSpan<int>(DType.Int32, r, [channels]);
    }

    /// <summary>Drops the DequantizeLinear nodes (and bias initializers) nothing reads any more.</summary>
    private static void RemoveUnused(Graph graph)
    {
        bool again = true;
        while (again)
        {
            again = false;
            var usage = new GraphUsage(graph);
            foreach (var n in graph.Nodes.ToList())
            {
                if (n.OpType != "DequantizeLinear" || n.Domain.Length != 0) continue;
                if (n.Outputs.Any(o => o.Length > 0 && (usage.Consumers(o).Count > 0 || usage.IsGraphOutput(o)))) continue;
                graph.Nodes.Remove(n);
                again = true;
            }
        }
    }
}
