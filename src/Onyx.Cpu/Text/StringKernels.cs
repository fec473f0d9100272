using System.Text.RegularExpressions;
using Onyx.Core.Execution;
using Onyx.Cpu.Common;
using Onyx.Tensors;

namespace Onyx.Cpu.Text;

/// <summary>ONNX <c>StringConcat</c>: elementwise X + Y with numpy broadcasting.</summary>
[OnnxKernel("StringConcat", Since = 20)]
internal sealed class StringConcatKernel : IKernel
{
    public StringConcatKernel(KernelInfo info) { }

    public void Execute(KernelContext context)
    {
        var a = context.Input(0);
        var b = context.Input(1);
        if (a.DType != DType.String || b.DType != DType.String)
            throw context.Error($"inputs must be tensor(string), got {a.DType.OnnxName()} and {b.DType.OnnxName()}");
        int[] shape;
        try { shape = Broadcast.Shape(a.Shape, b.Shape); }
        catch (ArgumentException e) { throw context.Error(e.Message); }
        var ia = Broadcast.Offsets(a.Shape, shape);
        var ib = Broadcast.Offsets(b.Shape, shape);
        var sa = a.Strings;
        var sb = b.Strings;
        var r = new string[ia.Length];
        for (int i = 0; i < r.Length; i++) r[i] = string.Concat(sa[ia[i]], sb[ib[i]]);
        context.SetOutput(0, Tensor.FromStrings(r, shape));
    }
}

/// <summary>ONNX <c>RegexFullMatch</c>: whether each string fully matches the pattern (.NET regex syntax, close to RE2 for common patterns).</summary>
[OnnxKernel("RegexFullMatch", Since = 20)]
internal sealed class RegexFullMatchKernel : IKernel
{
    private readonly Regex _regex;

    public RegexFullMatchKernel(KernelInfo info)
    {
        string pattern = info.Attributes.GetString("pattern", "");
        try { _regex = new Regex($"\\A(?:{pattern})\\z", RegexOptions.CultureInvariant); }
        catch (ArgumentException e) { throw info.Invalid($"invalid pattern '{pattern}': {e.Message}"); }
    }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        if (x.DType != DType.String) throw context.Error($"X must be tensor(string), got {x.DType.OnnxName()}");
        var y = context.Output(0, DType.Bool, x.Shape);
        var ys = y.Span<bool>();
        var xs = x.Strings;
        for (int i = 0; i < xs.Length; i++) ys[i] = _regex.IsMatch(xs[i]);
    }
}

/// <summary>
/// ONNX <c>StringSplit</c>: splits each string on a delimiter (Python <c>str.split</c> semantics;
/// no delimiter means runs of whitespace), padding the new last axis with empty strings.
/// </summary>
[OnnxKernel("StringSplit", Since = 20)]
internal sealed class StringSplitKernel(KernelInfo info) : IKernel
{
    private readonly string _delimiter = info.Attributes.GetString("delimiter", "");
    private readonly long _maxSplit = info.Attributes.GetInt("maxsplit", -1);

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        if (x.DType != DType.String) throw context.Error($"X must be tensor(string), got {x.DType.OnnxName()}");
        var xs = x.Strings;
        var parts = new List<string>[xs.Length];
        int width = 0;
        for (int i = 0; i < xs.Length; i++)
        {
            parts[i] = Split(xs[i]);
            width = Math.Max(width, parts[i].Count);
        }
        int[] yShape = [.. x.Shape, width];
        var y = new string[xs.Length * width];
        Array.Fill(y, string.Empty);
        var z = context.Output(1, DType.Int64, x.Shape).Span<long>();
        for (int i = 0; i < xs.Length; i++)
        {
            for (int k = 0; k < parts[i].Count; k++) y[i * width + k] = parts[i][k];
            z[i] = parts[i].Count;
        }
        context.SetOutput(0, Tensor.FromStrings(y, yShape));
    }

    private List<string> Split(string s)
    {
        var result = new List<string>();
        long max = _maxSplit < 0 ? long.MaxValue : _maxSplit;
        if (_delimiter.Length == 0)
        {
            int i = 0;
            while (true)
            {
                while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
                if (i >= s.Length) break;
                if (result.Count >= max)
                {
                    int end = s.Length;
                    while (end > i && char.IsWhiteSpace(s[end - 1])) end--;
                    result.Add(s[i..end]);
                    break;
                }
                int j = i;
                while (j < s.Length && !char.IsWhiteSpace(s[j])) j++;
                result.Add(s[i..j]);
                i = j;
            }
            return result;
        }
        int start = 0;
        while (result.Count < max)
        {
            int k = s.IndexOf(_delimiter, start, StringComparison.Ordinal);
            if (k < 0) break;
            result.Add(s[start..k]);
            start = k + _delimiter.Length;
        }
        result.Add(s[start..]);
        return result;
    }
}
