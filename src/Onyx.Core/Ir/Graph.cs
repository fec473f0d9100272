using Onyx.Tensors;

namespace Onyx.Core.Ir;

/// <summary>
/// A computation graph: nodes in topological order, its interface, and its constant initializers.
/// Subgraphs (If/Loop/Scan bodies) have <see cref="Parent"/> set and may name values of any
/// enclosing graph (outer-scope capture).
/// </summary>
public sealed class Graph
{
    public string Name { get; set; } = "";
    public List<Node> Nodes { get; } = [];
    public List<ValueInfo> Inputs { get; } = [];
    public List<ValueInfo> Outputs { get; } = [];
    /// <summary>Constant tensors by name. A graph input with the same name is an overridable default.</summary>
    public Dictionary<string, Tensor> Initializers { get; } = new(StringComparer.Ordinal);
    /// <summary>Type annotations for intermediate values (from the model and from shape inference).</summary>
    public Dictionary<string, ValueInfo> ValueInfos { get; } = new(StringComparer.Ordinal);
    /// <summary>The enclosing graph of a subgraph; null at the top level.</summary>
    public Graph? Parent { get; set; }
    /// <summary>Opset imports by domain ("" for ONNX), shared with the model.</summary>
    public Dictionary<string, int> Opsets { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Every graph attribute of every node, recursively (If/Loop/Scan bodies).</summary>
    public IEnumerable<Graph> Subgraphs()
    {
        foreach (var n in Nodes)
            foreach (var a in n.Attributes.All)
            {
                if (a.Graph is not null) { yield return a.Graph; foreach (var g in a.Graph.Subgraphs()) yield return g; }
                if (a.Graphs is not null)
                    foreach (var sg in a.Graphs) { yield return sg; foreach (var g in sg.Subgraphs()) yield return g; }
            }
    }

    /// <summary>The declared type of a value, searching inputs, outputs, value infos and initializers.</summary>
    public TypeInfo? TypeOf(string name)
    {
        foreach (var v in Inputs) if (v.Name == name) return v.Type;
        if (ValueInfos.TryGetValue(name, out var vi)) return vi.Type;
        foreach (var v in Outputs) if (v.Name == name) return v.Type;
        if (Initializers.TryGetValue(name, out var t)) return t.Type;
        return Parent?.TypeOf(name);
    }
}
