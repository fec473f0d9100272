namespace Onyx.Kernels.Gemm;

/// <summary>A row count known at JIT time, so one micro-kernel source yields every M-tail variant.</summary>
internal interface IRowCount { static abstract int Count { get; } }

#pragma warning disable CS1591
internal struct R1 : IRowCount { public static int Count => 1; }
internal struct R2 : IRowCount { public static int Count => 2; }
internal struct R3 : IRowCount { public static int Count => 3; }
internal struct R4 : IRowCount { public static int Count => 4; }
internal struct R5 : IRowCount { public static int Count => 5; }
internal struct R6 : IRowCount { public static int Count => 6; }
internal struct R7 : IRowCount { public static int Count => 7; }
internal struct R8 : IRowCount { public static int Count => 8; }
internal struct R9 : IRowCount { public static int Count => 9; }
internal struct R10 : IRowCount { public static int Count => 10; }
internal struct R11 : IRowCount { public static int Count => 11; }
internal struct R12 : IRowCount { public static int Count => 12; }
#pragma warning restore CS1591

/// <summary>What a micro-kernel does when it stores its tile.</summary>
internal static class GemmFlags
{
    /// <summary>C = alpha*acc + C (otherwise C = alpha*acc).</summary>
    public const int Accumulate = 1;
    /// <summary>Add biasRow[r] to row r (conv: one bias per output channel).</summary>
    public const int BiasRow = 2;
    /// <summary>Add biasCol[j] to column j (MatMul/Gemm: one bias per output feature).</summary>
    public const int BiasCol = 4;
    /// <summary>Clamp to [lo, hi] (Relu, Clip).</summary>
    public const int Clamp = 8;
    /// <summary>x &lt; 0 ? x * slope : x (LeakyRelu).</summary>
    public const int Leaky = 16;
    /// <summary>
    /// A <see cref="GemmEpilogue.HasPost"/> activation: the micro-kernels ignore it and the driver applies
    /// <see cref="Activations.ApplyTile"/> to each finished NC block while it is still in L2.
    /// </summary>
    public const int Post = 32;
}

/// <summary>Activations the GEMM and conv kernels fuse into their last store.</summary>
public enum FusedActivation
{
    /// <summary>Identity.</summary>
    None,
    /// <summary>max(x, 0).</summary>
    Relu,
    /// <summary>min(max(x, Min), Max).</summary>
    Clip,
    /// <summary>x &lt; 0 ? Alpha * x : x.</summary>
    LeakyRelu,
    /// <summary>max(0, min(1, Alpha * x + Beta)). This and the kinds below are applied after the tile store.</summary>
    HardSigmoid,
    /// <summary>x * max(0, min(1, x / 6 + 1/2)).</summary>
    HardSwish,
    /// <summary>1 / (1 + e^-x).</summary>
    Sigmoid,
    /// <summary>x * sigmoid(Alpha * x) (SiLU when Alpha is 1).</summary>
    Swish,
    /// <summary>tanh(x).</summary>
    Tanh,
    /// <summary>0.5 * x * (1 + erf(x / sqrt 2)).</summary>
    Gelu,
    /// <summary>0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))).</summary>
    FastGelu,
}

/// <summary>Which dimension a fused bias runs along.</summary>
public enum BiasKind
{
    /// <summary>No bias.</summary>
    None,
    /// <summary>One value per row of C (length M).</summary>
    PerRow,
    /// <summary>One value per column of C (length N).</summary>
    PerColumn,
}

/// <summary>
/// Work fused into the GEMM's final store: C = act(alpha*op(A)*op(B) + beta*C + bias).
/// The bias pointer is borrowed for the duration of the call.
/// </summary>
public readonly unsafe struct GemmEpilogue
{
    /// <summary>Bias values (length M or N by <see cref="BiasKind"/>); null for none.</summary>
    public float* Bias { get; init; }
    /// <summary>Which dimension the bias runs along.</summary>
    public BiasKind BiasKind { get; init; }
    /// <summary>Activation applied last.</summary>
    public FusedActivation Activation { get; init; }
    /// <summary>Clip lower bound.</summary>
    public float Min { get; init; }
    /// <summary>Clip upper bound.</summary>
    public float Max { get; init; }
    /// <summary>LeakyRelu slope, HardSigmoid alpha, Swish alpha.</summary>
    public float Alpha { get; init; }
    /// <summary>HardSigmoid beta.</summary>
    public float Beta { get; init; }
    /// <summary>
    /// y = act(x) * Scale + Shift after a <see cref="HasPost"/> activation (PP-LCNet's learnable affine after
    /// HardSwish); ignored when <see cref="HasAffine"/> is false.
    /// </summary>
    public float Scale { get; init; }
    /// <summary>See <see cref="Scale"/>.</summary>
    public float Shift { get; init; }
    /// <summary>Whether <see cref="Scale"/> and <see cref="Shift"/> apply (only with a post activation).</summary>
    public bool HasAffine { get; init; }

    /// <summary>
    /// True for the activations the micro-kernels do not compute in registers (HardSigmoid and below):
    /// every store path applies them with <see cref="Activations"/> while the output is in cache (GEMM: per NC block; depthwise: per plane).
    /// </summary>
    public bool HasPost => Activation >= FusedActivation.HardSigmoid;

    /// <summary>No bias, no activation.</summary>
    public static GemmEpilogue None => default;

    /// <summary>
    /// This epilogue less its post activation (bias and Relu/Clip/LeakyRelu kept): for store paths whose
    /// kernels compute only the register activations and run <see cref="Activations"/> over what they wrote.
    /// </summary>
    public GemmEpilogue WithoutPost => HasPost ? this with { Activation = FusedActivation.None, HasAffine = false } : this;

    internal int Flags
    {
        get
        {
            int f = 0;
            if (Bias != null && BiasKind == BiasKind.PerRow) f |= GemmFlags.BiasRow;
            if (Bias != null && BiasKind == BiasKind.PerColumn) f |= GemmFlags.BiasCol;
            if (Activation is FusedActivation.Relu or FusedActivation.Clip) f |= GemmFlags.Clamp;
            if (Activation == FusedActivation.LeakyRelu) f |= GemmFlags.Leaky;
            if (HasPost) f |= GemmFlags.Post;
            return f;
        }
    }

    internal float Lo => Activation switch { FusedActivation.Relu => 0f, FusedActivation.Clip => Min, _ => float.NegativeInfinity };
    internal float Hi => Activation switch { FusedActivation.Clip => Max, _ => float.PositiveInfinity };

    /// <summary>Applies the activation to one value (the scalar oracle of the fused store).</summary>
    public float Activate(float x)
    {
        float y = Activation switch
        {
            FusedActivation.Relu => x < 0f ? 0f : x,
            FusedActivation.Clip => x < Min ? Min : (x > Max ? Max : x),
            FusedActivation.LeakyRelu => x < 0f ? x * Alpha : x,
            _ when HasPost => Activations.Scalar(x, this),
            _ => x,
        };
        return HasPost && HasAffine ? y * Scale + Shift : y;
    }
}
