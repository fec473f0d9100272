using Onnx;
using Onyx.Tensors;
using static Onyx.OpenCl.Tests.ModelBuilder;
using static Onyx.OpenCl.Tests.Compare;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Onyx.OpenCl.Tests;

/// <summary>Integer device tensors: Gather with run-time indices, Cast, Shape — against the CPU provider.</summary>
public class IntTensorTests
{
    /// <summary>Runs on the CPU and on the GPU (FP32 and FP16 storage); float outputs within tolerance, integer ones exact.</summary>
    private static void CheckTyped(byte[] model, params Tensor[] inputs)
    {
        var cpu = Compare.Cpu(model, inputs);
        foreach (var precision in new[] { GpuPrecision.FP32, GpuPrecision.FP16 })
        {
            var gpu = OnGpu(model, precision, inputs);
            Assert.Equal(cpu.Length, gpu.Length);
            for (int i = 0; i < cpu.Length; i++)
            {
                Assert.Equal(cpu[i].DType, gpu[i].DType);
                Assert.Equal(cpu[i].Shape, gpu[i].Shape);
                if (!DeviceTypes.IsFloat(cpu[i].DType))
                {
                    // Integers are exact, except that FP16 storage rounds a float input to half before a Cast truncates it.
                    long[] ei = cpu[i].ToInt64Array(), ai = gpu[i].ToInt64Array();
                    if (precision == GpuPrecision.FP32) Assert.Equal(ei, ai);
                    else for (int k = 0; k < ei.Length; k++) Assert.True(Math.Abs(ei[k] - ai[k]) <= 1 + 1e-3 * Math.Abs(ei[k]), $"FP16 output {i} [{k}]: {ai[k]} vs {ei[k]}");
                    continue;
                }
                double[] e = cpu[i].ToDoubleArray(), a = gpu[i].ToDoubleArray();
                double tol = precision == GpuPrecision.FP32 ? 1e-6 : 3e-3;
                for (int k = 0; k < e.Length; k++)
                    Assert.True(Math.Abs(e[k] - a[k]) <= tol * (1 + Math.Abs(e[k])), $"{precision} output {i} [{k}]: {a[k]} vs {e[k]}");
            }
        }
    }

    private static Tensor Longs(long[] v, params int[] shape) => Tensor.FromArray(v, shape);

    /// <summary>Run-time int64/int32 indices (negative, repeated, scalar, 2-D) on any axis.</summary>
    [GpuTheory]
    [InlineData(0, false, new[] { 2, 2 }, new long[] { 0, 3, -1, 1 })]
    [InlineData(1, true, new[] { 3 }, new long[] { 4, -5, 2 })]
    [InlineData(2, false, new int[0], new long[] { -2 })]
    [InlineData(-1, true, new[] { 1, 4 }, new long[] { 5, 0, 5, -6 })]
    public void GatherWithRuntimeIndices(int axis, bool int32, int[] idxShape, long[] idx)
    {
        int[] shape = [4, 5, 6];
        var model = new ModelBuilder().Opset(13).Input("x", shape).Input("i", int32 ? DataType.Int32 : DataType.Int64, idxShape)
            .Node("Gather", ["x", "i"], ["y"], I("axis", axis)).Output("y").Build();
        var indices = int32 ? Tensor.FromArray(idx.Select(v => (int)v).ToArray(), idxShape) : Longs(idx, idxShape);
        CheckTyped(model, T(Random(120, 13), shape), indices);
        var g = Onyx.Onnx.OnnxModelLoader.Load(model).Graph;
        Assert.Null(GpuCapability.WhyNot(g.Nodes[0], g));
    }

    /// <summary>Gather of integer data by integer indices computed on the device (a Gather of a Gather).</summary>
    [GpuFact]
    public void GatherOfIntegerDataByDeviceIndices()
    {
        var model = new ModelBuilder().Opset(13).Input("d", DataType.Int64, 3, 4).Input("i", DataType.Int64, 2).Input("j", DataType.Int64, 5)
            .Node("Gather", ["i", "j"], ["k"]).Node("Gather", ["d", "k"], ["y"], I("axis", 1)).Output("y").Build();
        CheckTyped(model, Longs([10, -11, 12, 13, 20, 21, -22, 23, 30, 31, 32, 1 << 30], 3, 4), Longs([3, -3], 2), Longs([0, 1, -1, 0, 1], 5));
    }

