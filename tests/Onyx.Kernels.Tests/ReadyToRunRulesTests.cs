using System.Text.RegularExpressions;
using Xunit;

namespace Onyx.Kernels.Tests;

/// <summary>
/// The source rules that keep the kernels precompiled (Directory.Build.targets runs crossgen2 on
/// Onyx.Kernels for the build machine's instruction sets). A kernel that breaks one still runs and
/// gives the same results, which is why a test has to catch it: it is JIT-compiled again in the first
/// Run of every process, or, for a pointer load, precompiled as a call per vector (GEMM 5x slower
/// until tier 1 replaces it).
/// </summary>
public class ReadyToRunRulesTests
{
    private static readonly string Kernels = Path.Combine(FindRoot(), "src", "Onyx.Kernels");

    // crossgen2 (.NET 10) cannot inline CoreLib's Vector128/256/512.Load(T*) and Store(T*) into another
    // assembly's image (dotnet/runtime#120367): Load becomes a call, Store makes the method fall back to JIT.
    private static readonly Regex PointerLoadStore = new(@"\bVector(64|128|256|512)\.(Load|Store)\(", RegexOptions.Compiled);

    // A vector stored through a pointer, v.Store(p): one argument, at most one level of parentheses in it.
    private static readonly Regex PointerStoreCall = new(@"\.Store\((?:[^(),]|\([^()]*\))*\)", RegexOptions.Compiled);

    [Fact]
    public void SourcesAreFound() => Assert.True(KernelSources().Count() > 50, $"no kernel sources under {Kernels}");

    [Fact]
    public void NoKernelIsAggressivelyOptimized()
    {
        // crossgen2 never precompiles [MethodImpl(MethodImplOptions.AggressiveOptimization)] methods.
        var hits = Find(line => line.Contains("MethodImplOptions.AggressiveOptimization", StringComparison.Ordinal) && !line.TrimStart().StartsWith("//", StringComparison.Ordinal));
        Assert.True(hits.Count == 0, "use tiering (ReadyToRun code, then tier 1) instead:\n" + string.Join('\n', hits));
    }

    [Fact]
    public void VectorsLoadAndStoreThroughRefs()
    {
        var hits = Find(line => PointerLoadStore.IsMatch(line) || PointerStoreCall.IsMatch(line));
        Assert.True(hits.Count == 0, "write LoadUnsafe(ref *p) / v.StoreUnsafe(ref *p):\n" + string.Join('\n', hits));
    }

    [Theory]
    [InlineData("var v = Vector512.Load(p);", true)]
    [InlineData("Vector256.Store(v, q + 8);", true)]
    [InlineData("(a + b).Store(c + (nint)r * ldc);", true)]
    [InlineData("var v = Vector512.LoadUnsafe(ref *p);", false)]
    [InlineData("v.StoreUnsafe(ref *(c + 16));", false)]
    [InlineData("ep.Store(v, yr + j, 16);", false)]
    public void TheRuleSeesPointerForms(string line, bool flagged) =>
        Assert.Equal(flagged, PointerLoadStore.IsMatch(line) || PointerStoreCall.IsMatch(line));

    private static IEnumerable<string> KernelSources() =>
        Directory.Exists(Kernels) ? Directory.EnumerateFiles(Kernels, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)) : [];

    private static List<string> Find(Func<string, bool> bad)
    {
        var hits = new List<string>();
        foreach (string file in KernelSources())
        {
            string[] lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
                if (bad(lines[i])) hits.Add($"{Path.GetRelativePath(Kernels, file)}:{i + 1}: {lines[i].Trim()}");
        }
        return hits;
    }

    private static string FindRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "Onyx.sln"))) d = d.Parent;
        return d?.FullName ?? ".";
    }
}
