using Onyx.Core.Execution;
using Onyx.Cpu.Common;
using Onyx.Cpu.Nn;
using Onyx.Kernels.Gemm;
using Onyx.Tensors;
using Tensor = Onyx.Tensors.Tensor;

namespace Onyx.Cpu.Quantization;

/// <summary>
/// The int32 product shared by MatMulInteger and QLinearMatMul: (A - a_zp)·(B - b_zp) with numpy
/// batch broadcasting, on the int8 GEMM. A constant 2-D B (with a constant zero point) is packed
/// once at session load; a 2-D B folds A's batch into M.
/// </summary>
internal sealed unsafe class IntMatMul : IDisposable
{
    private readonly Int8PackedMatrix? _packedB;
    private readonly Tensor? _constB;
    private readonly QuantParamCache _za = new(), _zb = new();

    public IntMatMul(KernelInfo info, int bIndex, int bZpIndex)
    {
        Tensor? b = info.ConstantInput(bIndex);
        Tensor? zp = info.ConstantInput(bZpIndex);
        bool zpKnown = zp is not null || !info.Node.HasInput(bZpIndex);
        if (b is { Rank: 2 } && QuantScratch.IsByte(b.DType) && b.Length > 0 && zpKnown)
        {
            int[] z = QuantScratch.ZeroPoints(zp);
            if (z.Length == 1 || z.Length == b.Shape[1])
            {
                _constB = b;
                _packedB = Int8PackedMatrix.PackB((byte*)b.Pointer, b.DType == DType.Int8, b.Shape[0], b.Shape[1], b.Shape[1], false, z);
            }
        }
    }

    public void Dispose() => _packedB?.Dispose();

    /// <summary>Output shape and GEMM sizes; false when the zero points need the reference path.</summary>
    public static int[] Shape(KernelContext context, Tensor a, Tensor b, out int m, out int n, out int k, out int batches)
    {
        if (a.Rank == 0 || b.Rank == 0) throw context.Error("MatMul inputs must have rank >= 1");
        if (!QuantScratch.IsByte(a.DType) || !QuantScratch.IsByte(b.DType)) throw context.Error($"A and B must be uint8 or int8, got {a.DType.OnnxName()} and {b.DType.OnnxName()}");
        int[] aShape = a.Rank == 1 ? [1, a.Shape[0]] : a.Shape;
        int[] bShape = b.Rank == 1 ? [b.Shape[0], 1] : b.Shape;
        m = aShape[^2]; k = aShape[^1]; n = bShape[^1];
        if (k != bShape[^2]) throw context.Error($"inner dimensions differ: A {a.ShapeString}, B {b.ShapeString}");
        int[] batch;
        try { batch = Broadcast.Shape(aShape[..^2], bShape[..^2]); }
        catch (ArgumentException e) { throw context.Error(e.Message); }
        batches = ConvShapes.Product(batch);
        var shape = new List<int>(batch);
        if (a.Rank > 1) shape.Add(m);
        if (b.Rank > 1) shape.Add(n);
        return shape.ToArray();
    }

    /// <summary>True when the GEMM path takes these zero points (per tensor, per row of A, per column of B).</summary>
    public static bool Supported(Tensor? azp, Tensor? bzp, int m, int n) =>
        (azp is null || azp.Length <= 1 || (azp.Rank == 1 && azp.Length == m)) &&
        (bzp is null || bzp.Length <= 1 || (bzp.Rank == 1 && bzp.Length == n));

    /// <summary>acc[batches x m x n] = (A - a_zp)·(B - b_zp).</summary>
    public void Run(KernelContext context, Tensor a, Tensor b, Tensor? azp, Tensor? bzp, int m, int n, int k, int batches, int* acc)
    {
        int[] za = _za.ZeroPoints(azp), zb = _zb.ZeroPoints(bzp);
        var pool = ConvShapes.Pool(context);
        bool sa = a.DType == DType.Int8, sb = b.DType == DType.Int8;
        byte* pa = (byte*)a.Pointer, pb = (byte*)b.Pointer;
        int[] aShape = a.Rank == 1 ? [1, a.Shape[0]] : a.Shape;
        int[] bShape = b.Rank == 1 ? [b.Shape[0], 1] : b.Shape;
        int[] batchA = aShape[..^2], batchB = bShape[..^2];
        if (batchB.Length == 0 || ConvShapes.Product(batchB) == 1)
        {
            // One B: every batch of A stacks into one tall GEMM (per-row zero points repeat per batch).
            if (za.Length > 1 && batches > 1)
            {
                for (int i = 0; i < batches; i++)
                    Product(pa + (nint)i * m * k, sa, za, m, pb, sb, zb, n, k, acc + (nint)i * m * n, b, pool);
                return;
            }
            Product(pa, sa, za, batches * m, pb, sb, zb, n, k, acc, b, pool);
            return;
        }
        int[] batch = Broadcast.Shape(batchA, batchB);
        int[] offA = Broadcast.Offsets(batchA, batch), offB = Broadcast.Offsets(batchB, batch);
        for (int i = 0; i < batches; i++)
            Int8Gemm.Multiply(pa + (nint)offA[i] * m * k, sa, k, false, za, pb + (nint)offB[i] * k * n, sb, n, false, zb, m, n, k, acc + (nint)i * m * n, n, pool);
    }

