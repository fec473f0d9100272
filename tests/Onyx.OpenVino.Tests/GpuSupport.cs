using Onnx;
using Onyx.OpenCl;
using Silk.NET.OpenCL;

namespace Onyx.OpenVino.Tests;

/// <summary>A fact that runs only when the registry has a GPU.N device (on CPU-only machines: PoCL with ONYX_OPENCL_ALLOW_CPU=1).</summary>
public sealed class GpuDeviceFactAttribute : FactAttribute
{
    public GpuDeviceFactAttribute()
    {
        if (DeviceRegistry.Default.Find("GPU") is null)
            Skip = "no GPU.N device (install an OpenCL runtime; for PoCL set ONYX_OPENCL_ALLOW_CPU=1)";
    }
}

/// <summary>A theory that runs only when the registry has a GPU.N device.</summary>
public sealed class GpuDeviceTheoryAttribute : TheoryAttribute
{
    public GpuDeviceTheoryAttribute()
    {
        if (DeviceRegistry.Default.Find("GPU") is null)
            Skip = "no GPU.N device (install an OpenCL runtime; for PoCL set ONYX_OPENCL_ALLOW_CPU=1)";
    }
}

/// <summary>Small models and an application-side OpenCL context for the GPU device tests.</summary>
internal static class GpuModels
{
    public static void Ints(NodeProto n, string name, params long[] v) =>
        n.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { v } });

    /// <summary>x[1,2,6,6] → Conv(3x3, 4 out, pads 1) + b → Relu → Add(c) → y[1,4,6,6]: every node is claimed by the GPU.</summary>
    public static byte[] Cnn() => new ModelBuilder()
        .Input("x", 1, 2, 6, 6).Output("y", 1, 4, 6, 6)
        .Weight("w", Run.Random(4 * 2 * 9, 11), 4, 2, 3, 3).Weight("b", Run.Random(4, 12), 4).Weight("c", Run.Random(4 * 36, 13), 4, 6, 6)
        .Node("Conv", ["x", "w", "b"], ["h"], configure: n => { Ints(n, "kernel_shape", 3, 3); Ints(n, "pads", 1, 1, 1, 1); })
        .Node("Relu", ["h"], ["r"])
        .Node("Add", ["r", "c"], ["y"])
        .Build();

    /// <summary>As <see cref="Cnn"/> then Tile (which the GPU has no kernel for, the CPU device runs): y[1,4,6,12].</summary>
    public static byte[] CnnThenTile() => new ModelBuilder()
        .Input("x", 1, 2, 6, 6).Output("y", 1, 4, 6, 12)
        .Weight("w", Run.Random(4 * 2 * 9, 11), 4, 2, 3, 3).Weight("b", Run.Random(4, 12), 4)
        .Int64Weight("reps", [1, 1, 1, 2], 4)
        .Node("Conv", ["x", "w", "b"], ["h"], configure: n => { Ints(n, "kernel_shape", 3, 3); Ints(n, "pads", 1, 1, 1, 1); })
        .Node("Relu", ["h"], ["r"])
        .Node("Tile", ["r", "reps"], ["y"])
        .Build();

    /// <summary>A 1-D convolution (the GPU claims only 2-D ones): x[1,2,8] → y[1,3,6].</summary>
    public static byte[] Conv1d() => new ModelBuilder()
        .Input("x", 1, 2, 8).Output("y", 1, 3, 6)
        .Weight("w", Run.Random(3 * 2 * 3, 21), 3, 2, 3)
        .Node("Conv", ["x", "w"], ["y"], configure: n => Ints(n, "kernel_shape", 3))
        .Build();

    public static float[] RunOne(InferenceSession s, float[] x, params int[] shape) => Run.One(s, "x", x, shape);

    public static void Close(float[] expected, float[] actual, float tol)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= tol * (1 + MathF.Abs(expected[i])), $"[{i}] {actual[i]} vs {expected[i]}");
    }
}

/// <summary>An OpenCL context and buffers the "application" owns, on the device behind GPU.0.</summary>
internal sealed unsafe class AppClContext : IDisposable
{
    public CL Api { get; } = CL.GetApi();
    public nint Context { get; }
    public nint Queue { get; }
    private readonly List<nint> _buffers = [];

    public AppClContext()
    {
        var cl = DeviceRegistry.Default.Find("GPU")!.OpenCl!;
        nint dev = cl.DeviceId;
        int err;
        nint* props = stackalloc nint[3] { (nint)ContextProperties.Platform, cl.PlatformId, 0 };
        Context = Api.CreateContext(props, 1, &dev, null, null, &err);
        Assert.Equal(0, err);
        Queue = Api.CreateCommandQueue(Context, dev, (CommandQueueProperties)0, &err);
        Assert.Equal(0, err);
    }

    public nint Buffer(float[] data)
    {
        int err;
        nint mem;
        fixed (float* p = data) mem = Api.CreateBuffer(Context, MemFlags.ReadWrite | MemFlags.CopyHostPtr, (nuint)(data.Length * 4), p, &err);
        Assert.Equal(0, err);
        _buffers.Add(mem);
        return mem;
    }

    public float[] Read(nint mem, int n)
    {
        var r = new float[n];
        fixed (float* p = r) Assert.Equal(0, Api.EnqueueReadBuffer(Queue, mem, true, 0, (nuint)(n * 4), p, 0, null, null));
        return r;
    }

    public uint ReferenceCount
    {
        get
        {
            uint c = 0;
            Assert.Equal(0, Api.GetContextInfo(Context, ContextInfo.ReferenceCount, sizeof(uint), &c, null));
            return c;
        }
    }

    public void Dispose()
    {
        foreach (var b in _buffers) Api.ReleaseMemObject(b);
        Api.ReleaseCommandQueue(Queue);
        Api.ReleaseContext(Context);
    }
}
