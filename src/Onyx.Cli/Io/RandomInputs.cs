using Onyx.Tensors;

namespace Onyx.Cli.Io;

/// <summary>Seeded random input tensors for models run without given inputs.</summary>
internal static class RandomInputs
{
    /// <summary>A tensor of the declared type; symbolic dims come from <paramref name="dims"/> (default 1).</summary>
    public static Tensor Create(NodeMetadata meta, IReadOnlyDictionary<string, int> dims, Random rng)
    {
        var shape = new int[meta.Dimensions.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            if (meta.Dimensions[i] >= 0) { shape[i] = meta.Dimensions[i]; continue; }
            string sym = meta.SymbolicDimensions[i];
            shape[i] = sym.Length > 0 && dims.TryGetValue(sym, out int v) ? v : 1;
        }
        var t = Tensor.Allocate(meta.ElementDataType, shape);
        switch (meta.ElementDataType)
        {
            case DType.Float32: foreach (ref var x in t.Span<float>()) x = (float)(rng.NextDouble() * 2 - 1); break;
            case DType.Float64: foreach (ref var x in t.Span<double>()) x = rng.NextDouble() * 2 - 1; break;
            case DType.Float16: foreach (ref var x in t.Span<Half>()) x = (Half)(rng.NextDouble() * 2 - 1); break;
            case DType.Int64: foreach (ref var x in t.Span<long>()) x = rng.Next(0, 100); break;
            case DType.Int32: foreach (ref var x in t.Span<int>()) x = rng.Next(0, 100); break;
            case DType.UInt8: foreach (ref var x in t.Span<byte>()) x = (byte)rng.Next(0, 256); break;
            case DType.Int8: foreach (ref var x in t.Span<sbyte>()) x = (sbyte)rng.Next(-128, 128); break;
            case DType.Bool: foreach (ref var x in t.Span<byte>()) x = (byte)rng.Next(0, 2); break;
            case DType.String: for (int i = 0; i < t.Length; i++) t.Strings[i] = "s" + rng.Next(100); break;
            default: rng.NextBytes(t.Bytes); break;
        }
        return t;
    }
}
