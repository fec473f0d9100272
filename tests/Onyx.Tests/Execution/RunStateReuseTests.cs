using Onnx;
using Onyx.Tensors;
using Xunit;
using static Onyx.Tests.ModelBuilder;

namespace Onyx.Tests.Execution;

/// <summary>
/// The plan keeps one Run's frame and kernel contexts for the next Run: results must not depend on
/// what ran before, on a failed Run in between, or on other threads running the same session.
/// </summary>
public sealed class RunStateReuseTests
{
    private const TensorProto.Types.DataType F = TensorProto.Types.DataType.Float;

    private static byte[] Net() => new ModelBuilder(13).Input("x", F, -1, 4).Input("b", F, -1).Output("y", F, -1, 4)
        .Node("Add", ["x", "b"], ["s"])
        .Node("Relu", ["s"], ["r"])
        .Node("Mul", ["r", "x"], ["y"]).ToBytes();

    private static float[] Expected(float[] x, float[] b) =>
        x.Select((v, i) => Math.Max(0f, v + b[i % 4]) * v).ToArray();

    private static float[] RunOnce(InferenceSession session, float[] x, float[] b)
    {
        var feeds = new[]
        {
            NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(x, [x.Length / 4, 4])),
            NamedOnnxValue.CreateFromTensor("b", new DenseTensor<float>(b, [b.Length])),
        };
        using var r = session.Run(feeds);
        return r[0].AsTensor<float>().ToArray();
    }

    [Fact]
    public void ConsecutiveRunsWithDifferentShapesAreIndependent()
    {
        using var session = new InferenceSession(Net(), new SessionOptions { IntraOpNumThreads = 1 });
        float[] b = [0.5f, -1f, 2f, -3f];
        for (int rows = 1; rows <= 6; rows++)
        {
            float[] x = Enumerable.Range(0, rows * 4).Select(i => (i % 7) - 3f + rows).ToArray();
            Assert.Equal(Expected(x, b), RunOnce(session, x, b));
        }
    }

    [Fact]
    public void FailedRunDoesNotPoisonTheNext()
    {
        using var session = new InferenceSession(Net(), new SessionOptions { IntraOpNumThreads = 1 });
        float[] b = [1f, 2f, 3f, 4f];
        float[] x = [1f, -2f, 3f, -4f, 5f, -6f, 7f, -8f];
        Assert.Equal(Expected(x, b), RunOnce(session, x, b));
        // b of 3 elements cannot broadcast against [2,4]: the Add fails mid-plan.
        Assert.ThrowsAny<OnnxRuntimeException>(() => RunOnce(session, x, [1f, 2f, 3f]));
        Assert.Equal(Expected(x, b), RunOnce(session, x, b));
    }

    [Fact]
    public void ConcurrentRunsOnOneSessionAgree()
    {
        using var session = new InferenceSession(Net(), new SessionOptions { IntraOpNumThreads = 1 });
        float[] b = [0.25f, -0.5f, 1f, -2f];
        var failures = 0;
        Parallel.For(0, 8, t =>
        {
            for (int i = 0; i < 200; i++)
            {
                int rows = 1 + (t + i) % 5;
                float[] x = Enumerable.Range(0, rows * 4).Select(k => (k * 3 + t - i) % 11 - 5f).ToArray();
                if (!Expected(x, b).SequenceEqual(RunOnce(session, x, b))) Interlocked.Increment(ref failures);
            }
        });
        Assert.Equal(0, failures);
    }
}
