using System.IO.MemoryMappedFiles;
using Google.Protobuf;
using Onnx;
using Onyx.Core.Diagnostics;
using Onyx.Core.Ir;
using Onyx.Tensors;
using IrAttribute = Onyx.Core.Ir.Attribute;

namespace Onyx.Onnx;

/// <summary>
/// Loads an ONNX <c>ModelProto</c> into the Onyx IR: opsets, graph interface, initializers
/// (typed, raw, sparse, external), subgraphs, model-local functions (inlined) and metadata.
/// </summary>
public static class OnnxModelLoader
{
    /// <summary>Protobuf nesting limit: deep enough for real subgraph nesting, shallow enough to stop a hostile file.</summary>
    private const int RecursionLimit = 200;

    /// <summary>Loads a model file; external data is resolved relative to its folder.</summary>
    public static unsafe Model Load(string path)
    {
        if (!File.Exists(path))
            throw new OnnxRuntimeException(ErrorCode.NoSuchFile, $"model file '{path}' does not exist");
        string full = Path.GetFullPath(path);
        long length = new FileInfo(full).Length;
        if (length is > 0 and <= int.MaxValue)
        {
            // Mapped, not read: weights are copied once, from the page cache into their tensors.
            using var map = MemoryMappedFile.CreateFromFile(full, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            using var view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            try
            {
                if (TryLoadStripped(p + view.PointerOffset, (int)length, full) is { } model) return model;
            }
            finally
            {
                view.SafeMemoryMappedViewHandle.ReleasePointer();
            }
        }
        using var stream = File.OpenRead(full);
        return Load(stream, full);
    }

    /// <summary>Loads a model from bytes (external data is then an error).</summary>
    public static unsafe Model Load(byte[] bytes)
    {
        fixed (byte* p = bytes)
            if (bytes.Length > 0 && TryLoadStripped(p, bytes.Length, null) is { } model) return model;
        return Load(new MemoryStream(bytes, writable: false), null);
    }

    /// <summary>Loads a model from a stream; <paramref name="path"/> (optional) roots external data and names the model in errors.</summary>
    public static Model Load(Stream stream, string? path) => FromProto(Parse(stream, path), path);

    /// <summary>
    /// Parses the model with the main graph's initializer payloads stripped (see <see cref="InitializerStripper"/>)
    /// and reads each payload from <paramref name="bytes"/>; null when the bytes are not plain enough to strip.
    /// </summary>
    private static unsafe Model? TryLoadStripped(byte* bytes, int length, string? path)
    {
        var start = LoadProfile.Start();
        var stripped = InitializerStripper.Strip(new ReadOnlySpan<byte>(bytes, length));
        LoadProfile.Record("parse.strip-initializers", start);
        if (stripped is null) return null;
        var proto = Parse(new MemoryStream(stripped.Model, writable: false), path);
        if (proto.Graph.Initializer.Count != stripped.Raw.Count) return null;
        // Inlining a model-local function clones the call's attributes, which would lose the link to
        // their stripped payloads: such models take the plain parse.
        var attributeRaw = stripped.AttributeRaw;
        if (proto.Functions.Count > 0 && attributeRaw.Count > 0) return null;
        // Tensor to its index in attributeRaw (an int value: the framework has ReadyToRun code for that dictionary).
        var attributeTensors = new Dictionary<TensorProto, int>(attributeRaw.Count, ReferenceEqualityComparer.Instance);
        for (int k = 0; k < attributeRaw.Count; k++)
        {
            int node = attributeRaw.TagA(k), attribute = attributeRaw.TagB(k);
            if (node >= proto.Graph.Node.Count || attribute >= proto.Graph.Node[node].Attribute.Count) return null;
            if (proto.Graph.Node[node].Attribute[attribute].T is not { } t) return null;
            attributeTensors[t] = k;
        }
        return FromProto(proto, path, new RawPayloads(bytes, stripped.Raw, attributeRaw, attributeTensors));
    }

    private static ModelProto Parse(Stream stream, string? path)
    {
        string name = path is null ? "model" : Path.GetFileName(path);
        ModelProto proto;
        var start = LoadProfile.Start();
        try
        {
            proto = ModelProto.Parser.WithDiscardUnknownFields(true).ParseFrom(CodedInputStream.CreateWithLimits(stream, int.MaxValue, RecursionLimit));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxRuntimeException(ErrorCode.InvalidProtobuf, $"{name}: not a valid ONNX model (protobuf parse failed: {e.Message})", e);
        }
        if (proto.Graph is null || (proto.Graph.Node.Count == 0 && proto.Graph.Output.Count == 0 && proto.OpsetImport.Count == 0))
            throw new OnnxRuntimeException(ErrorCode.InvalidProtobuf, $"{name}: not a valid ONNX model (no graph)");
        LoadProfile.Record("parse.protobuf", start);
        return proto;
    }

    /// <summary>The main graph's initializer payloads, by initializer index, in memory that outlives the conversion.</summary>
    private sealed unsafe class RawPayloads(byte* bytes, ByteRanges ranges, ByteRanges attributeRanges, Dictionary<TensorProto, int> attributeTensors)
    {
        public ReadOnlySpan<byte> this[int index] => new(bytes + ranges.Offset(index), ranges.Length(index));

        /// <summary>The payload of a main-graph node's tensor attribute, or the tensor's own raw_data.</summary>
        public ReadOnlySpan<byte> Of(TensorProto tensor) => attributeTensors.TryGetValue(tensor, out int k)
            ? new(bytes + attributeRanges.Offset(k), attributeRanges.Length(k)) : tensor.RawData.Span;
    }

    /// <summary>Converts a parsed ModelProto.</summary>
    public static Model FromProto(ModelProto proto, string? path) => FromProto(proto, path, null);

    private static Model FromProto(ModelProto proto, string? path, RawPayloads? payloads)
    {
        var pressure = NativeBuffer.BatchMemoryPressure();
        try { return FromProtoBatched(proto, path, payloads); }
        finally
        {
            // Reporting the weights' native memory may make the GC collect: a phase of its own.
            var start = LoadProfile.Start();
            pressure.Dispose();
            LoadProfile.Record("parse.memory-pressure", start);
        }
    }

    private static Model FromProtoBatched(ModelProto proto, string? path, RawPayloads? payloads)
    {
        var start = LoadProfile.Start();
        string name = path is null ? "model" : Path.GetFileName(path);
        var opsets = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var o in proto.OpsetImport) opsets[Node.NormalizeDomain(o.Domain)] = (int)o.Version;
        if (!opsets.ContainsKey("") && proto.IrVersion < 3) opsets[""] = 1;
        var external = path is null ? null : new ExternalDataReader(Path.GetDirectoryName(path)!);
        var functions = new Dictionary<(string, string), FunctionProto>();
        foreach (var f in proto.Functions) functions[(Node.NormalizeDomain(f.Domain), f.Name)] = f;
        var ctx = new Context(name, external, opsets, functions, payloads);
        var graph = ctx.ReadGraph(proto.Graph, parent: null, opsets);
        var model = new Model
        {
            Graph = graph,
            IrVersion = proto.IrVersion,
            Opsets = opsets,
            ProducerName = proto.ProducerName,
            ProducerVersion = proto.ProducerVersion,
            Domain = proto.Domain,
            ModelVersion = proto.ModelVersion,
            DocString = proto.DocString,
            Path = path,
        };
        foreach (var m in proto.MetadataProps) model.MetadataProps[m.Key] = m.Value;
        LoadProfile.Record("parse.to-IR", start);
        return model;
    }

