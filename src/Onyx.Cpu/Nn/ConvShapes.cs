using Onyx.Core.Execution;
using Onyx.Core.Ir;
using Onyx.Kernels.Conv;
using Onyx.Kernels.Threading;

namespace Onyx.Cpu.Nn;

/// <summary>The window attributes shared by Conv, ConvTranspose and the pools, parsed once.</summary>
internal sealed class WindowAttributes
{
    public string AutoPad = "NOTSET";
    public int[]? KernelShape;
    public int[]? Strides;
    public int[]? Dilations;
    public int[]? Pads;
    public bool CeilMode;

    public static WindowAttributes Parse(NodeAttributes a, bool dilationsAllowed = true)
    {
        var w = new WindowAttributes
        {
            AutoPad = a.GetString("auto_pad", "NOTSET"),
            KernelShape = ToInts(a.GetInts("kernel_shape")),
            Strides = ToInts(a.GetInts("strides")),
            Dilations = dilationsAllowed ? ToInts(a.GetInts("dilations")) : null,
            Pads = ToInts(a.GetInts("pads")),
            CeilMode = a.GetInt("ceil_mode", 0) != 0,
        };
        if (w.AutoPad is not ("NOTSET" or "SAME_UPPER" or "SAME_LOWER" or "VALID"))
            throw new ArgumentException($"auto_pad must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, got '{w.AutoPad}'");
        return w;
    }

    public static int[]? ToInts(long[]? v)
    {
        if (v is null) return null;
        var r = new int[v.Length];
        for (int i = 0; i < v.Length; i++) r[i] = checked((int)v[i]);
        return r;
    }

    /// <summary>
    /// Output spatial dims and [begins..., ends...] pads for a forward window sweep (Conv, pools).
    /// Ceil mode drops a last window that would start inside the end padding.
    /// </summary>
    public (int[] Out, int[] Pads, int[] Strides, int[] Dilations) Forward(ReadOnlySpan<int> input, ReadOnlySpan<int> kernel, KernelContext ctx)
    {
        int r = input.Length;
        var strides = Strides ?? Enumerable.Repeat(1, r).ToArray();
        var dil = Dilations is { Length: > 0 } ? Dilations : Enumerable.Repeat(1, r).ToArray();
        if (strides.Length != r || dil.Length != r || kernel.Length != r)
            throw ctx.Error($"kernel_shape/strides/dilations must have {r} values (one per spatial dim), got {kernel.Length}/{strides.Length}/{dil.Length}");
        var pads = new int[2 * r];
        var output = new int[r];
        for (int i = 0; i < r; i++)
        {
            if (strides[i] < 1 || dil[i] < 1 || kernel[i] < 1) throw ctx.Error($"strides, dilations and kernel_shape must be positive (axis {i})");
            int ext = dil[i] * (kernel[i] - 1) + 1;
            switch (AutoPad)
            {
                case "SAME_UPPER":
                case "SAME_LOWER":
                {
                    int o = (input[i] + strides[i] - 1) / strides[i];
                    int total = Math.Max(0, (o - 1) * strides[i] + ext - input[i]);
                    pads[i] = AutoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
                    pads[r + i] = total - pads[i];
                    output[i] = o;
                    break;
                }
                case "VALID":
                    output[i] = CeilMode ? CeilDiv(input[i] - ext + 1, strides[i]) : (input[i] - ext) / strides[i] + 1;
                    break;
                default:
                {
                    if (Pads is not null)
                    {
                        if (Pads.Length != 2 * r) throw ctx.Error($"pads must have {2 * r} values, got {Pads.Length}");
                        pads[i] = Pads[i];
                        pads[r + i] = Pads[r + i];
                        if (pads[i] < 0 || pads[r + i] < 0) throw ctx.Error("pads must be non-negative");
                    }
                    int span = input[i] + pads[i] + pads[r + i] - ext;
                    if (span < 0) throw ctx.Error($"the window ({ext}) is larger than the padded input ({input[i] + pads[i] + pads[r + i]}) on spatial axis {i}");
                    int o = CeilMode ? CeilDiv(span, strides[i]) + 1 : span / strides[i] + 1;
                    if (CeilMode && (o - 1) * strides[i] >= input[i] + pads[i]) o--;
                    output[i] = o;
                    break;
                }
            }
            if (output[i] < 0) output[i] = 0;
        }
        return (output, pads, strides, dil);
    }

    private static int CeilDiv(int a, int b) => a >= 0 ? (a + b - 1) / b : -(-a / b);
}

internal static class ConvShapes
{
    /// <summary>The session's intra-op pool, if the session made one.</summary>
    public static IntraOpPool? Pool(KernelContext ctx) => ctx.Run.IntraOpPool as IntraOpPool;

    public static int Product(ReadOnlySpan<int> s)
    {
        int n = 1;
        foreach (int d in s) n *= d;
        return n;
    }

    /// <summary>Geometry of a plain window sweep over NC[spatial] input.</summary>
    public static ConvGeometry Geometry(int batch, int cin, int cout, int group, ReadOnlySpan<int> input, int[] output, ReadOnlySpan<int> kernel, int[] strides, int[] dil, int[] pads) =>
        ConvGeometry.Create(batch, cin, cout, group, input, output, kernel, strides, dil, pads);
}
