namespace Onyx.Core.Ir;

/// <summary>
/// One operator invocation. Inputs and outputs are value names; an empty name is an omitted
/// optional input or output.
/// </summary>
public sealed class Node
{
    public string Name { get; set; }
    public string OpType { get; set; }
    /// <summary>Operator domain; "" is the default ONNX domain (also written "ai.onnx").</summary>
    public string Domain { get; set; }
    public List<string> Inputs { get; }
    public List<string> Outputs { get; }
    public NodeAttributes Attributes { get; }
    /// <summary>The opset version of <see cref="Domain"/> the model imports; resolved by the loader.</summary>
    public int OpsetVersion { get; set; }
    /// <summary>Name of the execution provider this node is assigned to, once partitioned.</summary>
    public string? ExecutionProvider { get; set; }

    public Node(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, string name = "", string domain = "",
        NodeAttributes? attributes = null)
    {
        OpType = opType;
        Domain = NormalizeDomain(domain);
        Name = name;
        Inputs = inputs.ToList();
        Outputs = outputs.ToList();
        Attributes = attributes ?? new NodeAttributes();
        Attributes.OwnerNode = this;
    }

    /// <summary>"" and "ai.onnx" are the same domain.</summary>
    public static string NormalizeDomain(string? domain) => domain is null or "ai.onnx" ? "" : domain;

    /// <summary>True when input <paramref name="i"/> is present (exists and is not the empty name).</summary>
    public bool HasInput(int i) => i < Inputs.Count && Inputs[i].Length > 0;

    /// <summary>True when output <paramref name="i"/> is requested by the graph.</summary>
    public bool HasOutput(int i) => i < Outputs.Count && Outputs[i].Length > 0;

    /// <summary>"node 'conv1' (Conv, opset 11)" — how errors name this node.</summary>
    public string Describe() =>
        $"node '{(Name.Length > 0 ? Name : Outputs.FirstOrDefault(o => o.Length > 0) ?? "?")}' ({(Domain.Length > 0 ? Domain + "." : "")}{OpType}{(OpsetVersion > 0 ? $", opset {OpsetVersion}" : "")})";

    /// <inheritdoc/>
    public override string ToString() => Describe();
}
