using Onyx.Core.Execution;
using Onyx.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Onyx.Cpu.Nn;

/// <summary>
/// ONNX <c>Attention</c> (23, 24): scaled dot-product attention over 3D (heads packed in the hidden
/// dimension) or 4D inputs, with GQA/MQA head sharing, a bool or additive mask (padded with -inf
/// when shorter than the key length), bottom-right causal masking, past/present KV cache,
/// nonpad_kv_seqlen, softcap and the qk_matmul_output debug output (modes 0-3). Fully masked
/// rows give zero outputs. Computes in float32 for every float type.
/// </summary>
[OnnxKernel("Attention", Since = 23)]
public sealed class AttentionKernel : IKernel
{
    private readonly bool _causal;
    private readonly int _qHeads, _kvHeads;
    private readonly int _mode;
    private readonly float? _scale;
    private readonly float _softcap;

    public AttentionKernel(KernelInfo info)
    {
        var a = info.Attributes;
        _causal = a.GetInt("is_causal", 0) != 0;
        _qHeads = (int)a.GetInt("q_num_heads", 0);
        _kvHeads = (int)a.GetInt("kv_num_heads", 0);
        _mode = (int)a.GetInt("qk_matmul_output_mode", 0);
        _scale = a.Has("scale") ? a.GetFloat("scale") : null;
        _softcap = a.GetFloat("softcap", 0f);
        if (_mode is < 0 or > 3) throw info.Invalid($"qk_matmul_output_mode must be 0..3, got {_mode}");
    }