    /// <summary>An index outside [-A, A) fails the Run naming the node and the index (the kernel writes 0 meanwhile); the next Run is clean.</summary>
    [GpuFact]
    public void OutOfRangeIndexIsAClearError()
    {
        var model = new ModelBuilder().Opset(13).Input("x", 4, 3).Input("i", DataType.Int64, 3)
            .Node("Gather", ["x", "i"], ["y"]).Output("y").Build();
        using var g = GpuSubgraph.Compile(Gpu.Device!, Onyx.Onnx.OnnxModelLoader.Load(model).Graph);
        var x = T(Random(12, 1), 4, 3);
        var ex = Assert.Throws<OnnxRuntimeException>(() => g.Run([x, Longs([1, 4, 0], 3)]));
        Assert.Contains("index 4 is out of range for axis 0 of size 4", ex.Message);
        Assert.Throws<OnnxRuntimeException>(() => g.Run([x, Longs([-5, 0, 0], 3)]));
        var y = g.Run([x, Longs([3, -4, 2], 3)])[0].Span<float>();
        Assert.Equal(x.Span<float>()[9], y[0]);
        Assert.Equal(x.Span<float>()[0], y[3]);
        var big = Assert.Throws<OnnxRuntimeException>(() => g.Run([x, Longs([1L << 40, 0, 0], 3)]));
        Assert.Contains("32-bit", big.Message);
    }

    [GpuTheory]
    [InlineData(DataType.Float, DataType.Int64)]
    [InlineData(DataType.Float, DataType.Int32)]
    [InlineData(DataType.Float, DataType.Bool)]
    [InlineData(DataType.Float, DataType.Float16)]
    [InlineData(DataType.Float, DataType.Double)]
    [InlineData(DataType.Float16, DataType.Float)]
    [InlineData(DataType.Double, DataType.Float)]
    [InlineData(DataType.Int64, DataType.Float)]
    [InlineData(DataType.Int64, DataType.Int32)]
    [InlineData(DataType.Int32, DataType.Float16)]
    [InlineData(DataType.Int64, DataType.Bool)]
    [InlineData(DataType.Bool, DataType.Float)]
    [InlineData(DataType.Bool, DataType.Int64)]
    public void Cast(DataType from, DataType to)
    {
        var model = new ModelBuilder().Opset(13).Input("x", from, 3, 7)
            .Node("Cast", ["x"], ["y"], I("to", (int)to)).Output("y").Build();
        var v = Random(21, 5, -300, 300);
        v[0] = 0; v[1] = -0.75f; v[2] = 2.5f; v[3] = 65519.9f; v[4] = 1e-7f;
        Tensor x = from switch
        {
            DataType.Float => T(v, 3, 7),
            DataType.Float16 => Tensor.FromArray(v.Select(f => (Half)f).ToArray(), 3, 7),
            DataType.Double => Tensor.FromArray(v.Select(f => (double)f * 1.0000001).ToArray(), 3, 7),
            DataType.Int64 => Tensor.FromArray(v.Select(f => (long)f).ToArray(), 3, 7),
            DataType.Int32 => Tensor.FromArray(v.Select(f => (int)f).ToArray(), 3, 7),
            _ => Tensor.FromArray(v.Select(f => f > 0).ToArray(), 3, 7),
        };
        CheckTyped(model, x);
        var g = Onyx.Onnx.OnnxModelLoader.Load(model).Graph;
        Assert.Null(GpuCapability.WhyNot(g.Nodes[0], g));
    }

    /// <summary>A float too large for the device's int32 storage is an error, not a silent wrap.</summary>
    [GpuFact]
    public void CastOfAFloatBeyondInt32IsAnError()
    {
        var model = new ModelBuilder().Opset(13).Input("x", 2).Node("Cast", ["x"], ["y"], I("to", (int)DataType.Int64)).Output("y").Build();
        using var g = GpuSubgraph.Compile(Gpu.Device!, Onyx.Onnx.OnnxModelLoader.Load(model).Graph);
        var ex = Assert.Throws<OnnxRuntimeException>(() => g.Run([T([1f, 3e9f], 2)]));
        Assert.Contains("3E+09", ex.Message);
        Assert.Equal([1L, -2L], g.Run([T([1.9f, -2.9f], 2)])[0].ToInt64Array());
    }

