using Onyx.Core.Execution;
using Onyx.Cpu.Fused;
using Onyx.Kernels.Conv;
using Onyx.Kernels.Gemm;
using Onyx.Tensors;

namespace Onyx.Cpu.Nn;

/// <summary>
/// ONNX <c>Conv</c> (1..22): y = conv(X, W) + B over 1-3 spatial dims with groups, strides,
/// dilations and explicit or automatic padding. A constant filter is prepacked once here.
/// float runs natively; float16/double/bfloat16 are widened to float.
/// Also ONNX Runtime's contrib <c>com.microsoft.FusedConv</c>: Y = act(conv(X, W) + B + Z) with
/// the activation fused into every store path (see <see cref="FusedActivationAttributes"/>).
/// </summary>
[OnnxKernel("Conv", Since = 1)]
[OnnxKernel("FusedConv", Domain = "com.microsoft", Since = 1)]
internal sealed unsafe class ConvKernel : IKernel, IDisposable
{
    private readonly WindowAttributes _window;
    private readonly int _group;
    private readonly ConvF32? _prepacked;
    private readonly Tensor? _constWeight;
    private readonly GemmEpilogue _act;
    private readonly bool _fused;

    public ConvKernel(KernelInfo info)
    {
        if (info.Node.OpType == "FusedConv")
        {
            _fused = true;
            _act = FusedActivationAttributes.Parse(info, "FusedConv");
        }
        _window = WindowAttributes.Parse(info.Attributes);
        _group = checked((int)info.Attributes.GetInt("group", 1));
        if (_group < 1) throw info.Invalid($"group must be positive, got {_group}");
        if (info.ConstantInput(1) is { DType: DType.Float32, Rank: >= 3 and <= 5 } w && w.Shape[0] % _group == 0)
        {
            _constWeight = w;
            _prepacked = Prepare(w, _group);
            // Pack at session load, as ONNX Runtime does, for the path the inferred output shape selects.
            int rank = w.Rank;
            int? outSize = null;
            if (info.Graph.TypeOf(info.Node.Outputs[0]) is TensorTypeInfo { Shape: { } ys } && ys.Length == rank)
            {
                // A loop, not LINQ over Dim: that generic code is JIT-compiled in every process (~1 ms at load).
                long size = 1;
                bool fixedDims = true;
                for (int d = 2; d < rank; d++)
                    if (ys[d].Value is { } v) size *= v; else fixedDims = false;
                if (fixedDims) outSize = checked((int)size);
            }
            bool depthOne = rank < 5 || info.InputType(0) is TensorTypeInfo { Shape: { } xs } && xs.Length == 5 && xs[2].Value == 1;
            _prepacked.PackFor(outSize, depthOne);
        }
    }

    private static ConvF32 Prepare(Tensor w, int group)
    {
        int r = w.Rank - 2;
        int kd = r == 3 ? w.Shape[2] : 1, kh = r >= 2 ? w.Shape[w.Rank - 2] : 1, kw = w.Shape[w.Rank - 1];
        return new ConvF32((float*)w.Pointer, w.Shape[0], w.Shape[1], group, kd, kh, kw);
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0), w = context.Input(1);
        Tensor? b = context.OptionalInput(2);
        if (x.Rank < 3) throw context.Error($"input X must have rank >= 3 (N, C, spatial...), got {x.ShapeString}");
        if (x.Rank > 5) throw context.Error($"Conv supports 1 to 3 spatial dims, X is {x.ShapeString}");
        if (w.Rank != x.Rank) throw context.Error($"W rank {w.Rank} ({w.ShapeString}) must equal X rank {x.Rank} ({x.ShapeString})");
        if (w.DType != x.DType) throw context.Error($"W type {w.DType.OnnxName()} must match X type {x.DType.OnnxName()}");
        int n = x.Shape[0], c = x.Shape[1], m = w.Shape[0];
        if (c != w.Shape[1] * _group) throw context.Error($"X has {c} channels but W {w.ShapeString} with group {_group} expects {w.Shape[1] * _group}");
        if (m % _group != 0) throw context.Error($"W has {m} output channels, not divisible by group {_group}");
        if (b is not null && b.Length != m) throw context.Error($"B must have {m} elements (one per output channel), got {b.ShapeString}");
        var spatial = x.Shape.AsSpan(2);
        var kernel = w.Shape.AsSpan(2);
        if (_window.KernelShape is { } ks && !ks.AsSpan().SequenceEqual(kernel))
            throw context.Error($"kernel_shape [{string.Join(",", ks)}] does not match W {w.ShapeString}");
        var (outSp, pads, strides, dil) = _window.Forward(spatial, kernel, context);
        var yShape = new int[x.Rank];
        yShape[0] = n; yShape[1] = m;
        outSp.CopyTo(yShape, 2);
        var geo = ConvGeometry.Create(n, c, m, _group, spatial, outSp, kernel, strides, dil, pads);

