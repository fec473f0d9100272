using Onnx;
using Xunit;
using static Onyx.Ml.Tests.MlOracle;
using DT = Onnx.TensorProto.Types.DataType;
using OT = Onyx.Tensors;

namespace Onyx.Ml.Tests;

/// <summary>Ops whose inputs or outputs are maps or sequences, checked against hand-computed values.</summary>
public class MapOpsTests
{
    private static byte[] MapModel(string op, DT keyType, DT valueType, DT outType, params AttributeProto[] attrs)
    {
        var m = new ModelProto { IrVersion = 8, Graph = new GraphProto { Name = "g" } };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "ai.onnx.ml", Version = 1 });
        var mapType = new TypeProto { MapType = new TypeProto.Types.Map { KeyType = (int)keyType, ValueType = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)valueType } } } };
        m.Graph.Input.Add(new ValueInfoProto { Name = "X", Type = mapType });
        m.Graph.Output.Add(new ValueInfoProto { Name = "Y", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)outType } } });
        var n = new NodeProto { OpType = op, Domain = "ai.onnx.ml", Name = "n0" };
        n.Input.Add("X"); n.Output.Add("Y"); n.Attribute.AddRange(attrs);
        m.Graph.Node.Add(n);
        return Google.Protobuf.MessageExtensions.ToByteArray(m);
    }

    private static OT.Tensor Run(byte[] model, OT.MapValue map)
    {
        using var s = new Onyx.InferenceSession(model);
        using var r = s.Run([Onyx.NamedOnnxValue.CreateFromOnnxValue("X", map)]);
        return Assert.IsType<OT.Tensor>(r[0].OnnxValue);
    }

    [Fact]
    public void DictVectorizerStringKeys()
    {
        var map = new OT.MapValue(OT.Tensor.FromStrings(["c", "a", "q"], 3), OT.Tensor.FromArray(new[] { 8f, 4f, 1f }, 3));
        var y = Run(MapModel("DictVectorizer", DT.String, DT.Float, DT.Float, A("string_vocabulary", new[] { "a", "c", "b", "z" })), map);
        Assert.Equal(new[] { 1, 4 }, y.Shape);
        Assert.Equal(new[] { 4f, 8f, 0f, 0f }, y.ToArray<float>());
    }

    [Fact]
    public void CastMapDenseAndSparse()
    {
        var map = new OT.MapValue(OT.Tensor.FromArray(new long[] { 3, 0, 1 }, 3), OT.Tensor.FromArray(new[] { 3.5f, 0.5f, 1.5f }, 3));
        var dense = Run(MapModel("CastMap", DT.Int64, DT.Float, DT.Float), map);
        Assert.Equal(new[] { 0.5f, 1.5f, 3.5f }, dense.ToArray<float>());
        var sparse = Run(MapModel("CastMap", DT.Int64, DT.Float, DT.Int64, A("map_form", "SPARSE"), A("max_map", 5L), A("cast_to", "TO_INT64")), map);
        Assert.Equal(new long[] { 0, 1, 0, 3, 0 }, sparse.ToArray<long>());
    }

    [Fact]
    public void ZipMapStringKeysFromOneDimensionalInput()
    {
        var x = new Feed("X", new[] { 0.25f, 0.75f }, [2]);
        var r = RunOnyx(Model("ZipMap", [x], [("Z", null)], 1, A("classlabels_strings", new[] { "no", "yes" })), x);
        var seq = Assert.IsType<OT.SequenceValue>(r[0]);
        var m = Assert.IsType<OT.MapValue>(Assert.Single(seq.Items));
        Assert.Equal(new[] { "no", "yes" }, m.Keys.Strings);
        Assert.Equal(new[] { 0.25f, 0.75f }, m.Values.ToArray<float>());
    }

    [Fact]
    public void LabelEncoderOpset1BothDirections()
    {
        var s = new Feed("X", new[] { "b", "zz", "a" }, [3]);
        Check(Model("LabelEncoder", [s], [("Y", DT.Int64)], 1, A("classes_strings", new[] { "a", "b" }), A("default_int64", 9L)), s);
        var i = new Feed("X", new long[] { 1, 5, 0 }, [3]);
        Check(Model("LabelEncoder", [i], [("Y", DT.String)], 1, A("classes_strings", new[] { "a", "b" }), A("default_string", "none")), i);
    }
}