    /// <summary>Shape (with start/end) feeding a Cast and float arithmetic, a CastLike, and a Shape output of its own.</summary>
    [GpuTheory]
    [InlineData(0, 4)]
    [InlineData(1, -1)]
    [InlineData(-3, 10)]
    public void ShapeAndCastLike(int start, int end)
    {
        var model = new ModelBuilder().Opset(15).Input("x", 2, 3, 5, 7)
            .Node("Shape", ["x"], ["s"], I("start", start), I("end", end))
            .Node("Cast", ["s"], ["sf"], I("to", (int)DataType.Float))
            .Node("ReduceSum", ["x"], ["r"], I("keepdims", 0))
            .Node("Add", ["sf", "r"], ["y"])
            .Node("CastLike", ["y", "s"], ["yi"])
            .Output("s").Output("y").Output("yi").Build();
        CheckTyped(model, T(Random(210, 3), 2, 3, 5, 7));
    }
}

/// <summary>Shape-like inputs given at run time, comparisons into bool tensors, Where, Not/And, Expand.</summary>
public class RuntimeShapeAndLogicTests
{
    private static Tensor Longs(long[] v, params int[] shape) => Tensor.FromArray(v, shape);

    /// <summary>Reshape/Unsqueeze/Slice/ReduceSum/Split/Pad/Expand reading their shape-like input from the subgraph's int64 inputs.</summary>
    [GpuFact]
    public void ShapeLikeInputsAtRunTime()
    {
        var model = new ModelBuilder().Opset(18).Input("x", 2, 3, 4)
            .Input("shape", DataType.Int64, 2).Input("axes", DataType.Int64, 1).Input("starts", DataType.Int64, 2).Input("ends", DataType.Int64, 2)
            .Input("raxes", DataType.Int64, 1).Input("split", DataType.Int64, 2).Input("pads", DataType.Int64, 6).Input("eshape", DataType.Int64, 4)
            .Node("Reshape", ["x", "shape"], ["r"])
            .Node("Unsqueeze", ["r", "axes"], ["u"])
            .Node("Slice", ["x", "starts", "ends"], ["s"])
            .Node("ReduceSum", ["s", "raxes"], ["rs"], I("keepdims", 1))
            .Node("Split", ["x", "split"], ["p0", "p1"], I("axis", 2))
            .Node("Pad", ["p1", "pads"], ["pd"])
            .Node("Expand", ["rs", "eshape"], ["ex"])
            .Output("u").Output("rs").Output("p0").Output("pd").Output("ex").Build();
        RuntimeCheck(model, T(Random(24, 21), 2, 3, 4), Longs([4, -1], 2), Longs([1], 1), Longs([0, 1], 2), Longs([2, 100], 2),
            Longs([-1], 1), Longs([1, 3], 2), Longs([0, 1, 0, 1, 0, 2], 6), Longs([3, 1, 2, 1], 4));
    }

    /// <summary>Comparisons of floats and of int64s (broadcast), logic on bools, Where picking floats and ints.</summary>
    [GpuFact]
    public void ComparisonsLogicAndWhere()
    {
        var model = new ModelBuilder().Opset(16).Input("a", 3, 4).Input("b", 4).Input("i", DataType.Int64, 3, 1).Input("j", DataType.Int64, 4)
            .Node("Less", ["a", "b"], ["lt"]).Node("GreaterOrEqual", ["a", "b"], ["ge"]).Node("Equal", ["i", "j"], ["eq"])
            .Node("Greater", ["i", "j"], ["gt"]).Node("LessOrEqual", ["a", "b"], ["le"])
            .Node("Or", ["lt", "eq"], ["or"]).Node("Not", ["or"], ["not"]).Node("And", ["ge", "gt"], ["and"]).Node("Xor", ["le", "gt"], ["xor"])
            .Node("Where", ["not", "a", "b"], ["w"]).Node("Where", ["and", "i", "j"], ["wi"])
            .Output("lt").Output("eq").Output("not").Output("xor").Output("w").Output("wi").Build();
        var a = Random(12, 22);
        var b = Random(4, 23);
        a[5] = b[1]; // an equal pair
        RuntimeCheck(model, T(a, 3, 4), T(b, 4), Longs([1, -2, 3], 3, 1), Longs([3, 1, 1, -2], 4));
    }