        Tensor? z = _fused ? context.OptionalInput(3) : null;
        if (z is not null && !z.Shape.AsSpan().SequenceEqual(yShape))
            throw context.Error($"Z {z.ShapeString} must have the output's shape [{string.Join(",", yShape)}]");
        switch (x.DType)
        {
            case DType.Float32:
            {
                // Every path writes every element (GEMM with beta 0 never reads y; depthwise rows start from the bias).
                // A fused residual z: y starts as z (z's own buffer when z dies here), the conv accumulates onto it.
                if (z is not null && z.DType != DType.Float32) throw context.Error($"Z type {z.DType.OnnxName()} must match X type float");
                Tensor y = z is null ? context.OutputUninitialized(0, DType.Float32, yShape) : context.AccumulatorOutput(0, 3, yShape);
                if (y.Length == 0) return;
                bool own = _prepacked is null || !ReferenceEquals(w, _constWeight);
                var conv = own ? Prepare(w, _group) : _prepacked!;
                try
                {
                    conv.Forward(geo, (float*)x.Pointer, (float*)y.Pointer, b is null ? null : (float*)b.Pointer, _act, ConvShapes.Pool(context), z is not null);
                }
                finally
                {
                    if (own) conv.Dispose();
                }
                break;
            }
            case DType.Float16:
            case DType.Float64:
            case DType.BFloat16:
            {
                // Rare types: widen to float, run the float kernel, narrow back.
                var xf = Widen.ToFloat(x);
                var wf = Widen.ToFloat(w);
                var bf = b is null ? null : Widen.ToFloat(b);
                var yf = z is null ? Tensor.Allocate(DType.Float32, yShape) : Widen.ToFloat(z).Clone();
                using var conv = Prepare(wf, _group);
                conv.Forward(geo, (float*)xf.Pointer, (float*)yf.Pointer, bf is null ? null : (float*)bf.Pointer, _act, ConvShapes.Pool(context), z is not null);
                context.SetOutput(0, Widen.FromFloat(yf, x.DType));
                break;
            }
            default:
                throw context.Error($"unsupported type {x.DType.OnnxName()} (expected float, float16, double or bfloat16)");
        }
    }

    public void Dispose() => _prepacked?.Dispose();
}

/// <summary>Float16/double/bfloat16 to and from float, for the ops that compute rare types in float.</summary>
internal static class Widen
{
    public static Tensor ToFloat(Tensor t)
    {
        if (t.DType == DType.Float32) return t;
        var r = Tensor.Allocate(DType.Float32, t.Shape, zero: false);
        var d = r.Span<float>();
        switch (t.DType)
        {
            case DType.Float16: { var s = t.Span<Half>(); for (int i = 0; i < d.Length; i++) d[i] = (float)s[i]; break; }
            case DType.Float64: { var s = t.Span<double>(); for (int i = 0; i < d.Length; i++) d[i] = (float)s[i]; break; }
            case DType.BFloat16: { var s = t.Span<BFloat16>(); for (int i = 0; i < d.Length; i++) d[i] = s[i].ToFloat(); break; }
            default: throw new InvalidOperationException($"cannot widen {t.DType.OnnxName()} to float");
        }
        return r;
    }

    public static Tensor FromFloat(Tensor f, DType type)
    {
        if (type == DType.Float32) return f;
        var r = Tensor.Allocate(type, f.Shape, zero: false);
        var s = f.Span<float>();
        switch (type)
        {
            case DType.Float16: { var d = r.Span<Half>(); for (int i = 0; i < s.Length; i++) d[i] = (Half)s[i]; break; }
            case DType.Float64: { var d = r.Span<double>(); for (int i = 0; i < s.Length; i++) d[i] = s[i]; break; }
            case DType.BFloat16: { var d = r.Span<BFloat16>(); for (int i = 0; i < s.Length; i++) d[i] = BFloat16.FromFloat(s[i]); break; }
            default: throw new InvalidOperationException($"cannot narrow float to {type.OnnxName()}");
        }
        return r;
    }
}
