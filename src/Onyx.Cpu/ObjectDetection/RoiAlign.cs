using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.ObjectDetection;

/// <summary>
/// ONNX <c>RoiAlign</c> (10, 16, 22): bilinear sampling of each ROI bin with an adaptive or fixed
/// grid, averaged or maxed. Opset 10 behaves as output_half_pixel; 16+ defaults to half_pixel.
/// </summary>
[OnnxKernel("RoiAlign", Since = 10)]
public sealed class RoiAlignKernel : IKernel
{
    private readonly bool _max, _halfPixel;
    private readonly int _oh, _ow, _ratio;
    private readonly float _scale;

    public RoiAlignKernel(KernelInfo info)
    {
        var a = info.Attributes;
        string mode = a.GetString("mode", "avg");
        if (mode is not ("avg" or "max")) throw info.Invalid($"mode must be avg or max, got '{mode}'");
        _max = mode == "max";
        string ctm = a.GetString("coordinate_transformation_mode", info.OpsetVersion >= 16 ? "half_pixel" : "output_half_pixel");
        if (ctm is not ("half_pixel" or "output_half_pixel")) throw info.Invalid($"unknown coordinate_transformation_mode '{ctm}'");
        _halfPixel = ctm == "half_pixel";
        _oh = (int)a.GetInt("output_height", 1);
        _ow = (int)a.GetInt("output_width", 1);
        _ratio = (int)a.GetInt("sampling_ratio", 0);
        _scale = a.GetFloat("spatial_scale", 1f);
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0), roisT = context.Input(1), idxT = context.Input(2);
        Nn.NnFloat.Require(context, x, "X");
        if (x.Rank != 4) throw context.Error($"X must be [N, C, H, W], got {x.ShapeString}");
        int n = x.Shape[0], ch = x.Shape[1], H = x.Shape[2], W = x.Shape[3];
        if (roisT.Rank != 2 || roisT.Shape[1] != 4) throw context.Error($"rois must be [num_rois, 4], got {roisT.ShapeString}");
        int numRois = roisT.Shape[0];
        long[] bidx = idxT.ToInt64Array();
        if (bidx.Length != numRois) throw context.Error($"batch_indices has {bidx.Length} elements for {numRois} rois");
        ReadOnlySpan<float> xs = Nn.NnFloat.Read(x), rois = Nn.NnFloat.Read(roisT);
        Tensor y = context.Output(0, x.DType, [numRois, ch, _oh, _ow]);
        Span<float> ys = Nn.NnFloat.Dest(y, out var scratch);
        float off = _halfPixel ? 0.5f : 0f;
        for (int r = 0; r < numRois; r++)
        {
            long b = bidx[r];
            if (b < 0 || b >= n) throw context.Error($"batch index {b} is outside [0, {n})");
            float x1 = rois[r * 4] * _scale - off, y1 = rois[r * 4 + 1] * _scale - off;
            float x2 = rois[r * 4 + 2] * _scale - off, y2 = rois[r * 4 + 3] * _scale - off;
            float rw = x2 - x1, rh = y2 - y1;
            if (!_halfPixel) { rw = MathF.Max(rw, 1f); rh = MathF.Max(rh, 1f); }
            float binH = rh / _oh, binW = rw / _ow;
            int gh = _ratio > 0 ? _ratio : (int)MathF.Ceiling(rh / _oh);
            int gw = _ratio > 0 ? _ratio : (int)MathF.Ceiling(rw / _ow);
            float count = Math.Max(gh * gw, 1);
            for (int c = 0; c < ch; c++)
            {
                ReadOnlySpan<float> plane = xs.Slice((int)((b * ch + c) * H * W), H * W);
                for (int ph = 0; ph < _oh; ph++)
                    for (int pw = 0; pw < _ow; pw++)
                    {
                        float acc = 0; bool first = true;
                        for (int iy = 0; iy < gh; iy++)
                        {
                            float yy = y1 + ph * binH + (iy + 0.5f) * binH / gh;
                            for (int ix = 0; ix < gw; ix++)
                            {
                                float xx = x1 + pw * binW + (ix + 0.5f) * binW / gw;
                                float v = Sample(plane, H, W, yy, xx, _max);
                                if (_max) { acc = first ? v : MathF.Max(acc, v); first = false; }
                                else acc += v;
                            }
                        }
                        ys[((r * ch + c) * _oh + ph) * _ow + pw] = _max ? acc : acc / count;
                    }
            }
        }
        Nn.NnFloat.Commit(y, scratch);
    }

    /// <summary>Bilinear value at (y, x); in max mode the largest weighted corner (as ONNX Runtime).</summary>
    private static float Sample(ReadOnlySpan<float> p, int H, int W, float y, float x, bool max)
    {
        if (y < -1f || y > H || x < -1f || x > W) return 0;
        if (y <= 0) y = 0;
        if (x <= 0) x = 0;
        int yl = (int)y, xl = (int)x, yh, xh;
        if (yl >= H - 1) { yh = yl = H - 1; y = yl; } else yh = yl + 1;
        if (xl >= W - 1) { xh = xl = W - 1; x = xl; } else xh = xl + 1;
        float ly = y - yl, lx = x - xl, hy = 1 - ly, hx = 1 - lx;
        float v1 = hy * hx * p[yl * W + xl], v2 = hy * lx * p[yl * W + xh];
        float v3 = ly * hx * p[yh * W + xl], v4 = ly * lx * p[yh * W + xh];
        return max ? MathF.Max(MathF.Max(v1, v2), MathF.Max(v3, v4)) : v1 + v2 + v3 + v4;
    }
}

