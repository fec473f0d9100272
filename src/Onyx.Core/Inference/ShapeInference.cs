using Onyx.Core.Execution;
using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.Core.Inference;

/// <summary>
/// Static shape and type inference over the IR: walks nodes in topological order, computes each
/// output's <see cref="TensorTypeInfo"/> from declared inputs, initializers and attributes, and
/// records it in <see cref="Graph.ValueInfos"/>. Unknown ops leave their outputs unknown; only a
/// definite contradiction (e.g. MatMul inner dims 3 vs 4) throws <see cref="ErrorCode.InvalidGraph"/>.
/// Small int64 values (shapes, axes) are propagated symbolically, as ONNX data propagation does.
/// </summary>
public static class ShapeInference
{
    /// <summary>Infers and records types for every node output of <paramref name="graph"/> and its subgraphs.</summary>
    public static void Infer(Graph graph) => new Inferrer(graph, null).Run();
}

/// <summary>A definite contradiction found while inferring a node.</summary>
internal sealed class ShapeContradiction(string message) : Exception(message);

/// <summary>A small int64 value known at inference time (rank 0 or 1); entries may be symbolic.</summary>
internal sealed record ConstValue(Dim[] Items, bool Scalar)
{
    public long[]? Fixed()
    {
        var r = new long[Items.Length];
        for (int i = 0; i < r.Length; i++) { if (!Items[i].IsFixed) return null; r[i] = Items[i].Value!.Value; }
        return r;
    }
}

internal sealed partial class Inferrer
{
    private const int MaxConstLength = 64;
    private readonly Graph _graph;
    private readonly Inferrer? _parent;
    private readonly Dictionary<string, TensorTypeInfo> _types = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ConstValue> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor> _tensors = new(StringComparer.Ordinal);

    private Node _node = null!;

    public Inferrer(Graph graph, Inferrer? parent) { _graph = graph; _parent = parent; }

