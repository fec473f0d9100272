using Onyx.Tensors;
using Silk.NET.OpenCL;

namespace Onyx.OpenCl;

/// <summary>
/// A float32 tensor that lives in an OpenCL buffer (<c>cl_mem</c>): the seed's IO buffer optimisation.
/// Fed to a session whose whole model is one GPU subgraph, it is read by the kernels in place (no host
/// copy); such a session then returns its outputs as <see cref="OpenClBuffer"/> values too. Anywhere else
/// the runtime copies it to the host once. The buffer must belong to the provider's OpenCL context (the
/// <c>context</c> option) and hold at least <c>4 × elements</c> bytes, densely in row-major order.
/// </summary>
public sealed unsafe class OpenClBuffer : OnnxValue, IDisposable
{
    private int _released;

    /// <summary>The cl_mem handle.</summary>
    public nint Mem { get; }

    /// <summary>The tensor's shape.</summary>
    public int[] Shape { get; }

    /// <summary>Element count.</summary>
    public int Length => Tensor.ElementCount(Shape);

    /// <summary>True when this value holds a reference it releases on <see cref="Dispose"/> (outputs the runtime allocated).</summary>
    public bool Owned { get; }

    /// <summary>Wraps an application's buffer; the application keeps ownership (nothing is retained or released).</summary>
    public OpenClBuffer(nint mem, ReadOnlySpan<int> shape) : this(mem, shape.ToArray(), owned: false) { }

    internal OpenClBuffer(nint mem, int[] shape, bool owned)
    {
        if (mem == 0) throw new ArgumentException("cl_mem handle is null", nameof(mem));
        foreach (int d in shape)
            if (d < 0) throw new ArgumentException($"negative dimension in shape [{string.Join(",", shape)}]", nameof(shape));
        Mem = mem;
        Shape = shape;
        Owned = owned;
        var api = OpenClPlatform.Api ?? throw new OnnxRuntimeException(ErrorCode.NotImplemented, "OpenCL runtime not present");
        nuint size = 0;
        int err = api.GetMemObjectInfo(mem, MemInfo.Size, (nuint)sizeof(nuint), &size, null);
        if (err != 0) throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"0x{mem:x} is not a valid cl_mem (clGetMemObjectInfo error {err})");
        if ((long)size < (long)Length * 4)
            throw new OnnxRuntimeException(ErrorCode.InvalidArgument,
                $"cl_mem 0x{mem:x} holds {size} bytes; a float32 tensor of shape [{string.Join(",", shape)}] needs {(long)Length * 4}");
    }

    /// <summary>The OpenCL context the buffer was created in.</summary>
    public nint Context
    {
        get
        {
            var api = OpenClPlatform.Api!;
            nint ctx = 0;
            api.GetMemObjectInfo(Mem, MemInfo.Context, (nuint)sizeof(nint), &ctx, null);
            return ctx;
        }
    }

    /// <inheritdoc/>
    public override TypeInfo Type => new TensorTypeInfo(DType.Float32, Shape.Select(d => Dim.Fixed(d)).ToArray());

    /// <summary>Copies the buffer to a new host tensor (a blocking read on a temporary queue in the buffer's context).</summary>
    public Tensor ToHost()
    {
        var api = OpenClPlatform.Api!;
        var host = Tensor.Allocate(DType.Float32, Shape, zero: false);
        if (Length == 0) return host;
        nint ctx = Context;
        nint device = 0;
        int err = api.GetContextInfo(ctx, ContextInfo.Devices, (nuint)sizeof(nint), &device, null);
        if (err != 0) throw new OnnxRuntimeException(ErrorCode.Fail, $"clGetContextInfo(CL_CONTEXT_DEVICES) failed with error {err}");
        nint queue = api.CreateCommandQueue(ctx, device, (CommandQueueProperties)0, &err);
        if (err != 0) throw new OnnxRuntimeException(ErrorCode.Fail, $"clCreateCommandQueue failed with error {err}");
        try
        {
            err = api.EnqueueReadBuffer(queue, Mem, true, 0, (nuint)(Length * 4), host.Pointer, 0, null, null);
            if (err != 0) throw new OnnxRuntimeException(ErrorCode.Fail, $"clEnqueueReadBuffer failed with error {err}");
        }
        finally
        {
            api.ReleaseCommandQueue(queue);
        }
        return host;
    }

    /// <summary>Releases the runtime's reference when <see cref="Owned"/>; an application's buffer is left alone.</summary>
    public void Dispose()
    {
        if (Owned && Interlocked.Exchange(ref _released, 1) == 0) OpenClPlatform.Api?.ReleaseMemObject(Mem);
    }
}
