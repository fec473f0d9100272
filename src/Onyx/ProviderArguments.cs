namespace Onyx;

/// <summary>
/// Command-line provider selection (<c>--ep NAME</c>, <c>--ep-option KEY=VALUE</c>, <c>--threads N</c>)
/// turned into session options; shared by the CLI commands and bench/Onyx.Bench.
/// </summary>
internal static class ProviderArguments
{
    /// <summary>Session options for the given provider name (null or empty: CPU only), its options and intra-op threads (0 = default).</summary>
    public static SessionOptions Build(string? ep, IEnumerable<string>? epOptions, int threads = 0)
    {
        var so = new SessionOptions { IntraOpNumThreads = threads };
        var dict = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var kv in epOptions ?? [])
        {
            int eq = kv.IndexOf('=');
            if (eq <= 0) throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"--ep-option '{kv}' must be KEY=VALUE");
            dict[kv[..eq]] = kv[(eq + 1)..];
        }
        if (!string.IsNullOrEmpty(ep)) so.AppendExecutionProvider(ep, dict);
        else if (dict.Count > 0) throw new OnnxRuntimeException(ErrorCode.InvalidArgument, "--ep-option needs --ep");
        return so;
    }
}
