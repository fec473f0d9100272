using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Onyx.Kernels.Gemm;

namespace Onyx.Kernels.Conv;

/// <summary>
/// The depthwise kernels' fused store, broadcast once per plane: y = act(v + bias (+ y)), a lane mask
/// ending rows narrower than a vector.
/// </summary>
internal readonly unsafe struct DepthwiseEpilogue
{
    public readonly Vector512<float> Bias, Lo, Hi, Alpha;
    public readonly bool Leaky, Accumulate;

    public DepthwiseEpilogue(float bias, in GemmEpilogue act, bool accumulate)
    {
        Bias = Vector512.Create(bias);
        Lo = Vector512.Create(act.Lo);
        Hi = Vector512.Create(act.Hi);
        Alpha = Vector512.Create(act.Alpha);
        Leaky = act.Activation == FusedActivation.LeakyRelu;
        Accumulate = accumulate;
    }

    /// <summary>The same with a bias per lane (lanes of two planes sharing one vector).</summary>
    public DepthwiseEpilogue(Vector512<float> bias, in GemmEpilogue act, bool accumulate)
        : this(0f, act, accumulate) => Bias = bias;

    /// <summary>
    /// Stores the lanes of <paramref name="v"/> selected by <paramref name="m0"/> at <paramref name="y0"/> and those
    /// selected by <paramref name="m1"/> at <paramref name="y1"/> (lane i to y0[i] or y1[i]; masked-off lanes are never touched).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(Vector512<float> v, float* y0, float* y1, Vector512<float> m0, Vector512<float> m1)
    {
        v += Bias;
        if (Accumulate) v += Avx512F.MaskLoad(y1, m1, Avx512F.MaskLoad(y0, m0, Vector512<float>.Zero));
        v = Activate(v);
        Avx512F.MaskStore(y0, m0, v);
        Avx512F.MaskStore(y1, m1, v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(Vector512<float> v, float* y, int left)
    {
        v += Bias;
        if (left >= 16)
        {
            if (Accumulate) v += Vector512.LoadUnsafe(ref *y);
            Activate(v).StoreUnsafe(ref *y);
            return;
        }
        var m = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(left)).AsSingle();
        if (Accumulate) v += Avx512F.MaskLoad(y, m, Vector512<float>.Zero);
        Avx512F.MaskStore(y, m, Activate(v));
    }

    // vmaxps/vminps return their second operand when either is NaN: x second lets NaN pass like the scalar Activate.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector512<float> Activate(Vector512<float> v) =>
        Leaky ? Vector512.ConditionalSelect(Vector512.LessThan(v, Vector512<float>.Zero), v * Alpha, v) : Avx512F.Min(Hi, Avx512F.Max(Lo, v));
}
