using Google.Protobuf;
using Onnx;
using Onyx.Core.Ir;
using Onyx.Onnx;
using Onyx.Tensors;

namespace Onyx.OpenVino;

/// <summary>Writes an IR graph back to an ONNX <c>ModelProto</c> (blobs of the model cache, EPContext payloads).</summary>
public static class GraphSerializer
{
    /// <summary>The graph as a model; <paramref name="lowPrecision"/> initializers are stored as FP16/BF16.</summary>
    public static ModelProto ToModel(Graph g, IReadOnlyCollection<string>? lowPrecision = null, InferencePrecision precision = InferencePrecision.FP32)
    {
        var m = new ModelProto { IrVersion = 10, ProducerName = "Onyx.OpenVino", Graph = ToGraph(g, lowPrecision, precision) };
        var imports = new Dictionary<string, int>(g.Opsets, StringComparer.Ordinal);
        // Optimizer passes create nodes at their own opset (com.microsoft FusedConv v1, LayerNormalization
        // v17 in an opset-13 model, onyx.MatMulBias): import every domain used and keep each node's
        // version where it differs from its domain's import, so the graph reloads exactly as compiled.
        var overrides = new List<string>();
        for (int i = 0; i < g.Nodes.Count; i++)
        {
            var n = g.Nodes[i];
            if (n.OpsetVersion <= 0) continue;
            if (!imports.TryGetValue(n.Domain, out int imported)) imports[n.Domain] = imported = n.OpsetVersion;
            if (n.OpsetVersion != imported) overrides.Add($"{i}:{n.OpType}:{n.OpsetVersion}");
        }
        foreach (var (domain, version) in imports) m.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
        if (overrides.Count > 0) m.MetadataProps.Add(new StringStringEntryProto { Key = NodeOpsetsKey, Value = string.Join(";", overrides) });
        return m;
    }

    private const string NodeOpsetsKey = "onyx.node_opsets";

    /// <summary>
    /// Puts back the per-node opset versions <see cref="ToModel"/> recorded, on <paramref name="g"/> loaded
    /// from <paramref name="model"/>; an entry that does not match the graph throws (the blob is then rejected).
    /// </summary>
    public static void RestoreNodeOpsets(ModelProto model, Graph g)
    {
        var entry = model.MetadataProps.FirstOrDefault(p => p.Key == NodeOpsetsKey);
        if (entry is null) return;
        foreach (var item in entry.Value.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = item.Split(':');
            if (parts.Length != 3 || !int.TryParse(parts[0], out int index) || !int.TryParse(parts[2], out int version)
                || (uint)index >= (uint)g.Nodes.Count || g.Nodes[index].OpType != parts[1] || version <= 0)
                throw new FormatException($"node opset entry '{item}' does not match the graph");
            g.Nodes[index].OpsetVersion = version;
        }
    }

    /// <summary>A GraphProto for <paramref name="g"/> (recursively for bodies).</summary>
    public static GraphProto ToGraph(Graph g, IReadOnlyCollection<string>? lowPrecision = null, InferencePrecision precision = InferencePrecision.FP32)
    {
        var p = new GraphProto { Name = g.Name };
        foreach (var v in g.Inputs) p.Input.Add(ValueInfo(v));
        foreach (var v in g.Outputs) p.Output.Add(ValueInfo(v));
        foreach (var v in g.ValueInfos.Values) p.ValueInfo.Add(ValueInfo(v));
        foreach (var (name, t) in g.Initializers)
        {
            var stored = lowPrecision is not null && lowPrecision.Contains(name) ? ToLow(t, precision) : t;
            p.Initializer.Add(TensorProtoWriter.Write(stored, name));
        }
        foreach (var n in g.Nodes)
        {
            var np = new NodeProto { Name = n.Name, OpType = n.OpType, Domain = n.Domain };
            np.Input.AddRange(n.Inputs);
            np.Output.AddRange(n.Outputs);
            foreach (var a in n.Attributes.All) np.Attribute.Add(Attribute(a));
            p.Node.Add(np);
        }
        return p;
    }

    /// <summary>An FP32 tensor stored as FP16 or BF16.</summary>
    public static Tensor ToLow(Tensor t, InferencePrecision precision)
    {
        var src = t.Span<float>();
        if (precision == InferencePrecision.FP16)
        {
            var r = Tensor.Allocate(DType.Float16, t.Shape, zero: false);
            var d = r.Span<Half>();
            for (int i = 0; i < src.Length; i++) d[i] = (Half)src[i];
            return r;
        }
        var b = Tensor.Allocate(DType.BFloat16, t.Shape, zero: false);
        var bd = b.Span<BFloat16>();
        for (int i = 0; i < src.Length; i++) bd[i] = BFloat16.FromFloat(src[i]);
        return b;
    }

