namespace Onyx.Core.Execution;

/// <summary>
/// A compiled operator instance. The constructor (which takes a <see cref="KernelInfo"/>) parses
/// attributes and validates what it can; <see cref="Execute"/> must be thread-safe: many Run calls
/// may execute one kernel instance at once, so kernels keep no mutable per-run state in fields.
/// </summary>
public interface IKernel
{
    /// <summary>Reads inputs from and writes outputs to <paramref name="context"/>.</summary>
    void Execute(KernelContext context);
}

/// <summary>
/// Registers a kernel class for an op. A class may carry several (one per opset range or domain).
/// The class needs a public constructor taking <see cref="KernelInfo"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class OnnxKernelAttribute(string opType) : Attribute
{
    /// <summary>The ONNX op type, e.g. "Conv".</summary>
    public string OpType { get; } = opType;

    /// <summary>Domain: "" for ONNX, "ai.onnx.ml", "com.microsoft", or Onyx's internal "onyx".</summary>
    public string Domain { get; init; } = "";

    /// <summary>First opset version this class implements.</summary>
    public int Since { get; init; } = 1;

    /// <summary>Last opset version this class implements (inclusive).</summary>
    public int Until { get; init; } = int.MaxValue;
}
