using Onyx.Tensors;
using Silk.NET.OpenCL;

namespace Onyx.OpenCl;

/// <summary>A tensor in device memory (storage precision of its subgraph). Aliases share the cl_mem.</summary>
internal sealed class DevTensor(nint mem, int[] shape)
{
    public nint Mem { get; } = mem;
    public int[] Shape { get; } = shape;
    public int Length => Tensor.ElementCount(Shape);
    public DevTensor WithShape(int[] shape) => new(Mem, shape);
}

/// <summary>One Run of a subgraph: values by name, buffers to release, and the launch helper.</summary>
internal sealed unsafe class GpuExec
{
    private readonly OpenClDevice _device;
    private readonly GpuProgram _program;
    private readonly int _elementSize;
    private readonly List<nint> _owned = [];
    private readonly Func<string, DevTensor> _constant;
    public Dictionary<string, DevTensor> Values { get; } = new(StringComparer.Ordinal);

    public GpuExec(OpenClDevice device, GpuProgram program, int elementSize, Func<string, DevTensor> constant)
    {
        _device = device;
        _program = program;
        _elementSize = elementSize;
        _constant = constant;
    }

    public DevTensor Get(string name) => Values.TryGetValue(name, out var v) ? v : _constant(name);

    public DevTensor Alloc(int[] shape)
    {
        int n = Math.Max(1, Tensor.ElementCount(shape));
        int err;
        nint mem = _device.Api.CreateBuffer(_device.Context, MemFlags.ReadWrite, (nuint)(n * _elementSize), null, &err);
        _device.Check(err, $"clCreateBuffer({n * _elementSize} bytes)");
        _owned.Add(mem);
        return new DevTensor(mem, shape);
    }

    /// <summary>A temporary float buffer (boundary conversions).</summary>
    public nint AllocBytes(long bytes)
    {
        int err;
        nint mem = _device.Api.CreateBuffer(_device.Context, MemFlags.ReadWrite, (nuint)Math.Max(4, bytes), null, &err);
        _device.Check(err, $"clCreateBuffer({bytes} bytes)");
        _owned.Add(mem);
        return mem;
    }

    public void ReleaseAll()
    {
        foreach (var m in _owned) _device.Api.ReleaseMemObject(m);
        _owned.Clear();
    }

    /// <summary>
    /// 1-D launch over <paramref name="n"/> work items, in work-groups of 64 (the global size rounded up; every
    /// 1-D kernel returns early past n). An explicit group size lets CPU runtimes such as PoCL vectorise across
    /// work-items and GPUs fill their SIMD lanes, instead of whatever the driver picks for an odd n.
    /// </summary>
    public void Launch1(string kernel, int n, params object[] args)
    {
        if (n <= 0) return;
        nuint l = (nuint)Math.Clamp(_device.Info.MaxWorkGroupSize, 1, 64);
        nuint g = ((nuint)n + l - 1) / l * l;
        Enqueue(kernel, 1, &g, &l, args);
    }

    /// <summary>
    /// Y = alpha·A·B + beta·C (+ act) over a batch: the tiled local-memory kernel on GPUs, the flat one on
    /// CPU-type devices (see KernelSource). Strides as the kernels document them.
    /// </summary>
    public void MatMul(DevTensor a, DevTensor b, DevTensor c, DevTensor y, int m, int n, int k, int batch,
        int[] sa, int[] sb, int[] sc, float alpha, float beta, int act)
    {
        if (_device.Info.IsCpuType)
        {
            nuint l = (nuint)Math.Clamp(_device.Info.MaxWorkGroupSize, 1, 64);
            Launch("matmul_flat", [((nuint)n + l - 1) / l * l, (nuint)m, (nuint)batch], [l, 1, 1], a, b, c, y, m, n, k, sa, sb, sc, alpha, beta, act);
            return;
        }
        const int ts = 16;
        Launch("matmul", [(nuint)((n + ts - 1) / ts * ts), (nuint)((m + ts - 1) / ts * ts), (nuint)batch], [ts, ts, 1],
            a, b, c, y, m, n, k, sa, sb, sc, alpha, beta, act);
    }

    public void Launch(string kernel, nuint[] global, nuint[]? local, params object[] args)
    {
        fixed (nuint* pg = global)
        fixed (nuint* pl = local)
            Enqueue(kernel, (uint)global.Length, pg, local is null ? null : pl, args);
    }

    private void Enqueue(string kernel, uint dims, nuint* global, nuint* local, object[] args)
    {
        var api = _device.Api;
        nint k = _program.Kernel(kernel);
        for (int i = 0; i < args.Length; i++)
        {
            int err;
            switch (args[i])
            {
                case DevTensor t: { nint m = t.Mem; err = api.SetKernelArg(k, (uint)i, (nuint)sizeof(nint), &m); break; }
                case nint m: { err = api.SetKernelArg(k, (uint)i, (nuint)sizeof(nint), &m); break; }
                case int v: { err = api.SetKernelArg(k, (uint)i, 4, &v); break; }
                case float v: { err = api.SetKernelArg(k, (uint)i, 4, &v); break; }
                case int[] v: { fixed (int* p = v) err = api.SetKernelArg(k, (uint)i, (nuint)(v.Length * 4), p); break; }
                case float[] v: { fixed (float* p = v) err = api.SetKernelArg(k, (uint)i, (nuint)(v.Length * 4), p); break; }
                default: throw new InvalidOperationException($"kernel argument {i} of {kernel}: unsupported {args[i]?.GetType().Name}");
            }
            _device.Check(err, $"clSetKernelArg({kernel}, {i})");
        }
        _device.Check(api.EnqueueNdrangeKernel(_device.Queue, k, dims, null, global, local, 0, null, null), $"clEnqueueNDRangeKernel({kernel})");
    }