    private static void RuntimeCheck(byte[] model, params Tensor[] inputs)
    {
        var cpu = Compare.Cpu(model, inputs);
        var gpu = OnGpu(model, GpuPrecision.FP32, inputs);
        Assert.Equal(cpu.Length, gpu.Length);
        for (int i = 0; i < cpu.Length; i++)
        {
            Assert.Equal(cpu[i].DType, gpu[i].DType);
            Assert.Equal(cpu[i].Shape, gpu[i].Shape);
            if (cpu[i].DType == Tensors.DType.Float32) Close(cpu[i], gpu[i], 1e-5f, 1e-5f);
            else Assert.Equal(cpu[i].ToInt64Array(), gpu[i].ToInt64Array());
        }
        var g = Onyx.Onnx.OnnxModelLoader.Load(model).Graph;
        Assert.All(g.Nodes, n => Assert.Null(GpuCapability.WhyNot(n, g)));
    }
}

/// <summary>Exporter-style shape arithmetic and integer kernels: host-known ints stay on the host, device ints run the _i kernels.</summary>
public class ShapeArithmeticTests
{
    /// <summary>Shape → Gather → Unsqueeze → Concat → Reshape, Size, ConstantOfShape (int and float), int Sub/Div on host values.</summary>
    [GpuFact]
    public void ShapeChainsRunOnTheHostAndMatchTheCpu()
    {
        var model = new ModelBuilder().Opset(13).Input("x", 2, 3, 4)
            .Indices("zero", false, [], 0).Indices("minus1", false, [1], -1).Indices("two", false, [1], 2).Indices("ax0", false, [1], 0)
            .Node("Shape", ["x"], ["s"])
            .Node("Gather", ["s", "zero"], ["n"])
            .Node("Unsqueeze", ["n", "ax0"], ["n1"])
            .Node("Concat", ["n1", "minus1"], ["target"], I("axis", 0))
            .Node("Reshape", ["x", "target"], ["r"])
            .Node("Size", ["x"], ["size"])
            .Node("Div", ["size", "two"], ["half"])
            .Node("Sub", ["half", "n1"], ["len"])
            .Node("ConstantOfShape", ["len"], ["ones"], T0("value", 1L))
            .Node("ConstantOfShape", ["n1"], ["zeros"])
            .Output("r").Output("size").Output("len").Output("ones").Output("zeros").Build();
        Check(model, T(Random(24, 31), 2, 3, 4));
    }

    /// <summary>Integers computed on the device (Cast of floats) through binary_i, compare_i, strided_copy_i and gather_i.</summary>
    [GpuFact]
    public void DeviceIntegerKernels()
    {
        var model = new ModelBuilder().Opset(13).Input("a", 3, 5).Input("b", 5)
            .Indices("perm_idx", false, [2], 4, -5)
            .Node("Cast", ["a"], ["ai"], I("to", (int)DataType.Int64)).Node("Cast", ["b"], ["bi"], I("to", (int)DataType.Int64))
            .Node("Add", ["ai", "bi"], ["add"]).Node("Mul", ["add", "bi"], ["mul"]).Node("Div", ["mul", "bi"], ["div"])
            .Node("Max", ["div", "ai"], ["max"]).Node("Sub", ["max", "bi"], ["sub"])
            .Node("Transpose", ["sub"], ["t"]).Node("Slice", ["t", "zero", "three", "one"], ["sl"])
            .Node("Gather", ["sl", "perm_idx"], ["g"]).Node("Greater", ["g", "zero2"], ["gt"])
            .Indices("zero", false, [1], 1).Indices("three", false, [1], 3).Indices("one", false, [1], 1).Indices("zero2", false, [], 0)
            .Output("sub").Output("g").Output("gt").Build();
        var a = Random(15, 32, -20, 20);
        var b = Random(5, 33, -6, 6);
        for (int i = 0; i < b.Length; i++) if (MathF.Abs(b[i]) < 1) b[i] = 1.5f; // no integer division by zero (undefined in ONNX)
        Check(model, T(a, 3, 5), T(b, 5));
    }

