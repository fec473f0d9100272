using Onnx;
using Xunit;

namespace Onyx.Tests.Loading;

/// <summary>External weights in a file over 2 GB (sparse on disk) load by memory map, without copying.</summary>
public sealed class LargeExternalDataTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("onyx-large-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void WeightsPastTwoGigabytesAreMappedNotCopied()
    {
        const long offset = (2L << 30) + (64L << 20); // 2.0625 GiB, 64-byte aligned
        string data = Path.Combine(_dir, "weights.bin");
        var values = new float[] { 1.5f, -2.25f, 3.125f, 4f, 5f, 6f, 7f, 8f };
        using (var f = new FileStream(data, FileMode.Create, FileAccess.Write))
        {
            f.SetLength(offset + 4096); // sparse: the file system stores only the written block
            f.Position = offset;
            var bytes = new byte[values.Length * 4];
            Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
            f.Write(bytes);
        }
        Assert.True(new FileInfo(data).Length > int.MaxValue);

        var t = new TensorProto { Name = "w", DataType = (int)TensorProto.Types.DataType.Float, DataLocation = TensorProto.Types.DataLocation.External };
        t.Dims.Add(values.Length);
        t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.bin" });
        t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString() });
        t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = (values.Length * 4).ToString() });
        var m = new ModelBuilder().Input("x", TensorProto.Types.DataType.Float, values.Length)
            .Output("y", TensorProto.Types.DataType.Float, values.Length).Initializer(t)
            .Node("Add", ["x", "w"], ["y"]);
        string path = m.Save(Path.Combine(_dir, "model.onnx"));

        var model = Onyx.Onnx.OnnxModelLoader.Load(path);
        var w = model.Graph.Initializers["w"];
        Assert.Equal(values, w.ToArray<float>());
        Assert.NotNull(w.Buffer!.Owner); // a view over the mapped file, not an owned copy

        using var session = new InferenceSession(path);
        using var r = session.Run([NamedOnnxValue.CreateFromTensor("x", new Onyx.Tensors.DenseTensor<float>(new float[values.Length], [values.Length]))]);
        Assert.Equal(values, r[0].AsTensor<float>().ToArray());
    }
}
