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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(Vector512<float> v, float* y, int left)
    {
        v += Bias;
        if (left >= 16)
        {
            if (Accumulate) v += Vector512.Load(y);
            Activate(v).Store(y);
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
