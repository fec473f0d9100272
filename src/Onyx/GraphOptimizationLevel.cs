namespace Onyx;

/// <summary>How much the graph optimizer rewrites the model before it runs (ONNX Runtime's levels).</summary>
public enum GraphOptimizationLevel
{
    /// <summary>Run the graph as written.</summary>
    ORT_DISABLE_ALL = 0,
    /// <summary>Semantics-preserving cleanups: constant folding, dead code, identity removal.</summary>
    ORT_ENABLE_BASIC = 1,
    /// <summary>Basic plus fusions (Conv+BN, Conv/Gemm+activation, MatMul+Add, LayerNorm, GELU, attention).</summary>
    ORT_ENABLE_EXTENDED = 2,
    /// <summary>Extended plus layout changes.</summary>
    ORT_ENABLE_LAYOUT = 3,
    /// <summary>Everything.</summary>
    ORT_ENABLE_ALL = 99,
}

/// <summary>How kernels of one session run (ONNX Runtime's ExecutionMode).</summary>
public enum ExecutionMode
{
    /// <summary>One node at a time, each using the intra-op pool.</summary>
    ORT_SEQUENTIAL = 0,
    /// <summary>Independent branches may run at once (treated as sequential by Onyx).</summary>
    ORT_PARALLEL = 1,
}
