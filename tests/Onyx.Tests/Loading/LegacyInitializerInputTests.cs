using Onnx;
using Onyx.Tensors;
using Xunit;

namespace Onyx.Tests.Loading;

/// <summary>
/// Before IR version 4 every initializer also had to be a graph input (mnist-8 is such a model).
/// Like ONNX Runtime, those listings are not overridable inputs: the initializer stays a constant
/// (so kernels can prepack it); from IR 4 on, an initializer that is also an input is overridable.
/// </summary>
public sealed class LegacyInitializerInputTests
{
    private const TensorProto.Types.DataType F = TensorProto.Types.DataType.Float;

    private static byte[] Model(long irVersion)
    {
        var b = new ModelBuilder(7).Input("x", F, 2).Input("w", F, 2).Output("y", F, 2)
            .Initializer("w", [10f, 20f], 2)
            .Node("Mul", ["x", "w"], ["y"]);
        b.Proto.IrVersion = irVersion;
        return b.ToBytes();
    }

    [Fact]
    public void BeforeIr4InitializersListedAsInputsAreConstants()
    {
        using var session = new InferenceSession(Model(3));
        Assert.Equal(["x"], session.InputNames);
        Assert.Empty(session.OverridableInitializerMetadata);
        using var r = session.Run([NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(new[] { 1f, 2f }, [2]))]);
        Assert.Equal([10f, 40f], r[0].AsTensor<float>().ToArray());
    }

    [Fact]
    public void FromIr4InitializersListedAsInputsAreOverridable()
    {
        using var session = new InferenceSession(Model(4));
        Assert.Equal(["x"], session.InputNames);
        Assert.Equal(["w"], session.OverridableInitializerMetadata.Keys);
        using var r = session.Run([
            NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(new[] { 1f, 2f }, [2])),
            NamedOnnxValue.CreateFromTensor("w", new DenseTensor<float>(new[] { 3f, 4f }, [2])),
        ]);
        Assert.Equal([3f, 8f], r[0].AsTensor<float>().ToArray());
    }
}
