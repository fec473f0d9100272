using System.Runtime.InteropServices;

namespace Onyx.Kernels.Threading;

/// <summary>
/// Per-thread scratch memory for one purpose: <typeparamref name="TPurpose"/> is an empty tag struct, so
/// every purpose has its own [ThreadStatic] buffer and two purposes (im2col columns and the GEMM's packing
/// buffer, say) can be live at once on one thread. The buffer is 64-byte aligned, grows on demand and is
/// kept for the thread's life: nothing is allocated per call in steady state. Never freed (one buffer per
/// purpose per thread, like the thread's stack).
/// </summary>
internal static unsafe class ThreadScratch<TPurpose> where TPurpose : struct
{
    [ThreadStatic] private static float* t_buf;
    [ThreadStatic] private static nint t_len;

    /// <summary>At least <paramref name="count"/> floats, 64-byte aligned, contents undefined; valid until the next call on this thread for this purpose.</summary>
    public static float* Floats(nint count)
    {
        if (t_len < count) Grow(count);
        return t_buf;
    }

    private static void Grow(nint count)
    {
        if (t_buf != null) NativeMemory.AlignedFree(t_buf);
        t_buf = null;
        t_len = 0;
        t_buf = (float*)NativeMemory.AlignedAlloc((nuint)Math.Max(count, 16) * sizeof(float), 64);
        t_len = count;
    }
}
