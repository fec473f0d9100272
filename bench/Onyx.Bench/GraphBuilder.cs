using Google.Protobuf;
using Onnx;

namespace Onyx.Bench;

/// <summary>Builds benchmark-shaped models with seeded random weights (no model hub needed).</summary>
internal sealed class GraphBuilder
{
    private readonly ModelProto _model;
    private readonly Random _rng = new(1234);
    private int _id;

    public GraphBuilder(string name, int opset = 17)
    {
        _model = new ModelProto { IrVersion = 8, ProducerName = "onyx-bench", Graph = new GraphProto { Name = name } };
        _model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
    }

    public GraphProto Graph => _model.Graph;

    public string Fresh(string prefix) => $"{prefix}_{_id++}";

    public void Input(string name, TensorProto.Types.DataType type, params object[] dims) => Graph.Input.Add(Vi(name, type, dims));

    public void Output(string name, TensorProto.Types.DataType type, params object[] dims) => Graph.Output.Add(Vi(name, type, dims));

    private static ValueInfoProto Vi(string name, TensorProto.Types.DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d) });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }

    /// <summary>A float initializer of random values in [-scale, scale].</summary>
    public string Weight(float scale, params long[] dims)
    {
        long n = dims.Aggregate(1L, (a, b) => a * b);
        var data = new float[n];
        for (long i = 0; i < n; i++) data[i] = (float)((_rng.NextDouble() * 2 - 1) * scale);
        return Const(data, dims, "w");
    }

    public string Const(float[] data, long[] dims, string prefix = "c")
    {
        var t = new TensorProto { Name = Fresh(prefix), DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        var bytes = new byte[data.Length * 4];
        Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
        t.RawData = ByteString.CopyFrom(bytes);
        Graph.Initializer.Add(t);
        return t.Name;
    }

    public string ConstInt64(long[] data)
    {
        var t = new TensorProto { Name = Fresh("i"), DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.Add(data.Length);
        t.Int64Data.AddRange(data);
        Graph.Initializer.Add(t);
        return t.Name;
    }

    public string Node(string op, string[] inputs, params AttributeProto[] attrs) => NodeMulti(op, inputs, 1, attrs)[0];

    public string[] NodeMulti(string op, string[] inputs, int outputs, params AttributeProto[] attrs)
    {
        var n = new NodeProto { OpType = op, Name = Fresh(op.ToLowerInvariant()) };
        n.Input.AddRange(inputs);
        for (int i = 0; i < outputs; i++) n.Output.Add(Fresh(op.ToLowerInvariant() + "_out"));
        n.Attribute.AddRange(attrs);
        Graph.Node.Add(n);
        return n.Output.ToArray();
    }

    public static AttributeProto Ints(string name, params long[] v)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(v);
        return a;
    }

    public static AttributeProto Int(string name, long v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v };

    public static AttributeProto Float(string name, float v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = v };

    /// <summary>Renames the last node's output to <paramref name="name"/> (a graph output).</summary>
    public void NameOutput(string value, string name)
    {
        foreach (var n in Graph.Node)
            for (int i = 0; i < n.Output.Count; i++)
                if (n.Output[i] == value) n.Output[i] = name;
    }

    public byte[] ToBytes() => _model.ToByteArray();
}
