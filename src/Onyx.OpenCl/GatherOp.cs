using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.OpenCl;

/// <summary>
/// ONNX Gather on float data along any axis with constant int32/int64 indices (any rank, negative counted
/// from the end). The indices travel as a float32 constant of the subgraph (<see cref="IndexKey"/>), uploaded
/// once: device tensors hold only float storage, and floats are exact for every index below 2^24.
/// </summary>
internal sealed class GatherOp : GpuOp
{
    private readonly long[] _indices;

    /// <summary>The subgraph constant holding the indices as float32.</summary>
    public string IndexKey { get; }
    public Tensor IndexTensor { get; }

    public GatherOp(Node n, IConstants c) : base(n)
    {
        var t = c.Get(n.Inputs[1]) ?? throw new NotSupportedException($"{n.Describe()}: indices ('{n.Inputs[1]}') must be a constant for the GPU device");
        _indices = t.ToInt64Array();
        var f = new float[_indices.Length];
        for (int i = 0; i < f.Length; i++)
        {
            if (Math.Abs(_indices[i]) >= 1 << 24) throw new NotSupportedException($"{n.Describe()}: index {_indices[i]} is too large for the GPU device");
            f[i] = _indices[i];
        }
        IndexTensor = Tensor.FromArray(f, t.Shape.ToArray());
        IndexKey = "\u0001gather_idx:" + n.Inputs[1];
    }

    public override void Run(GpuExec e)
    {
        var x = e.Get(Node.Inputs[0]);
        int rank = x.Shape.Length;
        if (rank == 0) throw Fail("data must have rank ≥ 1");
        int axis = OpFactory.Axis(Node.Attributes.GetInt("axis", 0), rank);
        if (axis < 0 || axis >= rank) throw Fail($"axis {Node.Attributes.GetInt("axis", 0)} is out of range for rank {rank}");
        int a = x.Shape[axis];
        foreach (long v in _indices)
            if (v < -a || v >= a) throw Fail($"index {v} is out of range for axis {axis} of size {a}");
        int outer = Tensor.ElementCount(x.Shape.AsSpan(0, axis)), inner = Tensor.ElementCount(x.Shape.AsSpan(axis + 1));
        var idxShape = IndexTensor.Shape;
        var shape = new int[rank - 1 + idxShape.Length];
        for (int i = 0; i < axis; i++) shape[i] = x.Shape[i];
        for (int i = 0; i < idxShape.Length; i++) shape[axis + i] = idxShape[i];
        for (int i = axis + 1; i < rank; i++) shape[idxShape.Length + i - 1] = x.Shape[i];
        var y = e.Alloc(shape);
        e.Launch1("gather", y.Length, x, e.Get(IndexKey), y, y.Length, _indices.Length, inner, a);
        e.Values[Out] = y;
    }
}
