using System.Diagnostics;
using System.Text.RegularExpressions;
using Onyx.Core.Ir;
using Onyx.Onnx;
using Onyx.Tensors;

namespace Onyx.Conformance;

/// <summary>Outcome of one backend test.</summary>
public enum Outcome { Pass, Fail, Skip }

/// <summary>One test's result; <paramref name="Reason"/> says why it failed or was skipped.</summary>
public sealed record TestResult(string Name, Outcome Outcome, string? Reason, double Milliseconds);

/// <summary>
/// Runs ONNX backend test folders (model.onnx + test_data_set_N/{input,output}_K.pb) through an
/// <see cref="InferenceSession"/> and applies the suite's pass rule: same type and shape, and
/// |actual - expected| &lt;= atol + rtol * |expected| with NaN equal to NaN.
/// </summary>
public sealed class ConformanceRunner
{
    /// <summary>Relative tolerance of the pass rule.</summary>
    public double RelativeTolerance { get; init; } = 1e-3;

    /// <summary>Absolute tolerance of the pass rule.</summary>
    public double AbsoluteTolerance { get; init; } = 1e-7;

    /// <summary>Longest a single test may run before it counts as a failure.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Makes the session options for each test (provider choice).</summary>
    public Func<SessionOptions> OptionsFactory { get; init; } = () => new SessionOptions();

