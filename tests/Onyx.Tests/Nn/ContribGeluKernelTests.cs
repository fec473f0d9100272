using Onnx;
using Onyx.Tensors;
using Xunit;

namespace Onyx.Tests.Nn;

/// <summary>com.microsoft Gelu / FastGelu / BiasGelu against the double-precision formulas.</summary>
public sealed class ContribGeluKernelTests
{
    private static double Erf(double x)
    {
        // Abramowitz–Stegun 7.1.26 is too coarse for an oracle: use the series / continued fraction via Math.
        double t = 1.0 / (1.0 + 0.5 * Math.Abs(x));
        double y = 1 - t * Math.Exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? y : -y; // Numerical Recipes erfc, relative error < 1.2e-7
    }

    private static float[] Run(string op, float[] x, int rows, int cols, float[]? bias)
    {
        var m = new ModelBuilder(17).Input("x", TensorProto.Types.DataType.Float, rows, cols).Output("y", TensorProto.Types.DataType.Float, rows, cols);
        m.Proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        if (bias is not null) m.Initializer("b", bias, cols);
        m.Node(op, bias is null ? ["x"] : ["x", "b"], ["y"]);
        m.Graph.Node[^1].Domain = "com.microsoft";
        using var s = new InferenceSession(m.ToBytes(), new SessionOptions { IntraOpNumThreads = 2 });
        using var r = s.Run([NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(x, [rows, cols]))]);
        return r[0].AsTensor<float>().ToArray();
    }

    [Theory]
    [InlineData("Gelu", 3, 37, false)]
    [InlineData("Gelu", 300, 257, false)]
    [InlineData("FastGelu", 3, 37, false)]
    [InlineData("FastGelu", 300, 257, true)]
    [InlineData("BiasGelu", 5, 64, true)]
    [InlineData("BiasGelu", 300, 257, true)]
    public void MatchesFormula(string op, int rows, int cols, bool withBias)
    {
        float[] x = Optimizer.FusionTestKit.Random(rows * cols, 7, scale: 6f);
        float[]? b = withBias ? Optimizer.FusionTestKit.Random(cols, 8) : null;
        float[] y = Run(op, x, rows, cols, b);
        for (int i = 0; i < x.Length; i++)
        {
            double u = x[i] + (b is null ? 0 : b[i % cols]);
            double want = op == "FastGelu"
                ? 0.5 * u * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (u + 0.044715 * u * u * u)))
                : 0.5 * u * (1 + Erf(u / Math.Sqrt(2)));
            Assert.True(Math.Abs(y[i] - want) <= 2e-6 + 2e-6 * Math.Abs(want), $"{op}[{i}] u={u}: {y[i]} vs {want}");
        }
    }
}
