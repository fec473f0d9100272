namespace Onyx.Kernels.Gemm;

/// <summary>Portable FP32 GEMM micro-kernel over the same packed layout (4 x 8 tile): the fallback path. B step k is at b + k*ldb.</summary>
internal static unsafe class GemmKernelScalar
{
    public const int MR = 4;
    public const int NR = 8;

    public static void Kernel4x8(int rows, float* a, float* b, nint ldb, float* c, nint ldc, nint kc, float alpha, int flags, float* biasRow, float* biasCol, float lo, float hi, float slope)
    {
        float* acc = stackalloc float[MR * NR];
        for (int i = 0; i < MR * NR; i++) acc[i] = 0f;
        for (nint k = 0; k < kc; k++)
        {
            for (int r = 0; r < rows; r++)
            {
                float av = a[r];
                for (int j = 0; j < NR; j++) acc[r * NR + j] += av * b[j];
            }
            a += MR;
            b += ldb;
        }
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < NR; j++)
                c[r * ldc + j] = GemmDriver.Finish(acc[r * NR + j], c[r * ldc + j], alpha, flags, biasRow, biasCol, r, j, lo, hi, slope);
    }
}
