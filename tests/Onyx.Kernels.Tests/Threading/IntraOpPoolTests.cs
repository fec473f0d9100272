using Onyx.Kernels.Threading;
using Xunit;

namespace Onyx.Kernels.Tests.Threading;

public class IntraOpPoolTests
{
    private struct CountBody : IParallelBody
    {
        public int[] Hits;
        public void Invoke(int index) => Interlocked.Increment(ref Hits[index]);
    }

    private struct ThrowBody : IParallelBody
    {
        public void Invoke(int index)
        {
            if (index == 3) throw new InvalidOperationException("boom");
        }
    }

    [Fact]
    public void EveryIndexRunsExactlyOnce()
    {
        using var pool = new IntraOpPool(3);
        for (int round = 0; round < 2000; round++)
        {
            int count = round % 17 + 1;
            var body = new CountBody { Hits = new int[count] };
            pool.Run(count, ref body);
            Assert.All(body.Hits, h => Assert.Equal(1, h));
        }
    }

    [Fact]
    public void WorkersWakeAfterBlocking()
    {
        using var pool = new IntraOpPool(2, allowSpinning: false);
        for (int round = 0; round < 50; round++)
        {
            var body = new CountBody { Hits = new int[8] };
            pool.Run(8, ref body);
            Assert.All(body.Hits, h => Assert.Equal(1, h));
            if (round % 10 == 0) Thread.Sleep(5);
        }
    }

    [Fact]
    public void ConcurrentCallersBothComplete()
    {
        using var pool = new IntraOpPool(2);
        Parallel.For(0, 4, _ =>
        {
            for (int round = 0; round < 300; round++)
            {
                var body = new CountBody { Hits = new int[5] };
                pool.Run(5, ref body);
                Assert.All(body.Hits, h => Assert.Equal(1, h));
            }
        });
    }

    [Fact]
    public void ExceptionsReachTheCaller()
    {
        using var pool = new IntraOpPool(2);
        var body = new ThrowBody();
        Assert.Throws<AggregateException>(() => pool.Run(8, ref body));
        var ok = new CountBody { Hits = new int[4] };
        pool.Run(4, ref ok);
        Assert.All(ok.Hits, h => Assert.Equal(1, h));
    }
}