    public void Run()
    {
        var inputNames = new HashSet<string>(_graph.Inputs.Select(v => v.Name), StringComparer.Ordinal);
        foreach (var (name, t) in _graph.Initializers)
        {
            if (inputNames.Contains(name)) continue; // overridable default: not a constant
            if (t.Length <= MaxConstLength) _tensors[name] = t;
            if (t.Rank <= 1 && t.Length <= MaxConstLength && IsInt(t.DType))
                _values[name] = new ConstValue(FixedDims(t.ToInt64Array()), t.Rank == 0);
        }
        List<Node> order;
        try { order = ExecutionPlan.TopologicalOrder(_graph); }
        catch (Exception) { order = _graph.Nodes; }
        foreach (var node in order)
        {
            _node = node;
            try { InferNode(node); }
            catch (ShapeContradiction e)
            {
                throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"shape inference: {node.Describe()}: {e.Message}");
            }
            catch (Exception) { /* best effort: leave outputs unknown */ }
        }
    }

    private static bool IsInt(DType t) => t is DType.Int64 or DType.Int32 or DType.Int16 or DType.Int8 or DType.UInt8 or DType.UInt16 or DType.UInt32 or DType.UInt64;

    // ---------------------------------------------------------------- lookups

    private TensorTypeInfo? TypeOfName(string name)
    {
        if (name.Length == 0) return null;
        for (var s = this; s is not null; s = s._parent)
            if (s._types.TryGetValue(name, out var t)) return t;
        return _graph.TypeOf(name) as TensorTypeInfo;
    }

    private TensorTypeInfo? In(int i) => _node.HasInput(i) ? TypeOfName(_node.Inputs[i]) : null;
    private Dim[]? Shape(int i) => In(i)?.Shape;
    private DType Elem(int i) => In(i)?.ElementType ?? DType.Undefined;

    private ConstValue? Value(int i)
    {
        if (!_node.HasInput(i)) return null;
        var name = _node.Inputs[i];
        for (var s = this; s is not null; s = s._parent)
            if (s._values.TryGetValue(name, out var v)) return v;
        return null;
    }

    private long[]? Ints(int i) => Value(i)?.Fixed();

    private Tensor? ConstTensor(int i)
    {
        if (!_node.HasInput(i)) return null;
        for (var s = this; s is not null; s = s._parent)
            if (s._tensors.TryGetValue(_node.Inputs[i], out var t)) return t;
        return null;
    }

    private int InputCount => _node.Inputs.Count;

    private static ShapeContradiction Contra(string msg) => new(msg);
    private string InName(int i) => $"input {i} '{_node.Inputs[i]}'";

    // ---------------------------------------------------------------- recording

    private void Set(int output, DType type, Dim[]? shape)
    {
        if (!_node.HasOutput(output) || type == DType.Undefined && shape is null) return;
        var name = _node.Outputs[output];
        var declared = _graph.TypeOf(name) as TensorTypeInfo;
        var result = Merge(declared, new TensorTypeInfo(type, shape));
        _types[name] = result;
        if (declared is null || !declared.Equals(result)) _graph.ValueInfos[name] = new ValueInfo(name, result);
    }

    private void SetValue(int output, ConstValue v)
    {
        if (_node.HasOutput(output) && v.Items.Length <= MaxConstLength) _values[_node.Outputs[output]] = v;
    }

    /// <summary>Combines a declared type with an inferred one, never losing declared detail.</summary>
    private static TensorTypeInfo Merge(TensorTypeInfo? declared, TensorTypeInfo inferred)
    {
        if (declared is null) return inferred;
        var type = declared.ElementType != DType.Undefined ? declared.ElementType : inferred.ElementType;
        if (declared.Shape is null) return new TensorTypeInfo(type, inferred.Shape);
        if (inferred.Shape is null || inferred.Shape.Length != declared.Shape.Length) return new TensorTypeInfo(type, declared.Shape);
        var dims = new Dim[declared.Shape.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            var d = declared.Shape[i]; var n = inferred.Shape[i];
            dims[i] = d.IsFixed ? d : n.IsFixed ? n : d.Symbol is not null ? d : n;
        }
        return new TensorTypeInfo(type, dims);
    }

    // ---------------------------------------------------------------- dim helpers

    private static Dim F(long v) => Dim.Fixed(v);
    private static bool Is(Dim d, long v) => d.Value == v;

    /// <summary>Numpy broadcast of two dims; throws on a definite mismatch.</summary>
    private static Dim Broadcast(Dim a, Dim b, string what)
    {
        if (Is(a, 1)) return b;
        if (Is(b, 1)) return a;
        if (a.IsFixed && b.IsFixed)
        {
            if (a.Value != b.Value) throw Contra($"{what}: dims {a.Value} and {b.Value} do not broadcast");
            return a;
        }
        if (a.IsFixed) return a;
        if (b.IsFixed) return b;
        if (a.Symbol is not null && a.Symbol == b.Symbol) return a;
        return Dim.Unknown;
    }

    private static Dim[]? Broadcast(Dim[]? a, Dim[]? b, string what)
    {
        if (a is null || b is null) return null;
        int r = Math.Max(a.Length, b.Length);
        var o = new Dim[r];
        for (int i = 0; i < r; i++)
        {
            int ia = i - (r - a.Length), ib = i - (r - b.Length);
            o[i] = ia < 0 ? b[ib] : ib < 0 ? a[ia] : Broadcast(a[ia], b[ib], what);
        }
        return o;
    }

    /// <summary>True when both dims are fixed and differ (what <see cref="Unify"/> throws on), for callers that build the message only then.</summary>
    private static bool Conflict(Dim a, Dim b) => a.IsFixed && b.IsFixed && a.Value!.Value != b.Value!.Value;

    /// <summary>Two dims that must be equal; throws on a definite mismatch.</summary>
    private static Dim Unify(Dim a, Dim b, string what)
    {
        if (a.IsFixed && b.IsFixed)
        {
            if (a.Value != b.Value) throw Contra($"{what}: {a.Value} vs {b.Value}");
            return a;
        }
        if (a.IsFixed) return a;
        if (b.IsFixed) return b;
        return a.Symbol is not null ? a : b;
    }

    private static Dim Add(Dim a, Dim b) => a.IsFixed && b.IsFixed ? F(a.Value!.Value + b.Value!.Value) : Dim.Unknown;
    private static Dim Mul(Dim a, Dim b)
    {
        if (Is(a, 1)) return b;
        if (Is(b, 1)) return a;
        return a.IsFixed && b.IsFixed ? F(a.Value!.Value * b.Value!.Value) : Dim.Unknown;
    }

    private static int Axis(long axis, int rank) { long a = axis < 0 ? axis + rank : axis; if (a < 0 || a >= rank) throw new ArgumentOutOfRangeException(nameof(axis)); return (int)a; }


    private long GetInt(string name, long def) => _node.Attributes.GetInt(name, def);
    private long[]? GetInts(string name) => _node.Attributes.GetInts(name);
}
