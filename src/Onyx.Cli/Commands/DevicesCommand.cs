using System.CommandLine;
using Onyx.OpenVino;

namespace Onyx.Cli.Commands;

/// <summary>`onyx devices`: the devices the OpenVINO provider can use on this machine.</summary>
public static class DevicesCommand
{
    public static Command Create()
    {
        var cmd = new Command("devices", "List the devices the OpenVINO provider can use (id, name, type, ISA, cores, precisions)");
        cmd.SetAction(_ =>
        {
            var registry = DeviceRegistry.Default;
            foreach (var d in registry.Devices)
            {
                Console.WriteLine($"{d.Id}");
                Console.WriteLine($"  name:       {d.Name}");
                Console.WriteLine($"  type:       {d.Type}");
                Console.WriteLine($"  isa:        {string.Join(" ", d.Isa)}");
                Console.WriteLine($"  cores:      {d.Cores}");
                Console.WriteLine($"  precisions: {string.Join(" ", d.Precisions)}");
                if (d.Luid is not null) Console.WriteLine($"  luid:       {d.Luid}");
            }
            Console.WriteLine("Not present: GPU, NPU, MYRIAD (device_type naming them fails; HETERO/MULTI/AUTO skip them).");
            return 0;
        });
        return cmd;
    }
}
