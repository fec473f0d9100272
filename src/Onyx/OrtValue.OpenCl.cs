using Onyx.OpenCl;
using Onyx.Tensors;

namespace Onyx;

/// <summary>OpenCL buffer values: the seed's IO buffer optimisation for the OpenVINO provider's GPU device.</summary>
public sealed partial class OrtValue
{
    /// <summary>
    /// Wraps an OpenCL buffer (<c>cl_mem</c>) holding a dense float32 tensor of <paramref name="shape"/>, without
    /// copying. The buffer must belong to the cl_context given to the provider as its <c>context</c> option.
    /// When the whole model is one GPU subgraph the kernels read it in place and the outputs come back as
    /// OpenCL buffers too (<see cref="IsOpenClBuffer"/>); otherwise it is copied to the host once per Run.
    /// The application keeps ownership: disposing this value does not release the buffer.
    /// </summary>
    public static OrtValue CreateTensorValueFromOpenClBuffer(IntPtr clMem, long[] shape) => new(new OpenClBuffer(clMem, ToIntShape(shape)));

    /// <summary>True when the value is a tensor in an OpenCL buffer.</summary>
    public bool IsOpenClBuffer => Value is OpenClBuffer;

    /// <summary>The cl_mem of an OpenCL buffer value. Outputs the runtime allocated are released when this value is disposed (retain it to keep it).</summary>
    public IntPtr GetOpenClBuffer() => Value is OpenClBuffer b ? b.Mem : throw new InvalidOperationException($"the value is not an OpenCL buffer ({Value.GetType().Name})");

    /// <summary>A host copy of an OpenCL buffer value (a host tensor value is returned as it is).</summary>
    public OrtValue ToHost() => Value is OpenClBuffer b ? new OrtValue(b.ToHost()) : this;
}
