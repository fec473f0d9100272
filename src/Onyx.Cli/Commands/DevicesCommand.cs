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
                Console.WriteLine($"  name:          {d.Name}");
                Console.WriteLine($"  type:          {d.Type}");
                if (d.OpenCl is { } cl)
                {
                    Console.WriteLine($"  vendor:        {cl.Vendor}");
                    Console.WriteLine($"  opencl type:   {cl.Type}{(cl.IsCpuType ? $" (listed because {OpenCl.OpenClPlatform.AllowCpuEnvVar}=1)" : "")}");
                    Console.WriteLine($"  compute units: {cl.ComputeUnits}");
                    Console.WriteLine($"  memory:        {cl.GlobalMemoryBytes / (1024 * 1024)} MiB global, {cl.LocalMemoryBytes / 1024} KiB local");
                    Console.WriteLine($"  fp16:          {(cl.SupportsFp16 ? "yes (cl_khr_fp16: half arithmetic)" : "no (FP16 stores half, computes float)")}");
                    Console.WriteLine($"  opencl:        {cl.OpenClVersion}; driver {cl.DriverVersion}; platform {cl.PlatformName}");
                }
                else
                {
                    Console.WriteLine($"  isa:           {string.Join(" ", d.Isa)}");
                    Console.WriteLine($"  cores:         {d.Cores}");
                }
                Console.WriteLine($"  precisions:    {string.Join(" ", d.Precisions)}");
                if (d.Luid is not null) Console.WriteLine($"  luid:          {d.Luid}");
            }
            var absent = new List<string>();
            if (!registry.Devices.Any(d => d.IsGpu)) absent.Add("GPU");
            absent.AddRange(["NPU", "MYRIAD"]);
            Console.WriteLine($"Not present: {string.Join(", ", absent)} (device_type naming them fails; HETERO/MULTI/AUTO skip them).");
            if (!registry.Devices.Any(d => d.IsGpu))
                Console.WriteLine($"GPU.N devices come from OpenCL; CPU-type OpenCL devices (PoCL) are listed with {OpenCl.OpenClPlatform.AllowCpuEnvVar}=1.");
            return 0;
        });
        return cmd;
    }
}
