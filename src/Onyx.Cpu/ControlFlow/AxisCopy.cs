using Onyx.Tensors;

namespace Onyx.Cpu.ControlFlow;

/// <summary>
/// Element-block copies between tensors of one element type (numeric or string), used by the
/// control-flow and sequence kernels to slice along an axis and to stack or concatenate slices.
/// </summary>
internal static class AxisCopy
{
    /// <summary>Copies <paramref name="count"/> elements from <paramref name="src"/> at element <paramref name="srcIndex"/> to <paramref name="dst"/> at <paramref name="dstIndex"/>.</summary>
    public static void Copy(Tensor src, int srcIndex, Tensor dst, int dstIndex, int count)
    {
        if (count == 0) return;
        if (src.DType == DType.String)
        {
            Array.Copy(src.Strings, srcIndex, dst.Strings, dstIndex, count);
            return;
        }
        int size = src.DType.SizeOf();
        src.Bytes.Slice(srcIndex * size, count * size).CopyTo(dst.Bytes.Slice(dstIndex * size, count * size));
    }

    /// <summary>Product of <paramref name="shape"/>[from..to).</summary>
    public static int Product(ReadOnlySpan<int> shape, int from, int to)
    {
        int p = 1;
        for (int i = from; i < to; i++) p *= shape[i];
        return p;
    }

    /// <summary>The slice <paramref name="index"/> of <paramref name="t"/> along <paramref name="axis"/>, with the axis removed (or kept with size 1).</summary>
    public static Tensor Slice(Tensor t, int axis, int index, bool keepAxis = false) => Range(t, axis, index, 1, keepAxis);

    /// <summary>Elements [start, start+count) of <paramref name="t"/> along <paramref name="axis"/>, as a new tensor.</summary>
    public static Tensor Range(Tensor t, int axis, int start, int count, bool keepAxis = true)
    {
        var shape = t.Shape;
        int outer = Product(shape, 0, axis);
        int inner = Product(shape, axis + 1, shape.Length);
        int dim = shape[axis];
        int[] outShape;
        if (keepAxis) { outShape = (int[])shape.Clone(); outShape[axis] = count; }
        else outShape = [.. shape[..axis], .. shape[(axis + 1)..]];
        var r = Tensor.Allocate(t.DType, outShape, zero: false);
        for (int o = 0; o < outer; o++)
            Copy(t, (o * dim + start) * inner, r, o * count * inner, count * inner);
        return r;
    }

    /// <summary>Stacks equally shaped tensors along a new axis <paramref name="axis"/>.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> items, int axis, DType dtype, int[] itemShape)
    {
        int n = items.Count;
        int[] outShape = [.. itemShape[..axis], n, .. itemShape[axis..]];
        var r = Tensor.Allocate(dtype, outShape, zero: false);
        int outer = Product(itemShape, 0, axis);
        int inner = Product(itemShape, axis, itemShape.Length);
        for (int k = 0; k < n; k++)
        {
            var it = items[k];
            if (!it.Shape.AsSpan().SequenceEqual(itemShape))
                throw new ArgumentException($"item {k} has shape {it.ShapeString}, expected [{string.Join(",", itemShape)}]");
            for (int o = 0; o < outer; o++)
                Copy(it, o * inner, r, (o * n + k) * inner, inner);
        }
        return r;
    }

    /// <summary>Concatenates tensors of equal rank along <paramref name="axis"/>.</summary>
    public static Tensor Concat(IReadOnlyList<Tensor> items, int axis)
    {
        var first = items[0].Shape;
        int total = 0;
        foreach (var it in items)
        {
            if (it.Rank != first.Length) throw new ArgumentException($"cannot concatenate {it.ShapeString} with [{string.Join(",", first)}]");
            for (int d = 0; d < first.Length; d++)
                if (d != axis && it.Shape[d] != first[d])
                    throw new ArgumentException($"cannot concatenate {it.ShapeString} with [{string.Join(",", first)}] along axis {axis}");
            total += it.Shape[axis];
        }
        int[] outShape = (int[])first.Clone();
        outShape[axis] = total;
        var r = Tensor.Allocate(items[0].DType, outShape, zero: false);
        int outer = Product(first, 0, axis);
        int inner = Product(first, axis + 1, first.Length);
        int offset = 0;
        foreach (var it in items)
        {
            int d = it.Shape[axis];
            for (int o = 0; o < outer; o++)
                Copy(it, o * d * inner, r, (o * total + offset) * inner, d * inner);
            offset += d;
        }
        return r;
    }

    /// <summary>Reverses <paramref name="t"/> along <paramref name="axis"/> into a new tensor.</summary>
    public static Tensor Reverse(Tensor t, int axis)
    {
        var shape = t.Shape;
        int outer = Product(shape, 0, axis);
        int inner = Product(shape, axis + 1, shape.Length);
        int dim = shape[axis];
        var r = Tensor.Allocate(t.DType, shape, zero: false);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < dim; i++)
                Copy(t, (o * dim + i) * inner, r, (o * dim + dim - 1 - i) * inner, inner);
        return r;
    }

    /// <summary>Moves axis 0 of <paramref name="t"/> to position <paramref name="axis"/>.</summary>
    public static Tensor MoveFirstAxisTo(Tensor t, int axis)
    {
        if (axis == 0) return t;
        var items = new Tensor[t.Shape[0]];
        for (int i = 0; i < items.Length; i++) items[i] = Slice(t, 0, i);
        int[] itemShape = t.Shape[1..];
        return Stack(items, axis, t.DType, itemShape);
    }

    /// <summary>True for a tensor holding a true bool (any single element).</summary>
    public static bool IsTrue(Tensor t) => t.DType switch
    {
        DType.Bool or DType.UInt8 or DType.Int8 => t.Bytes[0] != 0,
        _ => t.ToDoubleArray()[0] != 0,
    };
}
