using Onnx;
using Onyx.Tensors;
using Xunit;

namespace Onyx.Tests.Cpu;

/// <summary>
/// Elementwise ops past the parallel threshold (2^18 output elements) split across the intra-op pool
/// by element chunks (same-shape, scalar operand) or by rows (broadcast); with in-place outputs the
/// chunks write into a dying input. Compared with a per-element evaluation.
/// </summary>
public sealed class ElementwiseParallelTests
{
    private const TensorProto.Types.DataType F = TensorProto.Types.DataType.Float;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void LargeBroadcastChainsMatchPerElementEvaluation(int threads)
    {
        const int c = 16, hw = 129 * 130; // 268,320 elements: just past the threshold, not a multiple of 64
        var model = new ModelBuilder(14).Input("x", F, 1, c, hw).Input("s", F, 1).Input("bias", F, 1, c, 1).Input("row", F, hw)
            .Output("y", F, 1, c, hw)
            .Node("Mul", ["x", "s"], ["m"])       // scalar operand: element chunks
            .Node("Add", ["m", "bias"], ["a"])    // per-channel: rows, in place over m
            .Node("Relu", ["a"], ["r"])           // unary, in place over a
            .Node("Sub", ["r", "row"], ["y"]).ToBytes(); // trailing-row broadcast
        var rng = new Random(5);
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        float[] x = R(c * hw), s = [1.5f], bias = R(c), row = R(hw);
        using var session = new InferenceSession(model, new SessionOptions { IntraOpNumThreads = threads, GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL });
        for (int run = 0; run < 2; run++)
        {
            using var r = session.Run([
                NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(x, [1, c, hw])),
                NamedOnnxValue.CreateFromTensor("s", new DenseTensor<float>(s, [1])),
                NamedOnnxValue.CreateFromTensor("bias", new DenseTensor<float>(bias, [1, c, 1])),
                NamedOnnxValue.CreateFromTensor("row", new DenseTensor<float>(row, [hw])),
            ]);
            var y = r[0].AsTensor<float>().ToArray();
            for (int i = 0; i < y.Length; i++)
            {
                float expected = Math.Max(0f, x[i] * s[0] + bias[i / hw]) - row[i % hw];
                if (y[i] != expected) Assert.Fail($"threads {threads}, element {i}: {y[i]} != {expected}");
            }
        }
    }
}