    /// <summary>Converts a TypeProto to Onyx's type description.</summary>
    public static TypeInfo? ReadType(TypeProto? t)
    {
        if (t is null) return null;
        switch (t.ValueCase)
        {
            case TypeProto.ValueOneofCase.TensorType:
                return new TensorTypeInfo((DType)t.TensorType.ElemType, ReadShape(t.TensorType.Shape));
            case TypeProto.ValueOneofCase.SparseTensorType:
                return new SparseTensorTypeInfo((DType)t.SparseTensorType.ElemType, ReadShape(t.SparseTensorType.Shape));
            case TypeProto.ValueOneofCase.SequenceType:
                return new SequenceTypeInfo(ReadType(t.SequenceType.ElemType));
            case TypeProto.ValueOneofCase.OptionalType:
                return new OptionalTypeInfo(ReadType(t.OptionalType.ElemType));
            case TypeProto.ValueOneofCase.MapType:
                return new MapTypeInfo((DType)t.MapType.KeyType, ReadType(t.MapType.ValueType));
            default:
                return null;
        }
    }

    private static Dim[]? ReadShape(TensorShapeProto? s)
    {
        if (s is null) return null;
        // A loop, not LINQ: Select/ToArray into Dim (a value type) would be JIT-compiled on every process's first load.
        var dims = new Dim[s.Dim.Count];
        for (int i = 0; i < dims.Length; i++)
        {
            var d = s.Dim[i];
            dims[i] = d.ValueCase switch
            {
                TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue => Dim.Fixed(d.DimValue),
                TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam => Dim.Named(d.DimParam),
                _ => Dim.Unknown,
            };
        }
        return dims;
    }

