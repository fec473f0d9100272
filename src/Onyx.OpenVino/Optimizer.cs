using Onyx.Core.Execution;
using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.OpenVino;

/// <summary>
/// The provider-level graph passes a claimed subgraph goes through when it is compiled: constant
/// folding (evaluated with the CPU kernels), dead-value removal, weight precision conversion, and
/// per-input-shape specialisation (Shape/Size of inputs become constants, then fold again).
/// </summary>
public static class Optimizer
{
    private static readonly HashSet<string> s_neverFold = new(StringComparer.Ordinal)
    {
        "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Bernoulli", "Multinomial",
    };

    /// <summary>Largest tensor constant folding may create (elements); bigger results stay computed at run time.</summary>
    public const int MaxFoldedElements = 1 << 24;

    /// <summary>A copy of the graph's interface and tables sharing its nodes and tensors.</summary>
    public static Graph Copy(Graph g, IEnumerable<Node>? nodes = null)
    {
        var c = new Graph { Name = g.Name, Opsets = g.Opsets, Parent = g.Parent };
        c.Inputs.AddRange(g.Inputs);
        c.Outputs.AddRange(g.Outputs);
        c.Nodes.AddRange(nodes ?? g.Nodes);
        foreach (var (k, v) in g.Initializers) c.Initializers[k] = v;
        foreach (var (k, v) in g.ValueInfos) c.ValueInfos[k] = v;
        return c;
    }

    /// <summary>A copy whose nodes are private copies (rewrite passes may then change them in place).</summary>
    public static Graph CloneNodes(Graph g) =>
        Copy(g, g.Nodes.Select(n => new Node(n.OpType, n.Inputs, n.Outputs, n.Name, n.Domain, new NodeAttributes(n.Attributes.All))
        {
            OpsetVersion = n.OpsetVersion,
            ExecutionProvider = n.ExecutionProvider,
        }));

    /// <summary>
    /// Evaluates every node whose inputs are all constants and replaces it by initializers.
    /// Returns the folded graph and how many nodes were folded. Failures leave the graph as it was.
    /// </summary>
    public static (Graph Graph, int Folded) FoldConstants(Graph g, IKernelResolver kernels, Action<string>? log = null)
    {
        var inputs = new HashSet<string>(g.Inputs.Select(v => v.Name), StringComparer.Ordinal);
        var constant = new HashSet<string>(g.Initializers.Keys.Where(k => !inputs.Contains(k)), StringComparer.Ordinal);
        var order = ExecutionPlan.TopologicalOrder(g);
        var fold = new List<Node>();
        foreach (var node in order)
        {
            if (s_neverFold.Contains(node.OpType) || node.Attributes.All.Any(a => a.Kind is AttributeKind.Graph or AttributeKind.Graphs)) continue;
            if (node.Outputs.All(o => o.Length == 0)) continue;
            if (!node.Inputs.All(i => i.Length == 0 || constant.Contains(i))) continue;
            fold.Add(node);
            foreach (var o in node.Outputs) if (o.Length > 0) constant.Add(o);
        }
        if (fold.Count == 0) return (g, 0);

        var folded = new HashSet<Node>(fold, ReferenceEqualityComparer.Instance);
        var kept = order.Where(n => !folded.Contains(n)).ToList();
        var needed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in kept) foreach (var r in Partitioner.Reads(n)) needed.Add(r);
        foreach (var o in g.Outputs) needed.Add(o.Name);
        var wanted = fold.SelectMany(n => n.Outputs).Where(o => o.Length > 0 && needed.Contains(o)).Distinct().ToList();

