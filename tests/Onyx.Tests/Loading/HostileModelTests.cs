using Onnx;
using Xunit;

namespace Onyx.Tests.Loading;

/// <summary>Bad and hostile model files are rejected with a clear error, never a crash or unbounded allocation.</summary>
public sealed class HostileModelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("onyx-hostile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static OnnxRuntimeException Rejects(Action load) => Assert.Throws<OnnxRuntimeException>(load);

    [Fact]
    public void MissingFileIsNamed()
    {
        var e = Rejects(() => new InferenceSession(Path.Combine(_dir, "nope.onnx")));
        Assert.Equal(ErrorCode.NoSuchFile, e.ErrorCode);
        Assert.Contains("nope.onnx", e.Message);
    }

    [Fact]
    public void TruncatedProtobufIsInvalid()
    {
        var bytes = File.ReadAllBytes(Path.Combine(RepoPaths.BackendTests, "node", "test_add", "model.onnx"));
        var e = Rejects(() => new InferenceSession(bytes[..(bytes.Length / 2)]));
        Assert.Equal(ErrorCode.InvalidProtobuf, e.ErrorCode);
    }

    [Fact]
    public void RandomBytesAreNotAModel()
    {
        var bytes = new byte[4096];
        new Random(1).NextBytes(bytes);
        var e = Rejects(() => new InferenceSession(bytes));
        Assert.True(e.ErrorCode is ErrorCode.InvalidProtobuf or ErrorCode.InvalidGraph, e.Message);
    }

    [Fact]
    public void UnknownOpNamesNodeAndOp()
    {
        var m = new ModelBuilder().Input("x", TensorProto.Types.DataType.Float, 2)
            .Output("y", TensorProto.Types.DataType.Float, 2).Node("NoSuchOp", ["x"], ["y"]);
        var e = Rejects(() => new InferenceSession(m.ToBytes()));
        Assert.Contains("NoSuchOp", e.Message);
        Assert.Contains("nosuchop_0", e.Message);
    }

    [Fact]
    public void CycleIsRejected()
    {
        var m = new ModelBuilder().Input("x", TensorProto.Types.DataType.Float, 2)
            .Output("y", TensorProto.Types.DataType.Float, 2)
            .Node("Add", ["x", "b"], ["a"]).Node("Relu", ["a"], ["b"]).Node("Relu", ["a"], ["y"]);
        var e = Rejects(() => new InferenceSession(m.ToBytes()));
        Assert.Equal(ErrorCode.InvalidGraph, e.ErrorCode);
        Assert.Contains("cycle", e.Message);
    }

    [Fact]
    public void AbsurdDimensionsAreRejectedBeforeAllocating()
    {
        var t = new TensorProto { Name = "w", DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange([1L << 20, 1L << 20, 1L << 20]);
        var m = new ModelBuilder().Input("x", TensorProto.Types.DataType.Float, 2)
            .Output("x", TensorProto.Types.DataType.Float, 2).Initializer(t);
        var e = Rejects(() => new InferenceSession(m.ToBytes()));
        Assert.Contains("'w'", e.Message);
    }

    [Fact]
    public void RawDataOfWrongSizeIsRejected()
    {
        var t = new TensorProto { Name = "w", DataType = (int)TensorProto.Types.DataType.Float, RawData = Google.Protobuf.ByteString.CopyFrom(new byte[10]) };
        t.Dims.Add(1000);
        var m = new ModelBuilder().Input("x", TensorProto.Types.DataType.Float, 2)
            .Output("x", TensorProto.Types.DataType.Float, 2).Initializer(t);
        var e = Rejects(() => new InferenceSession(m.ToBytes()));
        Assert.Contains("raw_data", e.Message);
    }

    [Theory]
    [InlineData("/etc/passwd", "relative path")]
    [InlineData("../outside.bin", "leaves the model's folder")]
    [InlineData("sub/../../outside.bin", "leaves the model's folder")]
    public void ExternalDataCannotLeaveTheModelFolder(string location, string expected)
    {
        File.WriteAllBytes(Path.Combine(Path.GetDirectoryName(_dir)!, "outside.bin"), new byte[64]);
        var e = Rejects(() => new InferenceSession(SaveWithExternal(location, offset: 0, length: 16)));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ExternalDataPastTheEndOfTheFileIsRejected()
    {
        File.WriteAllBytes(Path.Combine(_dir, "weights.bin"), new byte[32]);
        var e = Rejects(() => new InferenceSession(SaveWithExternal("weights.bin", offset: 24, length: 16)));
        Assert.Contains("past the end", e.Message);
    }

    [Fact]
    public void ExternalDataIsMappedAndRead()
    {
        var floats = new float[] { 1, 2, 3, 4 };
        var bytes = new byte[128];
        Buffer.BlockCopy(floats, 0, bytes, 64, 16);
        File.WriteAllBytes(Path.Combine(_dir, "weights.bin"), bytes);
        var model = Onnx.OnnxModelLoader.Load(SaveWithExternal("weights.bin", offset: 64, length: 16));
        Assert.Equal(floats, model.Graph.Initializers["w"].ToArray<float>());
    }

    private string SaveWithExternal(string location, long offset, long length)
    {
        var t = new TensorProto { Name = "w", DataType = (int)TensorProto.Types.DataType.Float, DataLocation = TensorProto.Types.DataLocation.External };
        t.Dims.Add(4);
        t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString() });
        t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.ToString() });
        var m = new ModelBuilder().Input("x", TensorProto.Types.DataType.Float, 4)
            .Output("x", TensorProto.Types.DataType.Float, 4).Initializer(t);
        return m.Save(Path.Combine(_dir, "model.onnx"));
    }
}
