using System.Runtime.CompilerServices;

namespace Onyx.Kernels.Gemv;

/// <summary>
/// The scaling and addend of a few-rows product's store: Y = <see cref="Alpha"/> · A·Bᵀ +
/// <see cref="Beta"/> · C, C read at <c>C[i * CRowStride + j * CColStride]</c> (a stride of 0
/// broadcasts, as ONNX Gemm's unidirectional C does). A null <see cref="C"/> or a zero beta adds nothing.
/// </summary>
public readonly unsafe struct SmallRowsAddend
{
    public float Alpha { get; init; }
    public float Beta { get; init; }
    public float* C { get; init; }
    public nint CRowStride { get; init; }
    public nint CColStride { get; init; }

    /// <summary>Y = A·Bᵀ, nothing added.</summary>
    public static SmallRowsAddend None => new() { Alpha = 1f };

    internal bool AddsC => C != null && Beta != 0f;

    /// <summary>The final value of output (i, j) from its dot product.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal float Apply(float dot, nint i, nint j) =>
        AddsC ? Alpha * dot + Beta * C[i * CRowStride + j * CColStride] : Alpha * dot;

    /// <summary>
    /// Applies the store to an already computed raw product Y[m x n] in place (for
    /// <see cref="SmallRowsGemm"/>, whose store overwrites): a few rows, so a plain pass.
    /// </summary>
    public void ApplyInPlace(int m, int n, float* y, nint ldy)
    {
        if (Alpha == 1f && !AddsC) return;
        for (nint i = 0; i < m; i++)
            for (nint j = 0; j < n; j++) y[i * ldy + j] = Apply(y[i * ldy + j], i, j);
    }
}
