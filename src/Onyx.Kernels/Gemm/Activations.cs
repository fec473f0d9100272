using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Onyx.Kernels.Elementwise;

namespace Onyx.Kernels.Gemm;

/// <summary>
/// Applies a <see cref="GemmEpilogue"/>'s activation. Relu, Clip and LeakyRelu live in the micro-kernels'
/// registers; the <see cref="GemmEpilogue.HasPost"/> kinds (HardSigmoid, HardSwish, Sigmoid, Swish, Tanh,
/// Gelu, FastGelu, with an optional affine after) are applied here by every store path while its output is
/// still in cache: <see cref="ApplyTile"/> by the GEMM driver per finished NC block and by depthwise conv per
/// finished plane, <see cref="Post(Vector512{float}, in GemmEpilogue)"/> by stores that hold a vector in hand
/// (the small-map transpose). A new store path must do one of these. The math is the elementwise operators'
/// (the same as the standalone ops).
/// </summary>
public static unsafe class Activations
{
    /// <summary>x = act(x) over a contiguous span (any activation).</summary>
    public static void Apply(Span<float> x, in GemmEpilogue act)
    {
        switch (act.Activation)
        {
            case FusedActivation.Relu: TensorPrimitives.Max(x, 0f, x); break;
            case FusedActivation.Clip: TensorPrimitives.Max(x, act.Min, x); TensorPrimitives.Min(x, act.Max, x); break;
            case FusedActivation.LeakyRelu:
                for (int i = 0; i < x.Length; i++) if (x[i] < 0f) x[i] *= act.Alpha;
                break;
            default:
                if (act.HasPost)
                    fixed (float* p = x) ApplyTile(p, x.Length, 1, x.Length, act, KernelIsa.Current);
                break;
        }
    }

    /// <summary>
    /// c[r * ldc + j] = post(c[r * ldc + j]) for r &lt; rows, j &lt; cols, when <paramref name="act"/> has a post
    /// activation (otherwise nothing). <paramref name="isa"/> picks the widest vector used (tests force each).
    /// </summary>
    public static void ApplyTile(float* c, nint ldc, int rows, int cols, in GemmEpilogue act, IsaPath isa)
    {
        switch (act.Activation)
        {
            case FusedActivation.HardSigmoid: Tile(c, ldc, rows, cols, new HardSigmoidOperator<float>(act.Alpha, act.Beta), act, isa); break;
            case FusedActivation.HardSwish: Tile(c, ldc, rows, cols, new HardSwishOperator<float>(), act, isa); break;
            case FusedActivation.Sigmoid: Tile(c, ldc, rows, cols, new SigmoidOperator<float>(), act, isa); break;
            case FusedActivation.Swish: Tile(c, ldc, rows, cols, new SwishOperator<float>(act.Alpha), act, isa); break;
            case FusedActivation.Tanh: Tile(c, ldc, rows, cols, new TanhOperator(), act, isa); break;
            case FusedActivation.Gelu: Tile(c, ldc, rows, cols, new GeluFastOperator(false), act, isa); break;
            case FusedActivation.FastGelu: Tile(c, ldc, rows, cols, new GeluFastOperator(true), act, isa); break;
        }
    }

    /// <summary>The post activation (and affine) of one vector, for stores that hold the vector in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Post(Vector512<float> v, in GemmEpilogue act)
    {
        v = act.Activation switch
        {
            FusedActivation.HardSigmoid => new HardSigmoidOperator<float>(act.Alpha, act.Beta).Invoke(v),
            FusedActivation.HardSwish => new HardSwishOperator<float>().Invoke(v),
            FusedActivation.Sigmoid => new SigmoidOperator<float>().Invoke(v),
            FusedActivation.Swish => new SwishOperator<float>(act.Alpha).Invoke(v),
            FusedActivation.Tanh => new TanhOperator().Invoke(v),
            FusedActivation.Gelu => new GeluFastOperator(false).Invoke(v),
            FusedActivation.FastGelu => new GeluFastOperator(true).Invoke(v),
            _ => v,
        };
        return act.HasPost && act.HasAffine ? Vector512.FusedMultiplyAdd(v, Vector512.Create(act.Scale), Vector512.Create(act.Shift)) : v;
    }

