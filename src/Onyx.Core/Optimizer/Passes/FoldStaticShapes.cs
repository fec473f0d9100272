using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.Core.Optimizer.Passes;

/// <summary>
/// Shape(x) and Size(x) → constants when shape inference fixed every dimension of x (session inputs
/// with fixed dimensions are checked at Run, so the value cannot change). FoldConstants then folds the
/// Gather/Unsqueeze/Concat chains exporters build from them, and the Reshapes they feed get constant
/// shapes the later fusions can read (ONNX Runtime's constant folding does the same).
/// </summary>
internal sealed class FoldStaticShapes : IGraphPass
{
    public OptimizationLevel Level => OptimizationLevel.Basic;

    public bool Run(Graph graph, OptimizerContext context)
    {
        bool changed = false;
        foreach (var node in graph.Nodes.ToList())
        {
            if (node.Domain.Length != 0 || node.OpType is not ("Shape" or "Size") || !node.HasOutput(0) || !node.HasInput(0)) continue;
            if (graph.TypeOf(node.Inputs[0]) is not TensorTypeInfo { Shape: { } dims }) continue;
            // Loops, not LINQ over Dim/long: generic code over value types is JIT-compiled in every process.
            var shape = new long[dims.Length];
            long size = 1;
            bool fixedDims = true;
            for (int i = 0; i < dims.Length && fixedDims; i++)
                if (dims[i].Value is { } v) size *= shape[i] = v; else fixedDims = false;
            if (!fixedDims) continue;
            Tensor value;
            if (node.OpType == "Size") value = Tensor.Scalar(size);
            else
            {
                int rank = shape.Length;
                int start = Clamp(node.Attributes.GetInt("start", 0), rank), end = Clamp(node.Attributes.GetInt("end", rank), rank);
                var slice = new long[Math.Max(start, end) - start];
                Array.Copy(shape, start, slice, 0, slice.Length);
                value = Tensor.FromArray(slice, slice.Length);
            }
            string output = node.Outputs[0];
            graph.Initializers[output] = value;
            graph.Nodes.Remove(node);
            changed = true;
        }
        return changed;
    }

    /// <summary>Shape's start/end: negative counts from the back, then clamped to [0, rank].</summary>
    private static int Clamp(long axis, int rank) => (int)Math.Clamp(axis < 0 ? axis + rank : axis, 0, rank);
}
