using System.CommandLine;
using Onyx.Cpu;

namespace Onyx.Cli.Commands;

/// <summary>`onyx ops`: lists the operators the CPU provider implements, with opset ranges.</summary>
internal static class OpsCommand
{
    public static Command Create()
    {
        var cmd = new Command("ops", "List the operators the CPU provider implements");
        cmd.SetAction(_ =>
        {
            foreach (var r in CpuKernels.Registry.Registrations().OrderBy(r => r.Domain).ThenBy(r => r.OpType).ThenBy(r => r.Since))
                Console.WriteLine($"{(r.Domain.Length == 0 ? "ai.onnx" : r.Domain),-28} {r.OpType,-32} {r.Since}-{(r.Until == int.MaxValue ? "" : r.Until.ToString())}");
            return 0;
        });
        return cmd;
    }
}
