using Onnx;
using Onyx.Core.Execution;
using Onyx.Core.Ir;
using Onyx.Tensors;
using Xunit;
using static Onyx.Tests.ModelBuilder;

namespace Onyx.Tests.Execution;

/// <summary>
/// Elementwise kernels may write into the buffer of an input that dies with them
/// (<see cref="KernelContext.ElementwiseOutput"/>): only when no other slot holds that buffer and
/// type and size match; never for constants or graph inputs. Results must equal a plain evaluation.
/// </summary>
public sealed class InPlaceOutputTests
{
    private const TensorProto.Types.DataType F = TensorProto.Types.DataType.Float;

    private static readonly ExecutionPlan EmptyPlan = new(new Graph(), Onyx.Cpu.CpuKernels.Registry);

    private static KernelContext Context(Tensor input, BufferPool pool, params int[] dying) =>
        new(new Node("Relu", ["x"], ["y"]), [input], new OnnxValue?[1], new Frame(EmptyPlan, null), new RunContext { Pool = pool })
        {
            DyingInputs = dying,
        };

    [Fact]
    public void DyingSoleOwnerInputLendsItsBuffer()
    {
        using var pool = new BufferPool();
        var x = pool.Allocate(DType.Float32, [2, 3]);
        x.Buffer!.Retain(); // one slot holds it
        var y = Context(x, pool, 0).ElementwiseOutput(0, DType.Float32, [6], donors: 1);
        Assert.Same(x.Buffer, y.Buffer);
        Assert.Equal([6], y.Shape);
    }

    [Fact]
    public void SharedWrongTypedOrLiveInputsDoNotLend()
    {
        using var pool = new BufferPool();
        var shared = pool.Allocate(DType.Float32, [4]);
        shared.Buffer!.Retain();
        shared.Buffer.Retain(); // a view in a second slot
        Assert.NotSame(shared.Buffer, Context(shared, pool, 0).ElementwiseOutput(0, DType.Float32, [4], 1).Buffer);

        var ints = pool.Allocate(DType.Int32, [4]);
        ints.Buffer!.Retain();
        Assert.NotSame(ints.Buffer, Context(ints, pool, 0).ElementwiseOutput(0, DType.Float32, [4], 1).Buffer);
        Assert.NotSame(ints.Buffer, Context(ints, pool, 0).ElementwiseOutput(0, DType.Int32, [5], 1).Buffer);

        var live = pool.Allocate(DType.Float32, [4]);
        live.Buffer!.Retain();
        Assert.NotSame(live.Buffer, Context(live, pool).ElementwiseOutput(0, DType.Float32, [4], 1).Buffer);
        Assert.NotSame(live.Buffer, Context(live, pool, 0).ElementwiseOutput(0, DType.Float32, [4], donors: 0).Buffer);
    }

    [Fact]
    public void OneBufferIsLentOncePerNode()
    {
        using var pool = new BufferPool();
        var x = pool.Allocate(DType.Float32, [4]);
        x.Buffer!.Retain();
        var ctx = Context(x, pool, 0);
        var first = ctx.ElementwiseOutput(0, DType.Float32, [4], 1);
        var second = ctx.ElementwiseOutput(0, DType.Float32, [4], 1);
        Assert.Same(x.Buffer, first.Buffer);
        Assert.NotSame(x.Buffer, second.Buffer);
    }

    /// <summary>
    /// r = Relu(x) dies at the Add but a Reshape view of it lives on to the Mul: the Add must not write
    /// into r's buffer. s = Sigmoid(Add) dies at Sub and may be reused. Graph inputs are never reused.
    /// </summary>
    [Fact]
    public void GraphWithViewsAndBroadcastMatchesPlainEvaluation()
    {
        var model = new ModelBuilder(14).Input("x", F, 2, 3).Input("c", F, 3).Output("out1", F, 2, 3).Output("out2", F, 6)
            .Initializer(new TensorProto { Name = "shape", DataType = (int)TensorProto.Types.DataType.Int64, Dims = { 1 }, Int64Data = { 6 } })
            .Node("Relu", ["x"], ["r"])
            .Node("Reshape", ["r", "shape"], ["v"])
            .Node("Add", ["r", "c"], ["a"])
            .Node("Sigmoid", ["a"], ["s"])
            .Node("Sub", ["s", "x"], ["out1"])
            .Node("Mul", ["v", "v"], ["out2"]).ToBytes();
        float[] x = [-1f, 0.5f, 2f, -3f, 4f, 0.25f];
        float[] c = [0.1f, -0.2f, 0.3f];
        using var session = new InferenceSession(model, new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL });
        for (int run = 0; run < 3; run++)
        {
            using var r = session.Run([
                NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(x.ToArray(), [2, 3])),
                NamedOnnxValue.CreateFromTensor("c", new DenseTensor<float>(c.ToArray(), [3])),
            ]);
            var relu = x.Select(v => Math.Max(0f, v)).ToArray();
            var out1 = relu.Select((v, i) => 1f / (1f + MathF.Exp(-(v + c[i % 3]))) - x[i]).ToArray();
            var out2 = relu.Select(v => v * v).ToArray();
            Assert.Equal(out1, r[0].AsTensor<float>().ToArray(), (p, q) => Math.Abs(p - q) < 1e-6f);
            Assert.Equal(out2, r[1].AsTensor<float>().ToArray());
        }
    }
}