/// <summary>ONNX <c>MaxRoiPool</c> (1, 22): Caffe-style max pooling of each ROI (batch, x1, y1, x2, y2) into pooled_shape bins.</summary>
[OnnxKernel("MaxRoiPool", Since = 1)]
public sealed class MaxRoiPoolKernel : IKernel
{
    private readonly int _ph, _pw;
    private readonly float _scale;

    public MaxRoiPoolKernel(KernelInfo info)
    {
        long[] ps = info.Attributes.GetInts("pooled_shape") ?? throw info.Invalid("attribute 'pooled_shape' is required");
        if (ps.Length != 2) throw info.Invalid($"pooled_shape must have 2 values, got {ps.Length}");
        _ph = (int)ps[0]; _pw = (int)ps[1];
        _scale = info.Attributes.GetFloat("spatial_scale", 1f);
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0), roisT = context.Input(1);
        Nn.NnFloat.Require(context, x, "X");
        if (x.Rank != 4) throw context.Error($"X must be [N, C, H, W], got {x.ShapeString}");
        int n = x.Shape[0], ch = x.Shape[1], H = x.Shape[2], W = x.Shape[3];
        if (roisT.Rank != 2 || roisT.Shape[1] != 5) throw context.Error($"rois must be [num_rois, 5], got {roisT.ShapeString}");
        int numRois = roisT.Shape[0];
        ReadOnlySpan<float> xs = Nn.NnFloat.Read(x), rois = Nn.NnFloat.Read(roisT);
        Tensor y = context.Output(0, x.DType, [numRois, ch, _ph, _pw]);
        Span<float> ys = Nn.NnFloat.Dest(y, out var scratch);
        for (int r = 0; r < numRois; r++)
        {
            int b = (int)rois[r * 5];
            if (b < 0 || b >= n) throw context.Error($"roi {r} has batch index {b} outside [0, {n})");
            int sw = (int)MathF.Round(rois[r * 5 + 1] * _scale), sh = (int)MathF.Round(rois[r * 5 + 2] * _scale);
            int ew = (int)MathF.Round(rois[r * 5 + 3] * _scale), eh = (int)MathF.Round(rois[r * 5 + 4] * _scale);
            int rh = Math.Max(eh - sh + 1, 1), rw = Math.Max(ew - sw + 1, 1);
            float bh = (float)rh / _ph, bw = (float)rw / _pw;
            for (int c = 0; c < ch; c++)
            {
                ReadOnlySpan<float> plane = xs.Slice((b * ch + c) * H * W, H * W);
                for (int ph = 0; ph < _ph; ph++)
                    for (int pw = 0; pw < _pw; pw++)
                    {
                        int hs = Math.Clamp((int)MathF.Floor(ph * bh) + sh, 0, H), he = Math.Clamp((int)MathF.Ceiling((ph + 1) * bh) + sh, 0, H);
                        int ws = Math.Clamp((int)MathF.Floor(pw * bw) + sw, 0, W), we = Math.Clamp((int)MathF.Ceiling((pw + 1) * bw) + sw, 0, W);
                        float m = 0;
                        if (he > hs && we > ws)
                        {
                            m = float.NegativeInfinity;
                            for (int yy = hs; yy < he; yy++)
                                for (int xx = ws; xx < we; xx++) m = MathF.Max(m, plane[yy * W + xx]);
                        }
                        ys[((r * ch + c) * _ph + ph) * _pw + pw] = m;
                    }
            }
        }
        Nn.NnFloat.Commit(y, scratch);
    }
}
