global using Xunit;
using Google.Protobuf;
using Onnx;
using Onyx.Onnx;
using Onyx.Tensors;

namespace Onyx.OpenCl.Tests;

/// <summary>A fact that is skipped (not failed) when no OpenCL device is present. On CPU-only machines set ONYX_OPENCL_ALLOW_CPU=1 (PoCL) to run it.</summary>
public sealed class GpuFactAttribute : FactAttribute
{
    public GpuFactAttribute()
    {
        if (Gpu.Device is null) Skip = "no OpenCL device (install an OpenCL runtime; for PoCL set ONYX_OPENCL_ALLOW_CPU=1)";
    }
}

public sealed class GpuTheoryAttribute : TheoryAttribute
{
    public GpuTheoryAttribute()
    {
        if (Gpu.Device is null) Skip = "no OpenCL device (install an OpenCL runtime; for PoCL set ONYX_OPENCL_ALLOW_CPU=1)";
    }
}

internal static class Gpu
{
    private static readonly Lazy<OpenClDevice?> s_device = new(() =>
    {
        try
        {
            var cache = new ProgramCache(Path.Combine(Path.GetTempPath(), "onyx-opencl-tests-cache"));
            return OpenClDevice.OpenDefault(cache: cache);
        }
        catch (Exception)
        {
            return null;
        }
    });

    public static OpenClDevice? Device => s_device.Value;
}

/// <summary>Builds small ONNX models in code.</summary>
internal sealed class ModelBuilder
{
    private readonly GraphProto _g = new() { Name = "test" };
    private int _opset = 17;

    public ModelBuilder Opset(int v) { _opset = v; return this; }

    public ModelBuilder Input(string name, params int[] dims) { _g.Input.Add(Vi(name, dims)); return this; }

    /// <summary>A graph input of element type <paramref name="type"/> (float inputs: <see cref="Input"/>).</summary>
    public ModelBuilder Input(string name, TensorProto.Types.DataType type, params int[] dims)
    {
        var vi = Vi(name, dims);
        vi.Type.TensorType.ElemType = (int)type;
        _g.Input.Add(vi);
        return this;
    }

    public ModelBuilder Output(string name) { _g.Output.Add(new ValueInfoProto { Name = name }); return this; }

    public ModelBuilder Weight(string name, float[] data, params int[] shape)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(shape.Select(d => (long)d));
        t.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
        _g.Initializer.Add(t);
        return this;
    }

    public ModelBuilder Ints(string name, params long[] data)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.Add(data.Length);
        t.Int64Data.AddRange(data);
        _g.Initializer.Add(t);
        return this;
    }

    public ModelBuilder Floats(string name, params float[] data) => Weight(name, data, data.Length);

    /// <summary>An int32 or int64 initializer of any shape (rank 0 when <paramref name="shape"/> is empty).</summary>
    public ModelBuilder Indices(string name, bool int32, int[] shape, params long[] data)
    {
        var t = new TensorProto { Name = name, DataType = (int)(int32 ? TensorProto.Types.DataType.Int32 : TensorProto.Types.DataType.Int64) };
        t.Dims.AddRange(shape.Select(d => (long)d));
        if (int32) t.Int32Data.AddRange(data.Select(v => (int)v)); else t.Int64Data.AddRange(data);
        _g.Initializer.Add(t);
        return this;
    }

    private readonly List<string> _domains = [];

    public ModelBuilder Domain(string d) { _domains.Add(d); return this; }

    public ModelBuilder Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attrs)
    {
        int dot = op.LastIndexOf('.');
        var n = new NodeProto { OpType = dot < 0 ? op : op[(dot + 1)..], Domain = dot < 0 ? "" : op[..dot], Name = outputs[0] };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        n.Attribute.AddRange(attrs);
        _g.Node.Add(n);
        return this;
    }

    public byte[] Build()
    {
        var m = new ModelProto { IrVersion = 8, Graph = _g, ProducerName = "test" };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = _opset });
        foreach (var d in _domains) m.OpsetImport.Add(new OperatorSetIdProto { Domain = d, Version = 1 });
        return m.ToByteArray();
    }

    public static AttributeProto I(string name, long v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v };
    public static AttributeProto F(string name, float v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = v };
    public static AttributeProto S(string name, string v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(v) };
    public static AttributeProto Is(string name, params long[] v)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(v);
        return a;
    }

    private static ValueInfoProto Vi(string name, int[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } };
    }
}

internal static class Compare
{
    public static float[] Random(int n, int seed, float lo = -1, float hi = 1)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = lo + (float)rng.NextDouble() * (hi - lo);
        return a;
    }

    /// <summary>Runs the model on the CPU provider.</summary>
    public static Tensor[] Cpu(byte[] model, params Tensor[] inputs)
    {
        using var s = new InferenceSession(model);
        var named = s.InputNames.Select((n, i) => NamedOnnxValue.CreateFromOnnxValue(n, inputs[i])).ToArray();
        using var r = s.Run(named);
        return r.Select(v => ((Tensor)v.OnnxValue).Clone()).ToArray();
    }

    /// <summary>Runs the model as one GPU subgraph.</summary>
    public static Tensor[] OnGpu(byte[] model, GpuPrecision precision, Tensor[] inputs, bool forceFloatCompute = false)
    {
        var m = OnnxModelLoader.Load(model);
        using var g = GpuSubgraph.Compile(Gpu.Device!, m.Graph, precision, forceFloatCompute);
        return g.Run(inputs);
    }

    /// <summary>Max |a-b| / (atol + rtol*|b|) style check; returns max abs error.</summary>
    public static float MaxAbsError(Tensor a, Tensor b)
    {
        Assert.Equal(b.Shape, a.Shape);
        var x = a.Span<float>();
        var y = b.Span<float>();
        float m = 0;
        for (int i = 0; i < x.Length; i++) m = MathF.Max(m, MathF.Abs(x[i] - y[i]));
        return m;
    }

    public static void Close(Tensor expected, Tensor actual, float atol, float rtol)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.Span<float>();
        var a = actual.Span<float>();
        for (int i = 0; i < e.Length; i++)
        {
            float tol = atol + rtol * MathF.Abs(e[i]);
            if (!(MathF.Abs(e[i] - a[i]) <= tol) && !(float.IsNaN(e[i]) && float.IsNaN(a[i])))
                Assert.Fail($"element {i}: expected {e[i]}, got {a[i]} (tol {tol})");
        }
    }

    /// <summary>Runs on CPU and on GPU in FP32 and FP16 and compares.</summary>
    public static void Check(byte[] model, params Tensor[] inputs)
    {
        var cpu = Cpu(model, inputs);
        var fp32 = OnGpu(model, GpuPrecision.FP32, inputs);
        Assert.Equal(cpu.Length, fp32.Length);
        for (int i = 0; i < cpu.Length; i++) Close(cpu[i], fp32[i], 1e-4f, 1e-3f);
        var fp16 = OnGpu(model, GpuPrecision.FP16, inputs);
        for (int i = 0; i < cpu.Length; i++) Close(cpu[i], fp16[i], 3e-2f, 3e-2f);
    }

    public static Tensor T(float[] data, params int[] shape) => Tensor.FromArray(data, shape);
}