    /// <summary>The post activation (and affine) of one Vector256.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Post(Vector256<float> v, in GemmEpilogue act)
    {
        v = act.Activation switch
        {
            FusedActivation.HardSigmoid => new HardSigmoidOperator<float>(act.Alpha, act.Beta).Invoke(v),
            FusedActivation.HardSwish => new HardSwishOperator<float>().Invoke(v),
            FusedActivation.Sigmoid => new SigmoidOperator<float>().Invoke(v),
            FusedActivation.Swish => new SwishOperator<float>(act.Alpha).Invoke(v),
            FusedActivation.Tanh => new TanhOperator().Invoke(v),
            FusedActivation.Gelu => new GeluFastOperator(false).Invoke(v),
            FusedActivation.FastGelu => new GeluFastOperator(true).Invoke(v),
            _ => v,
        };
        return act.HasPost && act.HasAffine ? Vector256.FusedMultiplyAdd(v, Vector256.Create(act.Scale), Vector256.Create(act.Shift)) : v;
    }

    /// <summary>The post activation of one value, without the affine (the scalar oracle; <see cref="GemmEpilogue.Activate"/> adds it).</summary>
    internal static float Scalar(float x, in GemmEpilogue act) => act.Activation switch
    {
        FusedActivation.HardSigmoid => new HardSigmoidOperator<float>(act.Alpha, act.Beta).Invoke(x),
        FusedActivation.HardSwish => new HardSwishOperator<float>().Invoke(x),
        FusedActivation.Sigmoid => new SigmoidOperator<float>().Invoke(x),
        FusedActivation.Swish => new SwishOperator<float>(act.Alpha).Invoke(x),
        FusedActivation.Tanh => new TanhOperator().Invoke(x),
        FusedActivation.Gelu => new GeluFastOperator(false).Invoke(x),
        FusedActivation.FastGelu => new GeluFastOperator(true).Invoke(x),
        _ => x,
    };

    // One copy per operator: the row loop inlines the operator's vector code (no call per vector). No
    // AggressiveOptimization: it skips tier 1, where the operators' static readonly constants fold (measured
    // 1.6x slower for Gelu).
    private static void Tile<TOp>(float* c, nint ldc, int rows, int cols, TOp op, in GemmEpilogue act, IsaPath isa)
        where TOp : struct, IUnaryOperator<float>
    {
        bool affine = act.HasAffine;
        float scale = affine ? act.Scale : 1f, shift = affine ? act.Shift : 0f;
        if (isa >= IsaPath.V512 && Avx512F.IsSupported)
        {
            Vector512<float> vs = Vector512.Create(scale), vt = Vector512.Create(shift);
            // The row tail loads and stores under a lane mask; masked-off lanes read 0, which every operator maps to a finite value.
            var tail = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(cols & 15)).AsSingle();
            for (int r = 0; r < rows; r++)
            {
                float* p = c + r * ldc;
                int j = 0;
                for (; j <= cols - 16; j += 16)
                {
                    var v = op.Invoke(Vector512.LoadUnsafe(ref *(p + j)));
                    if (affine) v = Vector512.FusedMultiplyAdd(v, vs, vt);
                    v.StoreUnsafe(ref *(p + j));
                }
                if (j < cols)
                {
                    var v = op.Invoke(Avx512F.MaskLoad(p + j, tail, Vector512<float>.Zero));
                    if (affine) v = Vector512.FusedMultiplyAdd(v, vs, vt);
                    Avx512F.MaskStore(p + j, tail, v);
                }
            }
            return;
        }
        bool v256 = isa >= IsaPath.V256 && Vector256.IsHardwareAccelerated;
        Vector256<float> ws = Vector256.Create(scale), wt = Vector256.Create(shift);
        for (int r = 0; r < rows; r++)
        {
            float* p = c + r * ldc;
            int j = 0;
            if (v256)
                for (; j <= cols - 8; j += 8)
                {
                    var v = op.Invoke(Vector256.LoadUnsafe(ref *(p + j)));
                    if (affine) v = Vector256.FusedMultiplyAdd(v, ws, wt);
                    v.StoreUnsafe(ref *(p + j));
                }
            for (; j < cols; j++)
            {
                float v = op.Invoke(p[j]);
                p[j] = affine ? v * scale + shift : v;
            }
        }
    }
}
