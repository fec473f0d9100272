using Onnx;
using static Onyx.Bench.GraphBuilder;

namespace Onyx.Bench;

/// <summary>
/// The benchmark suite's synthetic models, shaped like their exported originals (same ops, sizes
/// and layouts; weights seeded random): ResNet-50, MobileNetV2, a BERT-base encoder, a GPT-2-small decoder.
/// </summary>
internal static class ModelZoo
{
    private const TensorProto.Types.DataType F = TensorProto.Types.DataType.Float;

    public static string Materialize(string name, string cacheDir)
    {
        Directory.CreateDirectory(cacheDir);
        string path = Path.Combine(cacheDir, name + ".onnx");
        if (File.Exists(path)) return path;
        byte[] bytes = name switch
        {
            "resnet50" => ResNet50(),
            "mobilenetv2" => MobileNetV2(),
            "resnet50-int8" => QdqModels.Quantize(ResNet50()),
            "mobilenetv2-int8" => QdqModels.Quantize(MobileNetV2()),
            "bert-base" => Bert(layers: 12, hidden: 768, heads: 12, seq: 128, vocab: 30522),
            "gpt2-small" => Gpt2(layers: 12, hidden: 768, heads: 12, seq: 64, vocab: 50257),
            _ => throw new ArgumentException($"unknown suite model '{name}'"),
        };
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string Conv(GraphBuilder g, string x, int cin, int cout, int k, int stride, int group = 1)
    {
        float scale = MathF.Sqrt(2f / (cin / group * k * k));
        string w = g.Weight(scale, cout, cin / group, k, k);
        string b = g.Weight(0.01f, cout);
        int p = k / 2;
        return g.Node("Conv", [x, w, b], Ints("kernel_shape", k, k), Ints("strides", stride, stride), Ints("pads", p, p, p, p), Int("group", group));
    }

    private static string Relu(GraphBuilder g, string x) => g.Node("Relu", [x]);

    private static byte[] ResNet50()
    {
        var g = new GraphBuilder("resnet50");
        g.Input("input", F, 1, 3, 224, 224);
        string x = Relu(g, Conv(g, "input", 3, 64, 7, 2));
        x = g.Node("MaxPool", [x], Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1));
        int cin = 64;
        int[] blocks = [3, 4, 6, 3];
        int[] widths = [64, 128, 256, 512];
        for (int s = 0; s < 4; s++)
            for (int b = 0; b < blocks[s]; b++)
            {
                int stride = b == 0 && s > 0 ? 2 : 1;
                int w = widths[s], cout = w * 4;
                string y = Relu(g, Conv(g, x, cin, w, 1, 1));
                y = Relu(g, Conv(g, y, w, w, 3, stride));
                y = Conv(g, y, w, cout, 1, 1);
                string shortcut = b == 0 ? Conv(g, x, cin, cout, 1, stride) : x;
                x = Relu(g, g.Node("Add", [y, shortcut]));
                cin = cout;
            }
        x = g.Node("GlobalAveragePool", [x]);
        x = g.Node("Flatten", [x], Int("axis", 1));
        x = g.Node("Gemm", [x, g.Weight(0.03f, 1000, 2048), g.Weight(0.01f, 1000)], Int("transB", 1));
        g.NameOutput(x, "logits");
        g.Output("logits", F, 1, 1000);
        return g.ToBytes();
    }

    private static string Relu6(GraphBuilder g, string x, string lo, string hi) => g.Node("Clip", [x, lo, hi]);

