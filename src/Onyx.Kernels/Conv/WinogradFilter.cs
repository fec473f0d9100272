using System.Runtime.InteropServices;
using Onyx.Kernels.Gemm;

namespace Onyx.Kernels.Conv;

/// <summary>
/// A 3x3 filter [M, C, 3, 3] transformed for Winograd F(4x4, 3x3): for each of the 36 points, U_p^T
/// [Cp x Np] packed as the GEMM's vector operand, so the per-point GEMM is products[tiles x Np] =
/// V_p[tiles x Cp] * U_p^T. C is zero-padded to a multiple of 16 (the input tiles' channel blocks), M to
/// whole GEMM strips (24 -> 32 columns): a partial strip would take the GEMM's scalar edge store, which
/// cost as much as the whole kernel time on a 96 -> 24 layer. Holds 4x the raw filter's memory (36 points
/// for 9 taps). Immutable once built.
/// </summary>
internal sealed unsafe class WinogradFilter : IDisposable
{
    public int C { get; }
    public int Cp { get; }
    public int M { get; }
    /// <summary>M rounded up to whole GEMM strips: the columns (and row stride) of the products.</summary>
    public int Np { get; }
    public PackedMatrixB[] Points { get; }

    /// <summary>Transforms <paramref name="w"/>, laid out [M, C, 3, 3].</summary>
    public WinogradFilter(float* w, int m, int c, IsaPath isa)
    {
        C = c;
        M = m;
        Cp = (c + 15) / 16 * 16;
        int nr = GemmDriver.NrOf(isa);
        Np = (m + nr - 1) / nr * nr;
        Points = new PackedMatrixB[WinogradTiles.Points];
        // All 36 [Cp x M] matrices at once (native scratch, freed at once), then one pack per point.
        nint plane = (nint)Cp * Np;
        float* all = (float*)NativeMemory.AllocZeroed((nuint)(plane * WinogradTiles.Points), sizeof(float));
        try
        {
            double* u = stackalloc double[WinogradTiles.Points];
            for (int o = 0; o < m; o++)
                for (int i = 0; i < c; i++)
                {
                    WinogradTiles.Filter(w + ((nint)o * c + i) * 9, u);
                    for (int p = 0; p < WinogradTiles.Points; p++) all[p * plane + (nint)i * Np + o] = (float)u[p];
                }
            for (int p = 0; p < WinogradTiles.Points; p++) Points[p] = new PackedMatrixB(all + p * plane, Np, false, Cp, Np, isa);
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
