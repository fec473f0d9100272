using Onyx.Core.Execution;
using Onyx.Cpu.Common;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>
/// ONNX <c>Unique</c>: distinct elements (or slices along <c>axis</c>), sorted ascending or in order of first
/// occurrence, with first-occurrence indices, inverse indices and counts.
/// </summary>
[OnnxKernel("Unique", Since = 11)]
internal sealed class UniqueKernel : IKernel
{
    private readonly bool _sorted;
    private readonly long? _axis;

    public UniqueKernel(KernelInfo info)
    {
        _sorted = info.Attributes.GetInt("sorted", 1) != 0;
        _axis = info.Attributes.Has("axis") ? info.Attributes.GetInt("axis") : null;
    }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        int[] shape = _axis is null ? [x.Length] : x.Shape;
        int axis = _axis is long a ? TensorOpHelpers.Axis(context, a, x.Rank) : 0;
        int n = shape[axis];
        long outer = TensorOpHelpers.Product(shape, 0, axis);
        long inner = TensorOpHelpers.Product(shape, axis + 1, shape.Length);
        Comparison<long> cmpElem = ElementComparer(context, x);
        // Slice s holds elements (o, s, i) for every o, i, compared in that (row-major) order.
        int Cmp(int p, int q)
        {
            for (long o = 0; o < outer; o++)
            {
                long bp = (o * n + p) * inner, bq = (o * n + q) * inner;
                for (long i = 0; i < inner; i++)
                {
                    int c = cmpElem(bp + i, bq + i);
                    if (c != 0) return c;
                }
            }
            return 0;
        }
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        // Stable: equal slices keep index order, so a group's first entry is its first occurrence.
        Array.Sort(order, (p, q) => { int c = Cmp(p, q); return c != 0 ? c : p.CompareTo(q); });
        var groupOf = new int[n];
        var firsts = new List<int>();
        var counts = new List<long>();
        for (int k = 0; k < n; k++)
        {
            if (k == 0 || Cmp(order[k - 1], order[k]) != 0) { firsts.Add(order[k]); counts.Add(0); }
            groupOf[order[k]] = firsts.Count - 1;
            counts[^1]++;
        }
        int u = firsts.Count;
        var rank = new int[u]; // output position of each sorted group
        if (_sorted) for (int g = 0; g < u; g++) rank[g] = g;
        else
        {
            var byFirst = new int[u];
            for (int g = 0; g < u; g++) byFirst[g] = g;
            Array.Sort(byFirst, (g, h) => firsts[g].CompareTo(firsts[h]));
            for (int p = 0; p < u; p++) rank[byFirst[p]] = p;
        }
        var outShape = (int[])shape.Clone();
        outShape[axis] = u;
        var y = context.Output(0, x.DType, outShape);
        var idxOut = new long[u];
        var cntOut = new long[u];
        for (int g = 0; g < u; g++)
        {
            int p = rank[g];
            idxOut[p] = firsts[g];
            cntOut[p] = counts[g];
            for (long o = 0; o < outer; o++)
                StridedCopy.CopyElements(x, (o * n + firsts[g]) * inner, y, (o * u + p) * inner, inner);
        }
        if (context.OutputCount > 1) idxOut.CopyTo(context.Output(1, DType.Int64, [u]).Span<long>());
        if (context.OutputCount > 2)
        {
            var inv = context.Output(2, DType.Int64, [n]).Span<long>();
            for (int i = 0; i < n; i++) inv[i] = rank[groupOf[i]];
        }
        if (context.OutputCount > 3) cntOut.CopyTo(context.Output(3, DType.Int64, [u]).Span<long>());
    }

    private static Comparison<long> ElementComparer(KernelContext context, Tensor x)
    {
        switch (x.DType)
        {
            case DType.String:
            {
                var s = x.Strings;
                return (a, b) => string.CompareOrdinal(s[a], s[b]);
            }
            case DType.Float32: case DType.Float64: case DType.Float16: case DType.BFloat16:
            {
                var d = x.ToDoubleArray();
                return (a, b) => d[a].CompareTo(d[b]);
            }
            case DType.UInt64:
            {
                var d = x.Span<ulong>().ToArray();
                return (a, b) => d[a].CompareTo(d[b]);
            }
            default:
                if (!x.DType.IsInteger() && x.DType != DType.Bool) throw context.Error($"unsupported type {x.DType.OnnxName()}");
                var l = x.ToInt64Array();
                return (a, b) => l[a].CompareTo(l[b]);
        }
    }
}
