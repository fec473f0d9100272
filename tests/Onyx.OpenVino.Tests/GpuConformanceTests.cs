using Onyx.Conformance;
using Xunit.Abstractions;

namespace Onyx.OpenVino.Tests;

/// <summary>
/// The ONNX backend node tests through device_type=GPU with CPU fallback disabled: every test the CPU passes
/// whose whole model the GPU device claims must pass on the GPU too (float32 tolerance 1e-3 relative, as on the CPU).
/// A model the GPU does not claim entirely is refused at session creation and counted as "not claimed".
/// </summary>
public sealed class GpuConformanceTests(ITestOutputHelper output)
{
    private static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(System.AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Onyx.sln"))) return dir.FullName;
            throw new InvalidOperationException("repository root not found");
        }
    }

    /// <summary>Claimed node tests that fail on the GPU device, with the reason (kept empty: each entry is a bug to fix).</summary>
    private static readonly Dictionary<string, string> s_knownFailures = new(StringComparer.Ordinal);

    [GpuDeviceFact]
    public void NodeTestsOfEveryClaimedOpPassOnTheGpu()
    {
        TestKernels.EnsureRegistered();
        string root = Path.Combine(Root, "tests", "data", "onnx-backend", "node");
        var cpuPasses = File.ReadAllLines(Path.Combine(Root, "tests", "Onyx.Tests", "Conformance", "expected-pass-cpu.txt"))
            .Select(l => l.Trim()).Where(l => l.StartsWith("node/", StringComparison.Ordinal)).Select(l => l[5..]).ToHashSet(StringComparer.Ordinal);
        var runner = new ConformanceRunner
        {
            OptionsFactory = () =>
            {
                var so = Run.Ov(("device_type", "GPU"));
                so.AddSessionConfigEntry("session.disable_cpu_ep_fallback", "1");
                return so;
            },
        };
        var passed = new List<string>();
        var failed = new List<string>();
        int notClaimed = 0;
        var refusals = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var dir in ConformanceRunner.FindTests(root))
        {
            string name = Path.GetFileName(dir);
            if (!cpuPasses.Contains(name)) continue;
            var r = runner.Run(dir);
            if (r.Outcome == Outcome.Pass) passed.Add(name);
            else if (r.Reason is { } why && why.Contains("disable_cpu_ep_fallback", StringComparison.Ordinal))
            {
                notClaimed++;
                // "...cannot run N node(s): node 'n' (Op, opset v): reason; ..." → "Op: reason" of the first refused node.
                int at = why.IndexOf("node(s): ", StringComparison.Ordinal);
                string first = at < 0 ? why : why[(at + 9)..].Split("; ")[0];
                int open = first.IndexOf('('), colon = first.IndexOf("): ", StringComparison.Ordinal);
                string key = open >= 0 && colon > open ? first[(open + 1)..colon].Split(',')[0] + ": " + first[(colon + 3)..] : first;
                refusals[key] = refusals.GetValueOrDefault(key) + 1;
            }
            else if (!s_knownFailures.ContainsKey(name)) failed.Add($"{name}: {r.Reason}");
        }
        output.WriteLine($"GPU: {passed.Count} claimed node tests pass, {failed.Count} fail, {notClaimed} not claimed (of {cpuPasses.Count} CPU passes)");
        foreach (var (why, count) in refusals.OrderByDescending(kv => kv.Value).Take(40)) output.WriteLine($"not claimed x{count}: {why}");
        foreach (var p in passed) output.WriteLine("pass " + p);
        foreach (var f in failed) output.WriteLine("FAIL " + f);
        Assert.True(passed.Count > 100, $"only {passed.Count} node tests ran on the GPU");
        Assert.True(failed.Count == 0, $"{failed.Count} claimed node tests fail on the GPU:\n" + string.Join("\n", failed));
    }
}
