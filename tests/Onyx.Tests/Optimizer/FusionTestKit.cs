using Onnx;
using Onyx.Tensors;
using Xunit;

namespace Onyx.Tests.Optimizer;

/// <summary>Shared by the fusion tests: run a model with the optimizer off and on, compare, count ops.</summary>
internal static class FusionTestKit
{
    public const TensorProto.Types.DataType F = TensorProto.Types.DataType.Float;

    public static float[] Random(int n, int seed, float scale = 1f)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1) * scale).ToArray();
    }

    /// <summary>An int64 initializer (Reshape shapes, axes).</summary>
    public static TensorProto Int64s(string name, params long[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.Add(values.Length);
        t.Int64Data.AddRange(values);
        return t;
    }

    /// <summary>First output with the optimizer disabled and enabled, and the optimized session (caller disposes).</summary>
    public static (float[] Off, float[] On, InferenceSession Optimized) RunBoth(ModelBuilder m, params (string Name, float[] Data, int[] Shape)[] inputs)
    {
        var feed = inputs.Select(i => NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<float>(i.Data, i.Shape))).ToArray();
        using var plain = new InferenceSession(m.ToBytes(), new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL });
        var optimized = new InferenceSession(m.ToBytes(), new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL });
        using var a = plain.Run(feed);
        using var b = optimized.Run(feed);
        return (a[0].AsTensor<float>().ToArray(), b[0].AsTensor<float>().ToArray(), optimized);
    }

    public static void AssertClose(float[] expected, float[] actual, float tol = 1e-4f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol + tol * Math.Abs(expected[i]), $"[{i}] {actual[i]} vs {expected[i]}");
    }

    public static int Count(InferenceSession s, string op) => s.Plan.Nodes.Count(n => n.OpType == op);
}
