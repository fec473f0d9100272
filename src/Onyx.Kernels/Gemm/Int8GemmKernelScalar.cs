namespace Onyx.Kernels.Gemm;

/// <summary>Portable int16-pair GEMM micro-kernel (4 x 8): the reference the vector kernels are tested against.</summary>
internal static unsafe class Int8GemmKernelScalar
{
    public const int MR = 4;
    public const int NR = 8;

    /// <summary>C[rows x 8] (+)= A-panel * B-strip over <paramref name="kp"/> k pairs, same layouts as the vector kernels.</summary>
    public static void Kernel(int rows, short* a, short* b, int* c, nint ldc, nint kp, bool accumulate)
    {
        int* acc = stackalloc int[MR * NR];
        for (int i = 0; i < MR * NR; i++) acc[i] = 0;
        for (nint k = 0; k < kp; k++)
        {
            for (int r = 0; r < rows; r++)
            {
                int a0 = a[2 * r], a1 = a[2 * r + 1];
                for (int j = 0; j < NR; j++) acc[r * NR + j] += a0 * b[2 * j] + a1 * b[2 * j + 1];
            }
            a += 2 * MR;
            b += 2 * NR;
        }
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < NR; j++)
                c[r * ldc + j] = accumulate ? c[r * ldc + j] + acc[r * NR + j] : acc[r * NR + j];
    }
}
