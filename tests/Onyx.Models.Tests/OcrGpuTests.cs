using Onyx.Cli.Ocr;
using Onyx.OpenVino;
using Xunit;
using Xunit.Abstractions;

namespace Onyx.Models.Tests;

/// <summary>
/// The OCR main job with the OpenVINO provider on its GPU device (OpenCL; on CPU-only machines PoCL with
/// ONYX_OPENCL_ALLOW_CPU=1) prints the same lines as the OpenVINO CPU device. Skipped without a GPU.N device.
/// </summary>
public sealed class OcrGpuTests(ITestOutputHelper output)
{
    public sealed class GpuDeviceFactAttribute : FactAttribute
    {
        public GpuDeviceFactAttribute()
        {
            if (DeviceRegistry.Default.Find("GPU") is null) Skip = "no GPU.N device (for PoCL set ONYX_OPENCL_ALLOW_CPU=1)";
        }
    }

    private OcrResult Read(string deviceType)
    {
        var options = OcrOptions.FromModelsDirectory(OcrAssets.ModelsDirectory);
        using var pipeline = new OcrPipeline(options, path =>
        {
            var so = new SessionOptions();
            so.AppendExecutionProvider("OpenVINO", new Dictionary<string, string> { ["device_type"] = deviceType });
            return new OnyxModelRunner(path, so);
        });
        var result = pipeline.Run(OcrAssets.SampleImage);
        foreach (var line in result.Lines) output.WriteLine($"{deviceType}: {line.Text} | {line.Confidence:0.000} | {line.Box}");
        output.WriteLine(result.Timings.ToString());
        return result;
    }

    [GpuDeviceFact]
    public void Sample_ReadsTheSameOnGpuAsOnCpu()
    {
        var cpu = Read("CPU");
        var gpu = Read("GPU");
        Assert.Equal(cpu.Lines.Select(l => l.Text), gpu.Lines.Select(l => l.Text));
        for (int i = 0; i < cpu.Lines.Count; i++)
            Assert.True(MathF.Abs(cpu.Lines[i].Confidence - gpu.Lines[i].Confidence) < 1e-3f, $"line {i}: confidence {gpu.Lines[i].Confidence} vs {cpu.Lines[i].Confidence}");
    }
}
