using Onnx;
using Onyx.Tensors;

namespace Onyx.OpenVino.Tests;

/// <summary>Transformer-style models whose integer inputs stay on the GPU device: the embedding Gather by input_ids.</summary>
public class GpuEmbeddingTests
{
    public GpuEmbeddingTests() => TestKernels.EnsureRegistered();

    private const int Vocab = 30, Seq = 8, Hidden = 16;

    /// <summary>
    /// BERT's embedding block: Gather(word_emb, input_ids) + Gather(pos_emb, Range-like constant ids) → LayerNorm → MatMul + b,
    /// with the sequence length read back through Shape → Cast (float) → Mul, so every int path of the device is used.
    /// </summary>
    public static byte[] Embedding() => new ModelBuilder()
        .TypedInput("input_ids", TensorProto.Types.DataType.Int64, 1, Seq).Output("y", 1, Seq, Hidden)
        .Weight("word", Run.Random(Vocab * Hidden, 31), Vocab, Hidden)
        .Weight("pos", Run.Random(Seq * Hidden, 32), Seq, Hidden)
        .Int64Weight("pos_ids", [0, 1, 2, 3, 4, 5, 6, 7], 1, Seq)
        .Weight("gamma", Run.Random(Hidden, 33), Hidden).Weight("beta", Run.Random(Hidden, 34), Hidden)
        .Weight("w", Run.Random(Hidden * Hidden, 35), Hidden, Hidden).Weight("b", Run.Random(Hidden, 36), Hidden)
        .Node("Gather", ["word", "input_ids"], ["we"])
        .Node("Gather", ["pos", "pos_ids"], ["pe"])
        .Node("Add", ["we", "pe"], ["e"])
        .Node("LayerNormalization", ["e", "gamma", "beta"], ["n"], configure: c => c.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = -1 }))
        .Node("MatMul", ["n", "w"], ["m"])
        .Node("Add", ["m", "b"], ["h"])
        .Node("Shape", ["input_ids"], ["s"])
        .Node("Cast", ["s"], ["sf"], configure: c => c.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (int)TensorProto.Types.DataType.Float }))
        .Node("ReduceMax", ["sf"], ["len"], configure: c => c.Attribute.Add(new AttributeProto { Name = "keepdims", Type = AttributeProto.Types.AttributeType.Int, I = 0 }))
        .Node("Div", ["h", "len"], ["y"])
        .Build();

    public static float[] RunIds(InferenceSession s, long[] ids)
    {
        var value = OrtValue.CreateTensorValueFromMemory(ids, [1, ids.Length]);
        using var r = s.Run(null, ["input_ids"], [value], [s.OutputNames[0]]);
        return ((Tensor)r.First().Value).ToArray<float>();
    }

    [GpuDeviceFact]
    public void EmbeddingRunsWhollyOnTheGpuAndMatchesTheCpu()
    {
        var bytes = Embedding();
        long[] ids = [3, 29, 0, 7, -1, 12, 12, 5];
        using var cpu = new InferenceSession(bytes);
        var expected = RunIds(cpu, ids);
        foreach (var (type, tol) in new[] { ("GPU", 1e-5f), ("HETERO:GPU,CPU", 1e-5f), ("GPU_FP16", 1e-2f) })
        {
            var so = Run.Ov(("device_type", type));
            so.AddSessionConfigEntry("session.disable_cpu_ep_fallback", "1");
            using var s = new InferenceSession(bytes, so);
            var state = Run.State(s);
            var sub = Assert.Single(state.Compiled.Subgraphs);
            Assert.Equal("GPU.0", sub.Source.Device);
            Assert.NotNull(sub.Gpu);
            Assert.Empty(state.Compiled.Partition.Refused);
            Assert.Contains("input_ids", sub.Source.Inputs);
            GpuModels.Close(expected, RunIds(s, ids), tol);
        }
    }

    [GpuDeviceFact]
    public void AnOutOfRangeTokenIdFailsTheRunClearly()
    {
        using var s = new InferenceSession(Embedding(), Run.Ov(("device_type", "GPU")));
        var ex = Assert.Throws<OnnxRuntimeException>(() => RunIds(s, [1, 2, 3, 30, 0, 0, 0, 0]));
        Assert.Contains("index 30 is out of range for axis 0 of size 30", ex.Message);
        Assert.Equal(Seq * Hidden, RunIds(s, [1, 2, 3, 4, 0, 0, 0, 0]).Length);
    }
}
