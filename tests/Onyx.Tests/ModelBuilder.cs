using Google.Protobuf;
using Onnx;

namespace Onyx.Tests;

/// <summary>Builds small ONNX models in code for tests: inputs, outputs, initializers, nodes.</summary>
internal sealed class ModelBuilder
{
    private readonly ModelProto _model = new() { IrVersion = 9, ProducerName = "onyx-tests", Graph = new GraphProto { Name = "g" } };

    public ModelBuilder(int opset = 21) => _model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });

    public GraphProto Graph => _model.Graph;

    public ModelBuilder Input(string name, TensorProto.Types.DataType type, params long[] dims)
    {
        _model.Graph.Input.Add(ValueInfo(name, type, dims));
        return this;
    }

    public ModelBuilder Output(string name, TensorProto.Types.DataType type, params long[] dims)
    {
        _model.Graph.Output.Add(ValueInfo(name, type, dims));
        return this;
    }

    public ModelBuilder Initializer(string name, float[] values, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        t.FloatData.AddRange(values);
        _model.Graph.Initializer.Add(t);
        return this;
    }

    public ModelBuilder Initializer(TensorProto tensor)
    {
        _model.Graph.Initializer.Add(tensor);
        return this;
    }

    public ModelBuilder Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = $"{op.ToLowerInvariant()}_{_model.Graph.Node.Count}" };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        n.Attribute.AddRange(attributes);
        _model.Graph.Node.Add(n);
        return this;
    }

    public static AttributeProto Attr(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };
    public static AttributeProto Attr(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };
    public static AttributeProto Attr(string name, long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d >= 0 ? new TensorShapeProto.Types.Dimension { DimValue = d } : new TensorShapeProto.Types.Dimension { DimParam = $"d{shape.Dim.Count}" });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    public byte[] ToBytes() => _model.ToByteArray();

    public ModelProto Proto => _model;

    public string Save(string path)
    {
        File.WriteAllBytes(path, ToBytes());
        return path;
    }
}
