global using Xunit;
using Google.Protobuf;
using Onnx;
using Onyx.Core.Execution;
using Onyx.Cpu;
using Onyx.Tensors;

namespace Onyx.OpenVino.Tests;

/// <summary>
/// Minimal float kernels for the ops the tests use, registered into the CPU registry only where
/// main does not have a kernel yet (so the tests run before and after the op owners land theirs),
/// plus "test.onyx.Negate", a custom-domain op the provider never claims.
/// </summary>
internal static class TestKernels
{
    private static readonly Lock s_gate = new();
    private static bool s_done;

    public static void EnsureRegistered()
    {
        lock (s_gate)
        {
            if (s_done) return;
            var r = CpuKernels.Registry;
            void Reg(string op, Func<KernelInfo, IKernel> f, string domain = "")
            {
                if (!r.Supports(domain, op, 13) && !r.Supports(domain, op, 17)) r.Register(domain, op, 1, int.MaxValue, f);
            }
            Reg("Add", _ => new Binary((a, b) => a + b));
            Reg("Mul", _ => new Binary((a, b) => a * b));
            Reg("Relu", _ => new Unary(x => MathF.Max(x, 0)));
            Reg("Sigmoid", _ => new Unary(x => 1 / (1 + MathF.Exp(-x))));
            Reg("MatMul", _ => new MatMul());
            Reg("Shape", _ => new ShapeK());
            Reg("Reshape", _ => new ReshapeK());
            Reg("Identity", _ => new IdentityK());
            Reg("Constant", i => new ConstantK(i));
            Reg("Negate", _ => new Unary(x => -x), "test.onyx");
            s_done = true;
        }
    }

    private sealed class Unary(Func<float, float> f) : IKernel
    {
        public void Execute(KernelContext c)
        {
            var x = c.Input(0);
            var y = c.Output(0, DType.Float32, x.Shape);
            var xs = x.Span<float>();
            var ys = y.Span<float>();
            for (int i = 0; i < xs.Length; i++) ys[i] = f(xs[i]);
        }
    }

    /// <summary>Same shape, or B broadcast over A's trailing dims.</summary>
    private sealed class Binary(Func<float, float, float> f) : IKernel
    {
        public void Execute(KernelContext c)
        {
            var a = c.Input(0);
            var b = c.Input(1);
            if (a.Length < b.Length) (a, b) = (b, a);
            var y = c.Output(0, DType.Float32, a.Shape);
            var asp = a.Span<float>();
            var bsp = b.Span<float>();
            var ys = y.Span<float>();
            for (int i = 0; i < asp.Length; i++) ys[i] = f(asp[i], bsp[i % bsp.Length]);
        }
    }

    private sealed class MatMul : IKernel
    {
        public void Execute(KernelContext c)
        {
            var a = c.Input(0);
            var b = c.Input(1);
            int k = a.Shape[^1], n = b.Shape[^1], m = a.Length / k;
            var shape = a.Shape.ToArray();
            shape[^1] = n;
            var y = c.Output(0, DType.Float32, shape);
            var asp = a.Span<float>();
            var bsp = b.Span<float>();
            var ys = y.Span<float>();
            for (int i = 0; i < m; i++)
                for (int p = 0; p < k; p++)
                {
                    float av = asp[i * k + p];
                    for (int j = 0; j < n; j++) ys[i * n + j] += av * bsp[p * n + j];
                }
        }
    }

    private sealed class ShapeK : IKernel
    {
        public void Execute(KernelContext c)
        {
            var x = c.Input(0);
            var y = c.Output(0, DType.Int64, [x.Rank]);
            for (int i = 0; i < x.Rank; i++) y.Span<long>()[i] = x.Shape[i];
        }
    }

