namespace Onyx.Cpu.Reduce;

/// <summary>
/// Reduction geometry. Every reduction is brought to the form out[o, i] = reduce over r of
/// x[o, r, i]: when the reduced axes form one contiguous block (after dropping size-1 dims and
/// merging neighbours) the input is used as is; otherwise it is gathered through
/// <see cref="Gather"/> into (kept..., reduced...) order, giving I = 1.
/// </summary>
internal sealed class ReduceLayout
{
    public int Outer;
    public int Reduced;
    public int Inner;
    /// <summary>Output shape (with or without kept dims).</summary>
    public int[] OutShape = [];
    /// <summary>When not null, element k of the (O, R, 1) view is input element Gather[k].</summary>
    public int[]? Gather;

    /// <summary>Normalizes axes (negative allowed, duplicates ignored) to a flag per dimension.</summary>
    public static bool[] AxisFlags(ReadOnlySpan<long> axes, int rank, Func<string, Exception> error)
    {
        var flags = new bool[rank];
        foreach (long a0 in axes)
        {
            long a = a0 < 0 ? a0 + rank : a0;
            if (a < 0 || a >= rank) throw error($"axis {a0} is out of range for rank {rank}");
            flags[a] = true;
        }
        return flags;
    }

    public static ReduceLayout Create(int[] shape, bool[] reduced, bool keepDims)
    {
        int rank = shape.Length;
        var outShape = new List<int>(rank);
        for (int d = 0; d < rank; d++)
        {
            if (!reduced[d]) outShape.Add(shape[d]);
            else if (keepDims) outShape.Add(1);
        }
        var layout = new ReduceLayout { OutShape = outShape.ToArray() };

        // Segments of merged dims, skipping size-1 dims.
        var segSize = new List<long>();
        var segReduced = new List<bool>();
        for (int d = 0; d < rank; d++)
        {
            if (shape[d] == 1) continue;
            if (segSize.Count > 0 && segReduced[^1] == reduced[d]) segSize[^1] *= shape[d];
            else { segSize.Add(shape[d]); segReduced.Add(reduced[d]); }
        }
        int reducedSegs = 0;
        foreach (bool r in segReduced) if (r) reducedSegs++;
        long outer = 1, red = 1, inner = 1;
        if (reducedSegs <= 1)
        {
            int k = 0;
            for (; k < segSize.Count && !segReduced[k]; k++) outer *= segSize[k];
            for (; k < segSize.Count && segReduced[k]; k++) red *= segSize[k];
            for (; k < segSize.Count; k++) inner *= segSize[k];
            layout.Outer = (int)outer; layout.Reduced = (int)red; layout.Inner = (int)inner;
            return layout;
        }

        // General case: gather into (kept..., reduced...) order.
        var strides = new int[rank];
        int s = 1;
        for (int d = rank - 1; d >= 0; d--) { strides[d] = s; s *= shape[d]; }
        var order = new List<int>(rank);
        for (int d = 0; d < rank; d++) if (!reduced[d]) { order.Add(d); outer *= shape[d]; }
        for (int d = 0; d < rank; d++) if (reduced[d]) { order.Add(d); red *= shape[d]; }
        int n = (int)(outer * red);
        var gather = new int[n];
        var idx = new int[rank];
        int off = 0;
        for (int k = 0; k < n; k++)
        {
            gather[k] = off;
            for (int j = rank - 1; j >= 0; j--)
            {
                int d = order[j];
                idx[j]++;
                off += strides[d];
                if (idx[j] < shape[d]) break;
                off -= strides[d] * idx[j];
                idx[j] = 0;
            }
        }
        layout.Outer = (int)outer; layout.Reduced = (int)red; layout.Inner = 1; layout.Gather = gather;
        return layout;
    }
}
