using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using Onyx.Kernels.Elementwise;

namespace Onyx.Kernels.Nn;

/// <summary>
/// Softmax of one contiguous float row: y = exp(x − max) / Σ exp(x − max). Three passes over a row
/// that stays in L1 (max; exp, store and sum in one; scale), instead of the four or five separate
/// whole-row operations; <paramref name="x"/> and <paramref name="y"/> may be the same memory.
/// The vector paths use the float Cephes exp (<see cref="VMath.ExpF(Vector512{float})"/>).
/// </summary>
public static unsafe class SoftmaxF32
{
    /// <summary>Softmax of <paramref name="n"/> floats on the current ISA.</summary>
    public static void Row(float* x, float* y, int n) => Row(x, y, n, KernelIsa.Current);

    /// <summary>Softmax of <paramref name="n"/> floats on a given path (tests force each one).</summary>
    public static void Row(float* x, float* y, int n, IsaPath path)
    {
        if (n <= 0) return;
        float max = TensorPrimitives.Max(new ReadOnlySpan<float>(x, n));
        float sum = 0f;
        int i = 0;
        if (path >= IsaPath.V512 && KernelIsa.IsSupported(IsaPath.V512) && Vector512.IsHardwareAccelerated)
        {
            var m = Vector512.Create(max);
            var acc = Vector512<float>.Zero;
            for (; i <= n - 16; i += 16)
            {
                var e = VMath.ExpF(Vector512.LoadUnsafe(ref *(x + i)) - m);
                e.StoreUnsafe(ref *(y + i));
                acc += e;
            }
            sum = Vector512.Sum(acc);
        }
        else if (path >= IsaPath.V256 && KernelIsa.IsSupported(IsaPath.V256) && Vector256.IsHardwareAccelerated)
        {
            var m = Vector256.Create(max);
            var acc = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8)
            {
                var e = VMath.ExpF(Vector256.LoadUnsafe(ref *(x + i)) - m);
                e.StoreUnsafe(ref *(y + i));
                acc += e;
            }
            sum = Vector256.Sum(acc);
        }
        for (; i < n; i++)
        {
            float e = MathF.Exp(x[i] - max);
            y[i] = e;
            sum += e;
        }
        TensorPrimitives.Multiply(new ReadOnlySpan<float>(y, n), 1f / sum, new Span<float>(y, n));
    }
}