    /// <summary>Every test folder (one that holds model.onnx) under <paramref name="root"/>, sorted by name.</summary>
    public static IEnumerable<string> FindTests(string root, string? filter = null)
    {
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"conformance folder '{root}' does not exist");
        var regex = filter is null ? null : new Regex(filter, RegexOptions.CultureInvariant);
        IEnumerable<string> dirs = File.Exists(Path.Combine(root, "model.onnx"))
            ? [root]
            : Directory.EnumerateFiles(root, "model.onnx", SearchOption.AllDirectories).Select(f => Path.GetDirectoryName(f)!);
        return dirs.Where(d => regex is null || regex.IsMatch(Path.GetFileName(d)))
            .OrderBy(d => Path.GetFileName(d), StringComparer.Ordinal);
    }

    /// <summary>Runs one test folder; never throws for a failing model.</summary>
    public TestResult Run(string testDir)
    {
        string name = Path.GetFileName(testDir.TrimEnd(Path.DirectorySeparatorChar));
        var sw = Stopwatch.StartNew();
        var task = Task.Factory.StartNew(() => RunInner(testDir), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            if (!task.Wait(Timeout))
                return new TestResult(name, Outcome.Fail, $"timed out after {Timeout.TotalSeconds:0} s", sw.Elapsed.TotalMilliseconds);
            var (outcome, reason) = task.Result;
            return new TestResult(name, outcome, reason, sw.Elapsed.TotalMilliseconds);
        }
        catch (AggregateException e)
        {
            var inner = e.InnerException ?? e;
            return new TestResult(name, Outcome.Fail, OneLine(inner.Message), sw.Elapsed.TotalMilliseconds);
        }
    }

    private (Outcome, string?) RunInner(string testDir)
    {
        Model model;
        string modelPath = Path.Combine(testDir, "model.onnx");
        try { model = OnnxModelLoader.Load(modelPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (Outcome.Skip, $"cannot read model: {OneLine(e.Message)}");
        }
        // Outputs drawn from a random distribution cannot equal another generator's draws: for
        // models with random ops the suite's rule is type, shape and range, as ONNX's runner does.
        bool randomOutputs = model.Graph.Nodes.Any(n => RandomOps.Contains(n.OpType));
        using var session = new InferenceSession(model, OptionsFactory());
        var initializers = model.Graph.Initializers.Keys.ToHashSet();
        var inputs = model.Graph.Inputs.Where(v => !initializers.Contains(v.Name)).ToList();
        var sets = Directory.GetDirectories(testDir, "test_data_set_*").OrderBy(d => d, StringComparer.Ordinal).ToList();
        if (sets.Count == 0) return (Outcome.Skip, "no test_data_set folders");
        foreach (var set in sets)
        {
            var feeds = new List<(string, OnnxValue)>();
            for (int k = 0; ; k++)
            {
                string f = Path.Combine(set, $"input_{k}.pb");
                if (!File.Exists(f)) break;
                if (k >= inputs.Count) return (Outcome.Fail, $"{Path.GetFileName(set)} has more inputs than the model");
                var value = ValueProtoReader.ReadFile(f, inputs[k].Type);
                if (value is not null) feeds.Add((inputs[k].Name, value));
            }
            var outputs = model.Graph.Outputs;
            var expected = new List<OnnxValue?>();
            for (int k = 0; k < outputs.Count; k++)
            {
                string f = Path.Combine(set, $"output_{k}.pb");
                if (!File.Exists(f)) break;
                expected.Add(ValueProtoReader.ReadFile(f, outputs[k].Type));
            }
            var names = outputs.Take(expected.Count).Select(o => o.Name).ToList();
            var actual = session.RunCore(feeds, names, null);
            for (int k = 0; k < expected.Count; k++)
            {
                string? diff = randomOutputs
                    ? CompareRandom(actual[k], expected[k], $"output '{names[k]}'")
                    : Compare(actual[k], expected[k], $"output '{names[k]}'");
                if (diff is not null) return (Outcome.Fail, $"{Path.GetFileName(set)}: {diff}");
            }
        }
        return (Outcome.Pass, null);
    }

    private static readonly HashSet<string> RandomOps =
        ["Bernoulli", "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Multinomial"];

    /// <summary>For random outputs: same type and shape; 0/1 outputs stay 0/1 and continuous ones finite.</summary>
    private static string? CompareRandom(OnnxValue? actual, OnnxValue? expected, string what)
    {
        if (expected is not Tensor e || actual is not Tensor a) return expected is null ? null : $"{what}: expected a tensor";
        if (a.DType != e.DType) return $"{what}: type {a.DType.OnnxName()}, expected {e.DType.OnnxName()}";
        if (!a.Shape.AsSpan().SequenceEqual(e.Shape)) return $"{what}: shape {a.ShapeString}, expected {e.ShapeString}";
        if (e.DType == DType.String || e.Length == 0) return null;
        var ev = e.ToDoubleArray();
        var av = a.ToDoubleArray();
        // Bernoulli-style 0/1 outputs must stay 0 or 1; continuous draws must be finite.
        bool binary = ev.All(v => v is 0 or 1);
        for (int i = 0; i < av.Length; i++)
        {
            if (binary && av[i] is not (0 or 1)) return $"{what}[{i}]: {av[i]} is not 0 or 1";
            if (!double.IsFinite(av[i])) return $"{what}[{i}]: {av[i]} is not finite";
        }
        return null;
    }

    /// <summary>Null when <paramref name="actual"/> passes against <paramref name="expected"/>, else what differs.</summary>
    public string? Compare(OnnxValue? actual, OnnxValue? expected, string what)
    {
        switch (expected)
        {
            case null:
                return actual is null or OptionalValue { HasValue: false } ? null : $"{what}: expected no value, got {actual.Type}";
            case OptionalValue eo:
                if (actual is OptionalValue ao) return Compare(ao.Value, eo.Value, what);
                return Compare(actual, eo.Value, what);
            case SequenceValue es:
            {
                if (actual is OptionalValue { Value: SequenceValue inner }) actual = inner;
                if (actual is not SequenceValue s) return $"{what}: expected a sequence, got {actual?.Type.ToString() ?? "nothing"}";
                if (s.Items.Count != es.Items.Count) return $"{what}: sequence length {s.Items.Count}, expected {es.Items.Count}";
                for (int i = 0; i < s.Items.Count; i++)
                    if (Compare(s.Items[i], es.Items[i], $"{what}[{i}]") is { } d) return d;
                return null;
            }
            case MapValue em:
                if (actual is not MapValue m) return $"{what}: expected a map";
                return Compare(m.Keys, em.Keys, what + " keys") ?? Compare(m.Values, em.Values, what + " values");
            case Tensor et:
                if (actual is OptionalValue { Value: Tensor innerT }) actual = innerT;
                if (actual is not Tensor t) return $"{what}: expected {et}, got {actual?.Type.ToString() ?? "nothing"}";
                return CompareTensors(t, et, what);
        }
        return $"{what}: cannot compare {expected.GetType().Name}";
    }

    private string? CompareTensors(Tensor a, Tensor e, string what)
    {
        if (a.DType != e.DType) return $"{what}: type {a.DType.OnnxName()}, expected {e.DType.OnnxName()}";
        if (!a.Shape.AsSpan().SequenceEqual(e.Shape)) return $"{what}: shape {a.ShapeString}, expected {e.ShapeString}";
        if (e.DType == DType.String)
        {
            for (int i = 0; i < e.Length; i++)
                if (a.Strings[i] != e.Strings[i]) return $"{what}[{i}]: \"{a.Strings[i]}\", expected \"{e.Strings[i]}\"";
            return null;
        }
        if (e.DType is DType.Float32 or DType.Float64 or DType.Float16 or DType.BFloat16)
            return CompareClose(a.ToDoubleArray(), e.ToDoubleArray(), what, e.ShapeString, 1);
        if (e.DType is DType.Complex64 or DType.Complex128)
            return CompareClose(ComplexParts(a), ComplexParts(e), what, e.ShapeString, 2);
        // Integers, bool and the 8/4-bit float formats compare exactly, element by element.
        var abytes = a.Bytes;
        var ebytes = e.Bytes;
        if (!abytes.SequenceEqual(ebytes))
        {
            int size = e.DType.SizeOf();
            for (int i = 0; i < e.Length; i++)
                if (!abytes.Slice(i * size, size).SequenceEqual(ebytes.Slice(i * size, size)))
                    return $"{what}[{i}]: {Format(a, i)}, expected {Format(e, i)} (shape {e.ShapeString})";
        }
        return null;
    }

    /// <summary>The pass rule on every value; <paramref name="perElement"/> doubles per element (2 for complex) names the element.</summary>
    private string? CompareClose(double[] actual, double[] expected, string what, string shape, int perElement)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            double x = actual[i], y = expected[i];
            if (double.IsNaN(y) ? double.IsNaN(x) : (x == y || Math.Abs(x - y) <= AbsoluteTolerance + RelativeTolerance * Math.Abs(y))) continue;
            return $"{what}[{i / perElement}]: {x:R}, expected {y:R} (shape {shape})";
        }
        return null;
    }

    /// <summary>Real and imaginary parts of a complex tensor, interleaved, as doubles.</summary>
    private static double[] ComplexParts(Tensor t) => t.DType == DType.Complex64
        ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(t.Bytes).ToArray().Select(v => (double)v).ToArray()
        : System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(t.Bytes).ToArray();

    private static string Format(Tensor t, int i) => t.DType switch
    {
        DType.Int64 => t.Span<long>()[i].ToString(),
        DType.Int32 => t.Span<int>()[i].ToString(),
        DType.UInt64 => t.Span<ulong>()[i].ToString(),
        DType.UInt32 => t.Span<uint>()[i].ToString(),
        DType.Int16 => t.Span<short>()[i].ToString(),
        DType.UInt16 => t.Span<ushort>()[i].ToString(),
        DType.Int8 or DType.Int4 or DType.Int2 => t.Span<sbyte>()[i].ToString(),
        DType.Bool => t.Span<bool>()[i].ToString(),
        _ => "0x" + t.Bytes[i * t.DType.SizeOf()].ToString("x2"),
    };

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");
}
