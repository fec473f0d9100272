namespace Onyx.Kernels.Conv;

/// <summary>
/// The shape of one convolution or pooling window sweep, with up to three spatial dims held as
/// (D, H, W); lower-rank ops put size-1 dims in front (1-D: D = H = 1). Pads are begin/end per axis.
/// </summary>
public struct ConvGeometry
{
    public int Batch, InChannels, OutChannels, Group;
    public int ID, IH, IW;
    public int OD, OH, OW;
    public int KD, KH, KW;
    public int SD, SH, SW;
    public int DD, DH, DW;
    public int PD, PH, PW;
    public int PDEnd, PHEnd, PWEnd;

    public readonly int InSize => ID * IH * IW;
    public readonly int OutSize => OD * OH * OW;
    public readonly int KernelSize => KD * KH * KW;
    public readonly int InPerGroup => InChannels / Group;
    public readonly int OutPerGroup => OutChannels / Group;

    /// <summary>
    /// Builds the geometry from ONNX-style per-axis arrays of length 1..3 (spatial dims only):
    /// <paramref name="pads"/> = [begins..., ends...].
    /// </summary>
    public static ConvGeometry Create(int batch, int inChannels, int outChannels, int group,
        ReadOnlySpan<int> input, ReadOnlySpan<int> output, ReadOnlySpan<int> kernel,
        ReadOnlySpan<int> strides, ReadOnlySpan<int> dilations, ReadOnlySpan<int> pads)
    {
        int r = input.Length;
        if (r is < 1 or > 3) throw new ArgumentException($"1 to 3 spatial dims supported, got {r}");
        int off = 3 - r;
        Span<int> i3 = [1, 1, 1], o3 = [1, 1, 1], k3 = [1, 1, 1], s3 = [1, 1, 1], d3 = [1, 1, 1], pb = [0, 0, 0], pe = [0, 0, 0];
        for (int a = 0; a < r; a++)
        {
            i3[off + a] = input[a];
            o3[off + a] = output[a];
            k3[off + a] = kernel[a];
            s3[off + a] = strides[a];
            d3[off + a] = dilations[a];
            pb[off + a] = pads[a];
            pe[off + a] = pads[r + a];
        }
        return new ConvGeometry
        {
            Batch = batch, InChannels = inChannels, OutChannels = outChannels, Group = group,
            ID = i3[0], IH = i3[1], IW = i3[2],
            OD = o3[0], OH = o3[1], OW = o3[2],
            KD = k3[0], KH = k3[1], KW = k3[2],
            SD = s3[0], SH = s3[1], SW = s3[2],
            DD = d3[0], DH = d3[1], DW = d3[2],
            PD = pb[0], PH = pb[1], PW = pb[2],
            PDEnd = pe[0], PHEnd = pe[1], PWEnd = pe[2],
        };
    }
}
