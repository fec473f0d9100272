using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>
/// ONNX <c>GridSample</c> (16: 2-D, 20+: N-D): samples X at the normalised grid locations with
/// nearest / (bi)linear / (bi)cubic interpolation and zeros / border / reflection padding, following
/// PyTorch's grid_sample (and the ONNX reference).
/// </summary>
[OnnxKernel("GridSample", Since = 16)]
internal sealed class GridSampleKernel : IKernel
{
    private enum Mode { Nearest, Linear, Cubic }
    private enum Padding { Zeros, Border, Reflection }

    private readonly Mode _mode;
    private readonly Padding _padding;
    private readonly bool _alignCorners;

    public GridSampleKernel(KernelInfo info)
    {
        string mode = info.Attributes.GetString("mode", info.OpsetVersion >= 20 ? "linear" : "bilinear");
        _mode = mode switch
        {
            "nearest" => Mode.Nearest,
            "linear" or "bilinear" => Mode.Linear,
            "cubic" or "bicubic" => Mode.Cubic,
            _ => throw info.Invalid($"unknown mode '{mode}'"),
        };
        string pad = info.Attributes.GetString("padding_mode", "zeros");
        _padding = pad switch
        {
            "zeros" => Padding.Zeros,
            "border" => Padding.Border,
            "reflection" => Padding.Reflection,
            _ => throw info.Invalid($"unknown padding_mode '{pad}'"),
        };
        _alignCorners = info.Attributes.GetInt("align_corners", 0) != 0;
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0), grid = context.Input(1);
        int nd = x.Rank - 2;
        if (nd < 1 || grid.Rank != x.Rank || grid.Shape[^1] != nd || grid.Shape[0] != x.Shape[0])
            throw context.Error($"X {x.ShapeString} and grid {grid.ShapeString} do not match (expected grid [N, D1..Dr, {nd}])");
        if (!TensorOpHelpers.IsFloatCompute(x.DType)) throw context.Error($"unsupported type {x.DType.OnnxName()}");
        int n = x.Shape[0], c = x.Shape[1];
        var outShape = new int[x.Rank];
        outShape[0] = n; outShape[1] = c;
        for (int i = 0; i < nd; i++) outShape[2 + i] = grid.Shape[1 + i];
        var y = context.Output(0, x.DType, outShape);
        if (y.Length == 0) return;
        double[] xd = x.ToDoubleArray();
        double[] gd = grid.ToDoubleArray();
        var dims = new int[nd];
        for (int i = 0; i < nd; i++) dims[i] = x.Shape[2 + i];
        long spatialIn = TensorOpHelpers.Product(x.Shape, 2, x.Rank);
        long spatialOut = TensorOpHelpers.Product(outShape, 2, outShape.Length);
        var result = new double[y.Length];
        var borderMin = new double[nd];
        var borderMax = new double[nd];
        for (int i = 0; i < nd; i++)
        {
            borderMin[i] = _alignCorners ? 0 : -0.5;
            borderMax[i] = _alignCorners ? dims[i] - 1 : dims[i] - 0.5;
        }
        var coord = new double[nd];
        var inStrides = Common.StridedCopy.ContiguousStrides(dims);
        int taps = _mode == Mode.Cubic ? 4 : _mode == Mode.Linear ? 2 : 1;
        var tapIdx = new long[nd * taps];
        var tapW = new double[nd * taps];
        var tapValid = new bool[nd * taps];
        for (int b = 0; b < n; b++)
        {
            for (long p = 0; p < spatialOut; p++)
            {
                long g = ((long)b * spatialOut + p) * nd;
                // grid's last axis is (x, y, z...) = innermost axis first.
                for (int i = 0; i < nd; i++)
                {
                    float v = (float)gd[g + nd - 1 - i];
                    int len = dims[i];
                    float xo = _alignCorners ? (float)((v + 1) / 2.0 * (len - 1)) : (float)(((v + 1) * (double)len - 1) / 2.0);
                    double xv = xo;
                    if (_mode == Mode.Nearest)
                        xv = Math.Round(xv, MidpointRounding.ToEven); // nearbyint, as the ONNX test data expects in 2-D and 3-D
                    if (xv < borderMin[i] || xv > borderMax[i])
                    {
                        if (_padding == Padding.Border) xv = Math.Clamp(xv, 0, len - 1);
                        else if (_padding == Padding.Reflection) xv = Reflect(xv, borderMin[i], borderMax[i]);
                    }
                    coord[i] = (float)xv;
                }
                for (int i = 0; i < nd; i++)
                {
                    double xv = coord[i];
                    if (_mode == Mode.Nearest) Tap(i, 0, (long)xv, 1);
                    else if (_mode == Mode.Linear)
                    {
                        long x0 = (long)Math.Floor(xv);
                        double f = xv - x0;
                        Tap(i, 0, x0, 1 - f);
                        Tap(i, 1, x0 + 1, f);
                    }
                    else
                    {
                        long x0 = (long)Math.Floor(xv);
                        double f = Math.Abs(xv - x0);
                        const double A = -0.75;
                        Tap(i, 0, x0 - 1, ((A * (f + 1) - 5 * A) * (f + 1) + 8 * A) * (f + 1) - 4 * A);
                        Tap(i, 1, x0, ((A + 2) * f - (A + 3)) * f * f + 1);
                        Tap(i, 2, x0 + 1, ((A + 2) * (1 - f) - (A + 3)) * (1 - f) * (1 - f) + 1);
                        Tap(i, 3, x0 + 2, ((A * (2 - f) - 5 * A) * (2 - f) + 8 * A) * (2 - f) - 4 * A);
                    }
                }
                int combos = 1;
                for (int i = 0; i < nd; i++) combos *= taps;
                for (int ch = 0; ch < c; ch++)
                {
                    long inBase = ((long)b * c + ch) * spatialIn;
                    double sum = 0;
                    for (int k = 0; k < combos; k++)
                    {
                        int rem = k;
                        double w = 1;
                        long off = 0;
                        bool valid = true;
                        for (int i = nd - 1; i >= 0; i--)
                        {
                            int t = rem % taps;
                            rem /= taps;
                            w *= tapW[i * taps + t];
                            if (!tapValid[i * taps + t]) valid = false;
                            off += tapIdx[i * taps + t] * inStrides[i];
                        }
                        if (valid && w != 0) sum += w * xd[inBase + off];
                    }
                    result[((long)b * c + ch) * spatialOut + p] = sum;
                }
            }
        }
        TensorOpHelpers.WriteDoubles(y, result);

        void Tap(int axis, int t, long i, double w)
        {
            int len = dims[axis];
            bool valid = true;
            if (_padding == Padding.Zeros) { if (i < 0 || i >= len) valid = false; }
            else if (_padding == Padding.Border) i = Math.Clamp(i, 0, len - 1);
            else i = (long)Reflect(i, borderMin[axis], borderMax[axis]);
            tapIdx[axis * taps + t] = valid ? i : 0;
            tapW[axis * taps + t] = w;
            tapValid[axis * taps + t] = valid;
        }
    }

    private static double Reflect(double x, double min, double max)
    {
        double range = max - min;
        if (x < min)
        {
            double dx = min - x;
            long k = (long)(dx / range);
            double r = dx - k * range;
            return k % 2 == 0 ? min + r : max - r;
        }
        if (x > max)
        {
            double dx = x - max;
            long k = (long)(dx / range);
            double r = dx - k * range;
            return k % 2 == 0 ? max - r : min + r;
        }
        return x;
    }
}
