using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.Core.Execution;

/// <summary>
/// One kernel invocation: its inputs, where its outputs go, and access to the run's scope
/// (for subgraphs). Created by the executor once per node and reused by later Runs of the same plan,
/// so a kernel must not keep it beyond <see cref="IKernel.Execute"/>.
/// </summary>
public sealed class KernelContext
{
    private readonly OnnxValue?[] _inputs;
    private readonly OnnxValue?[] _outputs;

    public Node Node { get; }
    /// <summary>The running frame, for subgraph outer-scope lookup.</summary>
    public Frame Frame { get; }
    /// <summary>Run-level settings (cancellation, seeds); never null.</summary>
    public RunContext Run { get; internal set; }

    /// <param name="inputs">The input values; must be exactly an <c>OnnxValue?[]</c> (not a covariant Tensor[]), as outputs must.</param>
    public KernelContext(Node node, OnnxValue?[] inputs, OnnxValue?[] outputs, Frame frame, RunContext run)
    {
        SlotArray.RequireExact(inputs, nameof(inputs));
        SlotArray.RequireExact(outputs, nameof(outputs));
        Node = node;
        _inputs = inputs;
        _outputs = outputs;
        Frame = frame;
        Run = run;
    }

    internal OnnxValue?[] Inputs => _inputs;
    internal OnnxValue?[] Outputs => _outputs;

    public int InputCount => _inputs.Length;
    public int OutputCount => _outputs.Length;

    /// <summary>Input <paramref name="i"/> as any value; null when omitted.</summary>
    public OnnxValue? InputValue(int i) => i < _inputs.Length ? _inputs[i] : null;

    /// <summary>True when input <paramref name="i"/> was given.</summary>
    public bool HasInput(int i) => InputValue(i) is not null;

    /// <summary>Input <paramref name="i"/>, which must be a tensor.</summary>
    public Tensor Input(int i) => InputValue(i) switch
    {
        Tensor t => t,
        null => throw Error($"input {i} ('{NameOfInput(i)}') is required but missing"),
        var v => throw Error($"input {i} ('{NameOfInput(i)}') must be a tensor, got {v.Type}"),
    };

    /// <summary>Input <paramref name="i"/> if given (a tensor), else null.</summary>
    public Tensor? OptionalInput(int i) => InputValue(i) switch
    {
        null => null,
        Tensor t => t,
        var v => throw Error($"input {i} ('{NameOfInput(i)}') must be a tensor, got {v.Type}"),
    };

    /// <summary>True when output <paramref name="i"/> is consumed by anything (graph output or another node).</summary>
    public bool IsOutputRequested(int i) => Node.HasOutput(i);

    /// <summary>Allocates output <paramref name="i"/> (zero-filled) and records it.</summary>
    public Tensor Output(int i, DType dtype, ReadOnlySpan<int> shape)
    {
        var t = Run.Pool is { } pool ? pool.Allocate(dtype, shape) : Tensor.Allocate(dtype, shape);
        SetOutput(i, t);
        return t;
    }

    /// <summary>
    /// Allocates output <paramref name="i"/> without zero-filling it: for kernels that write every
    /// element (a GEMM with beta 0, a conv), where clearing first would cost a pass over memory.
    /// </summary>
    public Tensor OutputUninitialized(int i, DType dtype, ReadOnlySpan<int> shape)
    {
        var t = Run.Pool is { } pool ? pool.Allocate(dtype, shape, zero: false) : Tensor.Allocate(dtype, shape, zero: false);
        SetOutput(i, t);
        return t;
    }

    /// <summary>
    /// Output <paramref name="i"/> for an elementwise kernel, with unspecified contents (not zeroed).
    /// When one of inputs [0, <paramref name="donors"/>) has the output's type and element count, is
    /// dropped after this node and no other slot holds its buffer, that buffer becomes the output
    /// (in place, as ONNX Runtime's allocation planner does): so the caller must compute output
    /// element k only from element k of such an input, reading it before writing element k.
    /// </summary>
    public Tensor ElementwiseOutput(int i, DType dtype, ReadOnlySpan<int> shape, int donors)
    {
        if (DyingInputs is { } dying && !_donated && dtype != DType.String)
        {
            int count = Tensor.ElementCount(shape);
            foreach (int k in dying)
                if (k < donors && _inputs[k] is Tensor { Buffer: { HeldByOneSlot: true } buffer } donor
                    && donor.DType == dtype && donor.Length == count)
                {
                    var reused = Tensor.View(dtype, shape, buffer, donor.ByteOffset);
                    _donated = true; // the slot count only rises after Execute: never hand one buffer out twice
                    SetOutput(i, reused);
                    return reused;
                }
        }
        return OutputUninitialized(i, dtype, shape);
    }

