using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.MathOps;

/// <summary>
/// ONNX <c>Det</c>: determinants of the trailing [M, M] matrices of X (shape [*, M, M] → [*]),
/// by LU decomposition with partial pivoting in double.
/// </summary>
[OnnxKernel("Det", Since = 11)]
internal sealed class DetKernel : IKernel
{
    public DetKernel(KernelInfo info) { }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        if (x.Rank < 2 || x.Shape[^1] != x.Shape[^2])
            throw context.Error($"X must have shape [*, M, M], got {x.ShapeString}");
        if (x.DType is not (DType.Float32 or DType.Float64 or DType.Float16 or DType.BFloat16))
            throw context.Error($"type {x.DType.OnnxName()} is not supported (float types only)");
        int m = x.Shape[^1];
        Tensor y = context.Output(0, x.DType, x.Shape[..^2]);
        double[] all = x.ToDoubleArray();
        var a = new double[m * m];
        for (int b = 0; b < y.Length; b++)
        {
            Array.Copy(all, b * m * m, a, 0, m * m);
            double det = Determinant(a, m);
            switch (x.DType)
            {
                case DType.Float32: y.Span<float>()[b] = (float)det; break;
                case DType.Float64: y.Span<double>()[b] = det; break;
                case DType.Float16: y.Span<Half>()[b] = (Half)det; break;
                default: y.Span<BFloat16>()[b] = BFloat16.FromFloat((float)det); break;
            }
        }
    }

    /// <summary>det(a) for a row-major m×m matrix; destroys <paramref name="a"/>.</summary>
    private static double Determinant(double[] a, int m)
    {
        double det = 1;
        for (int c = 0; c < m; c++)
        {
            int p = c;
            for (int r = c + 1; r < m; r++)
                if (System.Math.Abs(a[r * m + c]) > System.Math.Abs(a[p * m + c])) p = r;
            if (a[p * m + c] == 0) return 0;
            if (p != c)
            {
                for (int k = 0; k < m; k++) (a[c * m + k], a[p * m + k]) = (a[p * m + k], a[c * m + k]);
                det = -det;
            }
            double pivot = a[c * m + c];
            det *= pivot;
            for (int r = c + 1; r < m; r++)
            {
                double f = a[r * m + c] / pivot;
                if (f == 0) continue;
                for (int k = c + 1; k < m; k++) a[r * m + k] -= f * a[c * m + k];
            }
        }
        return det;
    }
}