    private sealed class ReshapeK : IKernel
    {
        public void Execute(KernelContext c)
        {
            var x = c.Input(0);
            var s = c.Input(1).ToInt64Array();
            var shape = new int[s.Length];
            int known = 1, infer = -1;
            for (int i = 0; i < s.Length; i++)
            {
                shape[i] = s[i] == 0 ? x.Shape[i] : (int)s[i];
                if (s[i] == -1) infer = i; else known *= shape[i];
            }
            if (infer >= 0) shape[infer] = x.Length / known;
            c.SetOutput(0, x.Reshape(shape));
        }
    }

    private sealed class IdentityK : IKernel
    {
        public void Execute(KernelContext c) => c.SetOutput(0, c.Input(0));
    }

    private sealed class ConstantK(KernelInfo info) : IKernel
    {
        private readonly Tensor _value = info.Attributes.GetTensor("value") ?? throw info.Invalid("value attribute required");
        public void Execute(KernelContext c) => c.SetOutput(0, _value);
    }
}

/// <summary>Builds small ONNX models in code.</summary>
internal sealed class ModelBuilder
{
    private readonly GraphProto _g = new() { Name = "test" };
    private int _opset = 17;

    public ModelBuilder Opset(int v) { _opset = v; return this; }

    /// <summary>A float input; dims are ints (fixed) or strings (symbolic).</summary>
    public ModelBuilder Input(string name, params object[] dims) { _g.Input.Add(Vi(name, TensorProto.Types.DataType.Float, dims)); return this; }

    /// <summary>An input of element type <paramref name="type"/>.</summary>
    public ModelBuilder TypedInput(string name, TensorProto.Types.DataType type, params object[] dims) { _g.Input.Add(Vi(name, type, dims)); return this; }

    public ModelBuilder Output(string name, params object[] dims) { _g.Output.Add(Vi(name, TensorProto.Types.DataType.Float, dims)); return this; }

    public ModelBuilder Weight(string name, float[] data, params int[] shape)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(shape.Select(d => (long)d));
        t.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
        _g.Initializer.Add(t);
        return this;
    }

    public ModelBuilder Int64Weight(string name, long[] data, params int[] shape)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.AddRange(shape.Select(d => (long)d));
        t.Int64Data.AddRange(data);
        _g.Initializer.Add(t);
        return this;
    }

    public ModelBuilder Node(string op, string[] inputs, string[] outputs, string domain = "", string? name = null, Action<NodeProto>? configure = null)
    {
        var n = new NodeProto { OpType = op, Domain = domain, Name = name ?? outputs[0] };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        configure?.Invoke(n);
        _g.Node.Add(n);
        return this;
    }

    public ModelBuilder ConstantNode(string output, float[] values, params int[] shape) => Node("Constant", [], [output], configure: n =>
    {
        var t = new TensorProto { DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(shape.Select(d => (long)d));
        t.FloatData.AddRange(values);
        n.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = t });
    });

    public byte[] Build()
    {
        var m = new ModelProto { IrVersion = 8, Graph = _g, ProducerName = "test" };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = _opset });
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "test.onyx", Version = 1 });
        return m.ToByteArray();
    }

    private static ValueInfoProto Vi(string name, TensorProto.Types.DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d) });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }
}

internal static class Run
{
    public static float[] One(InferenceSession s, string input, float[] data, params int[] shape)
    {
        var value = OrtValue.CreateTensorValueFromMemory(data, shape.Select(d => (long)d).ToArray());
        using var r = s.Run(null, [input], [value], [s.OutputNames[0]]);
        return ((Tensor)r.First().Value).ToArray<float>();
    }

    public static float[] Random(int n, int seed)
    {
        var rng = new System.Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
    }

    public static SessionOptions Ov(params (string Key, string Value)[] options)
    {
        var so = new SessionOptions();
        so.AppendExecutionProvider("OpenVINO", options.ToDictionary(o => o.Key, o => o.Value));
        return so;
    }

    public static SessionBuilder.ProviderState State(InferenceSession s) =>
        SessionBuilder.StateOf(s.Plan) ?? throw new InvalidOperationException("the session does not use the OpenVINO provider");
}
