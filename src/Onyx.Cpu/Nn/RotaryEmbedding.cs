using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.Nn;

/// <summary>
/// ONNX <c>RotaryEmbedding</c> (23): rotates the first rotary_embedding_dim features of each head
/// (halves or interleaved pairs) by cos/sin caches indexed by position_ids (or given per batch and position).
/// Input is [B, H, S, D] or [B, S, H*D].
/// </summary>
[OnnxKernel("RotaryEmbedding", Since = 23)]
public sealed class RotaryEmbeddingKernel : IKernel
{
    private readonly bool _interleaved;
    private readonly int _numHeads;
    private readonly int _rotaryDim;

    public RotaryEmbeddingKernel(KernelInfo info)
    {
        _interleaved = info.Attributes.GetInt("interleaved", 0) != 0;
        _numHeads = (int)info.Attributes.GetInt("num_heads", 0);
        _rotaryDim = (int)info.Attributes.GetInt("rotary_embedding_dim", 0);
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        NnFloat.Require(context, x, "X");
        Tensor cosT = context.Input(1), sinT = context.Input(2);
        Tensor? posT = context.OptionalInput(3);
        int batch, seq, heads, d;
        int sB, sS, sH;
        if (x.Rank == 4)
        {
            batch = x.Shape[0]; heads = x.Shape[1]; seq = x.Shape[2]; d = x.Shape[3];
            sB = heads * seq * d; sH = seq * d; sS = d;
        }
        else if (x.Rank == 3)
        {
            batch = x.Shape[0]; seq = x.Shape[1];
            if (_numHeads <= 0) throw context.Error("3D input needs the num_heads attribute");
            heads = _numHeads;
            if (x.Shape[2] % heads != 0) throw context.Error($"hidden size {x.Shape[2]} is not divisible by num_heads {heads}");
            d = x.Shape[2] / heads;
            sB = seq * heads * d; sS = heads * d; sH = d;
        }
        else throw context.Error($"input must be 3D or 4D, got {x.ShapeString}");
        int rot = _rotaryDim > 0 ? _rotaryDim : d;
        if (rot > d || rot % 2 != 0) throw context.Error($"rotary_embedding_dim {rot} must be even and at most the head size {d}");
        int half = rot / 2;
        if (cosT.Shape[^1] != half || sinT.Shape[^1] != half)
            throw context.Error($"cos/sin caches' last dimension must be rotary_embedding_dim/2 = {half}, got {cosT.ShapeString} and {sinT.ShapeString}");
        ReadOnlySpan<float> cos = NnFloat.Read(cosT), sin = NnFloat.Read(sinT);
        long[]? pos = posT?.ToInt64Array();
        if (pos is not null && pos.Length != batch * seq && pos.Length != seq)
            throw context.Error($"position_ids has {pos.Length} elements, expected [{batch},{seq}]");
        int maxPos = cosT.Shape[0];

        ReadOnlySpan<float> xs = NnFloat.Read(x);
        Tensor y = context.Output(0, x.DType, x.Shape);
        Span<float> ys = NnFloat.Dest(y, out var scratch);
        xs.CopyTo(ys);
        for (int b = 0; b < batch; b++)
            for (int s = 0; s < seq; s++)
            {
                int cacheRow;
                if (pos is not null)
                {
                    long p = pos.Length == seq ? pos[s] : pos[b * seq + s];
                    if (p < 0 || p >= maxPos) throw context.Error($"position id {p} is outside the cache of {maxPos} positions");
                    cacheRow = (int)p * half;
                }
                else cacheRow = (b * seq + s) * half;
                ReadOnlySpan<float> c = cos.Slice(cacheRow, half), sn = sin.Slice(cacheRow, half);
                for (int h = 0; h < heads; h++)
                {
                    int off = b * sB + s * sS + h * sH;
                    ReadOnlySpan<float> xr = xs.Slice(off, d);
                    Span<float> yr = ys.Slice(off, d);
                    for (int i = 0; i < half; i++)
                    {
                        int i1 = _interleaved ? 2 * i : i, i2 = _interleaved ? 2 * i + 1 : i + half;
                        float x1 = xr[i1], x2 = xr[i2];
                        yr[i1] = c[i] * x1 - sn[i] * x2;
                        yr[i2] = sn[i] * x1 + c[i] * x2;
                    }
                }
            }
        NnFloat.Commit(y, scratch);
    }
}

