using Onyx.Core.Execution;
using Onyx.Kernels.Conv;
using Onyx.Tensors;

namespace Onyx.Cpu.Nn;

/// <summary>
/// ONNX <c>ConvTranspose</c> (1..22): the gradient of Conv with respect to its input, plus bias.
/// Output size from pads (+ output_padding), from output_shape (pads derived), or from auto_pad.
/// A constant filter is prepacked once here.
/// </summary>
[OnnxKernel("ConvTranspose", Since = 1)]
internal sealed unsafe class ConvTransposeKernel : IKernel, IDisposable
{
    private readonly WindowAttributes _window;
    private readonly int _group;
    private readonly int[]? _outputPadding;
    private readonly int[]? _outputShape;
    private readonly ConvTransposeF32? _prepacked;
    private readonly Tensor? _constWeight;

    public ConvTransposeKernel(KernelInfo info)
    {
        _window = WindowAttributes.Parse(info.Attributes);
        _group = checked((int)info.Attributes.GetInt("group", 1));
        if (_group < 1) throw info.Invalid($"group must be positive, got {_group}");
        _outputPadding = WindowAttributes.ToInts(info.Attributes.GetInts("output_padding"));
        _outputShape = WindowAttributes.ToInts(info.Attributes.GetInts("output_shape"));
        if (info.ConstantInput(1) is { DType: DType.Float32, Rank: >= 3 and <= 5 } w && w.Shape[0] % _group == 0)
        {
            _constWeight = w;
            _prepacked = Prepare(w, _group);
        }
    }

    private static ConvTransposeF32 Prepare(Tensor w, int group) =>
        new((float*)w.Pointer, w.Shape[0], w.Shape[1], group, ConvShapes.Product(w.Shape.AsSpan(2)));

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0), w = context.Input(1);
        Tensor? b = context.OptionalInput(2);
        if (x.Rank < 3 || x.Rank > 5) throw context.Error($"input X must have 1 to 3 spatial dims, got {x.ShapeString}");
        if (w.Rank != x.Rank) throw context.Error($"W rank {w.Rank} ({w.ShapeString}) must equal X rank {x.Rank} ({x.ShapeString})");
        int n = x.Shape[0], c = x.Shape[1], r = x.Rank - 2;
        if (w.Shape[0] != c) throw context.Error($"W {w.ShapeString} must have {c} input channels (X is {x.ShapeString})");
        if (c % _group != 0) throw context.Error($"X has {c} channels, not divisible by group {_group}");
        int m = w.Shape[1] * _group;
        if (b is not null && b.Length != m) throw context.Error($"B must have {m} elements, got {b.ShapeString}");
        var inSp = x.Shape.AsSpan(2);
        var kernel = w.Shape.AsSpan(2);
        var strides = _window.Strides ?? Enumerable.Repeat(1, r).ToArray();
        var dil = _window.Dilations is { Length: > 0 } d ? d : Enumerable.Repeat(1, r).ToArray();
        var outPad = _outputPadding is { Length: > 0 } op ? op : new int[r];
        if (strides.Length != r || dil.Length != r || outPad.Length != r)
            throw context.Error($"strides/dilations/output_padding must have {r} values");
        var pads = new int[2 * r];
        var outSp = new int[r];
        for (int i = 0; i < r; i++)
        {
            int ext = (kernel[i] - 1) * dil[i] + 1;
            int full = strides[i] * (inSp[i] - 1) + outPad[i] + ext;
            if (_outputShape is { Length: > 0 } os)
            {
                int target = os[os.Length - r + i];
                int total = Math.Max(0, full - target);
                if (_window.AutoPad == "SAME_UPPER") { pads[i] = total / 2; pads[r + i] = total - total / 2; }
                else { pads[i] = total - total / 2; pads[r + i] = total / 2; }
                outSp[i] = target;
            }
            else if (_window.AutoPad is "SAME_UPPER" or "SAME_LOWER")
            {
                int target = inSp[i] * strides[i];
                int total = Math.Max(0, full - target);
                if (_window.AutoPad == "SAME_UPPER") { pads[i] = total / 2; pads[r + i] = total - total / 2; }
                else { pads[i] = total - total / 2; pads[r + i] = total / 2; }
                outSp[i] = target;
            }
            else
            {
                if (_window.AutoPad != "VALID" && _window.Pads is { } p)
                {
                    if (p.Length != 2 * r) throw context.Error($"pads must have {2 * r} values, got {p.Length}");
                    pads[i] = p[i];
                    pads[r + i] = p[r + i];
                }
                outSp[i] = full - pads[i] - pads[r + i];
            }
            if (outSp[i] < 0) throw context.Error($"output spatial dim {i} would be {outSp[i]}");
        }
        var yShape = new int[x.Rank];
        yShape[0] = n; yShape[1] = m;
        outSp.CopyTo(yShape, 2);
        // Described from the output's side: the "input image" of the sweep is y, its "output positions" are x's pixels.
        var geo = ConvGeometry.Create(n, m, c, _group, outSp, inSp.ToArray(), kernel, strides, dil, pads);

        Tensor xf = x.DType == DType.Float32 ? x : Widen.ToFloat(x);
        Tensor wf = w.DType == DType.Float32 ? w : Widen.ToFloat(w);
        Tensor? bf = b is null ? null : b.DType == DType.Float32 ? b : Widen.ToFloat(b);
        if (x.DType is not (DType.Float32 or DType.Float16 or DType.Float64 or DType.BFloat16))
            throw context.Error($"unsupported type {x.DType.OnnxName()}");
        Tensor y = x.DType == DType.Float32 ? context.Output(0, DType.Float32, yShape) : Tensor.Allocate(DType.Float32, yShape);
        if (y.Length > 0)
        {
            bool own = _prepacked is null || !ReferenceEquals(w, _constWeight);
            var kernel2 = own ? Prepare(wf, _group) : _prepacked!;
            try
            {
                kernel2.Forward(geo, (float*)xf.Pointer, (float*)y.Pointer, bf is null ? null : (float*)bf.Pointer, ConvShapes.Pool(context));
            }
            finally
            {
                if (own) kernel2.Dispose();
            }
        }
        if (x.DType != DType.Float32) context.SetOutput(0, Widen.FromFloat(y, x.DType));
    }

    public void Dispose() => _prepacked?.Dispose();
}
