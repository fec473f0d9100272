using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.Text;

/// <summary>
/// ONNX <c>StringNormalizer</c>: drops stopwords, then lower/upper-cases. Case mapping is the
/// invariant (locale-independent) Unicode mapping, so results never depend on installed locales.
/// </summary>
[OnnxKernel("StringNormalizer", Since = 10)]
internal sealed class StringNormalizerKernel : IKernel
{
    private enum CaseAction { None, Lower, Upper }

    private readonly CaseAction _action;
    private readonly HashSet<string> _stopwords;

    public StringNormalizerKernel(KernelInfo info)
    {
        string a = info.Attributes.GetString("case_change_action", "NONE");
        _action = a switch
        {
            "NONE" or "" => CaseAction.None,
            "LOWER" => CaseAction.Lower,
            "UPPER" => CaseAction.Upper,
            _ => throw info.Invalid($"case_change_action must be LOWER, UPPER or NONE, got '{a}'"),
        };
        bool caseSensitive = info.Attributes.GetInt("is_case_sensitive", 0) != 0;
        _stopwords = new HashSet<string>(info.Attributes.GetStrings("stopwords") ?? [],
            caseSensitive ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase);
    }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        if (x.DType != DType.String) throw context.Error($"X must be tensor(string), got {x.DType.OnnxName()}");
        bool twoD = x.Rank == 2;
        if (!(x.Rank == 1 || (twoD && x.Shape[0] == 1)))
            throw context.Error($"X must have shape [C] or [1, C], got {x.ShapeString}");
        var kept = new List<string>(x.Length);
        foreach (var s in x.Strings)
        {
            if (_stopwords.Count > 0 && _stopwords.Contains(s)) continue;
            kept.Add(_action switch
            {
                CaseAction.Lower => s.ToLowerInvariant(),
                CaseAction.Upper => s.ToUpperInvariant(),
                _ => s,
            });
        }
        if (kept.Count == 0) kept.Add("");
        context.SetOutput(0, twoD ? Tensor.FromStrings([.. kept], 1, kept.Count) : Tensor.FromStrings([.. kept], kept.Count));
    }
}