    /// <summary>An FP16/BF16 tensor widened to FP32 (exact).</summary>
    public static Tensor ToFloat(Tensor t)
    {
        var r = Tensor.Allocate(DType.Float32, t.Shape, zero: false);
        var d = r.Span<float>();
        if (t.DType == DType.Float16)
        {
            var s = t.Span<Half>();
            for (int i = 0; i < s.Length; i++) d[i] = (float)s[i];
        }
        else
        {
            var s = t.Span<BFloat16>();
            for (int i = 0; i < s.Length; i++) d[i] = s[i].ToFloat();
        }
        return r;
    }

    private static ValueInfoProto ValueInfo(ValueInfo v)
    {
        var p = new ValueInfoProto { Name = v.Name, DocString = v.DocString };
        if (v.Type is { } t && Type(t) is { } tp) p.Type = tp;
        return p;
    }

    /// <summary>TypeInfo → TypeProto (null for types ONNX cannot spell).</summary>
    public static TypeProto? Type(TypeInfo? t)
    {
        switch (t)
        {
            case TensorTypeInfo tt:
            {
                var tensor = new TypeProto.Types.Tensor { ElemType = (int)tt.ElementType };
                if (tt.Shape is not null) tensor.Shape = Shape(tt.Shape);
                return new TypeProto { TensorType = tensor };
            }
            case SparseTensorTypeInfo st:
            {
                var sparse = new TypeProto.Types.SparseTensor { ElemType = (int)st.ElementType };
                if (st.Shape is not null) sparse.Shape = Shape(st.Shape);
                return new TypeProto { SparseTensorType = sparse };
            }
            case SequenceTypeInfo s:
                return new TypeProto { SequenceType = new TypeProto.Types.Sequence { ElemType = Type(s.ElementType) } };
            case OptionalTypeInfo o:
                return new TypeProto { OptionalType = new TypeProto.Types.Optional { ElemType = Type(o.ElementType) } };
            case MapTypeInfo m:
                return new TypeProto { MapType = new TypeProto.Types.Map { KeyType = (int)m.KeyType, ValueType = Type(m.ValueType) } };
            default:
                return null;
        }
    }

    private static TensorShapeProto Shape(Dim[] dims)
    {
        var s = new TensorShapeProto();
        foreach (var d in dims)
        {
            var dp = new TensorShapeProto.Types.Dimension();
            if (d.Value is { } v) dp.DimValue = v;
            else if (d.Symbol is { } sym) dp.DimParam = sym;
            s.Dim.Add(dp);
        }
        return s;
    }

    private static AttributeProto Attribute(Core.Ir.Attribute a)
    {
        var p = new AttributeProto { Name = a.Name, Type = (AttributeProto.Types.AttributeType)(int)a.Kind };
        if (a.RefAttrName is not null) p.RefAttrName = a.RefAttrName;
        switch (a.Kind)
        {
            case AttributeKind.Float: p.F = a.Float; break;
            case AttributeKind.Int: p.I = a.Int; break;
            case AttributeKind.String: p.S = ByteString.CopyFrom(a.Bytes ?? []); break;
            case AttributeKind.Tensor: p.T = TensorProtoWriter.Write(a.Tensor!); break;
            case AttributeKind.Graph: p.G = ToGraph(a.Graph!); break;
            case AttributeKind.TypeProto: p.Tp = Type(a.TypeInfo); break;
            case AttributeKind.Floats: p.Floats.AddRange(a.Floats ?? []); break;
            case AttributeKind.Ints: p.Ints.AddRange(a.Ints ?? []); break;
            case AttributeKind.Strings: foreach (var b in a.BytesList ?? []) p.Strings.Add(ByteString.CopyFrom(b)); break;
            case AttributeKind.Tensors: foreach (var t in a.Tensors ?? []) p.Tensors.Add(TensorProtoWriter.Write(t)); break;
            case AttributeKind.Graphs: foreach (var g in a.Graphs ?? []) p.Graphs.Add(ToGraph(g)); break;
            case AttributeKind.TypeProtos: foreach (var t in a.TypeInfos ?? []) p.TypeProtos.Add(Type(t)); break;
            default:
                throw new NotSupportedException($"attribute '{a.Name}' of kind {a.Kind} cannot be serialized");
        }
        return p;
    }
}
