using Onyx.Core.Execution;
using Onyx.Core.Ir;
using Onyx.Tensors;
using static Onyx.Core.Optimizer.PatternMatch;

namespace Onyx.Core.Optimizer.Passes;

/// <summary>
/// Scaled dot-product attention as PyTorch exports it, per head split by Reshape/Transpose:
/// <code>
/// Q4 = Transpose₀₂₁₃(Reshape(Q, [B,S,H,D]))   K4ᵀ = Transpose₀₂₃₁(Reshape(K, [B,L,H,D]))   V4 likewise ₀₂₁₃
/// Y = Reshape(Transpose₀₂₁₃(MatMul(Softmax₋₁(MatMul(Q4, K4ᵀ) ÷ c [+ mask]), V4)), [B,S,H·Dv])
/// </code>
/// → com.microsoft MultiHeadAttention(Q, K, V, attention_bias = mask) with num_heads = H and
/// scale = 1/c (or the Mul constant). Where the heads come from elsewhere, any 4-D Q, K (under a
/// last-two-axes Transpose) and V of one batch and head count become ONNX Attention (opset 23). Q, K and V stay in [B, S, H·D] layout: the four transposes,
/// the scale, the mask add and the softmax round trips of the [B, H, S, L] score tensor all go.
/// Checks every Reshape really only splits or merges the last dimension, and that the mask
/// broadcast leaves the score shape unchanged.
/// </summary>
internal sealed class FuseAttention : IGraphPass
{
    public OptimizationLevel Level => OptimizationLevel.Extended;

    public bool Run(Graph graph, OptimizerContext context)
    {
        if (context.Evaluator is not KernelRegistry registry) return false;
        bool packed = registry.Supports("com.microsoft", "MultiHeadAttention", 1), split = registry.Supports("", "Attention", 23);
        bool changed = false;
        var usage = new GraphUsage(graph);
        foreach (var sm in graph.Nodes.ToList())
        {
            if (!graph.Nodes.Contains(sm) || Is(sm, "Softmax") is null || !sm.HasOutput(0)) continue;
            if (Match(graph, usage, sm) is not { } m || (m.IsPacked ? !packed : !split)) continue;
            var attrs = new NodeAttributes();
            attrs.Set(new Ir.Attribute { Name = "scale", Kind = AttributeKind.Float, Float = m.Scale });
            Node fused;
            if (m.IsPacked)
            {
                attrs.Set(new Ir.Attribute { Name = "num_heads", Kind = AttributeKind.Int, Int = m.Heads });
                string[] inputs = m.Mask is null ? [m.Q, m.K, m.V] : [m.Q, m.K, m.V, "", "", m.Mask];
                fused = new Node("MultiHeadAttention", inputs, [m.Output.Outputs[0]], sm.Name + "/mha", "com.microsoft", attrs) { OpsetVersion = 1 };
            }
            else
            {
                string[] inputs = m.Mask is null ? [m.Q, m.K, m.V] : [m.Q, m.K, m.V, m.Mask];
                fused = new Node("Attention", inputs, [m.Output.Outputs[0]], sm.Name + "/attention", "", attrs) { OpsetVersion = 23 };
            }
            graph.Nodes[graph.Nodes.IndexOf(m.Output)] = fused;
            RemoveDeadProducers(graph, m.Output.Inputs);
            usage = new GraphUsage(graph);
            changed = true;
        }
        return changed;
    }

    private sealed record Attention(string Q, string K, string V, string? Mask, long Heads, float Scale, Node Output, bool IsPacked);

    private static Attention? Match(Graph graph, GraphUsage usage, Node sm)
    {
        if (Float32(graph, sm.Inputs[0]) is not { Shape.Length: 4 } scoresType) return null;
        long axis = sm.Attributes.GetInt("axis", sm.OpsetVersion < 13 ? 1 : -1);
        if (axis != 3 && axis != -1) return null;

        // Backwards from the softmax: [Add mask] ← [Div c | Mul c] ← MatMul(Q4, K4ᵀ).
        string? mask = null;
        string scores = sm.Inputs[0];
        Node? add = Is(usage.Producer(scores), "Add");
        if (add is not null && usage.SoleConsumer(add.Outputs[0]) == sm)
        {
            for (int side = 0; side < 2 && mask is null; side++)
                if (ScaledScores(graph, usage, add.Inputs[side], add) is not null && MaskFits(graph, add.Inputs[1 - side], scoresType))
                {
                    mask = add.Inputs[1 - side];
                    scores = add.Inputs[side];
                }
            if (mask is null) return null;
        }
        if (ScaledScores(graph, usage, scores, mask is null ? sm : add!) is not (var qk, var scale)) return null;

        if (Is(usage.SoleConsumer(sm.Outputs[0]), "MatMul") is not { } pv || pv.Inputs[0] != sm.Outputs[0]) return null;
        return Packed(graph, usage, qk, pv, mask, scale) ?? Split(graph, usage, qk, pv, mask, scale);
    }

