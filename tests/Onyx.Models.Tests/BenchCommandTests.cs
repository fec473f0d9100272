using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Onyx.Cli.Ocr;
using Xunit;

namespace Onyx.Models.Tests;

/// <summary>
/// `onyx bench` run as a process (the CLI cannot be referenced next to the compiled-in OCR sources):
/// the JSON record's fields, the ONNX Runtime comparison through the bench/Onyx.Bench.Ort plugin, and
/// the message when the plugin is missing. Values are checked for consistency, never for speed.
/// </summary>
public sealed class BenchCommandTests
{
    private static string Mnist => Path.Combine(OcrAssets.ModelsDirectory, "mnist", "mnist-8.onnx");

    private static string Built(string key) => Path.GetFullPath(typeof(BenchCommandTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!);

    private static (int Code, string Out, string Err) Onyx(params string[] args)
    {
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add("exec");
        psi.ArgumentList.Add(Built("OnyxCli"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("ONYX_ORT_PLUGIN");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail("onyx bench did not finish in 3 minutes");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    private static List<JsonElement> Records(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => JsonDocument.Parse(line).RootElement).ToList();

    private static void AssertTiming(JsonElement e)
    {
        Assert.True(e.GetProperty("load_ms").GetDouble() > 0);
        double median = e.GetProperty("median_ms").GetDouble();
        Assert.True(median > 0);
        Assert.True(e.GetProperty("p90_ms").GetDouble() >= median);
        Assert.True(e.GetProperty("peak_working_set_mb").GetDouble() >= 0);
    }

    [Fact]
    public void JsonRecordHasTheDocumentedFields()
    {
        var (code, stdout, stderr) = Onyx("bench", Mnist, "--iters", "2", "--warmup", "0", "--json");
        Assert.True(code == 0, stderr);
        var r = Assert.Single(Records(stdout));
        Assert.Equal("mnist-8", r.GetProperty("model").GetString());
        Assert.Equal(1, r.GetProperty("threads").GetInt32());
        AssertTiming(r);
        Assert.Equal(JsonValueKind.Null, r.GetProperty("ort").ValueKind);
        Assert.Equal(JsonValueKind.Null, r.GetProperty("ratio").ValueKind);
    }

    [Fact]
    public void CompareOrtReportsOrtTimingsAndTheRatioPerThreadCount()
    {
        var (code, stdout, stderr) = Onyx("bench", Mnist, "--iters", "2", "--warmup", "0", "--threads", "1,2", "--json",
            "--compare-ort", "--ort-plugin", Built("OrtPlugin"));
        Assert.True(code == 0, stderr);
        var records = Records(stdout);
        Assert.Equal([1, 2], records.Select(r => r.GetProperty("threads").GetInt32()));
        foreach (var r in records)
        {
            AssertTiming(r);
            var ort = r.GetProperty("ort");
            AssertTiming(ort);
            double expected = r.GetProperty("median_ms").GetDouble() / ort.GetProperty("median_ms").GetDouble();
            Assert.Equal(expected, r.GetProperty("ratio").GetDouble(), 6);
        }
    }

    [Fact]
    public void CompareOrtWithoutThePluginSaysHowToBuildIt()
    {
        string missing = Path.Combine(Path.GetTempPath(), "no-such-onyx-plugin", "Onyx.Bench.Ort.dll");
        var (code, _, stderr) = Onyx("bench", Mnist, "--iters", "1", "--compare-ort", "--ort-plugin", missing);
        Assert.Equal(1, code);
        Assert.Contains("dotnet build bench/Onyx.Bench.Ort", stderr);
        Assert.Contains(missing, stderr);
    }
}
