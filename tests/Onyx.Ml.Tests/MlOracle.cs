using Google.Protobuf;
using Onnx;
using Xunit;
using Ort = Microsoft.ML.OnnxRuntime;
using OrtTensors = Microsoft.ML.OnnxRuntime.Tensors;

namespace Onyx.Ml.Tests;

/// <summary>One model input: name, element type and data (float[], double[], long[], int[] or string[]) with a shape.</summary>
internal sealed record Feed(string Name, Array Data, int[] Shape);

/// <summary>Builds one-node ai.onnx.ml models in code and checks Onyx against ONNX Runtime on them.</summary>
internal static class MlOracle
{
    public static AttributeProto A(string name, long v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v };
    public static AttributeProto A(string name, float v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = v };
    public static AttributeProto A(string name, string v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(v) };
    public static AttributeProto A(string name, long[] v) { var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints }; a.Ints.AddRange(v); return a; }
    public static AttributeProto A(string name, float[] v) { var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats }; a.Floats.AddRange(v); return a; }
    public static AttributeProto A(string name, string[] v) { var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Strings }; a.Strings.AddRange(v.Select(ByteString.CopyFromUtf8)); return a; }
    public static AttributeProto A(string name, TensorProto t) { t.Name = name; return new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = t }; }

    public static TensorProto T(double[] v, TensorProto.Types.DataType type = TensorProto.Types.DataType.Double)
    {
        var t = new TensorProto { DataType = (int)type };
        t.Dims.Add(v.Length);
        if (type == TensorProto.Types.DataType.Double) t.DoubleData.AddRange(v);
        else t.FloatData.AddRange(v.Select(x => (float)x));
        return t;
    }

    public static TensorProto Bytes(byte[] v)
    {
        var t = new TensorProto { DataType = (int)TensorProto.Types.DataType.Uint8 };
        t.Dims.Add(v.Length);
        t.Int32Data.AddRange(v.Select(b => (int)b));
        return t;
    }

    private static TensorProto.Types.DataType TypeOf(Array data) => data switch
    {
        float[] => TensorProto.Types.DataType.Float,
        double[] => TensorProto.Types.DataType.Double,
        long[] => TensorProto.Types.DataType.Int64,
        int[] => TensorProto.Types.DataType.Int32,
        string[] => TensorProto.Types.DataType.String,
        _ => throw new ArgumentException(data.GetType().Name),
    };

    private static ValueInfoProto Info(string name, TensorProto.Types.DataType? type, int[]? shape)
    {
        var v = new ValueInfoProto { Name = name, Type = new TypeProto() };
        if (type is null) return v;
        var tt = new TypeProto.Types.Tensor { ElemType = (int)type.Value, Shape = new TensorShapeProto() };
        if (shape is not null) foreach (var d in shape) tt.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        v.Type.TensorType = tt;
        return v;
    }

    /// <summary>A one-node model; outputs declared with their element types (null for non-tensor outputs).</summary>
    public static byte[] Model(string op, Feed[] inputs, (string Name, TensorProto.Types.DataType? Type)[] outputs, int mlOpset, params AttributeProto[] attrs) =>
        Model(op, "ai.onnx.ml", inputs, outputs, mlOpset, attrs);

    /// <summary>A one-node model of an op in <paramref name="domain"/> ("" for the default ONNX domain, opset 17).</summary>
    public static byte[] Model(string op, string domain, Feed[] inputs, (string Name, TensorProto.Types.DataType? Type)[] outputs, int mlOpset, params AttributeProto[] attrs)
    {
        var m = new ModelProto { IrVersion = 8, ProducerName = "onyx-ml-tests", Graph = new GraphProto { Name = "g" } };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "ai.onnx.ml", Version = mlOpset });
        var node = new NodeProto { OpType = op, Domain = domain, Name = "n0" };
        foreach (var i in inputs) { node.Input.Add(i.Name); m.Graph.Input.Add(Info(i.Name, TypeOf(i.Data), i.Shape)); }
        foreach (var o in outputs)
        {
            node.Output.Add(o.Name);
            var vi = Info(o.Name, o.Type, null);
            if (o.Type is not null) vi.Type.TensorType.Shape = null;
            m.Graph.Output.Add(vi);
        }
        node.Attribute.AddRange(attrs);
        m.Graph.Node.Add(node);
        return m.ToByteArray();
    }

    private static Ort.NamedOnnxValue OrtInput(Feed f) => f.Data switch
    {
        float[] a => Ort.NamedOnnxValue.CreateFromTensor(f.Name, new OrtTensors.DenseTensor<float>(a, f.Shape)),
        double[] a => Ort.NamedOnnxValue.CreateFromTensor(f.Name, new OrtTensors.DenseTensor<double>(a, f.Shape)),
        long[] a => Ort.NamedOnnxValue.CreateFromTensor(f.Name, new OrtTensors.DenseTensor<long>(a, f.Shape)),
        int[] a => Ort.NamedOnnxValue.CreateFromTensor(f.Name, new OrtTensors.DenseTensor<int>(a, f.Shape)),
        string[] a => Ort.NamedOnnxValue.CreateFromTensor(f.Name, new OrtTensors.DenseTensor<string>(a, f.Shape)),
        _ => throw new ArgumentException(f.Data.GetType().Name),
    };

    private static Onyx.Tensors.Tensor OnyxInput(Feed f) => f.Data switch
    {
        float[] a => Onyx.Tensors.Tensor.FromArray(a, f.Shape),
        double[] a => Onyx.Tensors.Tensor.FromArray(a, f.Shape),
        long[] a => Onyx.Tensors.Tensor.FromArray(a, f.Shape),
        int[] a => Onyx.Tensors.Tensor.FromArray(a, f.Shape),
        string[] a => Onyx.Tensors.Tensor.FromStrings((string[])a.Clone(), f.Shape),
        _ => throw new ArgumentException(f.Data.GetType().Name),
    };

    /// <summary>Runs the model in Onyx only.</summary>
    public static Onyx.Tensors.OnnxValue[] RunOnyx(byte[] model, params Feed[] inputs)
    {
        using var s = new Onyx.InferenceSession(model);
        var feeds = inputs.Select(f => Onyx.NamedOnnxValue.CreateFromOnnxValue(f.Name, OnyxInput(f))).ToList();
        using var r = s.Run(feeds);
        return r.Select(v => v.OnnxValue).ToArray();
    }

    /// <summary>Runs the model in Onyx and ONNX Runtime and asserts every tensor output agrees (shape, type, values within rtol 1e-4/atol 1e-5).</summary>
    public static void Check(byte[] model, params Feed[] inputs)
    {
        var onyx = RunOnyx(model, inputs);
        using var ort = new Ort.InferenceSession(model);
        using var expected = ort.Run(inputs.Select(OrtInput).ToList());
        Assert.Equal(expected.Count, onyx.Length);
        for (int k = 0; k < onyx.Length; k++)
        {
            var e = expected[k];
            var a = Assert.IsType<Onyx.Tensors.Tensor>(onyx[k]);
            switch (e.ElementType)
            {
                case Ort.Tensors.TensorElementType.Float:
                {
                    var et = e.AsTensor<float>();
                    Assert.Equal(et.Dimensions.ToArray(), a.Shape);
                    Near(et.ToArray().Select(x => (double)x).ToArray(), a.ToDoubleArray(), e.Name);
                    break;
                }
                case Ort.Tensors.TensorElementType.Double:
                {
                    var et = e.AsTensor<double>();
                    Assert.Equal(et.Dimensions.ToArray(), a.Shape);
                    Near(et.ToArray(), a.ToDoubleArray(), e.Name);
                    break;
                }
                case Ort.Tensors.TensorElementType.Int64:
                {
                    var et = e.AsTensor<long>();
                    Assert.Equal(et.Dimensions.ToArray(), a.Shape);
                    Assert.Equal(et.ToArray(), a.ToInt64Array());
                    break;
                }
                case Ort.Tensors.TensorElementType.Int32:
                {
                    var et = e.AsTensor<int>();
                    Assert.Equal(et.Dimensions.ToArray(), a.Shape);
                    Assert.Equal(et.ToArray(), a.Span<int>().ToArray());
                    break;
                }
                case Ort.Tensors.TensorElementType.String:
                {
                    var et = e.AsTensor<string>();
                    Assert.Equal(et.Dimensions.ToArray(), a.Shape);
                    Assert.Equal(et.ToArray(), a.Strings);
                    break;
                }
                default: throw new InvalidOperationException($"unhandled output type {e.ElementType}");
            }
        }
    }

    private static void Near(double[] expected, double[] actual, string name)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsNaN(e) && double.IsNaN(a)) continue;
            Assert.True(Math.Abs(e - a) <= 1e-5 + 1e-4 * Math.Abs(e), $"{name}[{i}]: expected {e}, got {a}");
        }
    }
}
