using Onnx;
using Onyx.Tensors;
using Xunit;

namespace Onyx.Tests.Nn;

/// <summary>com.microsoft SkipLayerNormalization (with bias, beta and every optional output) against a double-precision oracle.</summary>
public sealed class SkipLayerNormKernelTests
{
    [Theory]
    [InlineData(3, 37, 1)]
    [InlineData(300, 96, 2)] // rows split across threads
    public void MatchesFormulaWithEveryOutput(int rows, int n, int threads)
    {
        const float F = 1e-5f;
        var dt = TensorProto.Types.DataType.Float;
        float[] x = Optimizer.FusionTestKit.Random(rows * n, 1, 3f), skip = Optimizer.FusionTestKit.Random(rows * n, 2, 2f);
        float[] gamma = Optimizer.FusionTestKit.Random(n, 3), beta = Optimizer.FusionTestKit.Random(n, 4), bias = Optimizer.FusionTestKit.Random(n, 5);
        var m = new ModelBuilder(17).Input("x", dt, 1, rows, n).Input("skip", dt, 1, rows, n)
            .Output("y", dt, 1, rows, n).Output("mean", dt, 1, rows, 1).Output("inv", dt, 1, rows, 1).Output("sum", dt, 1, rows, n)
            .Initializer("g", gamma, n).Initializer("b", beta, n).Initializer("bias", bias, n);
        m.Proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        m.Node("SkipLayerNormalization", ["x", "skip", "g", "b", "bias"], ["y", "mean", "inv", "sum"], ModelBuilder.Attr("epsilon", F));
        m.Graph.Node[^1].Domain = "com.microsoft";
        using var s = new InferenceSession(m.ToBytes(), new SessionOptions { IntraOpNumThreads = threads });
        using var r = s.Run([NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(x, [1, rows, n])), NamedOnnxValue.CreateFromTensor("skip", new DenseTensor<float>(skip, [1, rows, n]))]);
        float[] y = r[0].AsTensor<float>().ToArray(), mean = r[1].AsTensor<float>().ToArray(), inv = r[2].AsTensor<float>().ToArray(), sum = r[3].AsTensor<float>().ToArray();
        for (int row = 0; row < rows; row++)
        {
            var u = new double[n];
            for (int j = 0; j < n; j++) u[j] = (double)x[row * n + j] + skip[row * n + j] + bias[j];
            double mu = u.Average(), var = u.Select(v => (v - mu) * (v - mu)).Average(), iv = 1 / Math.Sqrt(var + F);
            Assert.True(Math.Abs(mean[row] - mu) <= 1e-5, $"mean[{row}]");
            Assert.True(Math.Abs(inv[row] - iv) <= 1e-4 * iv, $"inv[{row}]");
            for (int j = 0; j < n; j++)
            {
                Assert.True(Math.Abs(sum[row * n + j] - u[j]) <= 1e-5 * (1 + Math.Abs(u[j])), $"sum[{row},{j}]");
                double want = (u[j] - mu) * iv * gamma[j] + beta[j];
                Assert.True(Math.Abs(y[row * n + j] - want) <= 1e-4 * (1 + Math.Abs(want)), $"y[{row},{j}]: {y[row * n + j]} vs {want}");
            }
        }
    }
}
