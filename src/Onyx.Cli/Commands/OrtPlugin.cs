using System.Reflection;
using System.Runtime.Loader;
using Onyx.Benchmarking;
using Onyx.Tensors;

namespace Onyx.Cli.Commands;

/// <summary>
/// The ONNX Runtime side of `onyx bench --compare-ort`, loaded at run time from Onyx.Bench.Ort.dll
/// (bench/Onyx.Bench.Ort) so that nothing under src/ references ONNX Runtime. The plugin is found
/// via --ort-plugin, else the ONYX_ORT_PLUGIN environment variable, else next to the CLI; it loads
/// into its own context (ONNX Runtime's managed and native libraries from the plugin's folder, Onyx
/// shared with the CLI) and is called through one static method with primitive arguments.
/// </summary>
internal sealed class OrtPlugin
{
    public const string FileName = "Onyx.Bench.Ort.dll";
    public const string EnvironmentVariable = "ONYX_ORT_PLUGIN";
    private const string TypeName = "Onyx.Bench.Ort.OrtBenchmark";

    private readonly MethodInfo _measure;

    private OrtPlugin(MethodInfo measure) => _measure = measure;

    /// <summary>Where the plugin is looked for: an explicit file or folder, the environment variable, the CLI's folder.</summary>
    public static string Locate(string? explicitPath)
    {
        string? given = !string.IsNullOrEmpty(explicitPath) ? explicitPath : Environment.GetEnvironmentVariable(EnvironmentVariable);
        string path = string.IsNullOrEmpty(given) ? Path.Combine(AppContext.BaseDirectory, FileName)
            : Directory.Exists(given) ? Path.Combine(given, FileName) : given;
        return Path.GetFullPath(path);
    }

    /// <summary>Loads the plugin, or fails with how to build it.</summary>
    public static OrtPlugin Load(string? explicitPath)
    {
        string path = Locate(explicitPath);
        if (!File.Exists(path))
            throw new OnnxRuntimeException(ErrorCode.NoSuchFile,
                $"--compare-ort needs the ONNX Runtime plugin {FileName}, not found at {path}. onyx itself never references ONNX Runtime; " +
                $"build the plugin with `dotnet build bench/Onyx.Bench.Ort -c Release` and pass its output with " +
                $"--ort-plugin bench/Onyx.Bench.Ort/bin/Release/net10.0/{FileName} (a folder works too), or set {EnvironmentVariable}.");
        var context = new PluginContext(path);
        var type = context.LoadFromAssemblyPath(path).GetType(TypeName)
            ?? throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"{path} has no type {TypeName}: not the Onyx ONNX Runtime plugin");
        var measure = type.GetMethod("Measure", BindingFlags.Public | BindingFlags.Static,
            [typeof(string), typeof(int), typeof(int), typeof(int), typeof(string[]), typeof(Array[]), typeof(long[][])])
            ?? throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"{path}: {TypeName}.Measure(string, int, int, int, string[], Array[], long[][]) not found (plugin and CLI versions differ?)");
        return new OrtPlugin(measure);
    }

    /// <summary>Times ONNX Runtime's CPU provider on <paramref name="model"/> with the given inputs.</summary>
    public BenchTiming Measure(string model, int threads, int iterations, int warmup, IReadOnlyList<(string Name, Tensor Value)> inputs)
    {
        var (names, data, shapes) = BenchInputs.ToArrays(inputs);
        try
        {
            return BenchTiming.FromArray((double[])_measure.Invoke(null, [model, threads, iterations, warmup, names, data, shapes])!);
        }
        catch (TargetInvocationException e) when (e.InnerException is { } inner)
        {
            throw new OnnxRuntimeException(ErrorCode.Fail, $"ONNX Runtime failed on {Path.GetFileName(model)}: {inner.Message}", inner);
        }
    }

    /// <summary>
    /// Resolves the plugin's own dependencies (ONNX Runtime, managed and native) from its deps.json;
    /// anything the CLI already ships (Onyx, the BCL) comes from the default context, so the
    /// plugin's Onyx types are the CLI's.
    /// </summary>
    private sealed class PluginContext(string pluginPath) : AssemblyLoadContext(nameof(OrtPlugin))
    {
        private readonly AssemblyDependencyResolver _resolver = new(pluginPath);
        private static readonly HashSet<string> Shared = SharedNames();

        protected override Assembly? Load(AssemblyName name)
        {
            if (name.Name is { } simple && Shared.Contains(simple)) return null;
            return _resolver.ResolveAssemblyToPath(name) is { } path ? LoadFromAssemblyPath(path) : null;
        }

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
            _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;

        private static HashSet<string> SharedNames()
        {
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            if (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is string tpa)
                foreach (var file in tpa.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
                    names.Add(Path.GetFileNameWithoutExtension(file));
            return names;
        }
    }
}
