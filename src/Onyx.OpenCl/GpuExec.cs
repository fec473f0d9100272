using Onyx.Tensors;
using Silk.NET.OpenCL;

namespace Onyx.OpenCl;

/// <summary>
/// A tensor in device memory. <see cref="Type"/> is its ONNX element type: float types are stored in the
/// subgraph's precision, integer types as int32 (<see cref="DeviceTypes"/>). <see cref="Host"/> holds an
/// integer tensor's values when the host knows them without a read-back (boundary inputs, constants, Shape),
/// so shape-like consumers never wait for the device. Aliases share the cl_mem.
/// </summary>
internal sealed class DevTensor(nint mem, int[] shape, DType type = DType.Float32, int[]? host = null)
{
    public nint Mem { get; } = mem;
    public int[] Shape { get; } = shape;
    public DType Type { get; } = type;
    public int[]? Host { get; } = host;
    public bool IsInt => DeviceTypes.IsInt(Type);
    public int Length => Tensor.ElementCount(Shape);
    public DevTensor WithShape(int[] shape) => new(Mem, shape, Type, Host);
    /// <summary>The same storage read as another type of the same storage class (Cast between float16/32/64 or int32/64).</summary>
    public DevTensor WithType(DType type) => new(Mem, Shape, type, DeviceTypes.IsInt(type) ? Host : null);
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

    /// <summary>True when float tensors are stored as half (FP16 subgraphs).</summary>
    public bool HalfStorage => _elementSize == 2;

    public DevTensor Get(string name) => Values.TryGetValue(name, out var v) ? v : _constant(name);

    /// <summary>A new device tensor; float types take the storage precision, integer types 4 bytes.</summary>
    public DevTensor Alloc(int[] shape, DType type = DType.Float32)
    {
        int n = Math.Max(1, Tensor.ElementCount(shape));
        int es = DeviceTypes.IsInt(type) ? 4 : _elementSize;
        int err;
        nint mem = _device.Api.CreateBuffer(_device.Context, MemFlags.ReadWrite, (nuint)(n * es), null, &err);
        _device.Check(err, $"clCreateBuffer({n * es} bytes)");
        _owned.Add(mem);
        return new DevTensor(mem, shape, type);
    }

    /// <summary>An integer device tensor holding <paramref name="values"/> (copied at creation), which it also keeps as its host copy.</summary>
    public DevTensor Ints(int[] values, int[] shape, DType type)
    {
        _owned.Add(CreateInts(_device, values));
        return new DevTensor(_owned[^1], shape, type, values);
    }

    internal static nint CreateInts(OpenClDevice device, int[] values)
    {
        int err;
        nint mem;
        fixed (int* p = values.Length == 0 ? new int[1] : values)
            mem = device.Api.CreateBuffer(device.Context, MemFlags.ReadWrite | MemFlags.CopyHostPtr, (nuint)(Math.Max(1, values.Length) * 4), p, &err);
        device.Check(err, "clCreateBuffer(int tensor)");
        return mem;
    }

    /// <summary>
    /// An integer tensor's values on the host: its host copy when known, else a blocking read (a sync point;
    /// only integer tensors computed on the device, such as a Cast to int64, need it).
    /// </summary>
    public int[] HostInts(DevTensor t)
    {
        if (t.Host is { } h) return h;
        if (!t.IsInt) throw new InvalidOperationException($"a {t.Type} device tensor has no integer values");
        var r = new int[t.Length];
        if (r.Length > 0)
            fixed (int* p = r)
                _device.Check(_device.Api.EnqueueReadBuffer(_device.Queue, t.Mem, true, 0, (nuint)(r.Length * 4), p, 0, null, null), "clEnqueueReadBuffer(ints)");
        return r;
    }

    /// <summary>
    /// y[i] = x[offset + Σ q_k·src_k] over <paramref name="shape"/> (Transpose, Slice, Split, Expand): on the host when
    /// x is an integer tensor with a host copy (shape arithmetic stays host-known), else by the strided-copy kernel.
    /// </summary>
    public DevTensor StridedCopy(DevTensor x, int[] shape, int[] src, int offset)
    {
        var dims = Dims8(shape);
        var sx = Pad8(src);
        if (x.Host is { } h)
        {
            var v = new int[Tensor.ElementCount(shape)];
            for (int i = 0; i < v.Length; i++)
            {
                int r = i, ix = offset;
                for (int k = 7; k >= 0; k--) { ix += r % dims[k] * sx[k]; r /= dims[k]; }
                v[i] = h[ix];
            }
            return Ints(v, shape, x.Type);
        }
        var y = Alloc(shape, x.Type);
        Launch1(x.IsInt ? "strided_copy_i" : "strided_copy", y.Length, x, y, y.Length, dims, sx, offset, Pad8(Strides(shape)), 0);
        return y;
    }

    private readonly List<(GpuOp Op, int[] Flag, nint Mem)> _flags = [];
    private readonly List<Action> _finish = [];

    /// <summary>
    /// A zeroed two-int device flag a kernel sets to (1, offending value) on bad data such as an out-of-range
    /// index; read back with the outputs and turned into <paramref name="op"/>'s error by <see cref="Finish"/>.
    /// </summary>
    public nint ErrorFlag(GpuOp op)
    {
        var host = new int[2];
        nint mem = CreateInts(_device, host);
        _owned.Add(mem);
        _flags.Add((op, host, mem));
        return mem;
    }

    /// <summary>Enqueues the reads of the error flags (non-blocking; valid once the queue is drained).</summary>
    public void ReadFlags()
    {
        foreach (var (_, host, mem) in _flags)
            fixed (int* p = host)
                _device.Check(_device.Api.EnqueueReadBuffer(_device.Queue, mem, false, 0, 8, p, 0, null, null), "clEnqueueReadBuffer(flag)");
    }

    /// <summary>After the queue is drained: throws the first raised error flag, then converts outputs whose host type differs from their storage.</summary>
    public void Finish()
    {
        foreach (var (op, host, _) in _flags)
            if (host[0] != 0) throw op.FlagError(host[1]);
        foreach (var f in _finish) f();
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

    /// <summary>Uploads a host tensor: float types into storage precision, integer types as int32 (keeping the host copy).</summary>
    public DevTensor Upload(Tensor host, bool fp16, string name)
    {
        if (DeviceTypes.IsInt(host.DType)) return Ints(DeviceTypes.ToInt32(host, name), host.Shape, host.DType);
        var t = Alloc(host.Shape);
        UploadInto(_device, t.Mem, DeviceTypes.ToFloat32(host), fp16);
        return new DevTensor(t.Mem, host.Shape, host.DType);
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
        if (t.Type != DType.Float32)
        {
            // Read into the storage's host type, convert once the queue is drained (Finish).
            var result = Tensor.Allocate(t.Type, t.Shape, zero: false);
            if (t.IsInt)
            {
                var ints = result.DType == DType.Int32 ? result : Tensor.Allocate(DType.Int32, t.Shape, zero: false);
                if (t.Length > 0)
                    _device.Check(_device.Api.EnqueueReadBuffer(_device.Queue, t.Mem, false, 0, (nuint)(t.Length * 4), ints.Pointer, 0, null, null), "clEnqueueReadBuffer");
                if (ints != result) _finish.Add(() => DeviceTypes.FromInt32(ints.Span<int>(), result));
            }
            else
            {
                var floats = DownloadAsync(t.WithType(DType.Float32), fp16);
                _finish.Add(() => DeviceTypes.FromFloat32(floats.Span<float>(), result));
            }
            return result;
        }
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
