using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>ONNX <c>Col2Im</c> (18): sums column blocks [N, C·Πblock, L] back into an image [N, C, image...] (N-D, strides, pads, dilations).</summary>
[OnnxKernel("Col2Im", Since = 18)]
internal sealed class Col2ImKernel : IKernel
{
    private readonly long[]? _dilations, _pads, _strides;

    public Col2ImKernel(KernelInfo info)
    {
        _dilations = info.Attributes.GetInts("dilations");
        _pads = info.Attributes.GetInts("pads");
        _strides = info.Attributes.GetInts("strides");
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        long[] image = context.Input(1).ToInt64Array();
        long[] block = context.Input(2).ToInt64Array();
        int nd = image.Length;
        if (x.Rank != 3 || block.Length != nd) throw context.Error($"input {x.ShapeString}, image_shape and block_shape do not match");
        if (!TensorOpHelpers.IsFloatCompute(x.DType)) throw context.Error($"unsupported type {x.DType.OnnxName()}");
        long kernel = 1;
        foreach (long b in block) kernel *= b;
        int n = x.Shape[0];
        if (x.Shape[1] % kernel != 0) throw context.Error($"input channels {x.Shape[1]} are not a multiple of the block size {kernel}");
        int c = (int)(x.Shape[1] / kernel);
        var blocksPerDim = new long[nd];
        long l = 1;
        for (int i = 0; i < nd; i++)
        {
            long d = _dilations is { Length: > 0 } ? _dilations[i] : 1;
            long s = _strides is { Length: > 0 } ? _strides[i] : 1;
            long pb = _pads is { Length: > 0 } ? _pads[i] : 0, pe = _pads is { Length: > 0 } ? _pads[i + nd] : 0;
            blocksPerDim[i] = (image[i] + pb + pe - (d * (block[i] - 1) + 1)) / s + 1;
            l *= blocksPerDim[i];
        }
        if (l != x.Shape[2]) throw context.Error($"input has {x.Shape[2]} blocks, the shapes give {l}");
        var outShape = new int[2 + nd];
        outShape[0] = n; outShape[1] = c;
        long imgSize = 1;
        for (int i = 0; i < nd; i++) { outShape[2 + i] = (int)image[i]; imgSize *= image[i]; }
        var y = context.Output(0, x.DType, outShape);
        double[] xd = x.ToDoubleArray();
        var result = new double[y.Length];
        var kIdx = new long[nd];
        var bIdx = new long[nd];
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (long k = 0; k < kernel; k++)
                {
                    long rem = k;
                    for (int i = nd - 1; i >= 0; i--) { kIdx[i] = rem % block[i]; rem /= block[i]; }
                    long row = ((long)b * c * kernel + ch * kernel + k) * l;
                    for (long p = 0; p < l; p++)
                    {
                        rem = p;
                        for (int i = nd - 1; i >= 0; i--) { bIdx[i] = rem % blocksPerDim[i]; rem /= blocksPerDim[i]; }
                        long off = 0;
                        bool inside = true;
                        for (int i = 0; i < nd; i++)
                        {
                            long d = _dilations is { Length: > 0 } ? _dilations[i] : 1;
                            long s = _strides is { Length: > 0 } ? _strides[i] : 1;
                            long pb = _pads is { Length: > 0 } ? _pads[i] : 0;
                            long pos = bIdx[i] * s - pb + kIdx[i] * d;
                            if (pos < 0 || pos >= image[i]) { inside = false; break; }
                            off = off * image[i] + pos;
                        }
                        if (inside) result[((long)b * c + ch) * imgSize + off] += xd[row + p];
                    }
                }
        TensorOpHelpers.WriteDoubles(y, result);
    }
}