    public void Execute(KernelContext context)
    {
        Tensor q = context.Input(0), k = context.Input(1), v = context.Input(2);
        NnFloat.Require(context, q, "Q"); NnFloat.Require(context, k, "K"); NnFloat.Require(context, v, "V");
        if (q.Rank != k.Rank || q.Rank != v.Rank || (q.Rank != 3 && q.Rank != 4))
            throw context.Error($"Q, K and V must all be 3D or all 4D, got {q.ShapeString}, {k.ShapeString}, {v.ShapeString}");
        bool is3d = q.Rank == 3;
        int batch = q.Shape[0];
        int hq, hkv, sq, skv, dh, dv;
        if (is3d)
        {
            if (_qHeads <= 0 || _kvHeads <= 0) throw context.Error("3D inputs need the q_num_heads and kv_num_heads attributes");
            hq = _qHeads; hkv = _kvHeads;
            sq = q.Shape[1]; skv = k.Shape[1];
            if (q.Shape[2] % hq != 0 || k.Shape[2] % hkv != 0 || v.Shape[2] % hkv != 0)
                throw context.Error($"hidden sizes {q.Shape[2]}, {k.Shape[2]}, {v.Shape[2]} are not divisible by the head counts {hq}, {hkv}");
            dh = q.Shape[2] / hq; dv = v.Shape[2] / hkv;
            if (k.Shape[2] / hkv != dh) throw context.Error($"K head size {k.Shape[2] / hkv} differs from Q head size {dh}");
        }
        else
        {
            hq = q.Shape[1]; hkv = k.Shape[1]; sq = q.Shape[2]; skv = k.Shape[2]; dh = q.Shape[3]; dv = v.Shape[3];
            if (k.Shape[3] != dh) throw context.Error($"K head size {k.Shape[3]} differs from Q head size {dh}");
            if (v.Shape[1] != hkv) throw context.Error($"V has {v.Shape[1]} heads, K has {hkv}");
        }
        if (k.Shape[0] != batch || v.Shape[0] != batch) throw context.Error("Q, K and V batch sizes differ");
        if (hkv <= 0 || hq % hkv != 0) throw context.Error($"q heads {hq} must be a multiple of kv heads {hkv}");
        if ((is3d ? v.Shape[1] : v.Shape[2]) != skv) throw context.Error("K and V sequence lengths differ");

        Tensor? mask = context.OptionalInput(3);
        Tensor? pastK = context.OptionalInput(4), pastV = context.OptionalInput(5);
        Tensor? nonpad = context.OptionalInput(6);
        if ((pastK is null) != (pastV is null)) throw context.Error("past_key and past_value must be given together");
        int past = pastK?.Shape[2] ?? 0;
        if (pastK is not null && (pastK.Rank != 4 || pastK.Shape[0] != batch || pastK.Shape[1] != hkv || pastK.Shape[3] != dh))
            throw context.Error($"past_key shape {pastK.ShapeString} must be [{batch},{hkv},P,{dh}]");
        if (pastV is not null && (pastV.Rank != 4 || pastV.Shape[0] != batch || pastV.Shape[1] != hkv || pastV.Shape[2] != past || pastV.Shape[3] != dv))
            throw context.Error($"past_value shape {pastV.ShapeString} must be [{batch},{hkv},{past},{dv}]");
        int total = past + skv;
        if (TryFast(context, q, k, v, mask, pastK is not null || nonpad is not null, is3d, batch, hq, hkv, sq, skv, dh, dv)) return;

        // Present K/V in [B, Hkv, T, D] layout.
        float[] kAll = Concat(NnFloat.Read(k), pastK is null ? default : NnFloat.Read(pastK), batch, hkv, past, skv, dh, is3d);
        float[] vAll = Concat(NnFloat.Read(v), pastV is null ? default : NnFloat.Read(pastV), batch, hkv, past, skv, dv, is3d);
        if (context.OutputCount > 1 && context.IsOutputRequested(1)) NnFloat.Write(context.Output(1, k.DType, [batch, hkv, total, dh]), kAll);
        if (context.OutputCount > 2 && context.IsOutputRequested(2)) NnFloat.Write(context.Output(2, v.DType, [batch, hkv, total, dv]), vAll);

        // Mask: broadcast (right-aligned) to [B, Hq, Sq, Tm].
        ReadOnlySpan<float> maskF = default;
        ReadOnlySpan<byte> maskB = default;
        int mLast = 0, msB = 0, msH = 0, msS = 0;
        if (mask is not null)
        {
            if (mask.Rank < 1 || mask.Rank > 4) throw context.Error($"attn_mask must have rank 1-4, got {mask.ShapeString}");
            var ms = new int[4];
            for (int i = 0; i < 4; i++) { int src = i - (4 - mask.Rank); ms[i] = src < 0 ? 1 : mask.Shape[src]; }
            int[] want = [batch, hq, sq, total];
            for (int i = 0; i < 3; i++)
                if (ms[i] != 1 && ms[i] != want[i]) throw context.Error($"attn_mask shape {mask.ShapeString} does not broadcast to [{batch},{hq},{sq},{total}]");
            mLast = ms[3];
            if (mLast > total) throw context.Error($"attn_mask last dimension {mLast} exceeds the total sequence length {total}");
            msS = ms[2] == 1 ? 0 : mLast;
            msH = ms[1] == 1 ? 0 : ms[2] * mLast;
            msB = ms[0] == 1 ? 0 : ms[1] * ms[2] * mLast;
            if (mask.DType == DType.Bool) maskB = mask.Bytes;
            else maskF = NnFloat.Read(mask);
        }
        long[]? nonpadLens = nonpad?.ToInt64Array();
        if (nonpadLens is not null && nonpadLens.Length != batch) throw context.Error($"nonpad_kv_seqlen must have {batch} elements, got {nonpadLens.Length}");

        float scale = _scale ?? 1f / MathF.Sqrt(dh);
        int[] yShape = is3d ? [batch, sq, hq * dv] : [batch, hq, sq, dv];
        Tensor y = context.Output(0, q.DType, yShape);
        Span<float> ys = NnFloat.Dest(y, out var yScratch);
        bool wantQk = context.OutputCount > 3 && context.IsOutputRequested(3);
        Tensor? qkT = wantQk ? context.Output(3, q.DType, [batch, hq, sq, total]) : null;
        float[]? qkOut = wantQk ? new float[batch * hq * sq * total] : null;

        ReadOnlySpan<float> qs = NnFloat.Read(q);
        int qsB = is3d ? sq * hq * dh : hq * sq * dh, qsH = is3d ? dh : sq * dh, qsS = is3d ? hq * dh : dh;
        int ysB = is3d ? sq * hq * dv : hq * sq * dv, ysH = is3d ? dv : sq * dv, ysS = is3d ? hq * dv : dv;
        int group = hq / hkv;
        var scores = new float[sq * total];
        var pool = ConvShapes.Pool(context);
        for (int b = 0; b < batch; b++)
        {
            int offset = past;
            if (pastK is null && nonpadLens is not null) offset = (int)(nonpadLens[b] - sq);
            int validKv = nonpadLens is null ? total : (int)Math.Clamp(nonpadLens[b], 0, total);
            for (int h = 0; h < hq; h++)
            {
                int kvh = h / group;
                int kBase = (b * hkv + kvh) * total * dh, vBase = (b * hkv + kvh) * total * dv;
                // scores[sq, total] = scale * Q_h · K_hᵀ
                Gemm(false, true, sq, total, dh, scale, qs.Slice(b * qsB + h * qsH), qsS, kAll.AsSpan(kBase), dh, scores, total, pool);
                for (int i = 0; i < sq; i++)
                {
                    Span<float> row = scores.AsSpan(i * total, total);
                    Span<float> qkRow = qkOut is null ? default : qkOut.AsSpan(((b * hq + h) * sq + i) * total, total);
                    if (_softcap > 0)
                    {
                        TensorPrimitives.Multiply(row, 1f / _softcap, row);
                        TensorPrimitives.Tanh(row, row);
                        TensorPrimitives.Multiply(row, _softcap, row);
                    }
                    if (_mode is 0 or 1 && !qkRow.IsEmpty) row.CopyTo(qkRow);
                    // Keys at or past `limit` are masked by causality or padding: -inf bias, zero probability.
                    int limit = validKv;
                    if (_causal) limit = Math.Clamp(i + offset + 1, 0, limit);
                    if (limit < total)
                    {
                        if (_mode == 2 && !qkRow.IsEmpty) qkRow.Slice(limit).Fill(float.NegativeInfinity);
                        row.Slice(limit).Clear();
                    }
                    Span<float> live = row.Slice(0, limit);
                    if (mask is not null)
                    {
                        int mrow = b * msB + h * msH + i * msS;
                        int inMask = Math.Min(limit, mLast);
                        if (!maskB.IsEmpty)
                        {
                            ReadOnlySpan<byte> mb = maskB.Slice(mrow, inMask);
                            for (int j = 0; j < inMask; j++) if (mb[j] == 0) live[j] = float.NegativeInfinity;
                        }
                        else TensorPrimitives.Add(live.Slice(0, inMask), maskF.Slice(mrow, inMask), live.Slice(0, inMask));
                        if (inMask < limit) live.Slice(inMask).Fill(float.NegativeInfinity);
                    }
                    if (_mode == 2 && !qkRow.IsEmpty) live.CopyTo(qkRow);
                    float max = limit == 0 ? float.NegativeInfinity : TensorPrimitives.Max(live);
                    if (float.IsNegativeInfinity(max) || float.IsNaN(max)) row.Clear(); // fully masked: zero row
                    else
                    {
                        TensorPrimitives.Subtract(live, max, live);
                        TensorPrimitives.Exp(live, live);
                        TensorPrimitives.Multiply(live, 1f / TensorPrimitives.Sum(live), live);
                    }
                    if (_mode == 3 && !qkRow.IsEmpty) row.CopyTo(qkRow);
                }
                // Y_h[sq, dv] = P · V_h
                Gemm(false, false, sq, dv, total, 1f, scores, total, vAll.AsSpan(vBase), dv, ys.Slice(b * ysB + h * ysH), ysS, pool);
            }
        }
        NnFloat.Commit(y, yScratch);
        if (qkT is not null) NnFloat.Write(qkT, qkOut);
    }

