using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.OpenCl;

/// <summary>
/// ONNX Gather along any axis, on float or integer data, with int32/int64 indices of any rank that live on the
/// device: constants (uploaded once), subgraph inputs (a transformer's input_ids) or values computed there.
/// Negative indices count from the end. An index outside [-A, A) makes the kernel write 0 (as ONNX Runtime's CUDA
/// Gather does) and raise the run's error flag, so the Run fails with the node and the index, as on the CPU.
/// </summary>
internal sealed class GatherOp(Node n) : GpuOp(n)
{
    private int _axisSize;

    public override void Run(GpuExec e)
    {
        var x = e.Get(Node.Inputs[0]);
        var idx = e.Get(Node.Inputs[1]);
        if (!idx.IsInt) throw Fail($"indices are {idx.Type}");
        int rank = x.Shape.Length;
        if (rank == 0) throw Fail("data must have rank ≥ 1");
        int axis = OpFactory.Axis(Node.Attributes.GetInt("axis", 0), rank);
        if (axis < 0 || axis >= rank) throw Fail($"axis {Node.Attributes.GetInt("axis", 0)} is out of range for rank {rank}");
        int a = _axisSize = x.Shape[axis];
        int inner = Tensor.ElementCount(x.Shape.AsSpan(axis + 1));
        var shape = new int[rank - 1 + idx.Shape.Length];
        for (int i = 0; i < axis; i++) shape[i] = x.Shape[i];
        for (int i = 0; i < idx.Shape.Length; i++) shape[axis + i] = idx.Shape[i];
        for (int i = axis + 1; i < rank; i++) shape[idx.Shape.Length + i - 1] = x.Shape[i];
        if (x.Host is { } hx && idx.Host is { } hi)
        {
            // Shape arithmetic (Shape → Gather): on the host, keeping a host copy.
            int outer = Tensor.ElementCount(x.Shape.AsSpan(0, axis));
            var v = new int[outer * hi.Length * inner];
            for (int o = 0, w = 0; o < outer; o++)
                foreach (int raw in hi)
                {
                    int j = raw < 0 ? raw + a : raw;
                    if (j < 0 || j >= a) throw FlagError(raw);
                    Array.Copy(hx, (o * a + j) * inner, v, w, inner);
                    w += inner;
                }
            e.Values[Out] = e.Ints(v, shape, x.Type);
            return;
        }
        var y = e.Alloc(shape, x.Type);
        if (y.Length > 0)
            e.Launch1(x.IsInt ? "gather_i" : "gather", y.Length, x, idx, y, y.Length, idx.Length, inner, a, e.ErrorFlag(this));
        e.Values[Out] = y;
    }

    public override Exception FlagError(int value) =>
        Fail($"index {value} is out of range for axis {Node.Attributes.GetInt("axis", 0)} of size {_axisSize} (valid: {-_axisSize}..{_axisSize - 1})");
}
