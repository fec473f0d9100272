using Onnx;
using Onyx.Core.Execution;
using Onyx.Core.Ir;
using Onyx.Tensors;
using Xunit;
using static Onyx.Tests.ModelBuilder;
using static Onyx.Tests.Optimizer.FusionTestKit;

namespace Onyx.Tests.Execution;

/// <summary>
/// A conv with a fused residual accumulates onto its output, which starts as the residual z
/// (<see cref="KernelContext.AccumulatorOutput"/>): z's own buffer when z dies at the node, no other slot
/// holds it and no other input of the node reads it; otherwise a copy. Results equal the unfused graph.
/// </summary>
public sealed class AccumulatorOutputTests
{
    private const TensorProto.Types.DataType F = TensorProto.Types.DataType.Float;

    private static readonly ExecutionPlan EmptyPlan = new(new Graph(), Onyx.Cpu.CpuKernels.Registry);

    private static KernelContext Context(OnnxValue?[] inputs, BufferPool pool, params int[] dying) =>
        new(new Node("FusedConv", ["x", "w", "", "z"], ["y"]), inputs, new OnnxValue?[1], new Frame(EmptyPlan, null), new RunContext { Pool = pool })
        {
            DyingInputs = dying,
        };

    private static Tensor Held(BufferPool pool, params float[] values)
    {
        var t = pool.Allocate(DType.Float32, [values.Length]);
        t.Buffer!.Retain(); // one slot holds it
        values.CopyTo(t.Span<float>());
        return t;
    }

    [Fact]
    public void DyingResidualBecomesTheOutput()
    {
        using var pool = new BufferPool();
        Tensor x = Held(pool, 1, 2), z = Held(pool, 3, 4, 5, 6);
        var y = Context([x, null, null, z], pool, 3).AccumulatorOutput(0, 3, [2, 2]);
        Assert.Same(z.Buffer, y.Buffer);
        Assert.Equal([3f, 4f, 5f, 6f], y.Span<float>().ToArray());
    }

    [Fact]
    public void LiveSharedOrAlsoReadResidualIsCopied()
    {
        using var pool = new BufferPool();
        Tensor x = Held(pool, 1, 2), live = Held(pool, 3, 4);
        var y = Context([x, null, null, live], pool).AccumulatorOutput(0, 3, [2]);
        Assert.NotSame(live.Buffer, y.Buffer);
        Assert.Equal([3f, 4f], y.Span<float>().ToArray());

        var shared = Held(pool, 5, 6);
        shared.Buffer!.Retain(); // a view in a second slot
        Assert.NotSame(shared.Buffer, Context([x, null, null, shared], pool, 3).AccumulatorOutput(0, 3, [2]).Buffer);

        // z is also the conv's input x: writing into it would change the input while the conv reads it.
        var both = Held(pool, 7, 8);
        var y2 = Context([both, null, null, both], pool, 0, 3).AccumulatorOutput(0, 3, [2]);
        Assert.NotSame(both.Buffer, y2.Buffer);
        Assert.Equal([7f, 8f], y2.Span<float>().ToArray());
    }

    /// <summary>
    /// t = Relu(x) is the residual of two fused convs: the first must copy it (t lives on), the second may take
    /// its buffer (t dies there). u = Sigmoid(x) is both the conv input and the residual of a third: never in place.
    /// </summary>
    [Fact]
    public void ResidualChainsMatchTheUnfusedGraph()
    {
        var w = Random(4 * 4 * 9, 1, 0.3f);
        var m = new ModelBuilder(13).Input("x", F, 1, 4, 6, 6).Output("y", F, 1, 4, 6, 6).Output("q", F, 1, 4, 6, 6)
            .Initializer("w", w, 4, 4, 3, 3)
            .Node("Relu", ["x"], ["t"])
            .Node("Sigmoid", ["x"], ["u"])
            .Node("Conv", ["u", "w"], ["c1"], Attr("pads", [1L, 1, 1, 1]))
            .Node("Add", ["c1", "t"], ["s1"])
            .Node("Conv", ["s1", "w"], ["c2"], Attr("pads", [1L, 1, 1, 1]))
            .Node("Add", ["t", "c2"], ["y"])
            .Node("Conv", ["u", "w"], ["c3"], Attr("pads", [1L, 1, 1, 1]))
            .Node("Add", ["c3", "u"], ["q"]);
        var x = Random(144, 3);
        var feed = new[] { NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(x.ToArray(), [1, 4, 6, 6])) };
        using var plain = new InferenceSession(m.ToBytes(), new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL });
        using var fused = new InferenceSession(m.ToBytes(), new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL });
        Assert.Equal(3, fused.Plan.Nodes.Count(n => n.OpType == "FusedConv"));
        using var expected = plain.Run(feed);
        for (int run = 0; run < 3; run++)
        {
            using var got = fused.Run(feed);
            for (int o = 0; o < 2; o++)
            {
                float[] e = expected[o].AsTensor<float>().ToArray(), a = got[o].AsTensor<float>().ToArray();
                for (int i = 0; i < e.Length; i++)
                    Assert.True(Math.Abs(e[i] - a[i]) <= 1e-5f * (1 + Math.Abs(e[i])), $"run {run} output {o} [{i}]: {a[i]} vs {e[i]}");
            }
        }
        Assert.Equal(Random(144, 3), x); // the caller's input untouched
    }
}
