namespace Onyx.Cpu.Common;

/// <summary>
/// Numpy-style multidirectional broadcasting: output shapes, and per-input element offsets so an
/// N-ary elementwise loop can read each input with its own (possibly zero) strides.
/// </summary>
public static class Broadcast
{
    /// <summary>The broadcast shape of several shapes, or an error text naming both shapes.</summary>
    public static int[] Shape(params int[][] shapes)
    {
        int rank = 0;
        foreach (var s in shapes) rank = System.Math.Max(rank, s.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int d = 1;
            foreach (var s in shapes)
            {
                int k = i - (rank - s.Length);
                if (k < 0) continue;
                int v = s[k];
                if (v == d || v == 1) continue;
                if (d == 1) { d = v; continue; }
                throw new ArgumentException(
                    $"shapes {string.Join(" and ", shapes.Select(x => "[" + string.Join(",", x) + "]"))} cannot be broadcast (dimension {i}: {d} vs {v})");
            }
            result[i] = d;
        }
        return result;
    }

    /// <summary>Row-major strides of <paramref name="shape"/> aligned to <paramref name="rank"/>, 0 where broadcast.</summary>
    public static int[] Strides(int[] shape, int[] outShape)
    {
        int rank = outShape.Length;
        var strides = new int[rank];
        int stride = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            int o = i + rank - shape.Length;
            strides[o] = shape[i] == 1 && outShape[o] != 1 ? 0 : stride;
            stride *= shape[i];
        }
        return strides;
    }

    /// <summary>
    /// For each output element (row-major), the element index into an input of <paramref name="shape"/>.
    /// Simple and general; hot paths use the fast cases in <see cref="BinaryLayout"/> first.
    /// </summary>
    public static int[] Offsets(int[] shape, int[] outShape)
    {
        int n = 1;
        foreach (int d in outShape) n *= d;
        var result = new int[n];
        var strides = Strides(shape, outShape);
        int rank = outShape.Length;
        var idx = new int[rank];
        int off = 0;
        for (int i = 0; i < n; i++)
        {
            result[i] = off;
            for (int d = rank - 1; d >= 0; d--)
            {
                idx[d]++;
                off += strides[d];
                if (idx[d] < outShape[d]) break;
                off -= strides[d] * idx[d];
                idx[d] = 0;
            }
        }
        return result;
    }

    /// <summary>True when two shapes are equal.</summary>
    public static bool Same(int[] a, int[] b) => a.AsSpan().SequenceEqual(b);
}

/// <summary>How a binary op's two inputs line up with its output, from cheapest to most general.</summary>
public enum BinaryLayoutKind
{
    /// <summary>Both inputs have the output's shape.</summary>
    Same,
    /// <summary>A is one element.</summary>
    ScalarA,
    /// <summary>B is one element.</summary>
    ScalarB,
    /// <summary>B repeats along outer dims: out[i*inner + j] = a[...] op b[j] (e.g. bias over the last dims).</summary>
    General,
}

/// <summary>Chooses the loop for a broadcast binary op.</summary>
public readonly struct BinaryLayout
{
    public readonly BinaryLayoutKind Kind;
    public readonly int[] OutShape;

    public BinaryLayout(int[] a, int[] b)
    {
        OutShape = Broadcast.Shape(a, b);
        int na = Count(a), nb = Count(b), no = Count(OutShape);
        if (Broadcast.Same(a, OutShape) && Broadcast.Same(b, OutShape)) Kind = BinaryLayoutKind.Same;
        else if (na == 1 && nb == no) Kind = BinaryLayoutKind.ScalarA;
        else if (nb == 1 && na == no) Kind = BinaryLayoutKind.ScalarB;
        else Kind = BinaryLayoutKind.General;
    }

    private static int Count(int[] s) { int n = 1; foreach (int d in s) n *= d; return n; }
}
