using Onyx.Core.Execution;
using Onyx.Cpu.Nn;
using Onyx.Kernels.Elementwise;
using Onyx.Kernels.Gemm;
using Onyx.Tensors;

namespace Onyx.Cpu.Fused;

/// <summary>
/// Onyx-internal <c>onyx.MatMulBias</c>(A, B, bias), emitted by the FuseMatMulBias pass:
/// Y = act(A·B + bias) with A float32 of rank ≥ 2 (its leading dims fold into the GEMM's M, as
/// MatMul does for a 2-D B), B a [K, N] matrix and bias [N]. The bias and the activation
/// (<see cref="FusedActivationAttributes"/>: Relu, Gelu, FastGelu, Swish, ...) ride in the GEMM's store.
/// A constant B is prepacked once here.
/// </summary>
[OnnxKernel("MatMulBias", Domain = "onyx", Since = 1)]
public sealed unsafe class MatMulBiasKernel : IKernel, IDisposable
{
    private readonly PackedMatrixB? _packedB;
    private readonly Tensor? _constB;
    private readonly GemmEpilogue _act;

    public MatMulBiasKernel(KernelInfo info)
    {
        _act = FusedActivationAttributes.Parse(info, "MatMulBias");
        if (info.ConstantInput(1) is { DType: DType.Float32, Rank: 2 } b && b.Length > 0)
        {
            _constB = b;
            _packedB = new PackedMatrixB((float*)b.Pointer, b.Shape[1], false, b.Shape[0], b.Shape[1]);
        }
    }

    public void Execute(KernelContext context)
    {
        Tensor a = context.Input(0), b = context.Input(1), bias = context.Input(2);
        if (a.DType != DType.Float32 || b.DType != DType.Float32 || bias.DType != DType.Float32)
            throw context.Error($"float32 only, got A {a.DType.OnnxName()}, B {b.DType.OnnxName()}, bias {bias.DType.OnnxName()}");
        if (a.Rank < 2 || b.Rank != 2) throw context.Error($"A must have rank >= 2 and B rank 2, got {a.ShapeString} and {b.ShapeString}");
        int k = a.Shape[^1], n = b.Shape[1];
        if (b.Shape[0] != k) throw context.Error($"inner dimensions differ: A {a.ShapeString}, B {b.ShapeString}");
        if (bias.Length != n) throw context.Error($"bias {bias.ShapeString} must have {n} elements");
        int[] yShape = [.. a.Shape[..^1], n];
        Tensor y = context.Output(0, DType.Float32, yShape);
        if (y.Length == 0) return;
        int m = y.Length / n;
        if (k == 0)
        {
            // No products: every row is act(bias).
            for (int r = 0; r < m; r++) bias.Span<float>().CopyTo(y.Span<float>().Slice(r * n, n));
            Activations.Apply(y.Span<float>(), _act);
            return;
        }
        float* pa = (float*)a.Pointer, pb = (float*)b.Pointer, py = (float*)y.Pointer;
        var pool = ConvShapes.Pool(context);
        var ep = _act with { Bias = (float*)bias.Pointer, BiasKind = BiasKind.PerColumn };
        if (_packedB is not null && ReferenceEquals(b, _constB))
            SGemm.Multiply(false, m, 1f, pa, k, _packedB, 0f, py, n, ep, pool);
        else
            SGemm.Multiply(false, false, m, n, k, 1f, pa, k, pb, n, 0f, py, n, ep, pool);
        GC.KeepAlive(a); GC.KeepAlive(b); GC.KeepAlive(bias); GC.KeepAlive(y);
    }

    public void Dispose() => _packedB?.Dispose();
}
