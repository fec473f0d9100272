using System.Numerics;
using Onyx.Core.Execution;
using Onyx.Kernels.Conv;
using Onyx.Kernels.Pool;
using Onyx.Tensors;

namespace Onyx.Cpu.Nn;

/// <summary>Shared shape work of the windowed pools: attributes parsed once, output shape per Run.</summary>
internal abstract unsafe class WindowPoolKernel : IKernel
{
    protected readonly WindowAttributes Window;

    protected WindowPoolKernel(KernelInfo info)
    {
        Window = WindowAttributes.Parse(info.Attributes);
        if (Window.KernelShape is null) throw info.Invalid("required attribute 'kernel_shape' is missing");
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        if (x.Rank < 3 || x.Rank > 5) throw context.Error($"input X must be N x C x (1 to 3 spatial dims), got {x.ShapeString}");
        var spatial = x.Shape.AsSpan(2);
        if (Window.KernelShape!.Length != spatial.Length)
            throw context.Error($"kernel_shape has {Window.KernelShape.Length} values but X {x.ShapeString} has {spatial.Length} spatial dims");
        var (outSp, pads, strides, dil) = Window.Forward(spatial, Window.KernelShape, context);
        var yShape = new int[x.Rank];
        yShape[0] = x.Shape[0]; yShape[1] = x.Shape[1];
        outSp.CopyTo(yShape, 2);
        var geo = ConvGeometry.Create(x.Shape[0], x.Shape[1], x.Shape[1], 1, spatial, outSp, Window.KernelShape, strides, dil, pads);
        Run(context, x, yShape, geo, x.Shape[0] * x.Shape[1]);
    }

    protected abstract void Run(KernelContext context, Tensor x, int[] yShape, in ConvGeometry geo, int planes);
}

/// <summary>ONNX <c>MaxPool</c> (1..22): window max excluding pads, optional Indices output (flat, storage_order).</summary>
[OnnxKernel("MaxPool", Since = 1)]
internal sealed unsafe class MaxPoolKernel : WindowPoolKernel
{
    private readonly bool _columnMajor;

    public MaxPoolKernel(KernelInfo info) : base(info) =>
        _columnMajor = info.Attributes.GetInt("storage_order", 0) != 0;

    protected override void Run(KernelContext context, Tensor x, int[] yShape, in ConvGeometry geo, int planes)
    {
        bool wantIndices = context.OutputCount > 1 && context.IsOutputRequested(1);
        Tensor? indices = wantIndices ? context.Output(1, DType.Int64, yShape) : null;
        long* pi = indices is null ? null : (long*)indices.Pointer;
        if (x.DType == DType.BFloat16)
        {
            var yf = Tensor.Allocate(DType.Float32, yShape);
            Pooling.Max(geo, planes, (float*)Widen.ToFloat(x).Pointer, (float*)yf.Pointer, pi, _columnMajor);
            context.SetOutput(0, Widen.FromFloat(yf, x.DType));
            return;
        }
        Tensor y = context.Output(0, x.DType, yShape);
        if (y.Length == 0) return;
        switch (x.DType)
        {
            case DType.Float32: Pooling.Max(geo, planes, (float*)x.Pointer, (float*)y.Pointer, pi, _columnMajor, ConvShapes.Pool(context)); break;
            case DType.Float64: Pooling.Max(geo, planes, (double*)x.Pointer, (double*)y.Pointer, pi, _columnMajor, ConvShapes.Pool(context)); break;
            case DType.Float16: Pooling.Max(geo, planes, (Half*)x.Pointer, (Half*)y.Pointer, pi, _columnMajor, ConvShapes.Pool(context)); break;
            case DType.Int8: Pooling.Max(geo, planes, (sbyte*)x.Pointer, (sbyte*)y.Pointer, pi, _columnMajor, ConvShapes.Pool(context)); break;
            case DType.UInt8: Pooling.Max(geo, planes, (byte*)x.Pointer, (byte*)y.Pointer, pi, _columnMajor, ConvShapes.Pool(context)); break;
            default: throw context.Error($"unsupported type {x.DType.OnnxName()} (expected float, float16, bfloat16, double, int8 or uint8)");
        }
    }
}

/// <summary>ONNX <c>AveragePool</c> (1..22): window mean; count_include_pad counts explicit pads (never ceil overflow).</summary>
[OnnxKernel("AveragePool", Since = 1)]
internal sealed unsafe class AveragePoolKernel : WindowPoolKernel
{
    private readonly bool _countIncludePad;

    public AveragePoolKernel(KernelInfo info) : base(info) =>
        _countIncludePad = info.Attributes.GetInt("count_include_pad", 0) != 0;

    protected override void Run(KernelContext context, Tensor x, int[] yShape, in ConvGeometry geo, int planes)
    {
        if (x.DType == DType.BFloat16)
        {
            var yf = Tensor.Allocate(DType.Float32, yShape);
            Pooling.Average(geo, planes, (float*)Widen.ToFloat(x).Pointer, (float*)yf.Pointer, _countIncludePad);
            context.SetOutput(0, Widen.FromFloat(yf, x.DType));
            return;
        }
        Tensor y = context.Output(0, x.DType, yShape);
        if (y.Length == 0) return;
        switch (x.DType)
        {
            case DType.Float32: Pooling.Average(geo, planes, (float*)x.Pointer, (float*)y.Pointer, _countIncludePad, ConvShapes.Pool(context)); break;
            case DType.Float64: Pooling.Average(geo, planes, (double*)x.Pointer, (double*)y.Pointer, _countIncludePad, ConvShapes.Pool(context)); break;
            case DType.Float16: Pooling.Average(geo, planes, (Half*)x.Pointer, (Half*)y.Pointer, _countIncludePad, ConvShapes.Pool(context)); break;
            default: throw context.Error($"unsupported type {x.DType.OnnxName()} (expected float, float16, bfloat16 or double)");
        }
    }
}