    private void Product(byte* pa, bool sa, int[] za, int rows, byte* pb, bool sb, int[] zb, int n, int k, int* acc, Tensor b, Onyx.Kernels.Threading.IntraOpPool? pool)
    {
        if (_packedB is not null && ReferenceEquals(b, _constB))
            Int8Gemm.Multiply(pa, sa, k, false, rows, za, _packedB, acc, n, pool);
        else
            Int8Gemm.Multiply(pa, sa, k, false, za, pb, sb, n, false, zb, rows, n, k, acc, n, pool);
    }
}

/// <summary>ONNX <c>MatMulInteger</c>: int32 (A - a_zero_point) · (B - b_zero_point) for u8/s8.</summary>
[OnnxKernel("MatMulInteger", Since = 10)]
public sealed unsafe class MatMulIntegerKernel : IKernel, IDisposable
{
    private readonly IntMatMul _mm;

    public MatMulIntegerKernel(KernelInfo info) => _mm = new IntMatMul(info, 1, 3);

    public void Dispose() => _mm.Dispose();

    public void Execute(KernelContext context)
    {
        Tensor a = context.Input(0), b = context.Input(1);
        Tensor? azp = context.OptionalInput(2), bzp = context.OptionalInput(3);
        int[] shape = IntMatMul.Shape(context, a, b, out int m, out int n, out int k, out int batches);
        Tensor y = context.Output(0, DType.Int32, shape);
        if (y.Length == 0) return;
        if (!IntMatMul.Supported(azp, bzp, m, n))
        {
            IntMatMulReference.Run(context, a, b, azp, bzp).Acc.CopyTo(y.Span<int>());
            return;
        }
        _mm.Run(context, a, b, azp, bzp, m, n, k, batches, (int*)y.Pointer);
    }
}

/// <summary>
/// ONNX <c>QLinearMatMul</c>: y = saturate(round((A - a_zp)·(B - b_zp) · a_scale·b_scale / y_scale) + y_zp);
/// a_scale per tensor or per row of A, b_scale per tensor or per column of B. The int32 product runs
/// on the int8 GEMM; requantization follows MLAS (float32 scale, round half to even).
/// </summary>
[OnnxKernel("QLinearMatMul", Since = 10)]
public sealed unsafe class QLinearMatMulKernel : IKernel, IDisposable
{
    private readonly IntMatMul _mm;
    private readonly QuantParamCache _as = new(), _bs = new(), _ys = new(), _yz = new();
    [ThreadStatic] private static float[]? t_col;

    public QLinearMatMulKernel(KernelInfo info) => _mm = new IntMatMul(info, 3, 5);

    public void Dispose() => _mm.Dispose();

    public void Execute(KernelContext context)
    {
        Tensor a = context.Input(0), aScale = context.Input(1), b = context.Input(3), bScale = context.Input(4);
        Tensor yScale = context.Input(6);
        Tensor? aZp = context.OptionalInput(2), bZp = context.OptionalInput(5), yZp = context.OptionalInput(7);
        int[] shape = IntMatMul.Shape(context, a, b, out int m, out int n, out int k, out int batches);
        DType outType = yZp?.DType ?? a.DType;
        if (!QuantScratch.IsByte(outType)) throw context.Error($"output type {outType.OnnxName()} is not uint8/int8");
        Tensor y = context.Output(0, outType, shape);
        if (y.Length == 0) return;
        int* acc = QuantScratch.Acc((nint)batches * m * n);
        if (IntMatMul.Supported(aZp, bZp, m, n)) _mm.Run(context, a, b, aZp, bZp, m, n, k, batches, acc);
        else IntMatMulReference.Run(context, a, b, aZp, bZp).Acc.CopyTo(new Span<int>(acc, batches * m * n));

        float[] asc = _as.Scales(aScale), bsc = _bs.Scales(bScale), ysc = _ys.Scales(yScale);
        int yz = _yz.ZeroPoints(yZp)[0];
        bool signedOut = outType == DType.Int8;
        // One scale per column (a_scale·b_scale[j]/y_scale, in float32 as ORT); rebuilt per row only for per-row a_scale.
        float[] col = t_col is { } tc && tc.Length >= n ? tc : t_col = new float[n];
        byte* py = (byte*)y.Pointer;
        for (int r = 0; r < batches * m; r++)
        {
            int row = r % m;
            if (r == 0 || asc.Length > 1)
                for (int j = 0; j < n; j++) col[j] = asc[asc.Length == 1 ? 0 : row] * bsc[bsc.Length == 1 ? 0 : j] / ysc[0];
            fixed (float* pc = col)
                Int8Requantize.Row(acc + (nint)r * n, n, 0, null, 0f, pc, yz, py + (nint)r * n, signedOut);
        }
    }
}
