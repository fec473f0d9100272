using System.Runtime.InteropServices;
using Onyx.Kernels.Gemm;

namespace Onyx.Kernels.Conv;

/// <summary>
/// A 3x3 filter [M, C, 3, 3] transformed for Winograd F(4x4, 3x3): for each of the 36 points, U_p^T
/// [Cp x M] (C zero-padded to a multiple of 16, the input tiles' channel blocks) packed as the GEMM's
/// vector operand, so the per-point GEMM is products[tiles x M] = V_p[tiles x Cp] * U_p^T. Holds 4x the
/// raw filter's memory (36 points for 9 taps). Immutable once built.
/// </summary>
internal sealed unsafe class WinogradFilter : IDisposable
{
    public int C { get; }
    public int Cp { get; }
    public int M { get; }
    public PackedMatrixB[] Points { get; }

    /// <summary>Transforms <paramref name="w"/>, laid out [M, C, 3, 3].</summary>
    public WinogradFilter(float* w, int m, int c, IsaPath isa)
    {
        C = c;
        M = m;
        Cp = (c + 15) / 16 * 16;
        Points = new PackedMatrixB[WinogradTiles.Points];
        // All 36 [Cp x M] matrices at once (native scratch, freed at once), then one pack per point.
        nint plane = (nint)Cp * m;
        float* all = (float*)NativeMemory.AllocZeroed((nuint)(plane * WinogradTiles.Points), sizeof(float));
        try
        {
            double* u = stackalloc double[WinogradTiles.Points];
            for (int o = 0; o < m; o++)
                for (int i = 0; i < c; i++)
                {
                    WinogradTiles.Filter(w + ((nint)o * c + i) * 9, u);
                    for (int p = 0; p < WinogradTiles.Points; p++) all[p * plane + (nint)i * m + o] = (float)u[p];
                }
            for (int p = 0; p < WinogradTiles.Points; p++) Points[p] = new PackedMatrixB(all + p * plane, m, false, Cp, m, isa);
        }
        finally
        {
            NativeMemory.Free(all);
        }
    }

    public void Dispose()
    {
        foreach (var p in Points) p?.Dispose();
    }
}
