using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.Core.Execution;

/// <summary>What a kernel constructor may know about its node before any Run.</summary>
public sealed class KernelInfo
{
    public Node Node { get; }
    public Graph Graph { get; }
    public NodeAttributes Attributes => Node.Attributes;
    public int OpsetVersion => Node.OpsetVersion;
    private readonly ISubgraphCompiler? _subgraphCompiler;

    public KernelInfo(Node node, Graph graph, ISubgraphCompiler? subgraphCompiler)
    {
        Node = node;
        Graph = graph;
        _subgraphCompiler = subgraphCompiler;
    }

    /// <summary>Declared type of input <paramref name="i"/> when the graph states it.</summary>
    public TypeInfo? InputType(int i) => Node.HasInput(i) ? Graph.TypeOf(Node.Inputs[i]) : null;

    /// <summary>Declared element type of tensor input <paramref name="i"/>, if known.</summary>
    public DType? InputDType(int i) => (InputType(i) as TensorTypeInfo)?.ElementType;

    /// <summary>The constant tensor behind input <paramref name="i"/> when it is an initializer (and not an overridable graph input).</summary>
    public Tensor? ConstantInput(int i)
    {
        if (!Node.HasInput(i)) return null;
        string name = Node.Inputs[i];
        for (Graph? g = Graph; g is not null; g = g.Parent)
        {
            if (g.Inputs.Any(v => v.Name == name)) return null;
            if (g.Nodes.Any(n => n.Outputs.Contains(name))) return null;
            if (g.Initializers.TryGetValue(name, out var t)) return t;
        }
        return null;
    }

    /// <summary>Compiles a body graph (If/Loop/Scan) once, at session creation.</summary>
    public ISubgraph CompileSubgraph(Graph body) =>
        (_subgraphCompiler ?? throw new InvalidOperationException("no subgraph compiler")).Compile(body);

    /// <summary>An error that names this node, for constructor validation.</summary>
    public OnnxRuntimeException Invalid(string message) =>
        new(ErrorCode.InvalidGraph, $"{Node.Describe()}: {message}");
}

/// <summary>Compiles subgraphs for control-flow kernels.</summary>
public interface ISubgraphCompiler
{
    ISubgraph Compile(Graph body);
}

/// <summary>A compiled body graph a control-flow kernel runs, with outer-scope values from the running context.</summary>
public interface ISubgraph
{
    Graph Graph { get; }

    /// <summary>Runs the body with its formal inputs bound in order; returns the body's outputs in order.</summary>
    OnnxValue?[] Run(KernelContext outer, IReadOnlyList<OnnxValue?> inputs);
}
