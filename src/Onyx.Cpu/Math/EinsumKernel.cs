using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.MathOps;

/// <summary>
/// ONNX <c>Einsum</c>: explicit ("ij,jk->ik") and implicit equations, ellipsis broadcasting and
/// repeated labels (diagonals). Each label becomes a loop; the output loops run outside the summed
/// ones, accumulating in double (long for integers).
/// </summary>
[OnnxKernel("Einsum", Since = 12)]
internal sealed class EinsumKernel : IKernel
{
    private const char EllipsisBase = '\u0100';
    private readonly string[] _inputTerms;
    private readonly string? _outputTerm;

    public EinsumKernel(KernelInfo info)
    {
        string eq = info.Attributes.GetString("equation").Replace(" ", "");
        int arrow = eq.IndexOf("->", StringComparison.Ordinal);
        _inputTerms = (arrow < 0 ? eq : eq[..arrow]).Split(',');
        _outputTerm = arrow < 0 ? null : eq[(arrow + 2)..];
    }

    public void Execute(KernelContext context)
    {
        int n = context.InputCount;
        if (n != _inputTerms.Length) throw context.Error($"equation has {_inputTerms.Length} operands but {n} inputs were given");
        var inputs = new Tensor[n];
        for (int i = 0; i < n; i++) inputs[i] = context.Input(i);
        DType dtype = inputs[0].DType;

        // Expand ellipses into per-dimension labels, right-aligned across operands.
        int ellipsisRank = 0;
        var labels = new string[n];
        for (int i = 0; i < n; i++)
        {
            string t = _inputTerms[i];
            int e = t.IndexOf("...", StringComparison.Ordinal);
            if (e >= 0) ellipsisRank = System.Math.Max(ellipsisRank, inputs[i].Rank - (t.Length - 3));
        }
        for (int i = 0; i < n; i++)
        {
            string t = _inputTerms[i];
            int e = t.IndexOf("...", StringComparison.Ordinal);
            if (e >= 0)
            {
                int er = inputs[i].Rank - (t.Length - 3);
                if (er < 0) throw context.Error($"operand {i} of rank {inputs[i].Rank} is too small for '{t}'");
                t = t[..e] + Ellipsis(ellipsisRank - er, ellipsisRank) + t[(e + 3)..];
            }
            if (t.Length != inputs[i].Rank) throw context.Error($"operand {i} has rank {inputs[i].Rank} but term '{_inputTerms[i]}' names {t.Length} dims");
            labels[i] = t;
        }

        string output;
        if (_outputTerm is not null)
        {
            int e = _outputTerm.IndexOf("...", StringComparison.Ordinal);
            output = e < 0 ? _outputTerm : _outputTerm[..e] + Ellipsis(0, ellipsisRank) + _outputTerm[(e + 3)..];
        }
        else
        {
            var counts = new SortedDictionary<char, int>();
            foreach (string t in labels) foreach (char c in t) if (c < EllipsisBase) counts[c] = counts.GetValueOrDefault(c) + 1;
            output = Ellipsis(0, ellipsisRank) + string.Concat(counts.Where(kv => kv.Value == 1).Select(kv => kv.Key));
        }

        // Label sizes (1 broadcasts).
        var size = new Dictionary<char, int>();
        for (int i = 0; i < n; i++)
            for (int d = 0; d < labels[i].Length; d++)
            {
                char c = labels[i][d];
                int s = inputs[i].Shape[d];
                if (!size.TryGetValue(c, out int prev) || prev == 1) size[c] = s;
                else if (s != prev && s != 1) throw context.Error($"label '{c}' has sizes {prev} and {s}");
            }
        foreach (char c in output)
            if (!size.ContainsKey(c)) throw context.Error($"output label '{c}' does not appear in any input");

        var loopLabels = output.ToList();
        foreach (var c in size.Keys) if (!loopLabels.Contains(c)) loopLabels.Add(c);
        int nl = loopLabels.Count, no = output.Length;
        var dims = loopLabels.Select(c => size[c]).ToArray();

        // Per operand, the element stride of each loop label (summed for repeated labels: diagonals).
        var strides = new long[n][];
        for (int i = 0; i < n; i++)
        {
            strides[i] = new long[nl];
            long st = 1;
            for (int d = labels[i].Length - 1; d >= 0; d--)
            {
                int dimSize = inputs[i].Shape[d];
                if (dimSize != 1) strides[i][loopLabels.IndexOf(labels[i][d])] += st;
                st *= dimSize;
            }
        }

        Tensor y = context.Output(0, dtype, dims[..no]);
        if (y.Length == 0) return;
        bool integer = dtype is not (DType.Float32 or DType.Float64 or DType.Float16 or DType.BFloat16);
        var data = new double[n][];
        var ldata = new long[n][];
        for (int i = 0; i < n; i++)
        {
            if (integer) ldata[i] = inputs[i].ToInt64Array();
            else data[i] = inputs[i].ToDoubleArray();
        }

        var res = new double[y.Length];
        var lres = new long[y.Length];
        var idx = new int[nl];
        var off = new long[n];
        long sumCount = 1;
        for (int d = no; d < nl; d++) sumCount *= dims[d];
        if (sumCount == 0) { WriteOutput(y, res, lres, integer); return; }
        // The innermost summed loop runs as a tight strided dot product (the contraction of a
        // matmul-like equation); the odometer only steps the loops outside it.
        int last = nl - 1;
        bool tight = !integer && nl > no && n == 2;
        int innerLen = tight ? dims[last] : 1;
        long innerS0 = tight ? strides[0][last] : 0, innerS1 = tight ? strides[1][last] : 0;
        long outerSums = tight ? sumCount / innerLen : sumCount;
        for (int o = 0; o < y.Length; o++)
        {
            double acc = 0;
            long lacc = 0;
            if (tight)
            {
                double[] d0 = data[0], d1 = data[1];
                for (long s = 0; s < outerSums; s++)
                {
                    long o0 = off[0], o1 = off[1];
                    for (int k = 0; k < innerLen; k++, o0 += innerS0, o1 += innerS1) acc += d0[o0] * d1[o1];
                    Advance(idx, off, dims, strides, no, last);
                }
                res[o] = acc;
                Advance(idx, off, dims, strides, 0, no);
                continue;
            }
            for (long s = 0; s < sumCount; s++)
            {
                if (integer)
                {
                    long p = 1;
                    for (int i = 0; i < n; i++) p *= ldata[i][off[i]];
                    lacc += p;
                }
                else
                {
                    double p = 1;
                    for (int i = 0; i < n; i++) p *= data[i][off[i]];
                    acc += p;
                }
                Advance(idx, off, dims, strides, no, nl);
            }
            res[o] = acc;
            lres[o] = lacc;
            // The summed loops wrapped to zero; step the output loops.
            Advance(idx, off, dims, strides, 0, no);
        }
        WriteOutput(y, res, lres, integer);
    }

