using Onnx;
using Onyx.Tensors;
using Xunit;

namespace Onyx.Tests.Cpu.Reduce;

/// <summary>
/// Softmax, LogSoftmax and Hardmax write every output element: their output comes from the arena
/// unzeroed, so a second Run (whose output reuses the first Run's freed intermediate) must still
/// match a plain reference, along the last axis and along an inner one.
/// </summary>
public sealed class SoftmaxKernelTests
{
    private const TensorProto.Types.DataType F = TensorProto.Types.DataType.Float;

    /// <summary>op along <paramref name="axis"/> of a [3, 2, 5] tensor, by definition.</summary>
    private static float[] Reference(string op, float[] x, int axis)
    {
        int[] shape = [3, 2, 5];
        int a = shape[axis], inner = 1;
        for (int d = axis + 1; d < 3; d++) inner *= shape[d];
        var y = new float[x.Length];
        for (int o = 0; o < x.Length / (a * inner); o++)
            for (int i = 0; i < inner; i++)
            {
                int At(int k) => (o * a + k) * inner + i;
                double max = Enumerable.Range(0, a).Max(k => x[At(k)]);
                double sum = Enumerable.Range(0, a).Sum(k => Math.Exp(x[At(k)] - max));
                int best = Enumerable.Range(0, a).First(k => x[At(k)] == max);
                for (int k = 0; k < a; k++)
                    y[At(k)] = op switch
                    {
                        "Softmax" => (float)(Math.Exp(x[At(k)] - max) / sum),
                        "LogSoftmax" => (float)(x[At(k)] - max - Math.Log(sum)),
                        _ => k == best ? 1f : 0f,
                    };
            }
        return y;
    }

    [Theory]
    [InlineData("Softmax", 2)]
    [InlineData("Softmax", 1)]
    [InlineData("LogSoftmax", 2)]
    [InlineData("LogSoftmax", 0)]
    [InlineData("Hardmax", 2)]
    [InlineData("Hardmax", 1)]
    public void SecondRunOverStaleArenaMemoryMatchesReference(string op, int axis)
    {
        // x*x dies at the Transpose, so the arena holds its buffer (stale squares) when the op's output is allocated.
        byte[] model = new ModelBuilder(13).Input("x", F, 2, 3, 5).Output("y", F, 3, 2, 5)
            .Node("Mul", ["x", "x"], ["sq"])
            .Node("Transpose", ["sq"], ["t"], ModelBuilder.Attr("perm", [1L, 0, 2]))
            .Node(op, ["t"], ["y"], ModelBuilder.Attr("axis", (long)axis)).ToBytes();
        using var session = new InferenceSession(model, new SessionOptions { IntraOpNumThreads = 1 });
        var r = new Random(axis * 7 + op.Length);
        float[] Data() => Enumerable.Range(0, 30).Select(_ => (float)(r.NextDouble() * 4 - 2)).ToArray();
        for (int run = 0; run < 3; run++)
        {
            float[] x = Data();
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(x, [2, 3, 5]))]);
            float[] got = results[0].AsTensor<float>().ToArray();
            var t = new float[30];
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 3; j++)
                    for (int k = 0; k < 5; k++) t[(j * 2 + i) * 5 + k] = x[(i * 3 + j) * 5 + k] * x[(i * 3 + j) * 5 + k];
            float[] want = Reference(op, t, axis);
            for (int i = 0; i < got.Length; i++)
                Assert.True(Math.Abs(want[i] - got[i]) <= 1e-5f, $"run {run} element {i}: expected {want[i]}, got {got[i]}");
        }
    }
}