    /// <summary>Uploads a float32 host tensor into a new device tensor of storage precision.</summary>
    public DevTensor Upload(Tensor host, bool fp16)
    {
        var t = Alloc(host.Shape);
        UploadInto(_device, t.Mem, host, fp16);
        return t;
    }

    internal static void UploadInto(OpenClDevice device, nint mem, Tensor host, bool fp16)
    {
        int n = host.Length;
        if (n == 0) return;
        if (!fp16)
        {
            device.Check(device.Api.EnqueueWriteBuffer(device.Queue, mem, true, 0, (nuint)(n * 4), host.Pointer, 0, null, null), "clEnqueueWriteBuffer");
            return;
        }
        var halves = new Half[n];
        var src = host.Span<float>();
        for (int i = 0; i < n; i++) halves[i] = (Half)src[i];
        fixed (Half* p = halves)
            device.Check(device.Api.EnqueueWriteBuffer(device.Queue, mem, true, 0, (nuint)(n * 2), p, 0, null, null), "clEnqueueWriteBuffer");
    }

    /// <summary>Reads a device tensor back as float32.</summary>
    public Tensor Download(DevTensor t, bool fp16)
    {
        var host = Tensor.Allocate(DType.Float32, t.Shape, zero: false);
        int n = t.Length;
        if (n == 0) return host;
        if (!fp16)
        {
            _device.Check(_device.Api.EnqueueReadBuffer(_device.Queue, t.Mem, true, 0, (nuint)(n * 4), host.Pointer, 0, null, null), "clEnqueueReadBuffer");
            return host;
        }
        var halves = new Half[n];
        fixed (Half* p = halves)
            _device.Check(_device.Api.EnqueueReadBuffer(_device.Queue, t.Mem, true, 0, (nuint)(n * 2), p, 0, null, null), "clEnqueueReadBuffer");
        var dst = host.Span<float>();
        for (int i = 0; i < n; i++) dst[i] = (float)halves[i];
        return host;
    }

    /// <summary>
    /// Enqueues a non-blocking read of <paramref name="t"/> into a new float32 host tensor (FP16 storage is
    /// widened on the device first). The tensor is valid once the queue is drained (<see cref="OpenClDevice.Wait"/>).
    /// </summary>
    public Tensor DownloadAsync(DevTensor t, bool fp16)
    {
        var host = Tensor.Allocate(DType.Float32, t.Shape, zero: false);
        int n = t.Length;
        if (n == 0) return host;
        nint src = t.Mem;
        if (fp16)
        {
            src = AllocBytes((long)n * 4);
            Launch1("from_storage", n, t.Mem, src, n);
        }
        _device.Check(_device.Api.EnqueueReadBuffer(_device.Queue, src, false, 0, (nuint)(n * 4), host.Pointer, 0, null, null), "clEnqueueReadBuffer");
        return host;
    }

    /// <summary>A new float32 device buffer with <paramref name="t"/>'s values, owned by the caller (IO buffer outputs).</summary>
    public OpenClBuffer ToDeviceFloat(DevTensor t, bool fp16)
    {
        int n = t.Length;
        int err;
        nint mem = _device.Api.CreateBuffer(_device.Context, MemFlags.ReadWrite, (nuint)Math.Max(4, n * 4), null, &err);
        _device.Check(err, "clCreateBuffer(output)");
        var result = new OpenClBuffer(mem, t.Shape, owned: true);
        if (n == 0) return result;
        if (fp16) Launch1("from_storage", n, t.Mem, mem, n);
        else _device.Check(_device.Api.EnqueueCopyBuffer(_device.Queue, t.Mem, mem, 0, 0, (nuint)(n * 4), 0, null, null), "clEnqueueCopyBuffer");
        return result;
    }

    /// <summary>Pads a shape (rank ≤ 8) to 8 dims with leading 1s.</summary>
    public static int[] Dims8(ReadOnlySpan<int> shape)
    {
        if (shape.Length > 8) throw new NotSupportedException($"rank {shape.Length} > 8");
        var d = new int[8];
        int off = 8 - shape.Length;
        for (int i = 0; i < 8; i++) d[i] = i < off ? 1 : shape[i - off];
        return d;
    }

    /// <summary>Row-major strides of <paramref name="shape"/>.</summary>
    public static int[] Strides(ReadOnlySpan<int> shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }

    /// <summary>Pads per-dim values to 8 with leading <paramref name="fill"/>.</summary>
    public static int[] Pad8(ReadOnlySpan<int> v, int fill = 0)
    {
        var d = new int[8];
        int off = 8 - v.Length;
        for (int i = 0; i < 8; i++) d[i] = i < off ? fill : v[i - off];
        return d;
    }
}
