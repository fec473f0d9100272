using System.CommandLine;
using Onyx.Cli.Commands;

namespace Onyx.Cli;

/// <summary>The `onyx` command line: one sub-command per file under Commands/.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("Onyx: a pure-managed ONNX runtime for .NET with an OpenVINO-contract execution provider.")
        {
            RunCommand.Create(),
            BenchCommand.Create(),
            ConformanceCommand.Create(),
            InspectCommand.Create(),
            DevicesCommand.Create(),
            OpsCommand.Create(),
            OcrCommand.Create(),
            OcrCommand.CreateMakeSample(),
        };
        try
        {
            return root.Parse(args).Invoke();
        }
        catch (OnnxRuntimeException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