    private static void Check(byte[] model, params Tensor[] inputs)
    {
        var cpu = Compare.Cpu(model, inputs);
        var gpu = OnGpu(model, GpuPrecision.FP32, inputs);
        for (int i = 0; i < cpu.Length; i++)
        {
            Assert.Equal(cpu[i].DType, gpu[i].DType);
            Assert.Equal(cpu[i].Shape, gpu[i].Shape);
            if (cpu[i].DType == Tensors.DType.Float32) Close(cpu[i], gpu[i], 1e-6f, 1e-6f);
            else Assert.Equal(cpu[i].ToInt64Array(), gpu[i].ToInt64Array());
        }
        var g = Onyx.Onnx.OnnxModelLoader.Load(model).Graph;
        Assert.All(g.Nodes, n => Assert.Null(GpuCapability.WhyNot(n, g)));
    }

    private static AttributeProto T0(string name, long v)
    {
        var t = new TensorProto { DataType = (int)DataType.Int64 };
        t.Dims.Add(1);
        t.Int64Data.Add(v);
        return new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = t };
    }
}

/// <summary>LayerNormalization's Mean/InvStdDev outputs with a run-time Scale; Mod on integers and floats.</summary>
public class NormStatsAndModTests
{
    [GpuTheory]
    [InlineData(-1)]
    [InlineData(1)]
    public void LayerNormalizationStatisticsAndRuntimeScale(int axis)
    {
        int[] norm = axis == -1 ? [5] : [4, 5];
        var model = new ModelBuilder().Opset(17).Input("x", 3, 4, 5).Input("s", norm).Input("b", norm)
            .Node("LayerNormalization", ["x", "s", "b"], ["y", "mean", "inv"], I("axis", axis), F("epsilon", 1e-3f))
            .Output("y").Output("mean").Output("inv").Build();
        int len = norm.Aggregate(1, (p, d) => p * d);
        var inputs = new[] { T(Random(60, 41, -2, 3), 3, 4, 5), T(Random(len, 42), norm), T(Random(len, 43), norm) };
        var cpu = Compare.Cpu(model, inputs);
        var gpu = OnGpu(model, GpuPrecision.FP32, inputs);
        for (int i = 0; i < 3; i++) Close(cpu[i], gpu[i], 1e-5f, 1e-4f);
        var g = Onyx.Onnx.OnnxModelLoader.Load(model).Graph;
        Assert.Null(GpuCapability.WhyNot(g.Nodes[0], g));
    }

    [GpuTheory]
    [InlineData(0)]
    [InlineData(1)]
    public void ModOfIntegersOnTheDeviceAndTheHost(int fmod)
    {
        // a, b are host-known (boundary inputs: the host path); a2 = Cast(float) is device-computed (binary_i).
        var model = new ModelBuilder().Opset(13).Input("a", DataType.Int64, 8).Input("b", DataType.Int64, 8).Input("f", 8)
            .Node("Mod", ["a", "b"], ["host"], I("fmod", fmod))
            .Node("Cast", ["f"], ["a2"], I("to", (int)DataType.Int64))
            .Node("Mod", ["a2", "b"], ["dev"], I("fmod", fmod))
            .Output("host").Output("dev").Build();
        long[] a = [7, -7, 7, -7, 0, 13, -13, 5], b = [3, 3, -3, -3, 4, 5, -5, 7];
        var inputs = new[] { Tensor.FromArray(a, 8), Tensor.FromArray(b, 8), T(a.Select(v => (float)v).ToArray(), 8) };
        var cpu = Compare.Cpu(model, inputs);
        var gpu = OnGpu(model, GpuPrecision.FP32, inputs);
        Assert.Equal(cpu[0].ToInt64Array(), gpu[0].ToInt64Array());
        Assert.Equal(cpu[1].ToInt64Array(), gpu[1].ToInt64Array());
    }

    [GpuFact]
    public void FloatFmod()
    {
        var model = new ModelBuilder().Opset(13).Input("a", 4, 3).Input("b", 3).Node("Mod", ["a", "b"], ["y"], I("fmod", 1)).Output("y").Build();
        var inputs = new[] { T(Random(12, 44, -9, 9), 4, 3), T([2.5f, -1.5f, 4f], 3) };
        Close(Compare.Cpu(model, inputs)[0], OnGpu(model, GpuPrecision.FP32, inputs)[0], 1e-6f, 1e-6f);
    }
}
