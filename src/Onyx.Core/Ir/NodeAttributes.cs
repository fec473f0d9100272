using Onyx.Tensors;

namespace Onyx.Core.Ir;

/// <summary>A node's attributes with typed, defaulted getters that fail with the node's name.</summary>
public sealed class NodeAttributes
{
    private readonly Dictionary<string, Attribute> _map = new(StringComparer.Ordinal);

    private string? _owner;
    private Node? _ownerNode;

    /// <summary>
    /// How error messages name the node these belong to: its <see cref="Node.Describe"/>, made when an error
    /// needs it (every node used to format it at construction, twice at load: ~700 strings for ppocr-det),
    /// unless set explicitly.
    /// </summary>
    public string Owner
    {
        get => _owner ?? _ownerNode?.Describe() ?? "";
        set => _owner = value;
    }

    /// <summary>The node these attributes belong to; set by the node's constructor.</summary>
    internal Node? OwnerNode
    {
        set { _ownerNode = value; _owner = null; }
    }

    public NodeAttributes() { }

    public NodeAttributes(IEnumerable<Attribute> attributes)
    {
        foreach (var a in attributes) _map[a.Name] = a;
    }

    public IEnumerable<Attribute> All => _map.Values;
    public int Count => _map.Count;
    public bool Has(string name) => _map.ContainsKey(name);
    public Attribute? Get(string name) => _map.GetValueOrDefault(name);
    public void Set(Attribute attribute) => _map[attribute.Name] = attribute;
    public bool Remove(string name) => _map.Remove(name);

    private Attribute Expect(string name, AttributeKind kind)
    {
        if (!_map.TryGetValue(name, out var a))
            throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"{Owner}: required attribute '{name}' is missing");
        if (a.Kind != kind)
            throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"{Owner}: attribute '{name}' must be {kind}, got {a.Kind}");
        return a;
    }

    public float GetFloat(string name, float defaultValue) => _map.TryGetValue(name, out var a) ? (a.Kind == AttributeKind.Int ? a.Int : a.Float) : defaultValue;
    public float GetFloat(string name) => Expect(name, AttributeKind.Float).Float;
    public long GetInt(string name, long defaultValue) => _map.TryGetValue(name, out var a) ? a.Int : defaultValue;
    public long GetInt(string name) => Expect(name, AttributeKind.Int).Int;
    public string GetString(string name, string defaultValue) => _map.TryGetValue(name, out var a) ? a.String : defaultValue;
    public string GetString(string name) => Expect(name, AttributeKind.String).String;
    public long[]? GetInts(string name) => _map.TryGetValue(name, out var a) ? a.Ints ?? [] : null;
    public float[]? GetFloats(string name) => _map.TryGetValue(name, out var a) ? a.Floats ?? [] : null;
    public string[]? GetStrings(string name) => _map.TryGetValue(name, out var a) ? a.Strings : null;
    public Tensor? GetTensor(string name) => _map.TryGetValue(name, out var a) ? a.Tensor : null;
    public Graph? GetGraph(string name) => _map.TryGetValue(name, out var a) ? a.Graph : null;
    public Graph GetRequiredGraph(string name) => Expect(name, AttributeKind.Graph).Graph!;
}
