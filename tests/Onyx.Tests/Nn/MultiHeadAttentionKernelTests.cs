using Onnx;
using Onyx.Tensors;
using Xunit;
using static Onyx.Tests.Optimizer.FusionTestKit;

namespace Onyx.Tests.Nn;

/// <summary>com.microsoft MultiHeadAttention against a naive double-precision softmax(scale·QKᵀ + bias)·V.</summary>
public sealed class MultiHeadAttentionKernelTests
{
    private static double[] Naive(float[] q, float[] k, float[] v, float[]? bias, int[] biasDims, int b, int s, int l, int h, int d, int dv, int kb, float scale)
    {
        var y = new double[b * s * h * dv];
        var p = new double[l];
        for (int bi = 0; bi < b; bi++)
            for (int hi = 0; hi < h; hi++)
                for (int i = 0; i < s; i++)
                {
                    double max = double.NegativeInfinity;
                    for (int j = 0; j < l; j++)
                    {
                        double dot = 0;
                        for (int t = 0; t < d; t++) dot += q[(bi * s + i) * h * d + hi * d + t] * (double)k[((kb == 1 ? 0 : bi) * l + j) * h * d + hi * d + t];
                        dot *= scale;
                        if (bias is not null)
                        {
                            int[] idx = [bi, hi, i, j];
                            int off = 0;
                            for (int a = 0; a < 4; a++) off = off * biasDims[a] + (biasDims[a] == 1 ? 0 : idx[a]);
                            dot += bias[off];
                        }
                        p[j] = dot;
                        max = Math.Max(max, dot);
                    }
                    double sum = 0;
                    for (int j = 0; j < l; j++) { p[j] = Math.Exp(p[j] - max); sum += p[j]; }
                    for (int t = 0; t < dv; t++)
                    {
                        double acc = 0;
                        for (int j = 0; j < l; j++) acc += p[j] / sum * v[((kb == 1 ? 0 : bi) * l + j) * h * dv + hi * dv + t];
                        y[(bi * s + i) * h * dv + hi * dv + t] = acc;
                    }
                }
        return y;
    }

    [Theory]
    [InlineData(2, 7, 9, 3, 8, 5, false, false)]
    [InlineData(2, 7, 9, 3, 8, 8, true, false)]
    [InlineData(3, 70, 40, 2, 16, 16, true, true)]
    [InlineData(1, 300, 130, 2, 4, 4, true, false)]
    public void MatchesNaive(int b, int s, int l, int h, int d, int dv, bool withBias, bool sharedKv)
    {
        int kb = sharedKv ? 1 : b;
        float[] q = Random(b * s * h * d, 1), k = Random(kb * l * h * d, 2), v = Random(kb * l * h * dv, 3);
        int[] biasDims = [b, 1, s, l]; // per-batch, shared across heads
        float[]? bias = withBias ? Random(b * s * l, 4, scale: 3f) : null;
        var m = new ModelBuilder(17).Input("q", F, b, s, h * d).Input("k", F, kb, l, h * d).Input("v", F, kb, l, h * dv).Output("y", F, b, s, h * dv);
        m.Proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        if (bias is not null) m.Initializer("bias", bias, b, 1, s, l);
        m.Node("MultiHeadAttention", bias is null ? ["q", "k", "v"] : ["q", "k", "v", "", "", "bias"], ["y"],
            new AttributeProto { Name = "num_heads", Type = AttributeProto.Types.AttributeType.Int, I = h });
        m.Graph.Node[^1].Domain = "com.microsoft";
        using var session = new InferenceSession(m.ToBytes(), new SessionOptions { IntraOpNumThreads = 2 });
        using var r = session.Run([
            NamedOnnxValue.CreateFromTensor("q", new DenseTensor<float>(q, [b, s, h * d])),
            NamedOnnxValue.CreateFromTensor("k", new DenseTensor<float>(k, [kb, l, h * d])),
            NamedOnnxValue.CreateFromTensor("v", new DenseTensor<float>(v, [kb, l, h * dv]))]);
        float[] y = r[0].AsTensor<float>().ToArray();
        double[] want = Naive(q, k, v, bias, biasDims, b, s, l, h, d, dv, kb, 1f / MathF.Sqrt(d));
        for (int i = 0; i < y.Length; i++) Assert.True(Math.Abs(y[i] - want[i]) <= 1e-5 + 1e-4 * Math.Abs(want[i]), $"[{i}] {y[i]} vs {want[i]}");
    }
}