    /// <summary>Heads split from [B, S, H·D] values by Reshape/Transpose and merged back after: the packed form.</summary>
    private static Attention? Packed(Graph graph, GraphUsage usage, Node qk, Node pv, string? mask, float scale)
    {
        if (SplitHeads(graph, usage, qk.Inputs[0], [0, 2, 1, 3]) is not (var q, var qh, var qd)) return null;
        if (SplitHeads(graph, usage, qk.Inputs[1], [0, 2, 3, 1]) is not (var k, var kh, var kd) || kh != qh || kd != qd) return null;
        if (SplitHeads(graph, usage, pv.Inputs[1], [0, 2, 1, 3]) is not (var v, var vh, var vd) || vh != qh) return null;
        if (!SameBatch(graph, q, k) || !SameBatch(graph, q, v)) return null;
        if (Is(usage.SoleConsumer(pv.Outputs[0]), "Transpose") is not { } merge || !Perm(merge, [0, 2, 1, 3])) return null;
        if (Is(usage.SoleConsumer(merge.Outputs[0]), "Reshape") is not { } flat || flat.Inputs[0] != merge.Outputs[0]) return null;
        if (!MergesHeads(graph, flat, q, qh * vd)) return null;
        return new Attention(q, k, v, mask, qh, scale, flat, true);
    }

    /// <summary>
    /// Any 4-D Q [B,H,S,D], K [B,H,L,D] (transposed by Transpose₀₁₃₂ for the product) and V [B,H,L,Dv]
    /// with equal batch and head dims (PaddleOCR's SVTR slices them from one packed QKV): the ONNX Attention
    /// op, whose output [B,H,S,Dv] replaces the P·V product.
    /// </summary>
    private static Attention? Split(Graph graph, GraphUsage usage, Node qk, Node pv, string? mask, float scale)
    {
        if (Is(usage.Producer(qk.Inputs[1]), "Transpose") is not { } kt || !Perm(kt, [0, 1, 3, 2])) return null;
        string q = qk.Inputs[0], k = kt.Inputs[0], v = pv.Inputs[1];
        if (Float32(graph, q) is not { Shape.Length: 4 } qt || Float32(graph, k) is not { Shape.Length: 4 } kt4 || Float32(graph, v) is not { Shape.Length: 4 } vt) return null;
        for (int i = 0; i < 2; i++)
            if (!SameDim(qt.Shape![i], kt4.Shape![i]) || !SameDim(qt.Shape[i], vt.Shape![i])) return null;
        // Attention pads a mask shorter than the keys with −∞ rather than broadcasting it: require the full length.
        if (mask is not null && (Float32(graph, mask)!.Shape is not { Length: > 0 } ms || Float32(graph, qk.Outputs[0]) is not { } st || !SameDim(ms[^1], st.Shape![3]))) return null;
        return new Attention(q, k, v, mask, 0, scale, pv, false);
    }
    /// <summary>MatMul(Q4, K4ᵀ) optionally ÷ c or × c, read only by <paramref name="consumer"/>; the matmul and the scale.</summary>
    private static (Node QK, float Scale)? ScaledScores(Graph graph, GraphUsage usage, string value, Node consumer)
    {
        if (usage.SoleConsumer(value) != consumer || usage.Producer(value) is not { Domain: "" } p) return null;
        float scale = 1f;
        string? inner = null;
        if (p.OpType == "Div")
        {
            if (GraphConstants.Const(graph, p, 0) is not null || GraphConstants.Const(graph, p, 1) is not { Rank: <= 4 } || Scalar(graph, p, 1) is not { } c) return null;
            (inner, scale) = (p.Inputs[0], 1f / c);
        }
        else if (p.OpType == "Mul")
        {
            if (ScalarOperand(graph, p, 4) is not (var other, var c)) return null;
            (inner, scale) = (other, c);
        }
        if (inner is not null)
        {
            if (usage.SoleConsumer(inner) != p || usage.Producer(inner) is not { } mm) return null;
            p = mm;
        }
        return Is(p, "MatMul") is { } qk ? (qk, scale) : null;
    }

