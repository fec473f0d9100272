using System.Security.Cryptography;
using System.Text;
using Onyx;
using Silk.NET.OpenCL;

namespace Onyx.OpenCl;

/// <summary>Storage precision of a GPU subgraph.</summary>
public enum GpuPrecision
{
    /// <summary>float storage and compute.</summary>
    FP32,
    /// <summary>half storage; half arithmetic for element-wise ops where the device has cl_khr_fp16, else float compute. Dot products and reductions accumulate in float.</summary>
    FP16,
}

/// <summary>
/// An OpenCL context + in-order queue on one device, and the compiled kernel programs (one per
/// precision, built once, optionally through a <see cref="ProgramCache"/>). All enqueues go through
/// <see cref="Gate"/>: kernel objects are shared, so one subgraph runs at a time per device.
/// </summary>
public sealed unsafe class OpenClDevice : IDisposable
{
    internal CL Api { get; }
    /// <summary>The cl_context the device runs in (its own, or the application's shared one).</summary>
    public nint Context { get; }
    internal nint Queue { get; }
    public OpenClDeviceInfo Info { get; }
    /// <summary>Where compiled program binaries are cached; null disables the cache.</summary>
    public ProgramCache? Cache { get; }
    /// <summary>Serialises enqueue + kernel-argument setting on this device.</summary>
    internal Lock Gate { get; } = new();
    private readonly bool _ownsContext;
    private readonly Dictionary<(GpuPrecision, bool), GpuProgram> _programs = new();