/// <summary>ONNX <c>SwiGLU</c> (28): y = a * sigmoid(alpha * a) * b, same shapes.</summary>
[OnnxKernel("SwiGLU", Since = 28)]
public sealed class SwiGluKernel : IKernel
{
    private readonly float _alpha;

    public SwiGluKernel(KernelInfo info) => _alpha = info.Attributes.GetFloat("alpha", 1f);

    public void Execute(KernelContext context)
    {
        Tensor a = context.Input(0), b = context.Input(1);
        NnFloat.Require(context, a, "A");
        if (!a.Shape.AsSpan().SequenceEqual(b.Shape) || a.DType != b.DType)
            throw context.Error($"A and B must have the same shape and type, got {a} and {b}");
        ReadOnlySpan<float> av = NnFloat.Read(a), bv = NnFloat.Read(b);
        Tensor y = context.Output(0, a.DType, a.Shape);
        Span<float> ys = NnFloat.Dest(y, out var scratch);
        System.Numerics.Tensors.TensorPrimitives.Multiply(av, _alpha, ys);
        System.Numerics.Tensors.TensorPrimitives.Sigmoid(ys, ys);
        System.Numerics.Tensors.TensorPrimitives.Multiply(ys, av, ys);
        System.Numerics.Tensors.TensorPrimitives.Multiply(ys, bv, ys);
        NnFloat.Commit(y, scratch);
    }
}

/// <summary>
/// ONNX <c>CausalConvWithState</c> (27): depthwise causal 1D convolution over [B, C, L] with a
/// carried state of the last k-1 positions, optional bias and fused SiLU.
/// </summary>
[OnnxKernel("CausalConvWithState", Since = 27)]
public sealed class CausalConvWithStateKernel : IKernel
{
    private readonly bool _silu;

    public CausalConvWithStateKernel(KernelInfo info)
    {
        string act = info.Attributes.GetString("activation", "none").ToLowerInvariant();
        if (act is not ("none" or "silu" or "swish")) throw info.Invalid($"activation must be silu, swish or none, got '{act}'");
        _silu = act != "none";
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0), w = context.Input(1);
        NnFloat.Require(context, x, "input");
        if (x.Rank != 3) throw context.Error($"input must be [B, C, L], got {x.ShapeString}");
        int batch = x.Shape[0], ch = x.Shape[1], len = x.Shape[2];
        if (w.Rank != 3 || w.Shape[0] != ch || w.Shape[1] != 1) throw context.Error($"weight must be [{ch}, 1, k], got {w.ShapeString}");
        int k = w.Shape[2], st = k - 1;
        Tensor? biasT = context.OptionalInput(2), pastT = context.OptionalInput(3);
        ReadOnlySpan<float> ws = NnFloat.Read(w), xs = NnFloat.Read(x);
        ReadOnlySpan<float> bias = biasT is null ? default : NnFloat.Read(biasT);
        ReadOnlySpan<float> past = pastT is null ? default : NnFloat.Read(pastT);
        if (pastT is not null && (pastT.Rank != 3 || pastT.Shape[0] != batch || pastT.Shape[1] != ch || pastT.Shape[2] != st))
            throw context.Error($"past_state must be [{batch}, {ch}, {st}], got {pastT.ShapeString}");
        Tensor y = context.Output(0, x.DType, x.Shape);
        Span<float> ys = NnFloat.Dest(y, out var scratch);
        bool wantState = context.OutputCount > 1 && context.IsOutputRequested(1);
        var present = new float[batch * ch * st];
        var padded = new float[st + len];
        for (int b = 0; b < batch; b++)
            for (int c = 0; c < ch; c++)
            {
                int row = b * ch + c;
                Array.Clear(padded);
                if (!past.IsEmpty) past.Slice(row * st, st).CopyTo(padded);
                xs.Slice(row * len, len).CopyTo(padded.AsSpan(st));
                ReadOnlySpan<float> wc = ws.Slice(c * k, k);
                float bc = bias.IsEmpty ? 0 : bias[c];
                Span<float> yr = ys.Slice(row * len, len);
                for (int t = 0; t < len; t++)
                {
                    float s = bc;
                    for (int j = 0; j < k; j++) s += wc[j] * padded[t + j];
                    if (_silu) s = s / (1 + MathF.Exp(-s));
                    yr[t] = s;
                }
                padded.AsSpan(len, st).CopyTo(present.AsSpan(row * st, st));
            }
        NnFloat.Commit(y, scratch);
        if (wantState) NnFloat.Write(context.Output(1, pastT?.DType ?? x.DType, [batch, ch, st]), present);
    }
}