        var eval = Copy(g, fold);
        eval.Inputs.Clear();
        eval.Outputs.Clear();
        foreach (var w in wanted) eval.Outputs.Add(new ValueInfo(w, g.TypeOf(w)));
        OnnxValue?[] values;
        try
        {
            values = new ExecutionPlan(eval, kernels, g.Name).Run([]);
        }
        catch (Exception e) when (e is OnnxRuntimeException or InvalidOperationException or ArgumentException or NotSupportedException)
        {
            log?.Invoke($"constant folding of {g.Name} skipped: {e.Message}");
            return (g, 0);
        }
        var result = Copy(g, kept);
        for (int i = 0; i < wanted.Count; i++)
        {
            if (values[i] is not Tensor t || t.Length > MaxFoldedElements)
            {
                log?.Invoke($"constant folding of {g.Name} skipped: '{wanted[i]}' is not a small tensor");
                return (g, 0);
            }
            result.Initializers[wanted[i]] = t;
        }
        RemoveUnusedInitializers(result);
        return (result, fold.Count);
    }

    /// <summary>Drops initializers nothing reads.</summary>
    public static void RemoveUnusedInitializers(Graph g)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in g.Nodes) foreach (var r in Partitioner.Reads(n)) used.Add(r);
        foreach (var o in g.Outputs) used.Add(o.Name);
        foreach (var i in g.Inputs) used.Add(i.Name);
        foreach (var k in g.Initializers.Keys.ToList())
            if (!used.Contains(k)) g.Initializers.Remove(k);
    }

    /// <summary>Smallest initializer (elements) whose precision is lowered.</summary>
    public const int MinLoweredElements = 16;

    /// <summary>
    /// Rounds float32 weights (initializers of at least <see cref="MinLoweredElements"/> elements) to
    /// FP16 or BF16 values. Returns the names lowered; tensors are replaced, never modified in place.
    /// FP16 weights with a magnitude above 65504 stay FP32 (they would become infinity).
    /// </summary>
    public static List<string> LowerPrecision(Graph g, InferencePrecision precision, Action<string>? log = null)
    {
        var lowered = new List<string>();
        if (precision is not (InferencePrecision.FP16 or InferencePrecision.BF16)) return lowered;
        var inputs = new HashSet<string>(g.Inputs.Select(v => v.Name), StringComparer.Ordinal);
        foreach (var (name, t) in g.Initializers.ToList())
        {
            if (t.DType != DType.Float32 || t.Length < MinLoweredElements || inputs.Contains(name)) continue;
            var src = t.Span<float>();
            if (precision == InferencePrecision.FP16)
            {
                bool fits = true;
                foreach (float v in src) if (float.IsFinite(v) && MathF.Abs(v) > 65504f) { fits = false; break; }
                if (!fits)
                {
                    log?.Invoke($"weight '{name}' has values beyond FP16 range; kept in FP32");
                    continue;
                }
            }
            var copy = Tensor.Allocate(DType.Float32, t.Shape, zero: false);
            var dst = copy.Span<float>();
            if (precision == InferencePrecision.FP16)
                for (int i = 0; i < src.Length; i++) dst[i] = (float)(Half)src[i];
            else
                for (int i = 0; i < src.Length; i++) dst[i] = BFloat16.FromFloat(src[i]).ToFloat();
            g.Initializers[name] = copy;
            lowered.Add(name);
        }
        return lowered;
    }

    /// <summary>True when the graph reads the shape of one of its inputs (Shape/Size of an input), so
    /// specialising on input shapes turns shape arithmetic into constants.</summary>
    public static bool IsShapeSpecializable(Graph g)
    {
        var inputs = new HashSet<string>(g.Inputs.Select(v => v.Name), StringComparer.Ordinal);
        return g.Nodes.Any(n => n.OpType is "Shape" or "Size" && n.Domain.Length == 0 && n.HasInput(0) && inputs.Contains(n.Inputs[0]));
    }

    /// <summary>
    /// The graph specialised on concrete input shapes: the inputs' declared shapes become fixed, every
    /// Shape/Size of an input becomes a constant, and constants are folded again.
    /// </summary>
    public static (Graph Graph, int Folded) Specialize(Graph g, IReadOnlyList<int[]?> shapes, IKernelResolver kernels, Action<string>? log = null)
    {
        var s = Copy(g);
        s.Inputs.Clear();
        var known = new Dictionary<string, int[]>(StringComparer.Ordinal);
        for (int i = 0; i < g.Inputs.Count; i++)
        {
            var v = g.Inputs[i];
            if (i < shapes.Count && shapes[i] is { } shape && v.Type is TensorTypeInfo tt)
            {
                known[v.Name] = shape;
                s.Inputs.Add(v with { Type = new TensorTypeInfo(tt.ElementType, shape.Select(d => Dim.Fixed(d)).ToArray()) });
            }
            else s.Inputs.Add(v);
        }
        s.Nodes.Clear();
        foreach (var n in g.Nodes)
        {
            if (n.Domain.Length == 0 && n.OpType is "Shape" or "Size" && n.HasInput(0) && n.HasOutput(0) && known.TryGetValue(n.Inputs[0], out var shape))
            {
                Tensor value;
                if (n.OpType == "Size")
                    value = Tensor.Scalar((long)Tensor.ElementCount(shape));
                else
                {
                    int rank = shape.Length;
                    long start = n.Attributes.GetInt("start", 0), end = n.Attributes.GetInt("end", rank);
                    if (start < 0) start += rank;
                    if (end < 0) end += rank;
                    start = Math.Clamp(start, 0, rank);
                    end = Math.Clamp(end, start, rank);
                    var dims = new long[end - start];
                    for (long d = start; d < end; d++) dims[d - start] = shape[d];
                    value = Tensor.FromArray(dims, dims.Length);
                }
                s.Initializers[n.Outputs[0]] = value;
                continue;
            }
            s.Nodes.Add(n);
        }
        return FoldConstants(s, kernels, log);
    }
}