    /// <summary>Opens <paramref name="info"/> in a new context (or in <paramref name="sharedContext"/>, an application's cl_context).</summary>
    public OpenClDevice(OpenClDeviceInfo info, ProgramCache? cache = null, nint sharedContext = 0)
    {
        Api = OpenClPlatform.Api ?? throw new OnnxRuntimeException(ErrorCode.NotImplemented, "OpenCL runtime not present");
        Info = info;
        Cache = cache;
        int err;
        nint dev = info.DeviceId;
        if (sharedContext != 0)
        {
            // The application's context must contain this device; queue and programs are created in it.
            nuint bytes = 0;
            err = Api.GetContextInfo(sharedContext, ContextInfo.Devices, 0, null, &bytes);
            if (err != 0)
                throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"option 'context': 0x{sharedContext:x} is not a valid cl_context (clGetContextInfo error {err})");
            var members = new nint[(int)bytes / sizeof(nint)];
            fixed (nint* pm = members) Check(Api.GetContextInfo(sharedContext, ContextInfo.Devices, bytes, pm, null), "clGetContextInfo(CL_CONTEXT_DEVICES)");
            if (!members.Contains(dev))
                throw new OnnxRuntimeException(ErrorCode.InvalidArgument,
                    $"option 'context': cl_context 0x{sharedContext:x} does not contain {info.Id} ({info.Name}); create the context on that device or pick its device with device_type/device_id");
            Context = sharedContext;
            Check(Api.RetainContext(sharedContext), "clRetainContext");
        }
        else
        {
            nint* props = stackalloc nint[3] { (nint)ContextProperties.Platform, info.PlatformId, 0 };
            Context = Api.CreateContext(props, 1, &dev, null, null, &err);
            Check(err, "clCreateContext");
        }
        _ownsContext = true;
        Queue = Api.CreateCommandQueue(Context, dev, (CommandQueueProperties)0, &err);
        Check(err, "clCreateCommandQueue");
    }

    /// <summary>Opens the first discovered device (GPU.0), or null when there is none.</summary>
    public static OpenClDevice? OpenDefault(bool? includeCpuDevices = null, ProgramCache? cache = null)
    {
        var devices = OpenClPlatform.Discover(includeCpuDevices);
        return devices.Count == 0 ? null : new OpenClDevice(devices[0], cache);
    }

    /// <summary>True when this device runs half arithmetic for FP16 (cl_khr_fp16) unless <paramref name="forceFloatCompute"/>.</summary>
    public bool HalfArithmetic(bool forceFloatCompute = false) => Info.SupportsFp16 && !forceFloatCompute;

    /// <summary>The kernels for one precision, compiled (or loaded from the cache) on first use.</summary>
    internal GpuProgram Program(GpuPrecision precision, bool forceFloatCompute = false)
    {
        bool half = precision == GpuPrecision.FP16 && HalfArithmetic(forceFloatCompute);
        lock (_programs)
        {
            if (_programs.TryGetValue((precision, half), out var p)) return p;
            string source = KernelSource.Program(precision, half);
            nint program = Cache is not null ? Cache.GetOrBuild(this, source, KernelSource.BuildOptions, out _) : BuildFromSource(source, KernelSource.BuildOptions);
            p = new GpuProgram(this, program);
            _programs[(precision, half)] = p;
            return p;
        }
    }

    /// <summary>Compiles <paramref name="source"/>; throws with the build log on failure.</summary>
    internal nint BuildFromSource(string source, string options)
    {
        int err;
        var bytes = Encoding.UTF8.GetBytes(source);
        nint program;
        fixed (byte* ps = bytes)
        {
            nuint len = (nuint)bytes.Length;
            byte* s = ps;
            program = Api.CreateProgramWithSource(Context, 1, &s, &len, &err);
        }
        Check(err, "clCreateProgramWithSource");
        err = Build(program, options);
        if (err != 0)
        {
            string log = BuildLog(program);
            Api.ReleaseProgram(program);
            throw new OnnxRuntimeException(ErrorCode.Fail, $"OpenCL program build failed ({err}) on {Info.Name}: {log}");
        }
        return program;
    }

    internal int Build(nint program, string options)
    {
        nint dev = Info.DeviceId;
        var opt = Encoding.UTF8.GetBytes(options + "\0");
        fixed (byte* po = opt) return Api.BuildProgram(program, 1, &dev, po, null, null);
    }

    internal string BuildLog(nint program)
    {
        nuint size = 0;
        Api.GetProgramBuildInfo(program, Info.DeviceId, ProgramBuildInfo.BuildLog, 0, null, &size);
        if (size == 0) return "";
        var buf = new byte[(int)size];
        fixed (byte* p = buf) Api.GetProgramBuildInfo(program, Info.DeviceId, ProgramBuildInfo.BuildLog, size, p, null);
        return Encoding.UTF8.GetString(buf).TrimEnd('\0');
    }

    /// <summary>The compiled binary of a built program (for the cache).</summary>
    internal byte[] ProgramBinary(nint program)
    {
        nuint size = 0;
        Check(Api.GetProgramInfo(program, ProgramInfo.BinarySizes, (nuint)sizeof(nuint), &size, null), "clGetProgramInfo(BINARY_SIZES)");
        var bin = new byte[(int)size];
        fixed (byte* pb = bin)
        {
            byte* ptr = pb;
            Check(Api.GetProgramInfo(program, ProgramInfo.Binaries, (nuint)sizeof(nint), &ptr, null), "clGetProgramInfo(BINARIES)");
        }
        return bin;
    }

    /// <summary>Creates a program from a cached binary and builds it; 0 when the device rejects it.</summary>
    internal nint ProgramFromBinary(byte[] binary, string options)
    {
        int err, status = 0;
        nint dev = Info.DeviceId;
        nint program;
        fixed (byte* pb = binary)
        {
            nuint len = (nuint)binary.Length;
            byte* b = pb;
            program = Api.CreateProgramWithBinary(Context, 1, &dev, &len, &b, &status, &err);
        }
        if (err != 0 || status != 0 || program == 0)
        {
            if (program != 0) Api.ReleaseProgram(program);
            return 0;
        }
        if (Build(program, options) != 0)
        {
            Api.ReleaseProgram(program);
            return 0;
        }
        return program;
    }

    /// <summary>
    /// Waits until every enqueued command has completed. <paramref name="throttle"/>: clFlush, then poll the
    /// completion event of a marker with 1 ms sleeps, so the host thread sleeps instead of spinning in clFinish.
    /// </summary>
    internal void Wait(bool throttle)
    {
        if (!throttle)
        {
            Check(Api.Finish(Queue), "clFinish");
            return;
        }
        nint ev = 0;
        Check(Api.EnqueueMarkerWithWaitList(Queue, 0, null, &ev), "clEnqueueMarkerWithWaitList");
        try
        {
            Check(Api.Flush(Queue), "clFlush");
            int status = 1;
            while (true)
            {
                Check(Api.GetEventInfo(ev, EventInfo.CommandExecutionStatus, (nuint)sizeof(int), &status, null), "clGetEventInfo");
                if (status <= 0) break; // CL_COMPLETE (0) or an error
                Thread.Sleep(1);
            }
            if (status < 0) throw new OnnxRuntimeException(ErrorCode.Fail, $"OpenCL commands failed with status {status} on {Info.Name}");
        }
        finally
        {
            Api.ReleaseEvent(ev);
        }
    }

    /// <summary>A stable identity of this device + driver for cache keys.</summary>
    internal string Identity => $"{Info.PlatformName}|{Info.Vendor}|{Info.Name}|{Info.OpenClVersion}|{Info.DriverVersion}";

    internal static string Sha256(string s) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(s)));

    internal void Check(int err, string what)
    {
        if (err != 0) throw new OnnxRuntimeException(ErrorCode.Fail, $"OpenCL {what} failed with error {err} on {Info.Name}");
    }

    public void Dispose()
    {
        lock (_programs)
        {
            foreach (var p in _programs.Values) p.Dispose();
            _programs.Clear();
        }
        Api.ReleaseCommandQueue(Queue);
        if (_ownsContext) Api.ReleaseContext(Context);
    }
}

/// <summary>A built program and its kernel objects (created once per name).</summary>
internal sealed unsafe class GpuProgram : IDisposable
{
    private readonly OpenClDevice _device;
    private readonly nint _program;
    private readonly Dictionary<string, nint> _kernels = new(StringComparer.Ordinal);

    public GpuProgram(OpenClDevice device, nint program)
    {
        _device = device;
        _program = program;
    }

    public nint Kernel(string name)
    {
        lock (_kernels)
        {
            if (_kernels.TryGetValue(name, out var k)) return k;
            int err;
            var bytes = Encoding.ASCII.GetBytes(name + "\0");
            fixed (byte* pn = bytes) k = _device.Api.CreateKernel(_program, pn, &err);
            _device.Check(err, $"clCreateKernel({name})");
            _kernels[name] = k;
            return k;
        }
    }

    public void Dispose()
    {
        foreach (var k in _kernels.Values) _device.Api.ReleaseKernel(k);
        _kernels.Clear();
        _device.Api.ReleaseProgram(_program);
    }
}
