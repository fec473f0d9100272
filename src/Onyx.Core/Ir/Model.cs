namespace Onyx.Core.Ir;

/// <summary>A loaded model: the main graph and the ModelProto's metadata.</summary>
public sealed class Model
{
    public required Graph Graph { get; init; }
    public long IrVersion { get; init; }
    /// <summary>Opset imports by domain; "" is the default ONNX domain.</summary>
    public Dictionary<string, int> Opsets { get; init; } = new(StringComparer.Ordinal);
    public string ProducerName { get; init; } = "";
    public string ProducerVersion { get; init; } = "";
    public string Domain { get; init; } = "";
    public long ModelVersion { get; init; }
    public string DocString { get; init; } = "";
    public Dictionary<string, string> MetadataProps { get; init; } = new(StringComparer.Ordinal);
    /// <summary>Where the model was loaded from, when it came from a file (names it in errors).</summary>
    public string? Path { get; init; }
    /// <summary>A short name for messages: the file name, or "model".</summary>
    public string DisplayName => Path is null ? "model" : System.IO.Path.GetFileName(Path);
}
