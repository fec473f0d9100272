using System.Buffers;
using Onyx.Kernels;
using Onyx.Kernels.Attention;
using Onyx.Kernels.Gemm;
using Onyx.Kernels.Nn;
using Onyx.Kernels.Threading;
using Onyx.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Onyx.Cpu.Fused;

/// <summary>Where element (batch b, head h, row r, column c) of an attention operand lives: b·Batch + h·Head + r·Row + c.</summary>
internal readonly record struct HeadLayout(long Batch, long Head, int Row)
{
    /// <summary>[B, S, H·D] with heads packed in the last dimension; batch stride 0 when the batch is broadcast.</summary>
    public static HeadLayout Packed(int batch, int rows, int heads, int size) => new(batch == 1 ? 0 : (long)rows * heads * size, size, heads * size);

    /// <summary>[B, H, S, D] with one contiguous matrix per head.</summary>
    public static HeadLayout Split(int batch, int heads, int rows, int size) => new(batch == 1 ? 0 : (long)heads * rows * size, (long)rows * size, size);
}

/// <summary>
/// Y = softmax(scale·Q·Kᵀ + bias)·V for every (batch, head), shared by com.microsoft MultiHeadAttention
/// and the ONNX Attention fast path. One (batch, head) pair per pool item; within it, query rows go in
/// blocks so only a block × L score tile (≤ 32K floats, L2-resident) is ever live, never [B, H, S, L].
/// Key/value head = query head / <see cref="Group"/> (grouped-query attention). On AVX-512 a head runs
/// through <see cref="SmallHeadAttention"/> (no packing); other paths use the packed GEMM.
/// </summary>
internal unsafe struct AttentionCore : IParallelBody
{
    private const int TileFloats = 1 << 15;
    public float* Q, K, V, Y, Mask;
    public HeadLayout Ql, Kl, Vl, Yl;
    public int Heads, Group, S, L, D, Dv;
    public float Scale;
    /// <summary>ONNX Attention: a row whose scores are all −∞ gives zeros instead of NaN.</summary>
    public bool ZeroMaskedRows;
    /// <summary>The kernel path; null = <see cref="KernelIsa.Current"/> (tests force the GEMM path with V256).</summary>
    public IsaPath? Isa;
    public long MaskB, MaskH, MaskS, MaskL;

    /// <summary>Binds a float bias broadcast right-aligned to [batch, Heads, S, L]; false when it does not broadcast.</summary>
    public bool BindMask(Tensor mask, int batch)
    {
        if (mask.DType != DType.Float32 || mask.Rank > 4) return false;
        Span<int> dims = stackalloc int[4];
        for (int i = 0; i < 4; i++) dims[i] = i < 4 - mask.Rank ? 1 : mask.Shape[i - (4 - mask.Rank)];
        ReadOnlySpan<int> want = [batch, Heads, S, L];
        for (int i = 0; i < 4; i++) if (dims[i] != 1 && dims[i] != want[i]) return false;
        long stride = 1;
        Span<long> strides = stackalloc long[4];
        for (int i = 3; i >= 0; i--) { strides[i] = dims[i] == 1 ? 0 : stride; stride *= dims[i]; }
        Mask = (float*)mask.Pointer;
        (MaskB, MaskH, MaskS, MaskL) = (strides[0], strides[1], strides[2], strides[3]);
        return true;
    }

    /// <summary>Runs every (batch, head) pair; the caller keeps the tensors alive.</summary>
    public void Run(int batch, IntraOpPool? pool)
    {
        int items = batch * Heads;
        if (L == 0)
        {
            // Softmax over nothing, sum over nothing: zero outputs.
            for (int i = 0; i < items; i++)
                for (int r = 0; r < S; r++) new Span<float>(Y + i / Heads * Yl.Batch + i % Heads * Yl.Head + (long)r * Yl.Row, Dv).Clear();
            return;
        }
        if (pool is null || pool.DegreeOfParallelism == 1 || items == 1)
            for (int i = 0; i < items; i++) Invoke(i);
        else
            pool.Run(items, ref this);
    }

    public readonly void Invoke(int index)
    {
        int b = index / Heads, h = index % Heads, kvh = h / Group;
        float* q = Q + b * Ql.Batch + h * Ql.Head;
        float* k = K + b * Kl.Batch + kvh * Kl.Head;
        float* v = V + b * Vl.Batch + kvh * Vl.Head;
        float* y = Y + b * Yl.Batch + h * Yl.Head;
        if (SmallHeadAttention.IsSupported(Isa ?? KernelIsa.Current))
        {
            float* mask = Mask == null ? null : Mask + b * MaskB + h * MaskH;
            SmallHeadAttention.Head(q, Ql.Row, k, Kl.Row, v, Vl.Row, y, Yl.Row, S, L, D, Dv, Scale, mask, (nint)MaskS, (nint)MaskL, ZeroMaskedRows);
            return;
        }
        int block = Math.Min(S, Math.Max(16, TileFloats / L));
        float[] scratch = ArrayPool<float>.Shared.Rent(block * L);
        try
        {
            fixed (float* scores = scratch)
                for (int r0 = 0; r0 < S; r0 += block)
                {
                    int rows = Math.Min(block, S - r0);
                    // scores[rows, L] = scale · Q_h[r0..] · K_hᵀ; single-threaded: heads are the parallel unit.
                    if (D == 0) new Span<float>(scores, rows * L).Clear();
                    else SGemm.Multiply(false, true, rows, L, D, Scale, q + (long)r0 * Ql.Row, Ql.Row, k, Kl.Row, 0f, scores, L, default, null);
                    for (int i = 0; i < rows; i++)
                    {
                        float* row = scores + (long)i * L;
                        if (Mask != null) AddBias(row, Mask + b * MaskB + h * MaskH + (r0 + i) * MaskS);
                        if (ZeroMaskedRows && float.IsNegativeInfinity(TensorPrimitives.Max(new ReadOnlySpan<float>(row, L)))) new Span<float>(row, L).Clear();
                        else SoftmaxF32.Row(row, row, L);
                    }
                    // Y_h[r0.., Dv] = P · V_h
                    SGemm.Multiply(false, false, rows, Dv, L, 1f, scores, L, v, Vl.Row, 0f, y + (long)r0 * Yl.Row, Yl.Row, default, null);
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