    /// <summary>
    /// The common inference case (float32, no cache, padding, causality, softcap or extra outputs; a float
    /// mask as long as the keys) on the blocked, head-parallel <see cref="Fused.AttentionCore"/>, which
    /// reads Q, K and V in place. False when the general path must run.
    /// </summary>
    private unsafe bool TryFast(KernelContext context, Tensor q, Tensor k, Tensor v, Tensor? mask, bool cacheOrPadding, bool is3d,
        int batch, int hq, int hkv, int sq, int skv, int dh, int dv)
    {
        if (q.DType != DType.Float32 || k.DType != DType.Float32 || v.DType != DType.Float32) return false;
        if (cacheOrPadding || _causal || _softcap > 0 || k.Shape[0] != batch || v.Shape[0] != batch) return false;
        for (int i = 1; i < context.OutputCount; i++) if (context.IsOutputRequested(i)) return false;
        // A mask shorter than the keys is padded with −∞ (not broadcast): leave that to the general path.
        if (mask is not null && (mask.DType != DType.Float32 || mask.Rank == 0 || mask.Shape[^1] != skv)) return false;
        var core = new Fused.AttentionCore
        {
            Q = (float*)q.Pointer, K = (float*)k.Pointer, V = (float*)v.Pointer,
            Ql = is3d ? Fused.HeadLayout.Packed(batch, sq, hq, dh) : Fused.HeadLayout.Split(batch, hq, sq, dh),
            Kl = is3d ? Fused.HeadLayout.Packed(batch, skv, hkv, dh) : Fused.HeadLayout.Split(batch, hkv, skv, dh),
            Vl = is3d ? Fused.HeadLayout.Packed(batch, skv, hkv, dv) : Fused.HeadLayout.Split(batch, hkv, skv, dv),
            Yl = is3d ? Fused.HeadLayout.Packed(batch, sq, hq, dv) : Fused.HeadLayout.Split(batch, hq, sq, dv),
            Heads = hq, Group = hq / hkv, S = sq, L = skv, D = dh, Dv = dv, Scale = _scale ?? 1f / MathF.Sqrt(dh), ZeroMaskedRows = true,
        };
        if (mask is not null && !core.BindMask(mask, batch)) return false;
        Tensor y = context.Output(0, q.DType, is3d ? [batch, sq, hq * dv] : [batch, hq, sq, dv]);
        if (y.Length == 0) return true;
        core.Y = (float*)y.Pointer;
        core.Run(batch, ConvShapes.Pool(context));
        GC.KeepAlive(q); GC.KeepAlive(k); GC.KeepAlive(v); GC.KeepAlive(y); GC.KeepAlive(mask);
        return true;
    }

