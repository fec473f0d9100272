using Onyx.Conformance;
using Xunit;
using Xunit.Abstractions;

namespace Onyx.Tests.Conformance;

/// <summary>
/// Runs the ONNX backend test folders and fails when any test named in expected-pass.txt fails,
/// so a regression cannot land. Newly passing tests are printed so they can be added to the list.
/// The same list holds through the OpenVINO-contract provider on the CPU device (issue 6: the
/// provider passes everything the CPU provider passes).
/// </summary>
public sealed class ConformanceSuiteTests(ITestOutputHelper output)
{
    public static TheoryData<string, string> Folders
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var ep in new[] { "CPU", "OpenVINO" })
                foreach (var folder in new[] { "node", "simple", "pytorch-converted", "pytorch-operator" })
                    data.Add(folder, ep);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Folders))]
    public void ExpectedTestsPass(string folder, string ep)
    {
        string root = Path.Combine(RepoPaths.BackendTests, folder);
        var expected = RepoPaths.ExpectedPass("cpu").Where(l => l.StartsWith(folder + "/", StringComparison.Ordinal))
            .Select(l => l[(folder.Length + 1)..]).ToHashSet(StringComparer.Ordinal);
        var runner = ep == "CPU" ? new ConformanceRunner() : new ConformanceRunner
        {
            OptionsFactory = () =>
            {
                var so = new SessionOptions();
                so.AppendExecutionProvider("OpenVINO", new Dictionary<string, string> { ["device_type"] = "CPU" });
                return so;
            },
        };
        var regressions = new List<string>();
        var newlyPassing = new List<string>();
        int pass = 0, fail = 0, skip = 0;
        foreach (var dir in ConformanceRunner.FindTests(root))
        {
            var r = runner.Run(dir);
            switch (r.Outcome)
            {
                case Outcome.Pass:
                    pass++;
                    if (!expected.Contains(r.Name)) newlyPassing.Add(r.Name);
                    break;
                case Outcome.Fail: fail++; break;
                default: skip++; break;
            }
            if (r.Outcome != Outcome.Pass && expected.Contains(r.Name)) regressions.Add($"{r.Name}: {r.Reason}");
        }
        output.WriteLine($"{folder} ({ep}): {pass} passed, {fail} failed, {skip} skipped");
        // Guard against a suite that silently finds nothing: every listed test must exist and run.
        int found = Directory.GetDirectories(root).Length;
        Assert.Equal(found, pass + fail + skip);
        foreach (var name in expected) Assert.True(Directory.Exists(Path.Combine(root, name)), $"expected-pass entry {folder}/{name} has no test folder");
        Assert.True(pass >= expected.Count, $"{pass} passed, fewer than the {expected.Count} expected");
        foreach (var n in newlyPassing) output.WriteLine($"newly passing (add to expected-pass-cpu.txt): {folder}/{n}");
        Assert.True(regressions.Count == 0, $"{regressions.Count} expected-pass tests failed:\n" + string.Join("\n", regressions));
    }
}