/// <summary>ONNX <c>LpPool</c> (1..22): (sum over the window of |x|^p)^(1/p).</summary>
[OnnxKernel("LpPool", Since = 1)]
internal sealed unsafe class LpPoolKernel : WindowPoolKernel
{
    private readonly double _p;

    public LpPoolKernel(KernelInfo info) : base(info) => _p = info.Attributes.GetFloat("p", 2f);

    protected override void Run(KernelContext context, Tensor x, int[] yShape, in ConvGeometry geo, int planes)
    {
        if (x.DType == DType.BFloat16)
        {
            var yf = Tensor.Allocate(DType.Float32, yShape);
            Pooling.Lp(geo, planes, (float*)Widen.ToFloat(x).Pointer, (float*)yf.Pointer, _p);
            context.SetOutput(0, Widen.FromFloat(yf, x.DType));
            return;
        }
        Tensor y = context.Output(0, x.DType, yShape);
        if (y.Length == 0) return;
        switch (x.DType)
        {
            case DType.Float32: Pooling.Lp(geo, planes, (float*)x.Pointer, (float*)y.Pointer, _p); break;
            case DType.Float64: Pooling.Lp(geo, planes, (double*)x.Pointer, (double*)y.Pointer, _p); break;
            case DType.Float16: Pooling.Lp(geo, planes, (Half*)x.Pointer, (Half*)y.Pointer, _p); break;
            default: throw context.Error($"unsupported type {x.DType.OnnxName()} (expected float, float16, bfloat16 or double)");
        }
    }
}

/// <summary>ONNX <c>GlobalAveragePool</c>, <c>GlobalMaxPool</c>, <c>GlobalLpPool</c>: one value per N x C plane.</summary>
[OnnxKernel("GlobalAveragePool", Since = 1)]
[OnnxKernel("GlobalMaxPool", Since = 1)]
[OnnxKernel("GlobalLpPool", Since = 1)]
internal sealed class GlobalPoolKernel : IKernel
{
    private enum Kind { Average, Max, Lp }

    private readonly Kind _kind;
    private readonly double _p;

    public GlobalPoolKernel(KernelInfo info)
    {
        _kind = info.Node.OpType switch { "GlobalAveragePool" => Kind.Average, "GlobalMaxPool" => Kind.Max, _ => Kind.Lp };
        _p = info.Attributes.GetFloat("p", 2f);
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        if (x.Rank < 2) throw context.Error($"input X must be N x C x spatial..., got {x.ShapeString}");
        var yShape = new int[x.Rank];
        yShape[0] = x.Shape[0]; yShape[1] = x.Shape[1];
        for (int i = 2; i < yShape.Length; i++) yShape[i] = 1;
        int planes = x.Shape[0] * x.Shape[1];
        int size = planes == 0 ? 0 : x.Length / planes;
        if (x.DType == DType.Float32 && _kind != Kind.Lp)
        {
            Tensor y = context.Output(0, DType.Float32, yShape);
            if (_kind == Kind.Average) Pooling.GlobalAverage(x.Span<float>(), y.Span<float>(), size, ConvShapes.Pool(context));
            else if (size > 0) Pooling.GlobalMax(x.Span<float>(), y.Span<float>(), size, ConvShapes.Pool(context));
            return;
        }
        switch (x.DType)
        {
            case DType.Float32: Generic<float>(context, x, yShape, planes, size); break;
            case DType.Float64: Generic<double>(context, x, yShape, planes, size); break;
            case DType.Float16: Generic<Half>(context, x, yShape, planes, size); break;
            case DType.BFloat16:
            {
                var xf = Widen.ToFloat(x);
                var yf = Tensor.Allocate(DType.Float32, yShape);
                Reduce<float>(xf.Span<float>(), yf.Span<float>(), planes, size);
                context.SetOutput(0, Widen.FromFloat(yf, x.DType));
                break;
            }
            default: throw context.Error($"unsupported type {x.DType.OnnxName()} (expected float, float16, bfloat16 or double)");
        }
    }

    private void Generic<T>(KernelContext context, Tensor x, int[] yShape, int planes, int size) where T : unmanaged, INumber<T>
    {
        Tensor y = context.Output(0, x.DType, yShape);
        Reduce<T>(x.Span<T>(), y.Span<T>(), planes, size);
    }

    private void Reduce<T>(ReadOnlySpan<T> x, Span<T> y, int planes, int size) where T : unmanaged, INumber<T>
    {
        for (int p = 0; p < planes; p++)
        {
            var s = x.Slice(p * size, size);
            double acc = _kind == Kind.Max ? double.NegativeInfinity : 0;
            foreach (T v in s)
            {
                double d = double.CreateTruncating(v);
                acc = _kind switch
                {
                    Kind.Max => (d > acc || double.IsNaN(d)) ? d : acc,
                    Kind.Average => acc + d,
                    _ => acc + System.Math.Pow(System.Math.Abs(d), _p),
                };
            }
            if (_kind == Kind.Average) acc = size == 0 ? 0 : acc / size;
            if (_kind == Kind.Lp) acc = System.Math.Pow(acc, 1.0 / _p);
            y[p] = T.CreateTruncating(acc);
        }
    }
}