    private static byte[] MobileNetV2()
    {
        var g = new GraphBuilder("mobilenetv2");
        g.Input("input", F, 1, 3, 224, 224);
        string lo = g.Const([0f], []), hi = g.Const([6f], []);
        string x = Relu6(g, Conv(g, "input", 3, 32, 3, 2), lo, hi);
        int cin = 32;
        (int t, int c, int n, int s)[] cfg = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)];
        foreach (var (t, c, n, s) in cfg)
            for (int i = 0; i < n; i++)
            {
                int stride = i == 0 ? s : 1, hidden = cin * t;
                string y = x;
                if (t != 1) y = Relu6(g, Conv(g, y, cin, hidden, 1, 1), lo, hi);
                y = Relu6(g, Conv(g, y, hidden, hidden, 3, stride, group: hidden), lo, hi);
                y = Conv(g, y, hidden, c, 1, 1);
                x = stride == 1 && cin == c ? g.Node("Add", [y, x]) : y;
                cin = c;
            }
        x = Relu6(g, Conv(g, x, cin, 1280, 1, 1), lo, hi);
        x = g.Node("GlobalAveragePool", [x]);
        x = g.Node("Flatten", [x], Int("axis", 1));
        x = g.Node("Gemm", [x, g.Weight(0.03f, 1000, 1280), g.Weight(0.01f, 1000)], Int("transB", 1));
        g.NameOutput(x, "logits");
        g.Output("logits", F, 1, 1000);
        return g.ToBytes();
    }

    private static string Linear(GraphBuilder g, string x, int din, int dout) =>
        g.Node("Add", [g.Node("MatMul", [x, g.Weight(0.02f, din, dout)]), g.Weight(0.02f, dout)]);

    private static string LayerNorm(GraphBuilder g, string x, int hidden)
    {
        var ones = Enumerable.Repeat(1f, hidden).ToArray();
        return g.Node("LayerNormalization", [x, g.Const(ones, [hidden]), g.Const(new float[hidden], [hidden])], Int("axis", -1), Float("epsilon", 1e-5f));
    }

    /// <summary>GELU in the Erf form PyTorch exports: 0.5 * x * (1 + erf(x / sqrt 2)).</summary>
    private static string Gelu(GraphBuilder g, string x)
    {
        string e = g.Node("Erf", [g.Node("Div", [x, g.Const([MathF.Sqrt(2f)], [])])]);
        return g.Node("Mul", [g.Node("Mul", [x, g.Node("Add", [e, g.Const([1f], [])])]), g.Const([0.5f], [])]);
    }

    /// <summary>Multi-head self-attention as PyTorch exports it: MatMul/Reshape/Transpose/Softmax.</summary>
    private static string Attention(GraphBuilder g, string x, int hidden, int heads, int seq, string? mask)
    {
        int d = hidden / heads;
        string split = g.ConstInt64([1, seq, heads, d]);
        string Heads(string t, long[] perm) => g.Node("Transpose", [g.Node("Reshape", [t, split])], Ints("perm", perm));
        string q = Heads(Linear(g, x, hidden, hidden), [0, 2, 1, 3]);
        string k = Heads(Linear(g, x, hidden, hidden), [0, 2, 3, 1]);
        string v = Heads(Linear(g, x, hidden, hidden), [0, 2, 1, 3]);
        string scores = g.Node("Div", [g.Node("MatMul", [q, k]), g.Const([MathF.Sqrt(d)], [])]);
        if (mask is not null) scores = g.Node("Add", [scores, mask]);
        string probs = g.Node("Softmax", [scores], Int("axis", -1));
        string ctx = g.Node("Transpose", [g.Node("MatMul", [probs, v])], Ints("perm", 0, 2, 1, 3));
        ctx = g.Node("Reshape", [ctx, g.ConstInt64([1, seq, hidden])]);
        return Linear(g, ctx, hidden, hidden);
    }

    private static string Embed(GraphBuilder g, string ids, int vocab, int hidden, int seq) =>
        g.Node("Add", [g.Node("Gather", [g.Weight(0.02f, vocab, hidden), ids]), g.Weight(0.02f, seq, hidden)]);

    private static byte[] Bert(int layers, int hidden, int heads, int seq, int vocab)
    {
        var g = new GraphBuilder("bert-base");
        g.Input("input_ids", TensorProto.Types.DataType.Int64, 1, seq);
        string x = LayerNorm(g, Embed(g, "input_ids", vocab, hidden, seq), hidden);
        for (int l = 0; l < layers; l++)
        {
            x = LayerNorm(g, g.Node("Add", [x, Attention(g, x, hidden, heads, seq, null)]), hidden);
            string ff = Linear(g, Gelu(g, Linear(g, x, hidden, 4 * hidden)), 4 * hidden, hidden);
            x = LayerNorm(g, g.Node("Add", [x, ff]), hidden);
        }
        g.NameOutput(x, "last_hidden_state");
        g.Output("last_hidden_state", F, 1, seq, hidden);
        return g.ToBytes();
    }

    private static byte[] Gpt2(int layers, int hidden, int heads, int seq, int vocab)
    {
        var g = new GraphBuilder("gpt2-small");
        g.Input("input_ids", TensorProto.Types.DataType.Int64, 1, seq);
        var causal = new float[seq * seq];
        for (int i = 0; i < seq; i++) for (int j = i + 1; j < seq; j++) causal[i * seq + j] = -10000f;
        string mask = g.Const(causal, [seq, seq]);
        string x = Embed(g, "input_ids", vocab, hidden, seq);
        for (int l = 0; l < layers; l++)
        {
            x = g.Node("Add", [x, Attention(g, LayerNorm(g, x, hidden), hidden, heads, seq, mask)]);
            string ff = Linear(g, Gelu(g, Linear(g, LayerNorm(g, x, hidden), hidden, 4 * hidden)), 4 * hidden, hidden);
            x = g.Node("Add", [x, ff]);
        }
        x = LayerNorm(g, x, hidden);
        x = g.Node("MatMul", [x, g.Weight(0.02f, hidden, vocab)]);
        g.NameOutput(x, "logits");
        g.Output("logits", F, 1, seq, vocab);
        return g.ToBytes();
    }
}