    private sealed class Context(string modelName, ExternalDataReader? external, Dictionary<string, int> modelOpsets,
        Dictionary<(string, string), FunctionProto> functions, RawPayloads? payloads)
    {
        private int _inlineCounter;

        public Graph ReadGraph(GraphProto g, Graph? parent, Dictionary<string, int> opsets)
        {
            var graph = new Graph { Name = g.Name, Parent = parent, Opsets = opsets };
            var start = LoadProfile.Start();
            for (int i = 0; i < g.Initializer.Count; i++)
            {
                var init = g.Initializer[i];
                // The main graph's payloads were stripped before parsing (parent is null only there).
                var raw = parent is null && payloads is not null ? payloads[i] : init.RawData.Span;
                graph.Initializers[init.Name] = TensorProtoReader.Read(init, external, $"{modelName}: initializer '{init.Name}'", raw);
            }
            foreach (var sp in g.SparseInitializer)
            {
                var dense = SparseToDense(sp);
                graph.Initializers[sp.Values.Name] = dense;
            }
            LoadProfile.Record("parse.initializers", start);
            start = LoadProfile.Start();
            foreach (var i in g.Input) graph.Inputs.Add(new ValueInfo(i.Name, ReadType(i.Type), i.DocString));
            foreach (var o in g.Output) graph.Outputs.Add(new ValueInfo(o.Name, ReadType(o.Type), o.DocString));
            foreach (var v in g.ValueInfo) graph.ValueInfos[v.Name] = new ValueInfo(v.Name, ReadType(v.Type), v.DocString);
            foreach (var n in g.Node) AddNode(graph, n, opsets, depth: 0);
            LoadProfile.Record("parse.nodes", start);
            return graph;
        }

        private void AddNode(Graph graph, NodeProto n, Dictionary<string, int> opsets, int depth)
        {
            string domain = Node.NormalizeDomain(n.Domain);
            if (functions.TryGetValue((domain, n.OpType), out var fn))
            {
                if (depth > 32) throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"{modelName}: function '{n.OpType}' recurses too deeply");
                InlineFunction(graph, n, fn, depth);
                return;
            }
            var node = new Node(n.OpType, n.Input, n.Output, n.Name, domain,
                new NodeAttributes(n.Attribute.Select(a => ReadAttribute(a, graph, opsets))));
            if (!opsets.TryGetValue(domain, out int version))
            {
                if (!modelOpsets.TryGetValue(domain, out version))
                    throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"{modelName}: {node.Describe()} uses domain '{domain}' which the model does not import");
            }
            node.OpsetVersion = version;
            graph.Nodes.Add(node);
        }

        /// <summary>Replaces a call of a model-local function by its body, with fresh names for its internal values.</summary>
        private void InlineFunction(Graph graph, NodeProto call, FunctionProto fn, int depth)
        {
            string prefix = $"{(call.Name.Length > 0 ? call.Name : fn.Name)}__{_inlineCounter++}/";
            var rename = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int i = 0; i < fn.Input.Count; i++) rename[fn.Input[i]] = i < call.Input.Count ? call.Input[i] : "";
            for (int i = 0; i < fn.Output.Count; i++) rename[fn.Output[i]] = i < call.Output.Count ? call.Output[i] : "";
            string Map(string name) => name.Length == 0 ? "" : rename.TryGetValue(name, out var r) ? r : prefix + name;

            var callAttrs = call.Attribute.ToDictionary(a => a.Name);
            foreach (var a in fn.AttributeProto) callAttrs.TryAdd(a.Name, a);
            var fnOpsets = new Dictionary<string, int>(modelOpsets, StringComparer.Ordinal);
            foreach (var o in fn.OpsetImport) fnOpsets[Node.NormalizeDomain(o.Domain)] = (int)o.Version;

            foreach (var bodyNode in fn.Node)
            {
                var copy = bodyNode.Clone();
                copy.Input.Clear(); copy.Input.AddRange(bodyNode.Input.Select(Map));
                copy.Output.Clear(); copy.Output.AddRange(bodyNode.Output.Select(Map));
                copy.Name = prefix + bodyNode.Name;
                copy.Attribute.Clear();
                foreach (var a in bodyNode.Attribute)
                {
                    if (a.RefAttrName.Length > 0)
                    {
                        if (!callAttrs.TryGetValue(a.RefAttrName, out var actual)) continue; // unset optional attribute
                        var bound = actual.Clone();
                        bound.Name = a.Name;
                        copy.Attribute.Add(bound);
                    }
                    else copy.Attribute.Add(a);
                }
                AddNode(graph, copy, fnOpsets, depth + 1);
            }
        }

        private IrAttribute ReadAttribute(AttributeProto a, Graph owner, Dictionary<string, int> opsets)
        {
            var kind = (AttributeKind)(int)a.Type;
            if (kind == AttributeKind.Undefined) kind = InferKind(a);
            return new IrAttribute
            {
                Name = a.Name,
                Kind = kind,
                Float = a.F,
                Int = a.I,
                Bytes = a.S.ToByteArray(),
                Tensor = a.T is not null ? TensorProtoReader.Read(a.T, external, $"{modelName}: attribute '{a.Name}'", payloads is null ? a.T.RawData.Span : payloads.Of(a.T))
                    : a.SparseTensor is not null ? SparseToDense(a.SparseTensor) : null, // sparse attributes (Constant sparse_value) arrive dense
                Graph = a.G is null ? null : ReadGraph(a.G, owner, opsets),
                TypeInfo = ReadType(a.Tp),
                Floats = ToArray(a.Floats),
                Ints = ToArray(a.Ints),
                // The list kinds are empty for almost every attribute: no LINQ pipeline (iterator, closure) per attribute then.
                BytesList = a.Strings.Count == 0 ? [] : a.Strings.Select(s => s.ToByteArray()).ToArray(),
                Tensors = a.Tensors.Count == 0 ? [] : a.Tensors.Select(t => TensorProtoReader.Read(t, external, $"{modelName}: attribute '{a.Name}'")).ToArray(),
                Graphs = a.Graphs.Count == 0 ? [] : a.Graphs.Select(g => ReadGraph(g, owner, opsets)).ToArray(),
                TypeInfos = a.TypeProtos.Count == 0 ? [] : a.TypeProtos.Select(t => ReadType(t)!).ToArray(),
                RefAttrName = a.RefAttrName.Length > 0 ? a.RefAttrName : null,
            };
        }

        private static readonly float[] s_noFloats = new float[0];
        private static readonly long[] s_noInts = new long[0];

        // Loops, not Enumerable.ToArray: LINQ's (and Array.Empty's) code over float and long is not in
        // the framework's ReadyToRun images, so it was JIT-compiled on every process's first load.
        private static float[] ToArray(Google.Protobuf.Collections.RepeatedField<float> values)
        {
            if (values.Count == 0) return s_noFloats;
            var r = new float[values.Count];
            for (int i = 0; i < r.Length; i++) r[i] = values[i];
            return r;
        }

        private static long[] ToArray(Google.Protobuf.Collections.RepeatedField<long> values)
        {
            if (values.Count == 0) return s_noInts;
            var r = new long[values.Count];
            for (int i = 0; i < r.Length; i++) r[i] = values[i];
            return r;
        }

        private static AttributeKind InferKind(AttributeProto a)
        {
            if (a.Ints.Count > 0) return AttributeKind.Ints;
            if (a.Floats.Count > 0) return AttributeKind.Floats;
            if (a.Strings.Count > 0) return AttributeKind.Strings;
            if (a.T is not null) return AttributeKind.Tensor;
            if (a.G is not null) return AttributeKind.Graph;
            if (!a.S.IsEmpty) return AttributeKind.String;
            if (a.F != 0) return AttributeKind.Float;
            return AttributeKind.Int;
        }

        private Tensor SparseToDense(SparseTensorProto sp)
        {
            string what = $"{modelName}: sparse initializer '{sp.Values.Name}'";
            var values = TensorProtoReader.Read(sp.Values, external, what);
            var indices = TensorProtoReader.Read(sp.Indices, external, what).ToInt64Array();
            var shape = sp.Dims.Select(d => d is < 0 or > int.MaxValue
                ? throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"{what}: bad dimension {d}") : (int)d).ToArray();
            var dense = Tensor.Allocate(values.DType, shape);
            int nnz = values.Length, size = values.DType.SizeOf();
            var src = values.Bytes;
            var dst = dense.Bytes;
            bool coordinates = sp.Indices.Dims.Count == 2;
            for (int k = 0; k < nnz; k++)
            {
                long flat = 0;
                if (coordinates)
                    for (int d = 0; d < shape.Length; d++) flat = flat * shape[d] + indices[k * shape.Length + d];
                else flat = indices[k];
                if (flat < 0 || flat >= dense.Length)
                    throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"{what}: index {flat} out of range for {dense.Length} elements");
                src.Slice(k * size, size).CopyTo(dst.Slice((int)flat * size, size));
            }
            return dense;
        }
    }
}
