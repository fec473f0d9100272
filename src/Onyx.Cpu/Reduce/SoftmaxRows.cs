using Onyx.Kernels.Nn;
using Onyx.Kernels.Threading;

namespace Onyx.Cpu.Reduce;

/// <summary>Softmax over contiguous rows, blocks of rows per pool item (attention scores are [B·H·S, L]).</summary>
internal static unsafe class SoftmaxRows
{
    public static void Run(float* x, float* y, int rows, int n, IntraOpPool? pool)
    {
        var body = new Body(x, y, rows, n, 1);
        // Below ~16K elements a fork-join costs more than it saves.
        if (pool is null || pool.DegreeOfParallelism == 1 || (long)rows * n < 1 << 14 || rows < 2) { body.Invoke(0); return; }
        int items = Math.Min(rows, pool.DegreeOfParallelism * 4);
        body = new Body(x, y, rows, n, items);
        pool.Run(items, ref body);
    }

    private readonly struct Body(float* x, float* y, int rows, int n, int items) : IParallelBody
    {
        public void Invoke(int index)
        {
            int r0 = (int)((long)rows * index / items), r1 = (int)((long)rows * (index + 1) / items);
            for (int r = r0; r < r1; r++) SoftmaxF32.Row(x + (long)r * n, y + (long)r * n, n);
        }
    }
}