    /// <summary>
    /// Output <paramref name="i"/> holding a copy of input <paramref name="source"/> (same type and shape), for a kernel
    /// that accumulates onto it (a conv with a fused residual Add). When that input dies here, no other slot holds its
    /// buffer and no other input of the node reads that buffer, the buffer itself becomes the output and nothing is
    /// copied: ResNet-50 copied 22 MB of residuals per run on one thread before its fused convs.
    /// </summary>
    public Tensor AccumulatorOutput(int i, int source, ReadOnlySpan<int> shape)
    {
        Tensor z = Input(source);
        if (DyingInputs is { } dying && !_donated && z.DType != DType.String && Array.IndexOf(dying, source) >= 0
            && z.Buffer is { HeldByOneSlot: true } buffer && z.Length == Tensor.ElementCount(shape))
        {
            bool shared = false;
            for (int k = 0; k < _inputs.Length; k++)
                if (k != source && _inputs[k] is Tensor other && ReferenceEquals(other.Buffer, buffer)) shared = true;
            if (!shared)
            {
                var reused = Tensor.View(z.DType, shape, buffer, z.ByteOffset);
                _donated = true;
                SetOutput(i, reused);
                return reused;
            }
        }
        Tensor y = OutputUninitialized(i, z.DType, shape);
        z.Bytes.CopyTo(y.Bytes);
        return y;
    }

    /// <summary>Input positions whose value this node is the last to read (set by the plan; null when none).</summary>
    internal int[]? DyingInputs { get; set; }

    private bool _donated;

    /// <summary>Clears the per-execution state once the node has run (the plan reuses contexts).</summary>
    internal void EndStep()
    {
        // Loops, not Array.Clear: these arrays hold one to a few values, below the call's fixed cost.
        var inputs = _inputs;
        for (int i = 0; i < inputs.Length; i++) inputs[i] = null;
        var outputs = _outputs;
        for (int i = 0; i < outputs.Length; i++) outputs[i] = null;
        _donated = false;
    }

    /// <summary>Records any value (a view of an input, a sequence, an optional) as output <paramref name="i"/>.</summary>
    public void SetOutput(int i, OnnxValue? value)
    {
        if ((uint)i >= (uint)_outputs.Length) return; // trailing optional outputs the node does not declare
        SlotArray.Store(_outputs, i, value);
    }

    /// <summary>The value already stored as output <paramref name="i"/>, if any.</summary>
    public OnnxValue? GetOutput(int i) => i < _outputs.Length ? _outputs[i] : null;

    private string NameOfInput(int i) => i < Node.Inputs.Count ? Node.Inputs[i] : "";

    /// <summary>An error naming this node and op.</summary>
    public OnnxRuntimeException Error(string message) =>
        new(ErrorCode.InvalidArgument, $"{Node.Describe()}: {message}");
}

/// <summary>Per-Run state shared by every kernel of one Run call.</summary>
public sealed class RunContext
{
    public CancellationToken Cancellation { get; init; }
    /// <summary>Log tag for messages.</summary>
    public string Tag { get; init; } = "";
    /// <summary>Thread pool for intra-op parallelism (an Onyx.Kernels IntraOpPool); null means run on the calling thread.</summary>
    public object? IntraOpPool { get; init; }
    /// <summary>The session's buffer arena for kernel outputs; null allocates fresh buffers.</summary>
    public BufferPool? Pool { get; init; }
    /// <summary>When set, the plan reports each node's wall time (profiling runs only).</summary>
    public IStepObserver? Observer { get; init; }
    public static readonly RunContext Default = new();
}

/// <summary>Receives the wall time of every node a plan runs (for `onyx bench --profile`).</summary>
public interface IStepObserver
{
    void OnStep(Ir.Node node, long elapsedTicks);
}