    /// <summary>C[m, n] = alpha * A[m, k] · op(B) with row strides, through the shared SGEMM.</summary>
    internal static unsafe void Gemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, Onyx.Kernels.Threading.IntraOpPool? pool)
    {
        if (m == 0 || n == 0) return;
        if (k == 0) { for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear(); return; }
        fixed (float* pa = a, pb = b, pc = c)
            Onyx.Kernels.Gemm.SGemm.Multiply(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, 0f, pc, ldc, default, pool);
    }

    /// <summary>past ++ current along the sequence, in [B, H, T, D] layout.</summary>
    private static float[] Concat(ReadOnlySpan<float> cur, ReadOnlySpan<float> past, int batch, int heads, int p, int s, int d, bool cur3d)
    {
        int t = p + s;
        var r = new float[batch * heads * t * d];
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < heads; h++)
            {
                int dst = (b * heads + h) * t * d;
                if (p > 0) past.Slice((b * heads + h) * p * d, p * d).CopyTo(r.AsSpan(dst, p * d));
                dst += p * d;
                for (int i = 0; i < s; i++)
                {
                    int src = cur3d ? (b * s + i) * heads * d + h * d : ((b * heads + h) * s + i) * d;
                    cur.Slice(src, d).CopyTo(r.AsSpan(dst + i * d, d));
                }
            }
        return r;
    }
}
