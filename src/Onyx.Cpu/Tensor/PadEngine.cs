using Onyx.Cpu.Common;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>Padding modes shared by Pad and CenterCropPad.</summary>
internal enum PadMode { Constant, Reflect, Edge, Wrap }

/// <summary>
/// Pads (or, with negative pads, crops) along every axis. Each axis gets an index map from output to
/// input position (-1: constant); rows whose inner map is the identity over the interior copy as one block.
/// </summary>
internal static class PadEngine
{
    /// <summary>Fills <paramref name="y"/> from <paramref name="x"/> with <paramref name="begin"/> elements added before each axis.</summary>
    public static void Run(Tensor x, Tensor y, ReadOnlySpan<long> begin, PadMode mode, Tensor? constant)
    {
        int rank = x.Rank;
        if (y.Length == 0) return;
        if (rank == 0) { StridedCopy.CopyElement(x, 0, y, 0); return; }
        var maps = new int[rank][];
        for (int a = 0; a < rank; a++)
        {
            int outDim = y.Shape[a], inDim = x.Shape[a];
            var m = new int[outDim];
            for (int o = 0; o < outDim; o++)
            {
                long i = o - begin[a];
                if (i < 0 || i >= inDim)
                {
                    if (mode == PadMode.Constant || inDim == 0) i = -1;
                    else if (mode == PadMode.Edge) i = Math.Clamp(i, 0, inDim - 1);
                    else if (mode == PadMode.Wrap) { i %= inDim; if (i < 0) i += inDim; }
                    else
                    {
                        if (inDim == 1) i = 0;
                        else
                        {
                            long period = 2L * (inDim - 1);
                            i %= period;
                            if (i < 0) i += period;
                            if (i >= inDim) i = period - i;
                        }
                    }
                }
                m[o] = (int)i;
            }
            maps[a] = m;
        }
        if (mode == PadMode.Constant && constant is not null) StridedCopy.FillElement(constant, 0, y, 0, y.Length);

        var inStrides = StridedCopy.ContiguousStrides(x.Shape);
        int last = rank - 1;
        int rowLen = y.Shape[last];
        var lastMap = maps[last];
        // Longest identity run in the last map: a block copy.
        int runStart = -1, runLen = 0;
        for (int o = 0; o < rowLen;)
        {
            if (lastMap[o] < 0) { o++; continue; }
            int s = o;
            while (o + 1 < rowLen && lastMap[o + 1] == lastMap[o] + 1) o++;
            o++;
            if (o - s > runLen) { runLen = o - s; runStart = s; }
        }
        long rows = y.Length / rowLen;
        var idx = new int[rank];
        for (long r = 0; r < rows; r++)
        {
            long baseIn = 0;
            bool constRow = false;
            long rem = r;
            for (int a = last - 1; a >= 0; a--)
            {
                int o = (int)(rem % y.Shape[a]);
                rem /= y.Shape[a];
                int i = maps[a][o];
                if (i < 0) { constRow = true; break; }
                baseIn += i * inStrides[a];
            }
            if (constRow) continue;
            long outRow = r * rowLen;
            for (int o = 0; o < rowLen; o++)
            {
                if (o == runStart)
                {
                    StridedCopy.CopyElements(x, baseIn + lastMap[o], y, outRow + o, runLen);
                    o += runLen - 1;
                    continue;
                }
                int i = lastMap[o];
                if (i >= 0) StridedCopy.CopyElement(x, baseIn + i, y, outRow + o);
            }
        }
    }
}
