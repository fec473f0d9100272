using Onnx;
using Onyx.Tensors;
using Xunit;

namespace Onyx.Tests.Execution;

/// <summary>
/// DenseTensor inputs are read in place (pinned for the Run, not copied): the caller's array is never
/// written, and an output that views an input is copied out before the pin is released.
/// </summary>
public sealed class InputPinsTests
{
    private const TensorProto.Types.DataType F = TensorProto.Types.DataType.Float;

    private static byte[] Model() => new ModelBuilder(13).Input("x", F, 2, 3).Output("relu", F, 2, 3).Output("same", F, 2, 3)
        .Output("flat", F, 6).Output("x", F, 2, 3)
        .Initializer(new TensorProto { Name = "shape", DataType = (int)TensorProto.Types.DataType.Int64, Dims = { 1 }, Int64Data = { 6 } })
        .Node("Relu", ["x"], ["relu"])
        .Node("Identity", ["x"], ["same"])
        .Node("Reshape", ["x", "shape"], ["flat"])
        .ToBytes();

    [Theory]
    [InlineData(0)]   // the DenseTensor over a whole array
    [InlineData(3)]   // over a slice of a larger array
    public void OutputsNeverAliasTheCallersMemory(int offset)
    {
        using var session = new InferenceSession(Model(), new SessionOptions { IntraOpNumThreads = 1 });
        var backing = new float[offset + 6];
        float[] x = [-1, 2, -3, 4, -5, 6];
        x.CopyTo(backing, offset);
        var dense = new DenseTensor<float>(backing.AsMemory(offset, 6), [2, 3]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("x", dense)]);
        // Relu's output may reuse a dying input's buffer, never a caller's: x is unchanged.
        Assert.Equal(x, backing.AsSpan(offset, 6).ToArray());
        backing.AsSpan().Fill(100f);
        float[] relu = [0, 2, 0, 4, 0, 6];
        Assert.Equal(relu, results.Single(r => r.Name == "relu").AsTensor<float>().ToArray());
        Assert.Equal(x, results.Single(r => r.Name == "same").AsTensor<float>().ToArray());
        Assert.Equal(x, results.Single(r => r.Name == "flat").AsTensor<float>().ToArray());
        Assert.Equal(x, results.Single(r => r.Name == "x").AsTensor<float>().ToArray());
    }

    [Fact]
    public void PinsAreReleasedWhenTheRunFails()
    {
        using var session = new InferenceSession(Model(), new SessionOptions { IntraOpNumThreads = 1 });
        var dense = new DenseTensor<float>(new float[6], [2, 3]);
        var feeds = new[] { NamedOnnxValue.CreateFromTensor("x", dense), NamedOnnxValue.CreateFromTensor("nope", dense) };
        Assert.Throws<OnnxRuntimeException>(() => session.Run(feeds));
        // Still usable (and movable) afterwards: a later Run sees the new contents.
        dense.Buffer.Span.Fill(-2f);
        using var results = session.Run([feeds[0]]);
        Assert.All(results.Single(r => r.Name == "relu").AsTensor<float>().ToArray(), v => Assert.Equal(0f, v));
    }
}
