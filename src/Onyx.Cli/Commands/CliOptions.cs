using System.CommandLine;

namespace Onyx.Cli.Commands;

/// <summary>Options several commands share: execution provider selection.</summary>
internal static class CliOptions
{
    public static Option<string?> Ep() => new("--ep") { Description = "Execution provider: CPU (default) or OpenVINO" };

    public static Option<string[]> EpOption() => new("--ep-option")
    {
        Description = "Provider option KEY=VALUE (repeatable), e.g. device_type=CPU",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<int> Threads() => new("--threads") { Description = "Intra-op threads (0 = default)", DefaultValueFactory = _ => 0 };

    /// <summary>Session options for --ep/--ep-option/--threads.</summary>
    public static SessionOptions Build(string? ep, string[]? epOptions, int threads = 0)
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
