using Onnx;
using Onyx.Tensors;
using Xunit;

namespace Onyx.Tests.Execution;

/// <summary>
/// A session's intra-op pool starts on a .NET pool thread during the load and the first Run takes it:
/// sessions that never run must still stop their workers, and first Runs racing on a fresh session
/// must all get the pool and the same results.
/// </summary>
public sealed class PoolStartTests
{
    private const TensorProto.Types.DataType F = TensorProto.Types.DataType.Float;

    private static byte[] Net() => new ModelBuilder(13).Input("x", F, -1, 4).Output("y", F, -1, 4)
        .Node("Relu", ["x"], ["r"])
        .Node("Mul", ["r", "x"], ["y"]).ToBytes();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void SessionDisposedBeforeAnyRunStopsItsWorkers(int threads)
    {
        for (int i = 0; i < 20; i++)
        {
            var session = new InferenceSession(Net(), new SessionOptions { IntraOpNumThreads = threads });
            session.Dispose();
        }
        // Disposed sessions left no worker spinning or blocked on a job: a later session still runs.
        using var again = new InferenceSession(Net(), new SessionOptions { IntraOpNumThreads = threads });
        float[] x = [1f, -2f, 3f, -4f];
        using var r = again.Run([NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(x, [1, 4]))]);
        Assert.Equal([1f, 0f, 9f, 0f], r[0].AsTensor<float>().ToArray());
    }

    [Fact]
    public void FirstRunsRacingOnAFreshSessionAgree()
    {
        float[] x = Enumerable.Range(0, 4096).Select(i => (i % 13) - 6f).ToArray();
        float[] expected = x.Select(v => Math.Max(0f, v) * v).ToArray();
        for (int round = 0; round < 10; round++)
        {
            using var session = new InferenceSession(Net(), new SessionOptions { IntraOpNumThreads = 2 });
            using var start = new Barrier(4);
            var results = new float[4][];
            var errors = new Exception?[4];
            // Dedicated threads: a barrier over .NET pool work items could wait for the pool to grow.
            var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
            {
                start.SignalAndWait();
                try
                {
                    using var r = session.Run([NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(x, [1024, 4]))]);
                    results[t] = r[0].AsTensor<float>().ToArray();
                }
                catch (Exception e) { errors[t] = e; }
            })).ToArray();
            foreach (var thread in threads) thread.Start();
            foreach (var thread in threads) thread.Join();
            Assert.All(errors, Assert.Null);
            foreach (var result in results) Assert.Equal(expected, result);
        }
    }
}
