namespace Onyx.Tests;

/// <summary>Finds the repository's data folders from the test binary's location.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string BackendTests => Path.Combine(Root, "tests", "data", "onnx-backend");

    public static string Models => Path.Combine(Root, "models");

    /// <summary>Lines of tests/Onyx.Tests/Conformance/expected-pass-{provider}.txt ("folder/test_name").</summary>
    public static string[] ExpectedPass(string provider)
    {
        string path = Path.Combine(Root, "tests", "Onyx.Tests", "Conformance", $"expected-pass-{provider}.txt");
        return File.Exists(path)
            ? File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray()
            : [];
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Onyx.sln"))) return dir.FullName;
        throw new InvalidOperationException("cannot find the repository root (Onyx.sln) above " + AppContext.BaseDirectory);
    }
}
