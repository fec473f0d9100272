using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.OpenCl;

/// <summary>
/// Equal/Less/LessOrEqual/Greater/GreaterOrEqual (float or integer operands) and And/Or/Xor (bool) with numpy
/// broadcasting, into bool tensors (int32 0/1 storage). Float operands compare in float (FP16 storage: the half values).
/// </summary>
internal sealed class CompareOp(Node n, int op) : GpuOp(n)
{
    public override void Run(GpuExec e)
    {
        var a = e.Get(Node.Inputs[0]);
        var b = e.Get(Node.Inputs[1]);
        if (a.IsInt != b.IsInt) throw Fail($"operands are {a.Type} and {b.Type}");
        var bc = BinaryOp.Broadcast(this, a.Shape, b.Shape);
        var y = e.Alloc(bc.Shape, DType.Bool);
        e.Launch1(a.IsInt ? "compare_i" : "compare", y.Length, a, b, y, y.Length, op, bc.Dims, bc.Sa, bc.Sb, bc.Plain, bc.Fast);
        e.Values[Out] = y;
    }
}

/// <summary>ONNX Not on a bool tensor.</summary>
internal sealed class NotOp(Node n) : GpuOp(n)
{
    public override void Run(GpuExec e)
    {
        var x = e.Get(Node.Inputs[0]);
        var y = e.Alloc(x.Shape, DType.Bool);
        e.Launch1("not_i", y.Length, x, y, y.Length);
        e.Values[Out] = y;
    }
}

/// <summary>ONNX Where(condition, X, Y) with three-way broadcasting; X/Y float or integer.</summary>
internal sealed class WhereOp(Node n) : GpuOp(n)
{
    public override void Run(GpuExec e)
    {
        var c = e.Get(Node.Inputs[0]);
        var x = e.Get(Node.Inputs[1]);
        var y = e.Get(Node.Inputs[2]);
        if (x.IsInt != y.IsInt || !c.IsInt) throw Fail($"operands are {c.Type}, {x.Type}, {y.Type}");
        var shape = BinaryOp.Broadcast(this, BinaryOp.Broadcast(this, c.Shape, x.Shape).Shape, y.Shape).Shape;
        var dy = GpuExec.Pad8(shape, 1);
        var o = e.Alloc(shape, x.Type);
        e.Launch1(x.IsInt ? "where_i" : "where_f", o.Length, c, x, y, o, o.Length, dy,
            BinaryOp.BroadcastStrides(GpuExec.Pad8(c.Shape, 1), dy), BinaryOp.BroadcastStrides(GpuExec.Pad8(x.Shape, 1), dy),
            BinaryOp.BroadcastStrides(GpuExec.Pad8(y.Shape, 1), dy));
        e.Values[Out] = o;
    }
}

/// <summary>ONNX Expand: broadcast to a shape given at compile or run time, as a strided copy with zero strides.</summary>
internal sealed class ExpandOp(Node n, IConstants c) : GpuOp(n)
{
    public override void Run(GpuExec e)
    {
        var x = e.Get(Node.Inputs[0]);
        var target = Ints(e, c, 1) ?? throw Fail("no shape");
        var bc = BinaryOp.Broadcast(this, x.Shape, target.Select(v => (int)v).ToArray());
        e.Values[Out] = e.StridedCopy(x, bc.Shape, bc.Sa.AsSpan(8 - bc.Shape.Length).ToArray(), 0);
    }
}
