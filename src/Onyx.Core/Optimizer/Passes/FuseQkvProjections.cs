using Onyx.Core.Execution;
using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.Core.Optimizer.Passes;

/// <summary>
/// The three projections of self-attention as one GEMM (ORT's QKV packing):
/// <code>
/// MultiHeadAttention(MatMulBias(X, Wq, bq), MatMulBias(X, Wk, bk), MatMulBias(X, Wv, bv), mask)
///   → MultiHeadAttention(Reshape(MatMulBias(X, Wqkv, bqkv), [0, 0, H, 3, D]), -, -, mask)
/// </code>
/// Wqkv [K, H·3·D] orders its columns head by head, Q then K then V (ORT's packed-QKV query layout), so the
/// attention reads each head's Q, K and V in place. One wide GEMM packs X once instead of three times and
/// runs a single N = 3·hidden product (better tiled than three N = hidden ones). Needs the three weights
/// constant and of one shape [K, H·D], constant biases, no activation on the projections, and each
/// projection read only by the attention.
/// </summary>
internal sealed class FuseQkvProjections : IGraphPass
{
    public OptimizationLevel Level => OptimizationLevel.Extended;

    public bool Run(Graph graph, OptimizerContext context)
    {
        if (context.Evaluator is not KernelRegistry registry || !registry.Supports("onyx", "MatMulBias", 1)
            || !registry.Supports("com.microsoft", "MultiHeadAttention", 1) || !registry.Supports("", "Reshape", 14)) return false;
        bool changed = false;
        var usage = new GraphUsage(graph);
        foreach (var mha in graph.Nodes.ToList())
        {
            if (mha is not { OpType: "MultiHeadAttention", Domain: "com.microsoft" } || Match(graph, usage, mha) is not { } m) continue;
            int k = m.W[0].Shape[0], hidden = m.W[0].Shape[1], d = hidden / m.Heads;
            var w = Tensor.Allocate(DType.Float32, [k, 3 * hidden]);
            var bias = Tensor.Allocate(DType.Float32, [3 * hidden]);
            Span<float> wd = w.Span<float>(), bd = bias.Span<float>();
            for (int t = 0; t < 3; t++)
            {
                ReadOnlySpan<float> src = m.W[t].Span<float>(), b = m.B[t].Span<float>();
                for (int h = 0; h < m.Heads; h++)
                {
                    int to = (h * 3 + t) * d;
                    b.Slice(h * d, d).CopyTo(bd.Slice(to, d));
                    for (int r = 0; r < k; r++) src.Slice(r * hidden + h * d, d).CopyTo(wd.Slice(r * 3 * hidden + to, d));
                }
            }
            string wName = GraphConstants.Fresh(graph, mha.Name + "/qkv_weight");
            graph.Initializers[wName] = w;
            string bName = GraphConstants.Fresh(graph, mha.Name + "/qkv_bias");
            graph.Initializers[bName] = bias;
            var shape = Tensor.Allocate(DType.Int64, [5]);
            long[] dims = [0, 0, m.Heads, 3, d];
            dims.CopyTo(shape.Span<long>());
            string shapeName = GraphConstants.Fresh(graph, mha.Name + "/qkv_shape");
            graph.Initializers[shapeName] = shape;
            string qkv = GraphConstants.Fresh(graph, mha.Name + "/qkv"), packed = GraphConstants.Fresh(graph, mha.Name + "/qkv_packed");

            var gemm = new Node("MatMulBias", [m.X, wName, bName], [qkv], mha.Name + "/qkv_proj", "onyx", new NodeAttributes()) { OpsetVersion = 1 };
            var reshape = new Node("Reshape", [qkv, shapeName], [packed], mha.Name + "/qkv_reshape", "", new NodeAttributes()) { OpsetVersion = 14 };
            usage.Remove(mha);
            mha.Inputs[0] = packed;
            mha.Inputs[1] = "";
            mha.Inputs[2] = "";
            int at = graph.Nodes.IndexOf(mha);
            graph.Nodes.Insert(at, reshape);
            graph.Nodes.Insert(at, gemm);
            foreach (var p in m.Projections) { usage.Remove(p); graph.Nodes.Remove(p); }
            usage.Add(gemm);
            usage.Add(reshape);
            usage.Add(mha);
            changed = true;
        }
        return changed;
    }

    private sealed record QkvMatch(string X, Node[] Projections, Tensor[] W, Tensor[] B, int Heads);

    private static QkvMatch? Match(Graph graph, GraphUsage usage, Node mha)
    {
        long heads = mha.Attributes.GetInt("num_heads", 0);
        if (heads <= 0 || mha.Inputs.Count < 3 || !mha.HasInput(0) || !mha.HasInput(1) || !mha.HasInput(2)) return null;
        // Inputs 3 and 4 (key padding mask, bias) are not part of the packed form this pass emits.
        for (int i = 3; i < Math.Min(5, mha.Inputs.Count); i++) if (mha.HasInput(i)) return null;
        var projections = new Node[3];
        var w = new Tensor[3];
        var b = new Tensor[3];
        for (int t = 0; t < 3; t++)
        {
            string value = mha.Inputs[t];
            if (usage.Producer(value) is not { OpType: "MatMulBias", Domain: "onyx" } p || p.Attributes.Count != 0 || p.Inputs.Count != 3) return null;
            if (usage.SoleConsumer(value) != mha || usage.IsGraphOutput(value) || Array.IndexOf(projections, p) >= 0) return null;
            if (GraphConstants.Const(graph, p, 1) is not { DType: DType.Float32, Rank: 2 } wt || GraphConstants.Const(graph, p, 2) is not { DType: DType.Float32 } bt) return null;
            if (wt.Shape[1] != bt.Length || t > 0 && (p.Inputs[0] != projections[0].Inputs[0] || !wt.Shape.SequenceEqual(w[0].Shape))) return null;
            (projections[t], w[t], b[t]) = (p, wt, bt);
        }
        int hidden = w[0].Shape[1];
        if (hidden == 0 || w[0].Shape[0] == 0 || hidden % heads != 0) return null;
        return new QkvMatch(projections[0].Inputs[0], projections, w, b, (int)heads);
    }
}
