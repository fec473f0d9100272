using Onnx;
using Onyx.Tensors;
using Xunit;
using static Onyx.Tests.ModelBuilder;

namespace Onyx.Tests.Nn;

/// <summary>nn-family paths the ONNX node tests do not reach: layouts, per-group scales, GQA in 3D, seeded generators.</summary>
public sealed class NnKernelTests
{
    private const TensorProto.Types.DataType F = TensorProto.Types.DataType.Float;

    private static float[] Rand(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
    }

    private static float[][] Run(ModelBuilder m, params (string name, float[] data, int[] shape)[] inputs)
    {
        using var s = new InferenceSession(m.ToBytes());
        var feed = inputs.Select(i => NamedOnnxValue.CreateFromTensor(i.name, new DenseTensor<float>(i.data, i.shape))).ToArray();
        using var r = s.Run(feed);
        return r.Select(v => v.AsTensor<float>().ToArray()).ToArray();
    }

    private static void AssertClose(float[] expected, float[] actual, float tol = 1e-4f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol + tol * Math.Abs(expected[i]), $"[{i}] {actual[i]} vs {expected[i]}");
    }

    private static AttributeProto Str(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8(value) };

    [Fact]
    public void Attention3dGqaMatchesNaiveReference()
    {
        const int B = 2, S = 3, T = 4, Hq = 4, Hkv = 2, D = 8;
        float[] q = Rand(B * S * Hq * D, 1), k = Rand(B * T * Hkv * D, 2), v = Rand(B * T * Hkv * D, 3);
        var m = new ModelBuilder(23).Input("q", F, B, S, Hq * D).Input("k", F, B, T, Hkv * D).Input("v", F, B, T, Hkv * D)
            .Output("y", F, B, S, Hq * D)
            .Node("Attention", ["q", "k", "v"], ["y"], Attr("q_num_heads", (long)Hq), Attr("kv_num_heads", (long)Hkv));
        float[] y = Run(m, ("q", q, [B, S, Hq * D]), ("k", k, [B, T, Hkv * D]), ("v", v, [B, T, Hkv * D]))[0];
        var expected = new float[y.Length];
        double scale = 1 / Math.Sqrt(D);
        for (int b = 0; b < B; b++)
            for (int h = 0; h < Hq; h++)
                for (int i = 0; i < S; i++)
                {
                    int kh = h / (Hq / Hkv);
                    var sc = new double[T];
                    for (int j = 0; j < T; j++)
                        for (int d = 0; d < D; d++)
                            sc[j] += q[(b * S + i) * Hq * D + h * D + d] * k[(b * T + j) * Hkv * D + kh * D + d] * scale;
                    double max = sc.Max(), sum = sc.Sum(x => Math.Exp(x - max));
                    for (int d = 0; d < D; d++)
                    {
                        double acc = 0;
                        for (int j = 0; j < T; j++) acc += Math.Exp(sc[j] - max) / sum * v[(b * T + j) * Hkv * D + kh * D + d];
                        expected[(b * S + i) * Hq * D + h * D + d] = (float)acc;
                    }
                }
        AssertClose(expected, y);
    }

    [Fact]
    public void LstmLayoutOneMatchesLayoutZero()
    {
        const int Seq = 3, Batch = 2, In = 4, H = 5;
        float[] w = Rand(2 * 4 * H * In, 4), r = Rand(2 * 4 * H * H, 5), bias = Rand(2 * 8 * H, 6), x = Rand(Seq * Batch * In, 7);
        ModelBuilder Model(long layout, long[] xDims, long[] yDims) => new ModelBuilder(14)
            .Input("x", F, xDims).Output("y", F, yDims)
            .Initializer("w", w, 2, 4 * H, In).Initializer("r", r, 2, 4 * H, H).Initializer("b", bias, 2, 8 * H)
            .Node("LSTM", ["x", "w", "r", "b"], ["y"], Attr("hidden_size", (long)H), Attr("layout", layout), Str("direction", "bidirectional"));
        float[] y0 = Run(Model(0, [Seq, Batch, In], [Seq, 2, Batch, H]), ("x", x, [Seq, Batch, In]))[0];
        var xt = new float[x.Length];
        for (int t = 0; t < Seq; t++)
            for (int b = 0; b < Batch; b++)
                Array.Copy(x, (t * Batch + b) * In, xt, (b * Seq + t) * In, In);
        float[] y1 = Run(Model(1, [Batch, Seq, In], [Batch, Seq, 2, H]), ("x", xt, [Batch, Seq, In]))[0];
        for (int t = 0; t < Seq; t++)
            for (int d = 0; d < 2; d++)
                for (int b = 0; b < Batch; b++)
                    for (int k = 0; k < H; k++)
                        Assert.Equal(y0[((t * 2 + d) * Batch + b) * H + k], y1[((b * Seq + t) * 2 + d) * H + k], 5);
    }

    [Fact]
    public void GroupNormalization18ScalesPerGroup()
    {
        const int C = 4, G = 2, Hw = 3;
        float[] x = Rand(C * Hw, 8);
        var m = new ModelBuilder(18).Input("x", F, 1, C, Hw).Output("y", F, 1, C, Hw)
            .Initializer("s", [2f, 3f], G).Initializer("b", [0.5f, -1f], G)
            .Node("GroupNormalization", ["x", "s", "b"], ["y"], Attr("num_groups", (long)G));
        float[] y = Run(m, ("x", x, [1, C, Hw]))[0];
        var expected = new float[x.Length];
        for (int g = 0; g < G; g++)
        {
            var seg = x.Skip(g * 2 * Hw).Take(2 * Hw).ToArray();
            double mean = seg.Average(), var = seg.Average(v => (v - mean) * (v - mean));
            for (int i = 0; i < seg.Length; i++)
                expected[g * 2 * Hw + i] = (float)((seg[i] - mean) / Math.Sqrt(var + 1e-5) * (g == 0 ? 2 : 3) + (g == 0 ? 0.5 : -1));
        }
        AssertClose(expected, y);
    }

    [Fact]
    public void SeededRandomUniformIsReproducibleAndInRange()
    {
        var m = new ModelBuilder(21).Input("x", F, 64).Output("y", F, 64)
            .Node("RandomUniformLike", ["x"], ["y"], Attr("seed", 3f), Attr("low", -2f), Attr("high", 5f));
        float[] a = Run(m, ("x", new float[64], [64]))[0];
        float[] b = Run(m, ("x", new float[64], [64]))[0];
        Assert.Equal(a, b);
        Assert.All(a, v => Assert.InRange(v, -2f, 5f));
        Assert.True(a.Distinct().Count() > 60);
    }
}
