using Onyx.Tensors;

namespace Onyx.Core.Inference;

/// <summary>
/// Dim-array building blocks for the inference rules. Loops and <see cref="Array.Copy(Array, int, Array, int, int)"/>
/// rather than LINQ, ranges (<c>s[a..b]</c>), spreads or <c>List&lt;Dim&gt;</c>: those are the framework's generic
/// code instantiated over <see cref="Dim"/>, a value type of another assembly, for which no ReadyToRun code
/// exists, so every process paid their JIT (~4 ms) on its first models. These helpers are precompiled.
/// </summary>
internal sealed partial class Inferrer
{
    private static Dim[] Repeat(Dim d, int count)
    {
        var r = new Dim[count];
        for (int i = 0; i < r.Length; i++) r[i] = d;
        return r;
    }

    private static Dim[] Unknowns(int rank) => Repeat(Dim.Unknown, rank);

    private static long[] Ones(int count)
    {
        var r = new long[count];
        for (int i = 0; i < r.Length; i++) r[i] = 1;
        return r;
    }

    /// <summary>0, 1, ..., count - 1.</summary>
    private static long[] Iota(int count)
    {
        var r = new long[count];
        for (int i = 0; i < r.Length; i++) r[i] = i;
        return r;
    }

    private static Dim[] FixedDims(long[] values)
    {
        var r = new Dim[values.Length];
        for (int i = 0; i < r.Length; i++) r[i] = F(values[i]);
        return r;
    }

    private static Dim[] FixedDims(int[] values)
    {
        var r = new Dim[values.Length];
        for (int i = 0; i < r.Length; i++) r[i] = F(values[i]);
        return r;
    }

    /// <summary><c>s.Select(f).ToArray()</c>.</summary>
    private static Dim[] Map(Dim[] s, Func<Dim, int, Dim> f)
    {
        var r = new Dim[s.Length];
        for (int i = 0; i < r.Length; i++) r[i] = f(s[i], i);
        return r;
    }

    /// <summary><c>s[start..end]</c>.</summary>
    private static Dim[] Sub(Dim[] s, int start, int end)
    {
        var r = new Dim[Math.Max(0, end - start)];
        Array.Copy(s, start, r, 0, r.Length);
        return r;
    }

    /// <summary><c>s</c> without the entries at the axes where <paramref name="drop"/> is true.</summary>
    private static Dim[] Without(Dim[] s, bool[] drop)
    {
        int n = 0;
        for (int i = 0; i < s.Length; i++) if (!drop[i]) n++;
        var r = new Dim[n];
        for (int i = 0, j = 0; i < s.Length; i++) if (!drop[i]) r[j++] = s[i];
        return r;
    }

    /// <summary><c>[a, b, .. rest]</c>.</summary>
    private static Dim[] Cat(Dim a, Dim b, Dim[] rest)
    {
        var r = new Dim[rest.Length + 2];
        r[0] = a;
        r[1] = b;
        Array.Copy(rest, 0, r, 2, rest.Length);
        return r;
    }

    /// <summary><c>[.. a, .. b, .. c]</c>.</summary>
    private static Dim[] Cat(Dim[] a, Dim[] b, Dim[] c)
    {
        var r = new Dim[a.Length + b.Length + c.Length];
        Array.Copy(a, 0, r, 0, a.Length);
        Array.Copy(b, 0, r, a.Length, b.Length);
        Array.Copy(c, 0, r, a.Length + b.Length, c.Length);
        return r;
    }

    /// <summary>The axes of <paramref name="axes"/> (normalized against <paramref name="rank"/>) as a mask.</summary>
    private static bool[] AxisMask(long[] axes, int rank)
    {
        var mask = new bool[rank];
        foreach (long a in axes) mask[Axis(a, rank)] = true;
        return mask;
    }

    private static Dim Product(Dim[] dims, int skip = -1)
    {
        var p = F(1);
        for (int i = 0; i < dims.Length; i++) if (i != skip) p = Mul(p, dims[i]);
        return p;
    }

    private static string Fmt(Dim[]? s)
    {
        if (s is null) return "[?]";
        var sb = new System.Text.StringBuilder("[");
        for (int i = 0; i < s.Length; i++) sb.Append(i == 0 ? "" : ",").Append(s[i].ToString());
        return sb.Append(']').ToString();
    }
}
