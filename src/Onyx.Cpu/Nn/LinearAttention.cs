using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.Nn;

/// <summary>
/// ONNX <c>LinearAttention</c> (27): sequential recurrence over T with state S [B, Hkv, dk, dv]
/// and update rules linear, gated, delta, gated_delta; GQA shares each KV state across query heads.
/// </summary>
[OnnxKernel("LinearAttention", Since = 27)]
public sealed class LinearAttentionKernel : IKernel
{
    private readonly int _qHeads, _kvHeads;
    private readonly float _scale;
    private readonly bool _gated, _delta;

    public LinearAttentionKernel(KernelInfo info)
    {
        var a = info.Attributes;
        _qHeads = (int)a.GetInt("q_num_heads");
        _kvHeads = (int)a.GetInt("kv_num_heads");
        _scale = a.GetFloat("scale", 0f);
        string rule = a.GetString("update_rule", "gated_delta");
        if (rule is not ("linear" or "gated" or "delta" or "gated_delta")) throw info.Invalid($"unknown update_rule '{rule}'");
        _gated = rule is "gated" or "gated_delta";
        _delta = rule is "delta" or "gated_delta";
        if (_qHeads <= 0 || _kvHeads <= 0 || _qHeads % _kvHeads != 0)
            throw info.Invalid($"q_num_heads {_qHeads} must be a positive multiple of kv_num_heads {_kvHeads}");
    }

    public void Execute(KernelContext context)
    {
        Tensor q = context.Input(0), k = context.Input(1), v = context.Input(2);
        NnFloat.Require(context, q, "query");
        if (q.Rank != 3 || k.Rank != 3 || v.Rank != 3) throw context.Error("query, key and value must be 3D [B, T, H*D]");
        int batch = q.Shape[0], T = q.Shape[1];
        int dk = q.Shape[2] / _qHeads, dv = v.Shape[2] / _kvHeads;
        if (k.Shape[2] != _kvHeads * dk) throw context.Error($"key hidden size {k.Shape[2]} must be kv_num_heads * d_k = {_kvHeads * dk}");
        Tensor? pastT = context.OptionalInput(3), decayT = context.OptionalInput(4), betaT = context.OptionalInput(5);
        if (_gated && decayT is null) throw context.Error("the gated update rules need the decay input");
        if (_delta && betaT is null) throw context.Error("the delta update rules need the beta input");
        ReadOnlySpan<float> qs = NnFloat.Read(q), ks = NnFloat.Read(k), vs = NnFloat.Read(v);
        ReadOnlySpan<float> decay = decayT is null ? default : NnFloat.Read(decayT);
        ReadOnlySpan<float> beta = betaT is null ? default : NnFloat.Read(betaT);
        bool decayPerKey = decayT is not null && decayT.Shape[^1] == _kvHeads * dk && dk != 1;
        int decayW = decayT?.Shape[^1] ?? 0;
        int betaW = betaT?.Shape[^1] ?? 0;
        float scale = _scale != 0 ? _scale : 1f / MathF.Sqrt(dk);
        int group = _qHeads / _kvHeads;

        var state = new float[batch * _kvHeads * dk * dv];
        if (pastT is not null)
        {
            if (pastT.Length != state.Length) throw context.Error($"past_state must be [{batch},{_kvHeads},{dk},{dv}], got {pastT.ShapeString}");
            NnFloat.Read(pastT).CopyTo(state);
        }
        Tensor y = context.Output(0, q.DType, [batch, T, _qHeads * dv]);
        Span<float> ys = NnFloat.Dest(y, out var scratch);
        var kvS = new float[dv];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < T; t++)
            {
                int row = b * T + t;
                for (int h = 0; h < _kvHeads; h++)
                {
                    Span<float> S = state.AsSpan((b * _kvHeads + h) * dk * dv, dk * dv);
                    ReadOnlySpan<float> kt = ks.Slice(row * _kvHeads * dk + h * dk, dk);
                    ReadOnlySpan<float> vt = vs.Slice(row * _kvHeads * dv + h * dv, dv);
                    if (_gated)
                    {
                        for (int i = 0; i < dk; i++)
                        {
                            float g = decayPerKey ? decay[row * decayW + h * dk + i] : decay[row * decayW + (decayW == 1 ? 0 : h)];
                            float e = MathF.Exp(g);
                            System.Numerics.Tensors.TensorPrimitives.Multiply(S.Slice(i * dv, dv), e, S.Slice(i * dv, dv));
                        }
                    }
                    if (_delta)
                    {
                        float bt = beta[row * betaW + (betaW == 1 ? 0 : h)];
                        // u = beta * (v - Sᵀk)
                        vt.CopyTo(kvS);
                        for (int i = 0; i < dk; i++)
                        {
                            float ki = kt[i];
                            ReadOnlySpan<float> si = S.Slice(i * dv, dv);
                            for (int j = 0; j < dv; j++) kvS[j] -= ki * si[j];
                        }
                        for (int j = 0; j < dv; j++) kvS[j] *= bt;
                    }
                    else vt.CopyTo(kvS);
                    for (int i = 0; i < dk; i++)
                        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(kvS, kt[i], S.Slice(i * dv, dv), S.Slice(i * dv, dv));
                    for (int gq = 0; gq < group; gq++)
                    {
                        int hq = h * group + gq;
                        ReadOnlySpan<float> qt = qs.Slice(row * _qHeads * dk + hq * dk, dk);
                        Span<float> o = ys.Slice(row * _qHeads * dv + hq * dv, dv);
                        o.Clear();
                        for (int i = 0; i < dk; i++)
                            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(S.Slice(i * dv, dv), qt[i] * scale, o, o);
                    }
                }
            }
        NnFloat.Commit(y, scratch);
        if (context.OutputCount > 1 && context.IsOutputRequested(1))
            NnFloat.Write(context.Output(1, pastT?.DType ?? q.DType, [batch, _kvHeads, dk, dv]), state);
    }
}
