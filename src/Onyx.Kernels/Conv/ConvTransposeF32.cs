using Onyx.Kernels.Gemm;
using Onyx.Kernels.Threading;

namespace Onyx.Kernels.Conv;

/// <summary>
/// FP32 transposed convolution: per group, columns = W_g^T * x_g (one GEMM with the filter
/// prepacked), then the columns are scattered into the output (col2im), then bias.
/// Filter layout [C, M/group, kD, kH, kW]. Immutable after construction.
/// </summary>
public sealed unsafe partial class ConvTransposeF32 : IDisposable
{
    private readonly PackedMatrixA[] _packed;
    private readonly IsaPath _isa;

    /// <summary>Input channels (C).</summary>
    public int InChannels { get; }
    /// <summary>Output channels per group.</summary>
    public int OutPerGroup { get; }
    /// <summary>Groups.</summary>
    public int Group { get; }
    /// <summary>Filter taps (kD*kH*kW).</summary>
    public int KernelSize { get; }

    private const int MaxColumnFloats = 1 << 20;

    /// <summary>Prepares the filter (copied).</summary>
    public ConvTransposeF32(float* weight, int inChannels, int outPerGroup, int group, int kernelSize, IsaPath? isa = null)
    {
        if (group < 1 || inChannels % group != 0) throw new ArgumentException($"{inChannels} input channels do not split into {group} groups");
        InChannels = inChannels;
        OutPerGroup = outPerGroup;
        Group = group;
        KernelSize = kernelSize;
        _isa = isa ?? KernelIsa.Current;
        int inPerGroup = inChannels / group, rows = outPerGroup * kernelSize;
        _packed = new PackedMatrixA[group];
        for (int g = 0; g < group; g++)
            _packed[g] = new PackedMatrixA(weight + (nint)g * inPerGroup * rows, rows, true, rows, inPerGroup, isa);
    }

    /// <summary>
    /// y = convT(x) + bias. <paramref name="geo"/> is described from the output's side: In* = the
    /// output image (y), Out* = the input image (x), InChannels = total output channels,
    /// OutChannels = C, with the filter's kernel, strides, dilations and begin pads.
    /// </summary>
    public void Forward(in ConvGeometry geo, float* x, float* y, float* bias, IntraOpPool? pool)
    {
        ConvGeometry g = geo;
        if (Tiles(g))
        {
            ForwardTiled(g, x, y, bias, pool);
            return;
        }
        int inPerGroup = InChannels / Group, rows = OutPerGroup * KernelSize;
        int xSize = g.OutSize, ySize = g.InSize;
        int chunk = Math.Clamp(MaxColumnFloats / Math.Max(rows, 1), 1, Math.Max(xSize, 1));
        float* col = ConvF32.ColumnBuffer((nint)rows * chunk);
        new Span<float>(y, checked(g.Batch * OutPerGroup * Group * ySize)).Clear();
        for (int n = 0; n < g.Batch; n++)
            for (int grp = 0; grp < Group; grp++)
            {
                float* xg = x + ((nint)n * InChannels + grp * inPerGroup) * xSize;
                float* yg = y + ((nint)n * OutPerGroup * Group + grp * OutPerGroup) * ySize;
                for (int start = 0; start < xSize; start += chunk)
                {
                    int count = Math.Min(chunk, xSize - start);
                    SGemm.Multiply(_packed[grp], false, count, 1f, xg + start, xSize, 0f, col, count, default, pool);
                    Im2Col.ScatterAdd(g, col, OutPerGroup, start, count, yg);
                }
            }
        if (bias != null)
            for (int n = 0; n < g.Batch; n++)
                for (int c = 0; c < OutPerGroup * Group; c++)
                {
                    var plane = new Span<float>(y + ((nint)n * OutPerGroup * Group + c) * ySize, ySize);
                    System.Numerics.Tensors.TensorPrimitives.Add(plane, bias[c], plane);
                }
    }

    /// <summary>Frees the packed filters.</summary>
    public void Dispose()
    {
        foreach (var p in _packed) p.Dispose();
    }
}
