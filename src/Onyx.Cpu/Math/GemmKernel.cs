using System.Numerics;
using Onyx.Core.Execution;
using Onyx.Cpu.Common;
using Onyx.Cpu.Nn;
using Onyx.Kernels.Gemm;
using Onyx.Kernels.Gemv;
using Onyx.Tensors;

namespace Onyx.Cpu.MathOps;

/// <summary>
/// ONNX <c>Gemm</c> (1..13+): Y = alpha * A' * B' + beta * C, A' and B' optionally transposed,
/// C optional (from opset 11) and unidirectionally broadcast to [M, N]. float runs the packed GEMM
/// with a constant B prepacked once; a row-vector C with beta = 1 is fused as a column bias. Up to
/// <see cref="SmallRowsGemm.MaxRows"/> rows of A (a classifier head) stream B unpacked instead
/// (<see cref="SmallRowsGemmT"/> for transB = 1, <see cref="SmallRowsGemm"/> otherwise), so a
/// constant B is packed at load only when A's rows are known to be more, else at the first run
/// that needs it: a 5 MB classifier weight is not held twice.
/// </summary>
[OnnxKernel("Gemm", Since = 1)]
internal sealed unsafe class GemmKernel : IKernel, IDisposable
{
    private readonly float _alpha, _beta;
    private readonly bool _transA, _transB;
    private PackedMatrixB? _packedB;
    private readonly Tensor? _constB;
    private readonly Lock _packLock = new();

    public GemmKernel(KernelInfo info)
    {
        _alpha = info.Attributes.GetFloat("alpha", 1f);
        _beta = info.Attributes.GetFloat("beta", 1f);
        _transA = info.Attributes.GetInt("transA", 0) != 0;
        _transB = info.Attributes.GetInt("transB", 0) != 0;
        if (info.ConstantInput(1) is { DType: DType.Float32, Rank: 2 } b && b.Length > 0)
        {
            _constB = b;
            // Packed at load only when A's rows are known to be many; few or symbolic (a batch often
            // served as 1), the packed copy waits for a run that needs it.
            bool manyRows = info.InputType(0) is TensorTypeInfo { Shape: { Length: 2 } s } && s[_transA ? 1 : 0].Value is long rows && !FewRows(rows);
            if (manyRows) _packedB = Pack(b);
        }
    }

    /// <summary>Whether <paramref name="m"/> rows of A' take the unpacked few-rows path (a transposed A only as one contiguous row).</summary>
    private bool FewRows(long m) => m <= SmallRowsGemm.MaxRows && (!_transA || m == 1);

    private PackedMatrixB Pack(Tensor b)
    {
        int k = _transB ? b.Shape[1] : b.Shape[0], n = _transB ? b.Shape[0] : b.Shape[1];
        return new PackedMatrixB((float*)b.Pointer, b.Shape[1], _transB, k, n);
    }

    /// <summary>Whether the packed copy of a constant B exists (tests: it is made only when needed).</summary>
    internal bool HoldsPackedB => Volatile.Read(ref _packedB) is not null;

    /// <summary>The packed constant B, packed by the first run that needs it (runs may be concurrent).</summary>
    private PackedMatrixB PackedB()
    {
        if (Volatile.Read(ref _packedB) is { } p) return p;
        lock (_packLock) return _packedB ??= Pack(_constB!);
    }