    private static string Ellipsis(int from, int to)
    {
        var c = new char[to - from];
        for (int k = from; k < to; k++) c[k - from] = (char)(EllipsisBase + k);
        return new string(c);
    }

    /// <summary>Odometer step over loops [lo, hi), innermost last, keeping operand offsets in sync.</summary>
    private static void Advance(int[] idx, long[] off, int[] dims, long[][] strides, int lo, int hi)
    {
        for (int d = hi - 1; d >= lo; d--)
        {
            idx[d]++;
            for (int i = 0; i < off.Length; i++) off[i] += strides[i][d];
            if (idx[d] < dims[d]) return;
            for (int i = 0; i < off.Length; i++) off[i] -= strides[i][d] * dims[d];
            idx[d] = 0;
        }
    }

    private static void WriteOutput(Tensor y, double[] res, long[] lres, bool integer)
    {
        switch (y.DType)
        {
            case DType.Float32: { var s = y.Span<float>(); for (int i = 0; i < s.Length; i++) s[i] = (float)res[i]; break; }
            case DType.Float64: res.CopyTo(y.Span<double>()); break;
            case DType.Float16: { var s = y.Span<Half>(); for (int i = 0; i < s.Length; i++) s[i] = (Half)res[i]; break; }
            case DType.BFloat16: { var s = y.Span<BFloat16>(); for (int i = 0; i < s.Length; i++) s[i] = BFloat16.FromFloat((float)res[i]); break; }
            case DType.Int64: lres.CopyTo(y.Span<long>()); break;
            case DType.Int32: { var s = y.Span<int>(); for (int i = 0; i < s.Length; i++) s[i] = (int)lres[i]; break; }
            case DType.UInt64: { var s = y.Span<ulong>(); for (int i = 0; i < s.Length; i++) s[i] = (ulong)lres[i]; break; }
            case DType.UInt32: { var s = y.Span<uint>(); for (int i = 0; i < s.Length; i++) s[i] = (uint)lres[i]; break; }
            case DType.Int16: { var s = y.Span<short>(); for (int i = 0; i < s.Length; i++) s[i] = (short)lres[i]; break; }
            case DType.UInt16: { var s = y.Span<ushort>(); for (int i = 0; i < s.Length; i++) s[i] = (ushort)lres[i]; break; }
            case DType.Int8: { var s = y.Span<sbyte>(); for (int i = 0; i < s.Length; i++) s[i] = (sbyte)lres[i]; break; }
            case DType.UInt8: { var s = y.Span<byte>(); for (int i = 0; i < s.Length; i++) s[i] = (byte)lres[i]; break; }
            default: throw new NotSupportedException($"Einsum on {y.DType.OnnxName()}");
        }
        _ = integer;
    }
}
