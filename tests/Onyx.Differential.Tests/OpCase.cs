using Google.Protobuf;
using Onnx;

namespace Onyx.Differential.Tests;

/// <summary>How one input of a differential case is made.</summary>
public abstract record InputSpec(string Name, long[] Shape)
{
    /// <summary>True when the value is a graph initializer (a constant such as a shape or axes).</summary>
    public virtual bool IsConstant => false;
}

/// <summary>Seeded random floats in [-Scale, Scale].</summary>
public sealed record FloatInput(string Name, long[] Shape, float Scale = 1f) : InputSpec(Name, Shape);

/// <summary>Seeded random positive floats in [Low, High] (for Log, Sqrt, Pow bases).</summary>
public sealed record PositiveInput(string Name, long[] Shape, float Low = 0.1f, float High = 4f) : InputSpec(Name, Shape);

/// <summary>Seeded random int64 in [Low, High).</summary>
public sealed record IntInput(string Name, long[] Shape, long Low, long High) : InputSpec(Name, Shape);

/// <summary>Seeded random booleans.</summary>
public sealed record BoolInput(string Name, long[] Shape) : InputSpec(Name, Shape);

/// <summary>A constant int64 tensor (initializer).</summary>
public sealed record ConstInts(string Name, long[] Values, long[]? Dims = null) : InputSpec(Name, Dims ?? [Values.Length])
{
    public override bool IsConstant => true;
}

/// <summary>A constant float tensor (initializer).</summary>
public sealed record ConstFloats(string Name, float[] Values, long[]? Dims = null) : InputSpec(Name, Dims ?? [Values.Length])
{
    public override bool IsConstant => true;
}

/// <summary>An omitted optional input.</summary>
public sealed record Missing() : InputSpec("", []);

/// <summary>One op invocation to run on both runtimes: op, opset, inputs, attributes, output count.</summary>
public sealed record OpCase(string Label, string Op, int Opset, InputSpec[] Inputs, AttributeProto[] Attributes, int Outputs = 1,
    float Rtol = 1e-4f, float Atol = 1e-5f, string? Pre = null)
{
    public override string ToString() => Label;

    /// <summary>The case as a one-node model (optionally after a Transpose of input 0, making it a strided view upstream).</summary>
    public byte[] ToModel()
    {
        var g = new GraphProto { Name = Label };
        var model = new ModelProto { IrVersion = 9, ProducerName = "onyx-differential", Graph = g };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        var node = new NodeProto { OpType = Op, Name = "op" };
        foreach (var input in Inputs)
        {
            switch (input)
            {
                case Missing:
                    node.Input.Add("");
                    continue;
                case ConstInts c:
                {
                    var t = new TensorProto { Name = c.Name, DataType = (int)TensorProto.Types.DataType.Int64 };
                    t.Dims.AddRange(c.Shape);
                    t.Int64Data.AddRange(c.Values);
                    g.Initializer.Add(t);
                    break;
                }
                case ConstFloats c:
                {
                    var t = new TensorProto { Name = c.Name, DataType = (int)TensorProto.Types.DataType.Float };
                    t.Dims.AddRange(c.Shape);
                    t.FloatData.AddRange(c.Values);
                    g.Initializer.Add(t);
                    break;
                }
                default:
                    g.Input.Add(ValueInfo(input.Name, input switch
                    {
                        IntInput => TensorProto.Types.DataType.Int64,
                        BoolInput => TensorProto.Types.DataType.Bool,
                        _ => TensorProto.Types.DataType.Float,
                    }, input.Shape));
                    break;
            }
            node.Input.Add(input.Name);
        }
        if (Pre == "transpose0")
        {
            // Feed input 0 through a Transpose so the op reads a value another op just permuted.
            var first = Inputs[0];
            var perm = Enumerable.Range(0, first.Shape.Length).Reverse().Select(i => (long)i).ToArray();
            g.Input[0] = ValueInfo(first.Name, TensorProto.Types.DataType.Float, perm.Select(p => first.Shape[p]).ToArray());
            var tr = new NodeProto { OpType = "Transpose", Name = "pre" };
            tr.Input.Add(first.Name);
            tr.Output.Add(first.Name + "_t");
            var a = new AttributeProto { Name = "perm", Type = AttributeProto.Types.AttributeType.Ints };
            a.Ints.AddRange(perm);
            tr.Attribute.Add(a);
            g.Node.Add(tr);
            node.Input[0] = first.Name + "_t";
        }
        for (int i = 0; i < Outputs; i++)
        {
            node.Output.Add($"out{i}");
            g.Output.Add(new ValueInfoProto { Name = $"out{i}" });
        }
        node.Attribute.AddRange(Attributes);
        g.Node.Add(node);
        return model.ToByteArray();
    }

    /// <summary>Shape of a graph input as fed (after the optional pre-transpose).</summary>
    public long[] FedShape(InputSpec s) =>
        Pre == "transpose0" && ReferenceEquals(s, Inputs[0]) ? s.Shape.Reverse().ToArray() : s.Shape;

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }
}
