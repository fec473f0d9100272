using Onyx.Core.Execution;
using Onyx.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Onyx.Cpu.Nn;

/// <summary>
/// ai.onnx.preview <c>FlexAttention</c> (1): 4D scaled dot-product attention with GQA and optional
/// score_mod / prob_mod subgraphs applied to the whole [B, Hq, L, S] score and probability tensors
/// (float32, or double for double inputs / softmax_precision).
/// </summary>
[OnnxKernel("FlexAttention", Domain = "ai.onnx.preview", Since = 1)]
public sealed class FlexAttentionKernel : IKernel
{
    private readonly float? _scale;
    private readonly DType? _precision;
    private readonly ISubgraph? _scoreMod, _probMod;

    public FlexAttentionKernel(KernelInfo info)
    {
        var a = info.Attributes;
        _scale = a.Has("scale") ? a.GetFloat("scale") : null;
        _precision = a.Has("softmax_precision") ? (DType)a.GetInt("softmax_precision") : null;
        if (a.GetGraph("score_mod") is { } sm) _scoreMod = info.CompileSubgraph(sm);
        if (a.GetGraph("prob_mod") is { } pm) _probMod = info.CompileSubgraph(pm);
    }

    public void Execute(KernelContext context)
    {
        Tensor q = context.Input(0), k = context.Input(1), v = context.Input(2);
        NnFloat.Require(context, q, "Q");
        if (q.Rank != 4 || k.Rank != 4 || v.Rank != 4) throw context.Error($"Q, K and V must be rank 4, got {q.ShapeString}, {k.ShapeString}, {v.ShapeString}");
        int batch = q.Shape[0], hq = q.Shape[1], L = q.Shape[2], dh = q.Shape[3];
        int hkv = k.Shape[1], S = k.Shape[2], dv = v.Shape[3];
        if (k.Shape[0] != batch || v.Shape[0] != batch || k.Shape[3] != dh || v.Shape[1] != hkv || v.Shape[2] != S)
            throw context.Error($"K {k.ShapeString} and V {v.ShapeString} do not match Q {q.ShapeString}");
        if (hkv <= 0 || hq % hkv != 0) throw context.Error($"q heads {hq} must be a multiple of kv heads {hkv}");
        DType prec = _precision ?? (q.DType == DType.Float64 ? DType.Float64 : DType.Float32);
        float scale = _scale ?? 1f / MathF.Sqrt(dh);
        ReadOnlySpan<float> qs = NnFloat.Read(q), ks = NnFloat.Read(k), vs = NnFloat.Read(v);
        int group = hq / hkv;
        int[] sShape = [batch, hq, L, S];
        var scores = new float[batch * hq * L * S];
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < hq; h++)
            {
                int kh = h / group;
                for (int i = 0; i < L; i++)
                {
                    ReadOnlySpan<float> qi = qs.Slice(((b * hq + h) * L + i) * dh, dh);
                    Span<float> row = scores.AsSpan(((b * hq + h) * L + i) * S, S);
                    for (int j = 0; j < S; j++)
                        row[j] = TensorPrimitives.Dot(qi, ks.Slice(((b * hkv + kh) * S + j) * dh, dh)) * scale;
                }
            }
        if (_scoreMod is not null) scores = RunMod(context, _scoreMod, scores, sShape, prec, "score_mod");
        for (int r = 0; r < batch * hq * L; r++)
        {
            Span<float> row = scores.AsSpan(r * S, S);
            float max = TensorPrimitives.Max(row);
            if (float.IsNegativeInfinity(max)) { row.Clear(); continue; }
            TensorPrimitives.Subtract(row, max, row);
            TensorPrimitives.Exp(row, row);
            TensorPrimitives.Multiply(row, 1f / TensorPrimitives.Sum(row), row);
        }
        if (_probMod is not null) scores = RunMod(context, _probMod, scores, sShape, prec, "prob_mod");
        Tensor y = context.Output(0, q.DType, [batch, hq, L, dv]);
        Span<float> ys = NnFloat.Dest(y, out var scratch);
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < hq; h++)
            {
                int kh = h / group;
                for (int i = 0; i < L; i++)
                {
                    ReadOnlySpan<float> p = scores.AsSpan(((b * hq + h) * L + i) * S, S);
                    Span<float> yi = ys.Slice(((b * hq + h) * L + i) * dv, dv);
                    for (int j = 0; j < S; j++)
                        if (p[j] != 0) TensorPrimitives.MultiplyAdd(vs.Slice(((b * hkv + kh) * S + j) * dv, dv), p[j], yi, yi);
                }
            }
        NnFloat.Commit(y, scratch);
    }

    private static float[] RunMod(KernelContext context, ISubgraph g, float[] data, int[] shape, DType prec, string name)
    {
        Tensor t = Tensor.Allocate(prec, shape, zero: false);
        NnFloat.Write(t, data);
        var outs = g.Run(context, [t]);
        if (outs.Length != 1 || outs[0] is not Tensor r) throw context.Error($"{name} must produce one tensor");
        if (!r.Shape.AsSpan().SequenceEqual(shape)) throw context.Error($"{name} output shape {r.ShapeString} must equal [{string.Join(",", shape)}]");
        return NnFloat.Read(r).ToArray();
    }
}