    public void Execute(KernelContext context)
    {
        Tensor a = context.Input(0), b = context.Input(1);
        Tensor? c = context.OptionalInput(2);
        if (a.Rank != 2 || b.Rank != 2) throw context.Error($"A and B must be 2-D, got {a.ShapeString} and {b.ShapeString}");
        if (a.DType != b.DType) throw context.Error($"A is {a.DType.OnnxName()} but B is {b.DType.OnnxName()}");
        int m = _transA ? a.Shape[1] : a.Shape[0], k = _transA ? a.Shape[0] : a.Shape[1];
        int kb = _transB ? b.Shape[1] : b.Shape[0], n = _transB ? b.Shape[0] : b.Shape[1];
        if (k != kb) throw context.Error($"inner dimensions differ: A' has K = {k} ({a.ShapeString}, transA={(_transA ? 1 : 0)}), B' has K = {kb} ({b.ShapeString}, transB={(_transB ? 1 : 0)})");
        int[] yShape = [m, n];
        if (c is not null)
        {
            if (c.DType != a.DType) throw context.Error($"C is {c.DType.OnnxName()} but A is {a.DType.OnnxName()}");
            bool ok = c.Rank <= 2;
            for (int i = 0; ok && i < c.Rank; i++)
            {
                int d = c.Shape[c.Rank - 1 - i], o = yShape[1 - i];
                ok = d == o || d == 1;
            }
            if (!ok) throw context.Error($"C {c.ShapeString} does not broadcast to [{m},{n}]");
        }
        Tensor y = context.Output(0, a.DType, yShape);
        if (y.Length == 0) return;
        bool useC = c is not null && _beta != 0f && c.Length > 0;

        if (a.DType == DType.Float32)
        {
            float* pa = (float*)a.Pointer, pb = (float*)b.Pointer, py = (float*)y.Pointer;
            var pool = ConvShapes.Pool(context);
            if (FewRows(m))
            {
                FewRowsProduct(a, b, useC ? c : null, y, m, n, k, pool);
                return;
            }
            var ep = default(GemmEpilogue);
            float beta = 0f;
            if (useC)
            {
                bool rowVector = c!.Length == n && (c.Rank == 1 || c.Shape[0] == 1) && n > 1;
                if (_beta == 1f && rowVector)
                    ep = new GemmEpilogue { Bias = (float*)c.Pointer, BiasKind = BiasKind.PerColumn };
                else
                {
                    FillBroadcast<float>(c, y, m, n);
                    beta = _beta;
                }
            }
            if (_constB is not null && ReferenceEquals(b, _constB))
                SGemm.Multiply(_transA, m, _alpha, pa, a.Shape[1], PackedB(), beta, py, n, ep, pool);
            else
                SGemm.Multiply(_transA, _transB, m, n, k, _alpha, pa, a.Shape[1], pb, b.Shape[1], beta, py, n, ep, pool);
            return;
        }

        switch (a.DType)
        {
            case DType.Float64: Loop<double>(a, b, c, y, m, n, k, _alpha, _beta, useC); break;
            case DType.Int32: Loop<int>(a, b, c, y, m, n, k, _alpha, _beta, useC); break;
            case DType.Int64: Loop<long>(a, b, c, y, m, n, k, _alpha, _beta, useC); break;
            case DType.UInt32: Loop<uint>(a, b, c, y, m, n, k, _alpha, _beta, useC); break;
            case DType.UInt64: Loop<ulong>(a, b, c, y, m, n, k, _alpha, _beta, useC); break;
            case DType.Float16:
            case DType.BFloat16:
            {
                var yf = Tensor.Allocate(DType.Float32, yShape);
                Loop<float>(Widen.ToFloat(a), Widen.ToFloat(b), c is null ? null : Widen.ToFloat(c), yf, m, n, k, _alpha, _beta, useC);
                context.SetOutput(0, Widen.FromFloat(yf, a.DType));
                break;
            }
            default:
                throw context.Error($"unsupported type {a.DType.OnnxName()}");
        }
    }

    /// <summary>
    /// At most <see cref="SmallRowsGemm.MaxRows"/> rows of A', B read as stored: alpha, beta and C's
    /// broadcast (strides of 0 along its size-1 or missing dims) applied in the store.
    /// </summary>
    private void FewRowsProduct(Tensor a, Tensor b, Tensor? c, Tensor y, int m, int n, int k, Onyx.Kernels.Threading.IntraOpPool? pool)
    {
        var addend = new SmallRowsAddend { Alpha = _alpha };
        if (c is not null)
        {
            int cn = c.Rank >= 1 ? c.Shape[c.Rank - 1] : 1, cm = c.Rank == 2 ? c.Shape[0] : 1;
            addend = addend with { Beta = _beta, C = (float*)c.Pointer, CRowStride = cm == 1 ? 0 : cn, CColStride = cn == 1 ? 0 : 1 };
        }
        // A transposed takes this path only as one row: A is [K, 1], that row contiguous.
        float* pa = (float*)a.Pointer, pb = (float*)b.Pointer, py = (float*)y.Pointer;
        nint lda = _transA ? 1 : a.Shape[1];
        if (_transB)
        {
            SmallRowsGemmT.Multiply(m, n, k, pa, lda, pb, b.Shape[1], py, n, addend, pool);
        }
        else
        {
            SmallRowsGemm.Multiply(m, n, k, pa, lda, pb, b.Shape[1], py, n, pool);
            addend.ApplyInPlace(m, n, py, n);
        }
    }

    private static void FillBroadcast<T>(Tensor c, Tensor y, int m, int n) where T : unmanaged
    {
        var sc = c.Span<T>();
        var sy = y.Span<T>();
        if (c.Length == 1) { sy.Fill(sc[0]); return; }
        var off = Broadcast.Offsets(c.Shape, [m, n]);
        for (int i = 0; i < sy.Length; i++) sy[i] = sc[off[i]];
    }

    private void Loop<T>(Tensor a, Tensor b, Tensor? c, Tensor y, int m, int n, int k, float alpha, float beta, bool useC) where T : unmanaged, INumber<T>
    {
        var sa = a.Span<T>();
        var sb = b.Span<T>();
        var sy = y.Span<T>();
        int lda = a.Shape[1], ldb = b.Shape[1];
        T ta = T.CreateTruncating(alpha), tb = T.CreateTruncating(beta);
        bool integer = typeof(T) != typeof(float) && typeof(T) != typeof(double);
        if (useC) FillBroadcast<T>(c!, y, m, n);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                T s = T.Zero;
                for (int p = 0; p < k; p++)
                    s += (_transA ? sa[p * lda + i] : sa[i * lda + p]) * (_transB ? sb[j * ldb + p] : sb[p * ldb + j]);
                T acc = integer && alpha == 1f ? s : ta * s;
                if (useC) acc += integer && beta == 1f ? sy[i * n + j] : tb * sy[i * n + j];
                sy[i * n + j] = acc;
            }
    }

    public void Dispose() => _packedB?.Dispose();
}
