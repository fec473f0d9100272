using Onyx.Kernels.Threading;
using Xunit;

namespace Onyx.Kernels.Tests.Threading;

public unsafe class ThreadScratchTests
{
    private struct PurposeA { }
    private struct PurposeB { }

    [Fact]
    public void EachPurposeHasItsOwnAlignedBufferThatIsKeptUntilItMustGrow()
    {
        float* a = ThreadScratch<PurposeA>.Floats(100);
        float* b = ThreadScratch<PurposeB>.Floats(100);
        Assert.True(a != b);
        Assert.Equal(0, (long)a % 64);
        Assert.Equal(0, (long)b % 64);
        for (int i = 0; i < 100; i++) { a[i] = i; b[i] = -i; }
        Assert.True(ThreadScratch<PurposeA>.Floats(50) == a); // smaller request: same buffer, contents kept
        Assert.Equal(99f, a[99]);
        Assert.Equal(-99f, b[99]);
        float* grown = ThreadScratch<PurposeA>.Floats(100_000);
        Assert.Equal(0, (long)grown % 64);
        grown[99_999] = 1f;
        Assert.True(ThreadScratch<PurposeB>.Floats(100) == b);
    }

    [Fact]
    public void ThreadsDoNotShareABuffer()
    {
        nint mine = (nint)ThreadScratch<PurposeA>.Floats(64);
        nint theirs = 0;
        var t = new Thread(() => theirs = (nint)ThreadScratch<PurposeA>.Floats(64));
        t.Start();
        t.Join();
        Assert.NotEqual(mine, theirs);
    }
}
