using System.Buffers;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Onyx.Core.Execution;
using Onyx.Cpu.Nn;
using Onyx.Kernels.Gemm;
using Onyx.Kernels.Nn;
using Onyx.Kernels.Threading;
using Onyx.Tensors;

namespace Onyx.Cpu.Fused;

/// <summary>
/// ONNX Runtime's <c>com.microsoft MultiHeadAttention</c>, the subset the FuseAttention pass emits:
/// query [B, S, H·D], key [B|1, L, H·D], value [B|1, L, H·Dv] with heads packed in the last dimension,
/// optional attention_bias (input 5, float, broadcast right-aligned to [B, H, S, L]; ranks 0-4
/// are accepted, a superset of ORT's 4-D), attributes num_heads and scale (default 1/√D).
/// Y[B, S, H·Dv] = softmax(scale·Q·Kᵀ + bias)·V per head. Heads run in parallel on the session
/// pool; each head walks query rows in blocks so only a block × L score tile is ever live
/// (at most 32K floats, L2-resident), never the [B, H, S, L] tensor the unfused graph writes.
/// Packed QKV, key padding masks, past/present and unidirectional are not supported.
/// </summary>
[OnnxKernel("MultiHeadAttention", Domain = "com.microsoft", Since = 1)]
public sealed unsafe class MultiHeadAttentionKernel : IKernel
{
    /// <summary>Score tile budget in floats (128 KB, within L2): fewer blocks repack K and V fewer times.</summary>
    private const int TileFloats = 1 << 15;
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
        if (l == 0) { y.Span<float>().Clear(); return; } // softmax over nothing, sum over nothing

        var job = new Job
        {
            Q = (float*)q.Pointer, K = (float*)k.Pointer, V = (float*)v.Pointer, Y = (float*)y.Pointer,
            Heads = h, S = s, L = l, D = d, Dv = dv, Scale = _scale ?? 1f / MathF.Sqrt(d),
            KBatch = k.Shape[0] == 1 ? 0 : 1, VBatch = v.Shape[0] == 1 ? 0 : 1,
        };
        if (mask is not null) BindMask(context, mask, ref job, batch);
        var pool = ConvShapes.Pool(context);
        int items = batch * h;
        if (pool is null || pool.DegreeOfParallelism == 1 || items == 1)
            for (int i = 0; i < items; i++) job.Invoke(i);
        else
            pool.Run(items, ref job);
        GC.KeepAlive(q); GC.KeepAlive(k); GC.KeepAlive(v); GC.KeepAlive(y); GC.KeepAlive(mask);
    }

    /// <summary>Strides of the bias broadcast to [B, H, S, L] (0 along broadcast dims).</summary>
    private void BindMask(KernelContext context, Tensor mask, ref Job job, int batch)
    {
        if (mask.DType != DType.Float32 || mask.Rank > 4) throw context.Error($"attention_bias must be float32 of rank 0-4, got {mask.DType.OnnxName()} {mask.ShapeString}");
        Span<int> dims = stackalloc int[4];
        for (int i = 0; i < 4; i++) dims[i] = i < 4 - mask.Rank ? 1 : mask.Shape[i - (4 - mask.Rank)];
        ReadOnlySpan<int> want = [batch, job.Heads, job.S, job.L];
        for (int i = 0; i < 4; i++)
            if (dims[i] != 1 && dims[i] != want[i]) throw context.Error($"attention_bias {mask.ShapeString} does not broadcast to [{batch},{job.Heads},{job.S},{job.L}]");
        long stride = 1;
        Span<long> strides = stackalloc long[4];
        for (int i = 3; i >= 0; i--) { strides[i] = dims[i] == 1 ? 0 : stride; stride *= dims[i]; }
        job.Mask = (float*)mask.Pointer;
        job.MaskB = strides[0]; job.MaskH = strides[1]; job.MaskS = strides[2]; job.MaskL = strides[3];
    }

    /// <summary>One (batch, head) pair per item: scores, softmax and P·V for blocks of query rows.</summary>
    private struct Job : IParallelBody
    {
        public float* Q, K, V, Y, Mask;
        public int Heads, S, L, D, Dv, KBatch, VBatch;
        public float Scale;
        public long MaskB, MaskH, MaskS, MaskL;

        public readonly void Invoke(int index)
        {
            int b = index / Heads, h = index % Heads;
            int hd = Heads * D, hdv = Heads * Dv;
            float* q = Q + (long)b * S * hd + h * D;
            float* k = K + (long)b * KBatch * L * hd + h * D;
            float* v = V + (long)b * VBatch * L * hdv + h * Dv;
            float* y = Y + (long)b * S * hdv + h * Dv;
            int block = Math.Min(S, Math.Max(16, TileFloats / Math.Max(L, 1)));
            float[] scratch = ArrayPool<float>.Shared.Rent(block * L);
            try
            {
                fixed (float* scores = scratch)
                    for (int r0 = 0; r0 < S; r0 += block)
                    {
                        int rows = Math.Min(block, S - r0);
                        // scores[rows, L] = scale · Q_h[r0.., D] · K_hᵀ; single-threaded: heads are the parallel unit.
                        if (D == 0) new Span<float>(scores, rows * L).Clear();
                        else SGemm.Multiply(false, true, rows, L, D, Scale, q + (long)r0 * hd, hd, k, hd, 0f, scores, L, default, null);
                        for (int i = 0; i < rows; i++)
                        {
                            float* row = scores + (long)i * L;
                            if (Mask != null) AddBias(row, Mask + b * MaskB + h * MaskH + (r0 + i) * MaskS);
                            SoftmaxF32.Row(row, row, L);
                        }
                        // Y_h[r0.., Dv] = P · V_h
                        SGemm.Multiply(false, false, rows, Dv, L, 1f, scores, L, v, hdv, 0f, y + (long)r0 * hdv, hdv, default, null);
                    }
            }
            finally { ArrayPool<float>.Shared.Return(scratch); }
        }

        private readonly void AddBias(float* row, float* bias)
        {
            if (MaskL == 0) TensorPrimitives.Add(new ReadOnlySpan<float>(row, L), bias[0], new Span<float>(row, L));
            else TensorPrimitives.Add(new ReadOnlySpan<float>(row, L), new ReadOnlySpan<float>(bias, L), new Span<float>(row, L));
        }
    }
}
