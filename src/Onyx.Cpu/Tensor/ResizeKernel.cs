using Onyx.Core.Execution;
using Onyx.Cpu.Common;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>
/// ONNX <c>Resize</c> (10-19) and <c>Upsample</c> (7-9): nearest (any type, a gather), linear and cubic
/// (float types, separable passes in double) with every coordinate_transformation_mode, nearest_mode,
/// cubic_coeff_a, exclude_outside, antialias, axes, keep_aspect_ratio_policy, roi and extrapolation_value,
/// following the ONNX reference implementation.
/// </summary>
[OnnxKernel("Resize", Since = 10)]
[OnnxKernel("Upsample", Since = 7, Until = 10)]
internal sealed class ResizeKernel : IKernel
{
    private enum Mode { Nearest, Linear, Cubic }
    private enum Coord { HalfPixel, HalfPixelSymmetric, PytorchHalfPixel, AlignCorners, Asymmetric, TfCropAndResize, TfHalfPixelForNn }
    private enum Nearest { RoundPreferFloor, RoundPreferCeil, Floor, Ceil, Simple }

    private readonly bool _upsample;
    private readonly int _opset;
    private readonly Mode _mode;
    private readonly Coord _coord;
    private readonly Nearest _nearest;
    private readonly double _cubicA;
    private readonly bool _excludeOutside, _antialias;
    private readonly double _extrapolation;
    private readonly long[]? _axes;
    private readonly int _keepAspect; // 0 stretch, 1 not_larger, 2 not_smaller
    private readonly float[]? _attrScales;

    public ResizeKernel(KernelInfo info)
    {
        var a = info.Attributes;
        _opset = info.OpsetVersion;
        _upsample = info.Node.OpType == "Upsample";
        string mode = a.GetString("mode", "nearest");
        _mode = mode switch
        {
            "nearest" => Mode.Nearest,
            "linear" or "bilinear" or "trilinear" => Mode.Linear,
            "cubic" or "bicubic" => Mode.Cubic,
            _ => throw info.Invalid($"unknown mode '{mode}' (expected nearest, linear or cubic)"),
        };
        if (_upsample || _opset < 11)
        {
            _coord = Coord.Asymmetric;
            _nearest = Nearest.Simple;
            if (_upsample && _opset < 9) _attrScales = a.GetFloats("scales") ?? throw info.Invalid("attribute scales is required");
        }
        else
        {
            string ct = a.GetString("coordinate_transformation_mode", "half_pixel");
            _coord = ct switch
            {
                "half_pixel" => Coord.HalfPixel,
                "half_pixel_symmetric" => Coord.HalfPixelSymmetric,
                "pytorch_half_pixel" => Coord.PytorchHalfPixel,
                "align_corners" => Coord.AlignCorners,
                "asymmetric" => Coord.Asymmetric,
                "tf_crop_and_resize" => Coord.TfCropAndResize,
                "tf_half_pixel_for_nn" => Coord.TfHalfPixelForNn,
                _ => throw info.Invalid($"unknown coordinate_transformation_mode '{ct}'"),
            };
            string nm = a.GetString("nearest_mode", "round_prefer_floor");
            _nearest = nm switch
            {
                "round_prefer_floor" => Nearest.RoundPreferFloor,
                "round_prefer_ceil" => Nearest.RoundPreferCeil,
                "floor" => Nearest.Floor,
                "ceil" => Nearest.Ceil,
                _ => throw info.Invalid($"unknown nearest_mode '{nm}'"),
            };
            _cubicA = a.GetFloat("cubic_coeff_a", -0.75f);
            _excludeOutside = a.GetInt("exclude_outside", 0) != 0;
            _extrapolation = a.GetFloat("extrapolation_value", 0f);
            _antialias = a.GetInt("antialias", 0) != 0;
            _axes = a.GetInts("axes");
            string keep = a.GetString("keep_aspect_ratio_policy", "stretch");
            _keepAspect = keep switch
            {
                "stretch" => 0,
                "not_larger" => 1,
                "not_smaller" => 2,
                _ => throw info.Invalid($"unknown keep_aspect_ratio_policy '{keep}'"),
            };
        }
        if (_mode == Mode.Cubic && _cubicA == 0) _cubicA = -0.75;
    }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        int rank = x.Rank;
        // Gather per-axis scale, output size and roi in full rank.
        var scale = new double[rank];
        var outSize = new int[rank];
        var roiStart = new double[rank];
        var roiEnd = new double[rank];
        for (int i = 0; i < rank; i++) { scale[i] = 1; outSize[i] = x.Shape[i]; roiEnd[i] = 1; }
        int[] axes;
        if (_axes is { Length: > 0 })
        {
            axes = new int[_axes.Length];
            for (int i = 0; i < axes.Length; i++) axes[i] = TensorOpHelpers.Axis(context, _axes[i], rank, "axes entry");
        }
        else { axes = new int[rank]; for (int i = 0; i < rank; i++) axes[i] = i; }

