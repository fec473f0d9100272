using Onyx.Tensors;
using Xunit;
using Ort = Microsoft.ML.OnnxRuntime;

namespace Onyx.Differential.Tests;

/// <summary>
/// Each case runs as a one-node model on Onyx and on ONNX Runtime 1.31.1 (the oracle) with the
/// same seeded inputs; outputs must agree in type, shape and value (rtol/atol per case).
/// </summary>
public sealed class DifferentialTests
{
    public static TheoryData<OpCase> AllCases()
    {
        var data = new TheoryData<OpCase>();
        foreach (var c in Cases.All()) data.Add(c);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void OnyxMatchesOnnxRuntime(OpCase c)
    {
        byte[] model = c.ToModel();
        var rng = new Random(c.Label.GetHashCode(StringComparison.Ordinal) & 0x7fffffff);
        var feeds = c.Inputs.Where(i => !i.IsConstant && i is not Missing).Select(i => (i.Name, Make(i, c.FedShape(i), rng))).ToList();

        using var ortSession = new Ort.InferenceSession(model);
        var ortInputs = feeds.Select(f => ToOrt(f.Item2)).ToList();
        var names = Enumerable.Range(0, c.Outputs).Select(i => $"out{i}").ToList();
        using var ortResults = ortSession.Run(new Ort.RunOptions(), feeds.Select(f => f.Name).ToList(), ortInputs, names);

        using var session = new InferenceSession(model);
        using var results = session.Run(feeds.Select(f => NamedOnnxValue.CreateFromOnnxValue(f.Name, f.Item2)).ToList(), names);

        for (int o = 0; o < c.Outputs; o++)
            AssertSame(c, names[o], ortResults[o], (Tensor)results[o].OnnxValue);
        foreach (var v in ortInputs) v.Dispose();
    }

    private static Tensor Make(InputSpec spec, long[] shape, Random rng)
    {
        int[] dims = shape.Select(d => (int)d).ToArray();
        switch (spec)
        {
            case IntInput ii:
            {
                var t = Tensor.Allocate(DType.Int64, dims);
                foreach (ref var v in t.Span<long>()) v = rng.NextInt64(ii.Low, ii.High);
                return t;
            }
            case BoolInput:
            {
                var t = Tensor.Allocate(DType.Bool, dims);
                foreach (ref var v in t.Span<bool>()) v = rng.Next(2) == 1;
                return t;
            }
            case PositiveInput p:
            {
                var t = Tensor.Allocate(DType.Float32, dims);
                foreach (ref var v in t.Span<float>()) v = (float)(p.Low + rng.NextDouble() * (p.High - p.Low));
                return t;
            }
            case FloatInput f:
            {
                var t = Tensor.Allocate(DType.Float32, dims);
                foreach (ref var v in t.Span<float>()) v = (float)((rng.NextDouble() * 2 - 1) * f.Scale);
                return t;
            }
            default:
                throw new ArgumentException($"input kind {spec.GetType().Name}");
        }
    }

    private static Ort.OrtValue ToOrt(Tensor t)
    {
        long[] shape = t.Shape.Select(d => (long)d).ToArray();
        return t.DType switch
        {
            DType.Float32 => Ort.OrtValue.CreateTensorValueFromMemory(t.ToArray<float>(), shape),
            DType.Int64 => Ort.OrtValue.CreateTensorValueFromMemory(t.ToArray<long>(), shape),
            DType.Bool => Ort.OrtValue.CreateTensorValueFromMemory(t.ToArray<bool>(), shape),
            _ => throw new ArgumentException(t.DType.OnnxName()),
        };
    }

    private static void AssertSame(OpCase c, string name, Ort.OrtValue expected, Tensor actual)
    {
        var info = expected.GetTensorTypeAndShape();
        Assert.True(info.Shape.SequenceEqual(actual.Shape.Select(d => (long)d)),
            $"{c.Label} {name}: shape {actual.ShapeString}, ONNX Runtime [{string.Join(",", info.Shape)}]");
        switch (info.ElementDataType)
        {
            case Ort.Tensors.TensorElementType.Float:
                Assert.Equal(DType.Float32, actual.DType);
                Close(c, name, expected.GetTensorDataAsSpan<float>().ToArray().Select(x => (double)x).ToArray(), actual.ToDoubleArray());
                break;
            case Ort.Tensors.TensorElementType.Float16:
                Assert.Equal(DType.Float16, actual.DType);
                Close(c, name, expected.GetTensorDataAsSpan<Ort.Float16>().ToArray().Select(x => (double)(float)x).ToArray(), actual.ToDoubleArray());
                break;
            case Ort.Tensors.TensorElementType.Int64:
                Assert.Equal(DType.Int64, actual.DType);
                Assert.Equal(expected.GetTensorDataAsSpan<long>().ToArray(), actual.ToArray<long>());
                break;
            case Ort.Tensors.TensorElementType.Bool:
                Assert.Equal(DType.Bool, actual.DType);
                Assert.Equal(expected.GetTensorDataAsSpan<bool>().ToArray(), actual.ToArray<bool>());
                break;
            default:
                throw new InvalidOperationException($"{c.Label}: output type {info.ElementDataType} not compared");
        }
    }

    private static void Close(OpCase c, string name, double[] expected, double[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsNaN(e) ? double.IsNaN(a) : (a == e || Math.Abs(a - e) <= c.Atol + c.Rtol * Math.Abs(e))) continue;
            Assert.Fail($"{c.Label} {name}[{i}]: Onyx {a:R}, ONNX Runtime {e:R}");
        }
    }
}
