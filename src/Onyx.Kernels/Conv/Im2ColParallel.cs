using Onyx.Kernels.Threading;

namespace Onyx.Kernels.Conv;

/// <summary>
/// <see cref="Im2Col.GatherPacked"/> across a pool, into one shared buffer: for a GEMM that the threads then
/// split by output channels, so each window is gathered once instead of once per thread (the gather of a
/// 3x3 conv on a 7x7 or 14x14 map is ~8% of its time: duplicated, 2 threads gave ~1.6x instead of ~1.9x).
/// </summary>
internal static unsafe class Im2ColParallel
{
    /// <summary>Gathered floats below which the handoff costs more than the second thread saves (~20 us of copying).</summary>
    internal const long ParallelFloats = 1L << 15;

    /// <summary>
    /// Same result as <see cref="Im2Col.GatherPacked"/>. Threads take whole strips when there are enough of them;
    /// a single strip (a whole small map as one strip of <paramref name="nr"/> lanes) is split by input channels,
    /// whose rows of it are contiguous and do not depend on the channel count.
    /// </summary>
    public static void GatherPacked(in ConvGeometry g, float* x, int channels, int start, int count, float* packed, int nr, IntraOpPool? pool)
    {
        int threads = pool?.DegreeOfParallelism ?? 1;
        int strips = (count + nr - 1) / nr;
        long floats = (long)channels * g.KernelSize * strips * nr;
        bool byStrips = strips >= threads, byChannels = strips == 1 && channels >= threads;
        if (threads < 2 || floats < ParallelFloats || !(byStrips || byChannels))
        {
            Im2Col.GatherPacked(g, x, channels, start, count, packed, nr);
            return;
        }
        var body = new Body
        {
            G = g, X = x, Channels = channels, Start = start, Count = count, Packed = packed, Nr = nr,
            ByStrips = byStrips, Units = byStrips ? strips : channels, Parts = threads,
        };
        pool!.Run(threads, ref body);
    }

    private struct Body : IParallelBody
    {
        public ConvGeometry G;
        public float* X, Packed;
        public int Channels, Start, Count, Nr, Units, Parts;
        public bool ByStrips;

        public void Invoke(int index)
        {
            var (u0, u1) = IntraOpPool.Share(Units, index, Parts);
            if (u0 >= u1) return;
            if (ByStrips)
            {
                nint stripStride = (nint)Channels * G.KernelSize * Nr;
                int first = u0 * Nr, end = Math.Min(Count, u1 * Nr);
                Im2Col.GatherPacked(G, X, Channels, Start + first, end - first, Packed + u0 * stripStride, Nr);
            }
            else
            {
                Im2Col.GatherPacked(G, X + (nint)u0 * G.InSize, u1 - u0, Start, Count, Packed + (nint)u0 * G.KernelSize * Nr, Nr);
            }
        }
    }
}