        float[]? scales = null;
        long[]? sizes = null;
        if (_attrScales is not null) scales = _attrScales;
        else if (_upsample || _opset < 11) scales = ReadScales(context, context.Input(1));
        else
        {
            if (context.OptionalInput(1) is { Length: > 0 } roi)
            {
                double[] r = roi.ToDoubleArray();
                if (r.Length != 2 * axes.Length) throw context.Error($"roi has {r.Length} entries, expected {2 * axes.Length}");
                for (int i = 0; i < axes.Length; i++) { roiStart[axes[i]] = r[i]; roiEnd[axes[i]] = r[axes.Length + i]; }
            }
            if (context.OptionalInput(2) is { Length: > 0 } st) scales = ReadScales(context, st);
            if (context.OptionalInput(3) is { Length: > 0 } sz) sizes = sz.ToInt64Array();
            if (scales is not null && sizes is not null) throw context.Error("only one of scales and sizes may be given");
            if (scales is null && sizes is null) throw context.Error("one of scales and sizes is required");
        }
        if (scales is not null)
        {
            if (scales.Length != axes.Length) throw context.Error($"scales has {scales.Length} entries, expected {axes.Length} for input {x.ShapeString}");
            for (int i = 0; i < axes.Length; i++)
            {
                int ax = axes[i];
                if (scales[i] <= 0) throw context.Error($"scale {scales[i]} must be positive");
                scale[ax] = scales[i];
                outSize[ax] = (int)(scales[i] * (double)x.Shape[ax]);
            }
        }
        else
        {
            if (sizes!.Length != axes.Length) throw context.Error($"sizes has {sizes.Length} entries, expected {axes.Length} for input {x.ShapeString}");
            for (int i = 0; i < axes.Length; i++)
            {
                int ax = axes[i];
                outSize[ax] = TensorOpHelpers.Dim(context, sizes[i], "sizes entry");
                scale[ax] = (double)sizes[i] / x.Shape[ax];
            }
            if (_keepAspect != 0)
            {
                double s = _keepAspect == 1 ? double.MaxValue : double.MinValue;
                foreach (int ax in axes) s = _keepAspect == 1 ? Math.Min(s, scale[ax]) : Math.Max(s, scale[ax]);
                foreach (int ax in axes)
                {
                    scale[ax] = s;
                    outSize[ax] = (int)(s * x.Shape[ax] + 0.5);
                }
            }
        }

