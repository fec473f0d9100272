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
    public static SessionOptions Build(string? ep, string[]? epOptions, int threads = 0) => ProviderArguments.Build(ep, epOptions, threads);
}
