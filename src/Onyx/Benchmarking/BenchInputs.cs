using Onyx.Tensors;

namespace Onyx.Benchmarking;

/// <summary>Seeded inputs for benchmarking a model: floats in [0, 1), integer ids in [0, 100).</summary>
internal static class BenchInputs
{
    /// <summary>
    /// One tensor per model input. A symbolic dimension takes its value from <paramref name="dims"/> by
    /// name, else by the key "#i" (dimension i of every input, for models whose dims are unnamed), else 1.
    /// </summary>
    public static List<(string Name, Tensor Value)> For(string model, IReadOnlyDictionary<string, int> dims, int seed = 7)
    {
        using var session = new InferenceSession(model, new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpNumThreads = 1 });
        return For(session, dims, seed);
    }

    /// <summary>The same, from a session already loaded (so timing a load is not preceded by a warm-up load).</summary>
    public static List<(string Name, Tensor Value)> For(InferenceSession session, IReadOnlyDictionary<string, int> dims, int seed = 7)
    {
        var rng = new Random(seed);
        var list = new List<(string, Tensor)>();
        foreach (var (name, meta) in session.InputMetadata)
        {
            var shape = new int[meta.Dimensions.Length];
            for (int i = 0; i < shape.Length; i++)
                shape[i] = meta.Dimensions[i] >= 0 ? meta.Dimensions[i]
                    : dims.TryGetValue(meta.SymbolicDimensions[i], out int v) ? v : dims.GetValueOrDefault($"#{i}", 1);
            var t = Tensor.Allocate(meta.ElementDataType, shape);
            switch (meta.ElementDataType)
            {
                case DType.Float32: foreach (ref var x in t.Span<float>()) x = (float)rng.NextDouble(); break;
                case DType.Int64: foreach (ref var x in t.Span<long>()) x = rng.Next(0, 100); break;
                case DType.Int32: foreach (ref var x in t.Span<int>()) x = rng.Next(0, 100); break;
                default: throw new NotSupportedException($"input '{name}' of type {meta.ElementDataType.OnnxName()}: bench inputs are float, int64 or int32");
            }
            list.Add((name, t));
        }
        return list;
    }

    /// <summary>Parses NAME=VALUE dimension overrides.</summary>
    public static Dictionary<string, int> ParseDims(IEnumerable<string>? items)
    {
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var item in items ?? [])
        {
            int eq = item.IndexOf('=');
            if (eq <= 0 || !int.TryParse(item.AsSpan(eq + 1), out int v) || v < 0)
                throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"--dim '{item}' must be NAME=VALUE with a non-negative integer value");
            map[item[..eq]] = v;
        }
        return map;
    }

    /// <summary>Inputs as parallel primitive arrays (name, float[]/long[]/int[] data, shape): the ONNX Runtime plugin's argument form.</summary>
    public static (string[] Names, Array[] Data, long[][] Shapes) ToArrays(IReadOnlyList<(string Name, Tensor Value)> inputs)
    {
        var names = new string[inputs.Count];
        var data = new Array[inputs.Count];
        var shapes = new long[inputs.Count][];
        for (int i = 0; i < inputs.Count; i++)
        {
            var (name, t) = inputs[i];
            names[i] = name;
            shapes[i] = Array.ConvertAll(t.Shape, d => (long)d);
            data[i] = t.DType switch
            {
                DType.Float32 => t.ToArray<float>(),
                DType.Int64 => t.ToArray<long>(),
                DType.Int32 => t.ToArray<int>(),
                _ => throw new NotSupportedException($"input '{name}' of type {t.DType.OnnxName()}: bench inputs are float, int64 or int32"),
            };
        }
        return (names, data, shapes);
    }
}