    /// <summary>
    /// X for Transpose_perm(Reshape(X, [b, s, H, D])) where X is [b, s, H·D]: the heads and head size.
    /// Reshape entries 0 (copy) and the known sizes are accepted for b and s; allowzero must be off.
    /// </summary>
    private static (string X, long Heads, long HeadSize)? SplitHeads(Graph graph, GraphUsage usage, string value, long[] perm)
    {
        if (Is(usage.Producer(value), "Transpose") is not { } t || !Perm(t, perm)) return null;
        if (Is(usage.Producer(t.Inputs[0]), "Reshape") is not { } r || r.Attributes.GetInt("allowzero", 0) != 0) return null;
        if (Float32(graph, r.Inputs[0]) is not { Shape.Length: 3 } xt || Ints(graph, r, 1) is not { Length: 4 } shape) return null;
        long heads = shape[2], size = shape[3];
        if (heads <= 0 || size <= 0 || !Keeps(shape[0], xt.Shape![0]) || !Keeps(shape[1], xt.Shape[1])) return null;
        if (xt.Shape[2] is { IsFixed: true } last && last.Value != heads * size) return null;
        return (r.Inputs[0], heads, size);
    }

    /// <summary>Reshape([b, s, H, Dv] → [b, s, H·Dv]) where b and s are those of <paramref name="q"/>.</summary>
    private static bool MergesHeads(Graph graph, Node reshape, string q, long hidden)
    {
        if (reshape.Attributes.GetInt("allowzero", 0) != 0 || Ints(graph, reshape, 1) is not { Length: 3 } shape) return false;
        if (Float32(graph, q) is not { Shape.Length: 3 } qt) return false;
        return Keeps(shape[0], qt.Shape![0]) && Keeps(shape[1], qt.Shape[1]) && (shape[2] == hidden || shape[2] == -1);
    }

    private static bool SameDim(Dim a, Dim b) => a.IsFixed && b.IsFixed && a.Value == b.Value || a.Symbol is not null && a.Symbol == b.Symbol;

    /// <summary>K or V has Q's batch dimension or a batch of 1 (the kernel broadcasts it).</summary>
    private static bool SameBatch(Graph graph, string q, string kv)
    {
        Dim bq = Float32(graph, q)!.Shape![0], b = Float32(graph, kv)!.Shape![0];
        return b is { IsFixed: true, Value: 1 } || bq.IsFixed && b.IsFixed && bq.Value == b.Value || bq.Symbol is not null && bq.Symbol == b.Symbol;
    }

    /// <summary>A reshape entry that leaves dimension <paramref name="dim"/> as it is: 0 (copy) or its known size.</summary>
    private static bool Keeps(long entry, Dim dim) => entry == 0 || dim.IsFixed && dim.Value == entry;

    private static bool Perm(Node transpose, long[] perm)
    {
        // A loop, not SequenceEqual over long: that generic code is JIT-compiled in every process.
        if (transpose.Attributes.GetInts("perm") is not { } p || p.Length != perm.Length) return false;
        for (int i = 0; i < p.Length; i++) if (p[i] != perm[i]) return false;
        return true;
    }

    /// <summary>The mask is float32 and broadcasts into the score shape without enlarging it.</summary>
    private static bool MaskFits(Graph graph, string mask, TensorTypeInfo scores)
    {
        if (Float32(graph, mask) is not { } mt || mt.Shape!.Length > 4) return false;
        int off = 4 - mt.Shape.Length;
        for (int i = 0; i < mt.Shape.Length; i++)
        {
            Dim d = mt.Shape[i], s = scores.Shape![off + i];
            if (d is { IsFixed: true, Value: 1 }) continue;
            if (!(d.IsFixed && s.IsFixed && d.Value == s.Value || d.Symbol is not null && d.Symbol == s.Symbol)) return false;
        }
        return true;
    }
}
