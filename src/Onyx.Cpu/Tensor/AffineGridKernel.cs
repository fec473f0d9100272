using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>ONNX <c>AffineGrid</c> (20): grid[n, (d,) h, w] = theta[n] · (x_w, y_h, (z_d,) 1) over [-1, 1] base coordinates.</summary>
[OnnxKernel("AffineGrid", Since = 20)]
internal sealed class AffineGridKernel : IKernel
{
    private readonly bool _alignCorners;

    public AffineGridKernel(KernelInfo info) => _alignCorners = info.Attributes.GetInt("align_corners", 0) != 0;

    public void Execute(KernelContext context)
    {
        Tensor theta = context.Input(0), sizeT = context.Input(1);
        long[] size = sizeT.ToInt64Array();
        int nd = size.Length - 2;
        if (nd is not (2 or 3) || theta.Rank != 3 || theta.Shape[1] != nd || theta.Shape[2] != nd + 1 || theta.Shape[0] != size[0])
            throw context.Error($"theta {theta.ShapeString} and size {TensorOpHelpers.Str(size)} do not match (expected (N,2,3) with (N,C,H,W) or (N,3,4) with (N,C,D,H,W))");
        int n = (int)size[0];
        var spatial = new int[nd];
        for (int i = 0; i < nd; i++) spatial[i] = TensorOpHelpers.Dim(context, size[2 + i], "size entry");
        var outShape = new int[nd + 2];
        outShape[0] = n;
        for (int i = 0; i < nd; i++) outShape[1 + i] = spatial[i];
        outShape[^1] = nd;
        var y = context.Output(0, theta.DType, outShape);
        double[] th = theta.ToDoubleArray();
        // Base coordinate per spatial axis (axis order D,H,W); the grid's components are (x=W, y=H, z=D).
        var bases = new double[nd][];
        for (int i = 0; i < nd; i++)
        {
            int len = spatial[i];
            var b = new double[len];
            for (int k = 0; k < len; k++)
                b[k] = _alignCorners ? (len == 1 ? -1 : -1 + k * 2.0 / (len - 1)) : (2.0 * k + 1) / len - 1;
            bases[i] = b;
        }
        long points = TensorOpHelpers.Product(spatial, 0, nd);
        var result = new double[y.Length];
        var pos = new double[nd + 1];
        for (int b = 0; b < n; b++)
            for (long p = 0; p < points; p++)
            {
                long rem = p;
                for (int i = nd - 1; i >= 0; i--)
                {
                    int k = (int)(rem % spatial[i]);
                    rem /= spatial[i];
                    pos[nd - 1 - i] = bases[i][k];
                }
                pos[nd] = 1;
                long o = ((long)b * points + p) * nd;
                for (int r = 0; r < nd; r++)
                {
                    double s = 0;
                    for (int q = 0; q <= nd; q++) s += th[((long)b * nd + r) * (nd + 1) + q] * pos[q];
                    result[o + r] = s;
                }
            }
        TensorOpHelpers.WriteDoubles(y, result);
    }
}