        var y = context.Output(0, x.DType, outSize);
        if (y.Length == 0) return;
        if (_mode == Mode.Nearest) RunNearest(x, y, scale, roiStart, roiEnd);
        else
        {
            if (!TensorOpHelpers.IsFloatCompute(x.DType) && x.DType is not (DType.UInt8 or DType.Int8 or DType.Int32 or DType.Int64))
                throw context.Error($"{_mode} mode supports float, int8, uint8, int32 and int64 inputs, got {x.DType.OnnxName()}");
            RunInterpolate(x, y, scale, roiStart, roiEnd);
        }
    }

    private static float[] ReadScales(KernelContext context, Tensor t)
    {
        if (!TensorOpHelpers.IsFloatCompute(t.DType)) throw context.Error($"scales must be float, got {t.DType.OnnxName()}");
        double[] d = t.ToDoubleArray();
        var f = new float[d.Length];
        for (int i = 0; i < d.Length; i++) f[i] = (float)d[i];
        return f;
    }

    /// <summary>Input coordinate of output index <paramref name="o"/>, or NaN for tf_crop_and_resize extrapolation.</summary>
    private double Original(int o, double scale, int inDim, int outDim, double roiStart, double roiEnd)
    {
        double outW = scale * inDim;
        double x = o;
        switch (_coord)
        {
            case Coord.AlignCorners: return outW == 1 ? 0 : x * (inDim - 1) / (outW - 1);
            case Coord.Asymmetric: return x / scale;
            case Coord.TfCropAndResize:
            {
                double xo = outW == 1 ? (roiEnd - roiStart) * (inDim - 1) / 2 : x * (roiEnd - roiStart) * (inDim - 1) / (outW - 1);
                xo += roiStart * (inDim - 1);
                return xo < 0 || xo > inDim - 1 ? double.NaN : xo;
            }
            case Coord.PytorchHalfPixel: return outW == 1 ? -0.5 : (x + 0.5) / scale - 0.5;
            case Coord.HalfPixelSymmetric:
            {
                double adjustment = outDim / outW;
                double center = inDim / 2.0;
                double offset = center * (1 - adjustment);
                return offset + (x + 0.5) / scale - 0.5;
            }
            case Coord.TfHalfPixelForNn: return (x + 0.5) / scale;
            default: return (x + 0.5) / scale - 0.5;
        }
    }

    private void RunNearest(Tensor x, Tensor y, double[] scale, double[] roiStart, double[] roiEnd)
    {
        int rank = x.Rank;
        var maps = new int[rank][];
        bool extrapolates = false;
        for (int a = 0; a < rank; a++)
        {
            int inDim = x.Shape[a], outDim = y.Shape[a];
            var m = new int[outDim];
            for (int o = 0; o < outDim; o++)
            {
                double xo = Original(o, scale[a], inDim, outDim, roiStart[a], roiEnd[a]);
                if (double.IsNaN(xo)) { m[o] = -1; extrapolates = true; continue; }
                long idx;
                if (_nearest == Nearest.Simple)
                    idx = scale[a] < 1 ? (long)Math.Ceiling(xo) : (long)xo;
                else
                {
                    double fl = Math.Floor(xo);
                    if (xo == fl) idx = (long)xo;
                    else
                    {
                        double ratio = xo - fl;
                        bool up = _nearest switch
                        {
                            Nearest.RoundPreferFloor => ratio > 0.5,
                            Nearest.RoundPreferCeil => ratio >= 0.5,
                            Nearest.Floor => false,
                            _ => true,
                        };
                        idx = (long)fl + (up ? 1 : 0);
                    }
                }
                m[o] = (int)Math.Clamp(idx, 0, inDim - 1);
            }
            maps[a] = m;
        }
        Tensor? fill = null;
        if (extrapolates)
        {
            fill = Tensor.Allocate(x.DType, [1]);
            if (TensorOpHelpers.IsFloatCompute(x.DType) || x.DType is DType.UInt8 or DType.Int8 or DType.Int32 or DType.Int64) TensorOpHelpers.WriteDoubles(fill, [_extrapolation]);
        }
        var inStrides = StridedCopy.ContiguousStrides(x.Shape);
        int last = rank - 1;
        int rowLen = rank == 0 ? 1 : y.Shape[last];
        long rows = y.Length / rowLen;
        bool lastExtrapolates = false;
        if (rank > 0) foreach (int i in maps[last]) if (i < 0) lastExtrapolates = true;
        long prevBase = -1;
        for (long r = 0; r < rows; r++)
        {
            long baseIn = 0, rem = r;
            bool outside = false;
            for (int a = last - 1; a >= 0; a--)
            {
                int o = (int)(rem % y.Shape[a]);
                rem /= y.Shape[a];
                int i = maps[a][o];
                if (i < 0) outside = true;
                else baseIn += i * inStrides[a];
            }
            long outRow = r * rowLen;
            if (rank == 0) { StridedCopy.CopyElement(x, 0, y, 0); continue; }
            var lm = maps[last];
            if (!outside && !lastExtrapolates)
            {
                // Upsampling repeats input rows: copy the previous output row when it came from the same one.
                if (baseIn == prevBase) StridedCopy.CopyElements(y, outRow - rowLen, y, outRow, rowLen);
                else StridedCopy.Gather<int>(x, baseIn, lm, y, outRow);
                prevBase = baseIn;
                continue;
            }
            prevBase = -1;
            for (int o = 0; o < rowLen; o++)
            {
                if (outside || lm[o] < 0) StridedCopy.CopyElement(fill!, 0, y, outRow + o);
                else StridedCopy.CopyElement(x, baseIn + lm[o], y, outRow + o);
            }
        }
    }

    private void RunInterpolate(Tensor x, Tensor y, double[] scale, double[] roiStart, double[] roiEnd)
    {
        if (x.DType == DType.Float32) { RunInterpolateF32(x, y, scale, roiStart, roiEnd); return; }
        int rank = x.Rank;
        double[] cur = x.ToDoubleArray();
        var shape = (int[])x.Shape.Clone();
        for (int a = rank - 1; a >= 0; a--)
        {
            int inDim = shape[a], outDim = y.Shape[a];
            BuildTaps(a, inDim, outDim, scale[a], roiStart[a], roiEnd[a], out int taps, out int[] idx, out double[] w, out bool[] extrap, out bool identity);
            if (identity) continue;
            long outer = TensorOpHelpers.Product(shape, 0, a);
            long inner = TensorOpHelpers.Product(shape, a + 1, rank);
            var next = new double[outer * outDim * inner];
            for (long o = 0; o < outer; o++)
            {
                long inBase = o * inDim * inner, outBase = o * outDim * inner;
                for (int j = 0; j < outDim; j++)
                {
                    long dst = outBase + j * inner;
                    if (extrap[j])
                    {
                        next.AsSpan((int)dst, (int)inner).Fill(_extrapolation);
                        continue;
                    }
                    for (int t = 0; t < taps; t++)
                    {
                        double wt = w[j * taps + t];
                        if (wt == 0) continue;
                        long src = inBase + (long)idx[j * taps + t] * inner;
                        for (long i = 0; i < inner; i++) next[dst + i] += wt * cur[src + i];
                    }
                }
            }
            cur = next;
            shape[a] = outDim;
        }
        TensorOpHelpers.WriteDoubles(y, cur);
    }

    /// <summary>Float32 path: the same separable passes in float, reading x and writing y directly.</summary>
    private void RunInterpolateF32(Tensor x, Tensor y, double[] scale, double[] roiStart, double[] roiEnd)
    {
        int rank = x.Rank;
        var shape = (int[])x.Shape.Clone();
        float[]? cur = null; // null: still reading x
        int pending = 0;
        var plans = new (int Taps, int[] Idx, float[] W, bool[] Extrap)?[rank];
        for (int a = rank - 1; a >= 0; a--)
        {
            BuildTaps(a, x.Shape[a], y.Shape[a], scale[a], roiStart[a], roiEnd[a], out int taps, out int[] idx, out double[] w, out bool[] extrap, out bool identity);
            if (identity) continue;
            var wf = new float[w.Length];
            for (int i = 0; i < w.Length; i++) wf[i] = (float)w[i];
            plans[a] = (taps, idx, wf, extrap);
            pending++;
        }
        if (pending == 0) { x.Span<float>().CopyTo(y.Span<float>()); return; }
        float extrapolation = (float)_extrapolation;
        for (int a = rank - 1; a >= 0; a--)
        {
            if (plans[a] is not { } plan) continue;
            int inDim = shape[a], outDim = y.Shape[a];
            long outer = TensorOpHelpers.Product(shape, 0, a);
            long inner = TensorOpHelpers.Product(shape, a + 1, rank);
            bool lastPass = --pending == 0;
            ReadOnlySpan<float> src = cur is null ? x.Span<float>() : cur;
            float[]? nextArr = lastPass ? null : new float[outer * outDim * inner];
            Span<float> next = lastPass ? y.Span<float>() : nextArr;
            if (lastPass) next.Clear();
            int taps = plan.Taps;
            for (long o = 0; o < outer; o++)
            {
                long inBase = o * inDim * inner, outBase = o * outDim * inner;
                for (int j = 0; j < outDim; j++)
                {
                    int dst = (int)(outBase + j * inner);
                    if (plan.Extrap[j]) { next.Slice(dst, (int)inner).Fill(extrapolation); continue; }
                    if (inner == 1)
                    {
                        float sum = 0;
                        for (int t = 0; t < taps; t++) sum += plan.W[j * taps + t] * src[(int)(inBase + plan.Idx[j * taps + t])];
                        next[dst] = sum;
                        continue;
                    }
                    var d = next.Slice(dst, (int)inner);
                    for (int t = 0; t < taps; t++)
                    {
                        float wt = plan.W[j * taps + t];
                        if (wt == 0) continue;
                        var sv = src.Slice((int)(inBase + (long)plan.Idx[j * taps + t] * inner), (int)inner);
                        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(sv, wt, d, d);
                    }
                }
            }
            cur = nextArr;
            shape[a] = outDim;
        }
    }

    private void BuildTaps(int axis, int inDim, int outDim, double scale, double roiStart, double roiEnd,
                           out int taps, out int[] idx, out double[] w, out bool[] extrap, out bool identity)
    {
        double s = Math.Min(scale, 1.0);
        int start;
        if (_mode == Mode.Linear) start = _antialias ? (int)(Math.Floor(-1 / s) + 1) : 0;
        else start = _antialias ? (int)(Math.Floor(-2 / s) + 1) : -1;
        taps = 2 - 2 * start;
        idx = new int[outDim * taps];
        w = new double[outDim * taps];
        extrap = new bool[outDim];
        identity = inDim == outDim;
        var c = new double[taps];
        for (int j = 0; j < outDim; j++)
        {
            double xo = Original(j, scale, inDim, outDim, roiStart, roiEnd);
            if (double.IsNaN(xo)) { extrap[j] = true; identity = false; continue; }
            double fl = Math.Floor(xo);
            long baseI = xo == fl ? (long)fl - 1 : (long)fl;
            double ratio = xo == fl ? 1 : xo - fl;
            if (_mode == Mode.Linear)
            {
                if (_antialias)
                    for (int t = 0; t < taps; t++) c[t] = Math.Clamp(1 - Math.Abs((start + t - ratio) * s), 0, 1);
                else { c[0] = 1 - ratio; c[1] = ratio; }
            }
            else
            {
                double A = _cubicA;
                if (_antialias)
                    for (int t = 0; t < taps; t++) c[t] = CubicKernel(A, Math.Abs(s * (start + t - ratio)));
                else
                {
                    c[0] = ((A * (ratio + 1) - 5 * A) * (ratio + 1) + 8 * A) * (ratio + 1) - 4 * A;
                    c[1] = ((A + 2) * ratio - (A + 3)) * ratio * ratio + 1;
                    c[2] = ((A + 2) * (1 - ratio) - (A + 3)) * (1 - ratio) * (1 - ratio) + 1;
                    c[3] = ((A * ((1 - ratio) + 1) - 5 * A) * ((1 - ratio) + 1) + 8 * A) * ((1 - ratio) + 1) - 4 * A;
                }
            }
            if (_antialias) Normalize(c);
            if (_excludeOutside)
            {
                for (int t = 0; t < taps; t++)
                {
                    long i = baseI + start + t;
                    if (i < 0 || i >= inDim) c[t] = 0;
                }
                Normalize(c);
            }
            for (int t = 0; t < taps; t++)
            {
                long i = Math.Clamp(baseI + start + t, 0, inDim - 1);
                idx[j * taps + t] = (int)i;
                w[j * taps + t] = c[t];
                if (identity && c[t] != 0 && (i != j || c[t] != 1)) identity = false;
            }
        }
    }

    private static void Normalize(double[] c)
    {
        double sum = 0;
        foreach (double v in c) sum += v;
        if (sum != 0) for (int t = 0; t < c.Length; t++) c[t] /= sum;
    }

    private static double CubicKernel(double A, double x)
    {
        double x2 = x * x, x3 = x * x2;
        if (x <= 1) return (A + 2) * x3 - (A + 3) * x2 + 1;
        if (x < 2) return A * x3 - 5 * A * x2 + 8 * A * x - 4 * A;
        return 0;
    }
}
