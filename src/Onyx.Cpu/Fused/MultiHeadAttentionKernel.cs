using Onyx.Core.Execution;
using Onyx.Cpu.Nn;
using Onyx.Tensors;

namespace Onyx.Cpu.Fused;

/// <summary>
/// ONNX Runtime's <c>com.microsoft MultiHeadAttention</c>, the subset the FuseAttention pass emits:
/// query [B, S, H·D], key [B|1, L, H·D], value [B|1, L, H·Dv] with heads packed in the last dimension,
/// optional attention_bias (input 5, float, broadcast right-aligned to [B, H, S, L]; ranks 0-4
/// are accepted, a superset of ORT's 4-D), attributes num_heads and scale (default 1/√D).
/// Y[B, S, H·Dv] = softmax(scale·Q·Kᵀ + bias)·V per head, computed by <see cref="AttentionCore"/>
/// straight from the packed layout (no head transposes).
/// Packed QKV, key padding masks, past/present and unidirectional are not supported.
/// </summary>
[OnnxKernel("MultiHeadAttention", Domain = "com.microsoft", Since = 1)]
public sealed unsafe class MultiHeadAttentionKernel : IKernel
{
    private readonly int _heads;
    private readonly float? _scale;

    public MultiHeadAttentionKernel(KernelInfo info)
    {
        _heads = (int)info.Attributes.GetInt("num_heads", 0);
        if (_heads <= 0) throw info.Invalid($"num_heads must be positive, got {_heads}");
        if (info.Attributes.GetInt("unidirectional", 0) != 0) throw info.Invalid("unidirectional is not supported");
        _scale = info.Attributes.Has("scale") ? info.Attributes.GetFloat("scale") : null;
        for (int i = 3; i < info.Node.Inputs.Count; i++)
            if (i != 5 && info.Node.HasInput(i)) throw info.Invalid($"input {i} is not supported (only query, key, value and attention_bias)");
    }

    public void Execute(KernelContext context)
    {
        Tensor q = context.Input(0), k = context.Input(1), v = context.Input(2);
        Tensor? mask = context.OptionalInput(5);
        foreach (var (t, name) in new[] { (q, "query"), (k, "key"), (v, "value") })
            if (t.DType != DType.Float32 || t.Rank != 3) throw context.Error($"{name} must be a 3-D float32 tensor, got {t.DType.OnnxName()} {t.ShapeString}");
        int batch = q.Shape[0], s = q.Shape[1], l = k.Shape[1], h = _heads;
        if (q.Shape[2] % h != 0 || k.Shape[2] != q.Shape[2] || v.Shape[2] % h != 0)
            throw context.Error($"hidden sizes of query {q.ShapeString}, key {k.ShapeString}, value {v.ShapeString} do not split into {h} heads");
        if (v.Shape[1] != l) throw context.Error($"key {k.ShapeString} and value {v.ShapeString} lengths differ");
        if (k.Shape[0] != batch && k.Shape[0] != 1 || v.Shape[0] != batch && v.Shape[0] != 1)
            throw context.Error($"key {k.ShapeString} and value {v.ShapeString} batch must be {batch} or 1");
        int d = q.Shape[2] / h, dv = v.Shape[2] / h;
        Tensor y = context.Output(0, DType.Float32, [batch, s, h * dv]);
        if (y.Length == 0) return;
        var core = new AttentionCore
        {
            Q = (float*)q.Pointer, K = (float*)k.Pointer, V = (float*)v.Pointer, Y = (float*)y.Pointer,
            Ql = HeadLayout.Packed(batch, s, h, d), Kl = HeadLayout.Packed(k.Shape[0], l, h, d),
            Vl = HeadLayout.Packed(v.Shape[0], l, h, dv), Yl = HeadLayout.Packed(batch, s, h, dv),
            Heads = h, Group = 1, S = s, L = l, D = d, Dv = dv, Scale = _scale ?? 1f / MathF.Sqrt(d),
        };
        if (mask is not null && !core.BindMask(mask, batch))
            throw context.Error($"attention_bias must be float32 broadcasting to [{batch},{h},{s},{l}], got {mask.DType.OnnxName()} {mask.ShapeString}");
        core.Run(batch, ConvShapes.Pool(context));
        GC.KeepAlive(q); GC.KeepAlive(k); GC.KeepAlive(v); GC.KeepAlive(y); GC.KeepAlive(mask);
    }
}
