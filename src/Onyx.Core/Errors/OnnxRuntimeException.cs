namespace Onyx;

/// <summary>What went wrong, in ONNX Runtime's categories.</summary>
public enum ErrorCode
{
    /// <summary>Unclassified failure.</summary>
    Fail = 1,
    /// <summary>An argument (input name, type, shape, option) is wrong.</summary>
    InvalidArgument = 2,
    /// <summary>A file is missing.</summary>
    NoSuchFile = 3,
    /// <summary>No model loaded.</summary>
    NoModel = 4,
    /// <summary>The execution engine failed.</summary>
    EngineError = 5,
    /// <summary>A kernel failed while running.</summary>
    RuntimeException = 6,
    /// <summary>The model file is not a valid ONNX protobuf.</summary>
    InvalidProtobuf = 7,
    /// <summary>The model was loaded already.</summary>
    ModelLoaded = 8,
    /// <summary>An op, type or feature is not implemented.</summary>
    NotImplemented = 9,
    /// <summary>The graph is invalid (cycles, dangling inputs, bad attributes).</summary>
    InvalidGraph = 10,
    /// <summary>An execution provider failed.</summary>
    EpFail = 11,
}

/// <summary>
/// The one exception Onyx throws for bad models, bad inputs and failing kernels. The message names
/// the model, node, op and value involved as far as they are known.
/// </summary>
public class OnnxRuntimeException : Exception
{
    /// <summary>The category.</summary>
    public ErrorCode ErrorCode { get; }

    /// <summary>Creates an exception with a category and message.</summary>
    public OnnxRuntimeException(ErrorCode code, string message, Exception? inner = null)
        : base($"[ErrorCode:{code}] {message}", inner) => ErrorCode = code;
}
