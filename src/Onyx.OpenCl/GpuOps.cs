using Onyx.Core.Ir;
using Onyx.Tensors;
using static Onyx.OpenCl.KernelSource;

namespace Onyx.OpenCl;

/// <summary>One compiled node (or a fused node + activation) of a GPU subgraph.</summary>
internal abstract class GpuOp(Node node)
{
    public Node Node { get; } = node;
    /// <summary>The output value name (after fusion, the activation's output).</summary>
    public string Out { get; set; } = node.Outputs.Count > 0 ? node.Outputs[0] : "";
    public abstract void Run(GpuExec e);

    /// <summary>Makes the op apply the activation of <paramref name="act"/>; false when it cannot.</summary>
    public virtual bool TryFuse(int act, float a, float b) => false;

    /// <summary>
    /// The int values of shape-like input <paramref name="i"/> (shape, axes, starts, pads, split), null when absent:
    /// a constant's values, else the run-time tensor's host copy (boundary inputs, Shape results), else a read-back.
    /// </summary>
    protected long[]? Ints(GpuExec e, IConstants c, int i)
    {
        if (!Node.HasInput(i)) return null;
        if (c.Get(Node.Inputs[i]) is { } t) return t.ToInt64Array();
        var d = e.Get(Node.Inputs[i]);
        if (!d.IsInt) throw Fail($"input {i} ('{Node.Inputs[i]}') is {d.Type}, expected int64/int32");
        return Array.ConvertAll(e.HostInts(d), v => (long)v);
    }

    /// <summary>The error for a raised device error flag (<see cref="GpuExec.ErrorFlag"/>) carrying <paramref name="value"/>.</summary>
    public virtual Exception FlagError(int value) => Fail($"the device reported bad data ({value})");

    internal Exception Fail(string msg) => new OnnxRuntimeException(ErrorCode.InvalidArgument, $"{Node.Describe()} on GPU: {msg}");
}

/// <summary>Host-side constant access for op constructors.</summary>
internal interface IConstants
{
    Tensor? Get(string name);
}

internal static class OpFactory
{
    public static GpuOp Create(Node n, IConstants c)
    {
        if (ActivationOf(n, c) is { } act)
            return act.Code == ActIdentity ? new AliasOp(n, AliasKind.Identity, c) : new UnaryOp(n, act.Code, act.A, act.B);
        return n.OpType switch
        {
            "Add" => new BinaryOp(n, BinAdd),
            "Sub" => new BinaryOp(n, BinSub),
            "Mul" => new BinaryOp(n, BinMul),
            "Div" => new BinaryOp(n, BinDiv),
            "Pow" => new BinaryOp(n, BinPow),
            "Max" => new BinaryOp(n, BinMax),
            "Min" => new BinaryOp(n, BinMin),
            "Sum" => new BinaryOp(n, BinAdd),
            "PRelu" => new BinaryOp(n, BinPRelu),
            "Mod" => new BinaryOp(n, n.Attributes.GetInt("fmod", 0) != 0 ? BinFmod : BinMod),
            "Conv" => new ConvOp(n, c, transpose: false),
            "ConvTranspose" => new ConvOp(n, c, transpose: true),
            "MatMul" => new MatMulOp(n, gemm: false),
            "Gemm" => new MatMulOp(n, gemm: true),
            "MaxPool" => new PoolOp(n, isMax: true),
            "AveragePool" => new PoolOp(n, isMax: false),
            "GlobalAveragePool" => new GlobalPoolOp(n, isMax: false),
            "GlobalMaxPool" => new GlobalPoolOp(n, isMax: true),
            "BatchNormalization" => new BatchNormOp(n, c),
            "Softmax" => new SoftmaxOp(n, isLog: false),
            "LogSoftmax" => new SoftmaxOp(n, isLog: true),
            "LayerNormalization" => new NormOp(n, instance: false),
            "InstanceNormalization" => new NormOp(n, instance: true),
            "GroupNormalization" => new GroupNormOp(n),
            "Gather" => new GatherOp(n),
            "Cast" or "CastLike" => new CastOp(n),
            "Shape" or "Size" => new ShapeOp(n),
            "ConstantOfShape" => new ConstantOfShapeOp(n, c),
            "Equal" => new CompareOp(n, 0),
            "Less" => new CompareOp(n, 1),
            "LessOrEqual" => new CompareOp(n, 2),
            "Greater" => new CompareOp(n, 3),
            "GreaterOrEqual" => new CompareOp(n, 4),
            "And" => new CompareOp(n, 5),
            "Or" => new CompareOp(n, 6),
            "Xor" => new CompareOp(n, 7),
            "Not" => new NotOp(n),
            "Where" => new WhereOp(n),
            "Expand" => new ExpandOp(n, c),
            "Concat" => new ConcatOp(n),
            "Reshape" => new AliasOp(n, AliasKind.Reshape, c),
            "Flatten" => new AliasOp(n, AliasKind.Flatten, c),
            "Squeeze" => new AliasOp(n, AliasKind.Squeeze, c),
            "Unsqueeze" => new AliasOp(n, AliasKind.Unsqueeze, c),
            "Transpose" => new TransposeOp(n),
            "Slice" => new SliceOp(n, c),
            "Split" => new SplitOp(n, c),
            "Resize" => new ResizeOp(n, c),
            "ReduceMean" => new ReduceOp(n, c, 1),
            "ReduceSum" => new ReduceOp(n, c, 0),
            "ReduceMax" => new ReduceOp(n, c, 2),
            "ReduceMin" => new ReduceOp(n, c, 3),
            "ReduceSumSquare" => new ReduceOp(n, c, 4),
            "ReduceL2" => new ReduceOp(n, c, 5),
            "ReduceL1" => new ReduceOp(n, c, 6),
            "Pad" => new PadOp(n, c),
            _ => throw new OnnxRuntimeException(ErrorCode.NotImplemented, $"{n.Describe()}: not supported by the GPU device"),
        };
    }

    public readonly record struct Act(int Code, float A, float B);

    /// <summary>The activation code of a unary node, or null when it is not one.</summary>
    public static Act? ActivationOf(Node n, IConstants c)
    {
        var at = n.Attributes;
        switch (n.OpType)
        {
            case "Relu": return new Act(ActRelu, 0, 0);
            case "Clip":
                {
                    float lo = float.NegativeInfinity, hi = float.PositiveInfinity;
                    if (n.OpsetVersion > 0 && n.OpsetVersion < 11) { lo = at.GetFloat("min", lo); hi = at.GetFloat("max", hi); }
                    else
                    {
                        if (n.HasInput(1)) lo = (c.Get(n.Inputs[1]) ?? throw new NotSupportedException("Clip min must be constant")).ToDoubleArray()[0] is var l ? (float)l : lo;
                        if (n.HasInput(2)) hi = (c.Get(n.Inputs[2]) ?? throw new NotSupportedException("Clip max must be constant")).ToDoubleArray()[0] is var h ? (float)h : hi;
                    }
                    return new Act(ActClip, lo, hi);
                }
            case "LeakyRelu": return new Act(ActLeakyRelu, at.GetFloat("alpha", 0.01f), 0);
            case "Sigmoid": return new Act(ActSigmoid, 0, 0);
            case "Tanh": return new Act(ActTanh, 0, 0);
            case "HardSigmoid": return new Act(ActHardSigmoid, at.GetFloat("alpha", 0.2f), at.GetFloat("beta", 0.5f));
            case "HardSwish": return new Act(ActHardSwish, 0, 0);
            case "Exp": return new Act(ActExp, 0, 0);
            case "Log": return new Act(ActLog, 0, 0);
            case "Sqrt": return new Act(ActSqrt, 0, 0);
            case "Abs": return new Act(ActAbs, 0, 0);
            case "Neg": return new Act(ActNeg, 0, 0);
            case "Reciprocal": return new Act(ActReciprocal, 0, 0);
            case "Floor": return new Act(ActFloor, 0, 0);
            case "Ceil": return new Act(ActCeil, 0, 0);
            case "Elu": return new Act(ActElu, at.GetFloat("alpha", 1f), 0);
            case "Selu": return new Act(ActSelu, at.GetFloat("alpha", 1.67326319217681884765625f), at.GetFloat("gamma", 1.05070102214813232421875f));
            case "Softplus": return new Act(ActSoftplus, 0, 0);
            case "Softsign": return new Act(ActSoftsign, 0, 0);
            case "Erf": return new Act(ActErf, 0, 0);
            case "Gelu": return new Act(at.GetString("approximate", "none") == "tanh" ? ActGeluTanh : ActGelu, 0, 0);
            case "Sin": return new Act(ActSin, 0, 0);
            case "Cos": return new Act(ActCos, 0, 0);
            case "Mish": return new Act(ActMish, 0, 0);
            case "Sign": return new Act(ActSign, 0, 0);
            case "Round": return new Act(ActRound, 0, 0);
            case "Identity": return new Act(ActIdentity, 0, 0);
            case "Dropout": return new Act(ActIdentity, 0, 0);
        }
        return null;
    }

    /// <summary>Constant int64 values of input <paramref name="i"/>; null when absent; throws when not constant.</summary>
    public static long[]? ConstInts(Node n, IConstants c, int i)
    {
        if (!n.HasInput(i)) return null;
        var t = c.Get(n.Inputs[i]) ?? throw new NotSupportedException($"{n.Describe()}: input {i} ('{n.Inputs[i]}') must be a constant for the GPU device");
        return t.ToInt64Array();
    }

    public static float[]? ConstFloats(Node n, IConstants c, int i)
    {
        if (!n.HasInput(i)) return null;
        var t = c.Get(n.Inputs[i]) ?? throw new NotSupportedException($"{n.Describe()}: input {i} ('{n.Inputs[i]}') must be a constant for the GPU device");
        return t.ToDoubleArray().Select(d => (float)d).ToArray();
    }

    public static int Axis(long axis, int rank) => (int)(axis < 0 ? axis + rank : axis);
}

internal sealed class UnaryOp(Node n, int act, float a, float b) : GpuOp(n)
{
    public override void Run(GpuExec e)
    {
        var x = e.Get(Node.Inputs[0]);
        var y = e.Alloc(x.Shape);
        e.Launch1("unary", x.Length, x, y, x.Length, act, a, b);
        e.Values[Out] = y;
    }
}

internal sealed class BinaryOp(Node n, int op) : GpuOp(n)
{
    private int _act = -1;

    public override void Run(GpuExec e)
    {
        if (Node.Inputs.Count == 1) { e.Values[Out] = e.Get(Node.Inputs[0]); return; }
        var a = e.Get(Node.Inputs[0]);
        var b = e.Get(Node.Inputs[1]);
        var y = RunPair(e, a, b);
        for (int i = 2; i < Node.Inputs.Count; i++) y = RunPair(e, y, e.Get(Node.Inputs[i]));
        e.Values[Out] = y;
    }

    private DevTensor RunPair(GpuExec e, DevTensor a, DevTensor b)
    {
        var bc = Broadcast(this, a.Shape, b.Shape);
        if (a.IsInt || b.IsInt)
        {
            if (a.IsInt != b.IsInt) throw Fail($"operands are {a.Type} and {b.Type}");
            // Shape arithmetic on host-known ints stays on the host (and keeps a host copy for Reshape & co.).
            if (a.Host is { } ha && b.Host is { } hb) return e.Ints(HostBinary(bc, ha, hb, op), bc.Shape, a.Type);
            var yi = e.Alloc(bc.Shape, a.Type);
            e.Launch1("binary_i", yi.Length, a, b, yi, yi.Length, op, bc.Dims, bc.Sa, bc.Sb, bc.Plain, bc.Fast);
            return yi;
        }
        var y = e.Alloc(bc.Shape);
        e.Launch1("binary", y.Length, a, b, y, y.Length, op, bc.Dims, bc.Sa, bc.Sb, bc.Plain, bc.Fast);
        if (_act > 0) e.Launch1("unary", y.Length, y, y, y.Length, _act, 0f, 0f);
        return y;
    }

    /// <summary>The int kernel's arithmetic (binary_i) on the host: 32-bit wrap-around, division truncating, by zero giving 0.</summary>
    private static int[] HostBinary(Bcast bc, int[] a, int[] b, int op)
    {
        var y = new int[Tensor.ElementCount(bc.Shape)];
        for (int i = 0; i < y.Length; i++)
        {
            int r = i, ia = 0, ib = 0;
            for (int k = 7; k >= 0; k--) { int q = r % bc.Dims[k]; r /= bc.Dims[k]; ia += q * bc.Sa[k]; ib += q * bc.Sb[k]; }
            int x = a[ia], v = b[ib];
            y[i] = op switch
            {
                BinAdd => unchecked(x + v),
                BinSub => unchecked(x - v),
                BinMul => unchecked(x * v),
                BinDiv => v == 0 ? 0 : x == int.MinValue && v == -1 ? x : x / v,
                BinMax => Math.Max(x, v),
                BinMin => Math.Min(x, v),
                BinMod => v is 0 or -1 ? 0 : ((x % v) is var m && m != 0 && (m < 0) != (v < 0) ? m + v : m),
                BinFmod => v is 0 or -1 ? 0 : x % v,
                _ => throw new NotSupportedException($"integer binary op {op}"),
            };
        }
        return y;
    }

    /// <summary>Numpy broadcasting of two shapes as the binary-style kernels take it (padded dims, strides, fast-path mode).</summary>
    internal readonly record struct Bcast(int[] Shape, int[] Dims, int[] Sa, int[] Sb, int Plain, int[] Fast);

    internal static Bcast Broadcast(GpuOp op, int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var shape = new int[rank];
        var da = GpuExec.Pad8(a, 1);
        var db = GpuExec.Pad8(b, 1);
        var dy = new int[8];
        for (int k = 0; k < 8; k++)
        {
            if (da[k] != db[k] && da[k] != 1 && db[k] != 1) throw op.Fail($"shapes [{string.Join(",", a)}] and [{string.Join(",", b)}] do not broadcast");
            dy[k] = da[k] == 1 ? db[k] : da[k];
        }
        for (int k = 0; k < rank; k++) shape[k] = dy[8 - rank + k];
        int[] sa = BroadcastStrides(da, dy), sb = BroadcastStrides(db, dy);
        int plain = a.AsSpan().SequenceEqual(b) ? 1 : 0;
        var fast = new int[4];
        if (plain == 0 && Collapse(da, dy, out fast[0], out fast[1]) && Collapse(db, dy, out fast[2], out fast[3])) plain = 2;
        return new Bcast(shape, dy, sa, sb, plain, fast);
    }

    /// <summary>
    /// True when an operand of padded dims <paramref name="d"/> broadcast to <paramref name="dy"/> is read at
    /// (i / inner) % len: its non-1 dims are one contiguous run equal to the output's there (or it is a scalar).
    /// </summary>
    private static bool Collapse(int[] d, int[] dy, out int inner, out int len)
    {
        inner = 1;
        len = 1;
        int first = -1, last = -1;
        for (int k = 0; k < 8; k++)
            if (d[k] != 1) { if (first < 0) first = k; last = k; }
        if (first < 0) return true; // scalar: index 0
        for (int k = first; k <= last; k++)
        {
            if (d[k] != dy[k]) return false;
            len *= d[k];
        }
        for (int k = last + 1; k < 8; k++) inner *= dy[k];
        return true;
    }

    internal static int[] BroadcastStrides(int[] d, int[] dy)
    {
        var s = new int[8];
        int acc = 1;
        for (int k = 7; k >= 0; k--) { s[k] = d[k] == 1 && dy[k] != 1 ? 0 : acc; acc *= d[k]; }
        return s;
    }
}

internal sealed class ConvOp : GpuOp
{
    private readonly bool _transpose;
    private readonly long[]? _kernelShape, _strides, _pads, _dilations, _outputPadding, _outputShape;
    private readonly string _autoPad;
    private readonly int _group;
    private int _act;
    private float _a, _b;

    public ConvOp(Node n, IConstants c, bool transpose) : base(n)
    {
        _transpose = transpose;
        var at = n.Attributes;
        _kernelShape = at.GetInts("kernel_shape");
        _strides = at.GetInts("strides");
        _pads = at.GetInts("pads");
        _dilations = at.GetInts("dilations");
        _outputPadding = at.GetInts("output_padding");
        _outputShape = at.GetInts("output_shape");
        _autoPad = at.GetString("auto_pad", "NOTSET");
        _group = (int)at.GetInt("group", 1);
    }

    public override bool TryFuse(int act, float a, float b)
    {
        if (_act != 0) return false;
        (_act, _a, _b) = (act, a, b);
        return true;
    }

    public override void Run(GpuExec e)
    {
        var x = e.Get(Node.Inputs[0]);
        var w = e.Get(Node.Inputs[1]);
        bool hasBias = Node.HasInput(2);
        var bias = hasBias ? e.Get(Node.Inputs[2]) : w;
        if (x.Shape.Length != 4 || w.Shape.Length != 4) throw Fail($"only 2-D convolution (4-D input) is supported, got input rank {x.Shape.Length}");
        int N = x.Shape[0], C = x.Shape[1], H = x.Shape[2], W = x.Shape[3];
        int KH = w.Shape[2], KW = w.Shape[3];
        int sh = (int)(_strides?[0] ?? 1), sw = (int)(_strides?[1] ?? 1);
        int dh = (int)(_dilations?[0] ?? 1), dw = (int)(_dilations?[1] ?? 1);
        int pt = (int)(_pads?[0] ?? 0), pl = (int)(_pads?[1] ?? 0), pb = (int)(_pads?[2] ?? 0), pr = (int)(_pads?[3] ?? 0);
        int M, OH, OW;
        if (!_transpose)
        {
            M = w.Shape[0];
            if (w.Shape[1] * _group != C) throw Fail($"weight has {w.Shape[1]} input channels per group, input has {C} channels and group {_group}");
            int ekh = (KH - 1) * dh + 1, ekw = (KW - 1) * dw + 1;
            if (_autoPad is "SAME_UPPER" or "SAME_LOWER")
            {
                OH = (H + sh - 1) / sh; OW = (W + sw - 1) / sw;
                int th = Math.Max(0, (OH - 1) * sh + ekh - H), tw = Math.Max(0, (OW - 1) * sw + ekw - W);
                pt = _autoPad == "SAME_UPPER" ? th / 2 : th - th / 2;
                pl = _autoPad == "SAME_UPPER" ? tw / 2 : tw - tw / 2;
            }
            else
            {
                if (_autoPad == "VALID") { pt = pl = pb = pr = 0; }
                OH = (H + pt + pb - ekh) / sh + 1; OW = (W + pl + pr - ekw) / sw + 1;
            }
            var y = e.Alloc([N, M, OH, OW]);
            int[] p0 = [N, C, H, W, M, OH, OW, _group], p1 = [KH, KW, sh, sw, pt, pl, dh, dw];
            if (KH == 1 && KW == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && pb == 0 && pr == 0 && _group == 1)
            {
                // Pointwise conv is a GEMM per image: Y[n] (M x HW) = W (M x C) · X[n] (C x HW) + bias, on the tiled
                // local-memory matmul kernel (most of MobileNet/PP-LCNet's arithmetic). The activation runs after.
                int hw = H * W;
                e.MatMul(w, x, bias, y, M, hw, C, N, [C, 1, 0, 0], [hw, 1, C * hw, 0], [1, 0, 0, hasBias ? 1 : 0], 1f, 1f, 0);
                if (_act != 0) e.Launch1("unary", y.Length, y, y, y.Length, _act, _a, _b);
            }
            else if (M % 4 == 0 && (M / _group) % 4 == 0 && M / _group >= 4)
                e.Launch1("conv2d_m4", N * (M / 4) * OH * OW, x, w, bias, y, p0, p1, hasBias ? 1 : 0, _act, _a, _b);
            else
                e.Launch1("conv2d", y.Length, x, w, bias, y, p0, p1, hasBias ? 1 : 0, _act, _a, _b);
            e.Values[Out] = y;
        }
        else
        {
            M = w.Shape[1] * _group;
            int oph = (int)(_outputPadding?[0] ?? 0), opw = (int)(_outputPadding?[1] ?? 0);
            if (_outputShape is { Length: >= 2 })
            {
                OH = (int)_outputShape[^2]; OW = (int)_outputShape[^1];
                int th = sh * (H - 1) + oph + ((KH - 1) * dh + 1) - OH, tw = sw * (W - 1) + opw + ((KW - 1) * dw + 1) - OW;
                if (_autoPad == "SAME_UPPER") { pt = th / 2; pl = tw / 2; } else { pt = th - th / 2; pl = tw - tw / 2; }
            }
            else if (_autoPad is "SAME_UPPER" or "SAME_LOWER")
            {
                OH = H * sh; OW = W * sw;
                int th = sh * (H - 1) + oph + ((KH - 1) * dh + 1) - OH, tw = sw * (W - 1) + opw + ((KW - 1) * dw + 1) - OW;
                if (_autoPad == "SAME_UPPER") { pt = th / 2; pl = tw / 2; } else { pt = th - th / 2; pl = tw - tw / 2; }
            }
            else
            {
                if (_autoPad == "VALID") { pt = pl = pb = pr = 0; }
                OH = sh * (H - 1) + oph + ((KH - 1) * dh + 1) - pt - pb;
                OW = sw * (W - 1) + opw + ((KW - 1) * dw + 1) - pl - pr;
            }
            var y = e.Alloc([N, M, OH, OW]);
            e.Launch1("convt2d", y.Length, x, w, bias, y, new[] { N, C, H, W, M, OH, OW, _group }, new[] { KH, KW, sh, sw, pt, pl, dh, dw }, hasBias ? 1 : 0, _act, _a, _b);
            e.Values[Out] = y;
        }
    }
}

internal sealed class MatMulOp : GpuOp
{
    private readonly bool _gemm;
    private readonly bool _transA, _transB;
    private readonly float _alpha, _beta;
    private int _act;

    public MatMulOp(Node n, bool gemm) : base(n)
    {
        _gemm = gemm;
        _transA = gemm && n.Attributes.GetInt("transA", 0) != 0;
        _transB = gemm && n.Attributes.GetInt("transB", 0) != 0;
        _alpha = gemm ? n.Attributes.GetFloat("alpha", 1f) : 1f;
        _beta = gemm ? n.Attributes.GetFloat("beta", 1f) : 0f;
    }

    public override bool TryFuse(int act, float a, float b)
    {
        if (_act != 0 || act is not (ActRelu or ActSigmoid or ActTanh)) return false;
        _act = act;
        return true;
    }

    public override void Run(GpuExec e)
    {
        var a = e.Get(Node.Inputs[0]);
        var b = e.Get(Node.Inputs[1]);
        int M, N, K, batch = 1;
        int[] sa, sb, sc = [0, 0, 0, 0];
        int[] shape;
        DevTensor c = a;
        if (_gemm)
        {
            if (a.Shape.Length != 2 || b.Shape.Length != 2) throw Fail("Gemm inputs must be 2-D");
            M = _transA ? a.Shape[1] : a.Shape[0]; K = _transA ? a.Shape[0] : a.Shape[1];
            N = _transB ? b.Shape[0] : b.Shape[1];
            int kb = _transB ? b.Shape[1] : b.Shape[0];
            if (kb != K) throw Fail($"inner dimensions differ: A gives K={K}, B gives {kb}");
            sa = _transA ? [1, M, 0, 0] : [K, 1, 0, 0];
            sb = _transB ? [1, K, 0, 0] : [N, 1, 0, 0];
            if (Node.HasInput(2) && _beta != 0)
            {
                c = e.Get(Node.Inputs[2]);
                var cd = GpuExec.Pad8(c.Shape, 1);
                int cr = cd[6], cc = cd[7];
                sc = [cr == 1 ? 0 : cc, cc == 1 ? 0 : 1, 0, 1];
            }
            shape = [M, N];
        }
        else
        {
            var ash = a.Shape.Length == 1 ? new[] { 1, a.Shape[0] } : a.Shape;
            var bsh = b.Shape.Length == 1 ? new[] { b.Shape[0], 1 } : b.Shape;
            M = ash[^2]; K = ash[^1]; N = bsh[^1];
            if (bsh[^2] != K) throw Fail($"inner dimensions differ: A [{string.Join(",", a.Shape)}], B [{string.Join(",", b.Shape)}]");
            int ba = Tensor.ElementCount(ash.AsSpan(0, ash.Length - 2)), bb = Tensor.ElementCount(bsh.AsSpan(0, bsh.Length - 2));
            int[] batchShape;
            if (ba == bb && ash.Length == bsh.Length) { batch = ba; batchShape = ash[..^2]; }
            else if (bb == 1) { batch = ba; batchShape = ash[..^2]; }
            else if (ba == 1) { batch = bb; batchShape = bsh[..^2]; }
            else throw Fail($"batch broadcasting of [{string.Join(",", a.Shape)}] x [{string.Join(",", b.Shape)}] is not supported");
            sa = [K, 1, ba == 1 ? 0 : M * K, 0];
            sb = [N, 1, bb == 1 ? 0 : K * N, 0];
            var s = new List<int>(batchShape);
            if (a.Shape.Length > 1) s.Add(M);
            if (b.Shape.Length > 1) s.Add(N);
            shape = s.ToArray();
        }
        var y = e.Alloc(shape);
        e.MatMul(a, b, c, y, M, N, K, batch, sa, sb, sc, _alpha, _beta, _act);
        e.Values[Out] = y;
    }
}

internal sealed class PoolOp : GpuOp
{
    private readonly bool _isMax;
    private readonly long[] _kernel;
    private readonly long[]? _strides, _pads, _dilations;
    private readonly string _autoPad;
    private readonly bool _ceil, _countIncludePad;

    public PoolOp(Node n, bool isMax) : base(n)
    {
        _isMax = isMax;
        var at = n.Attributes;
        _kernel = at.GetInts("kernel_shape") ?? throw new NotSupportedException("kernel_shape required");
        _strides = at.GetInts("strides");
        _pads = at.GetInts("pads");
        _dilations = at.GetInts("dilations");
        _autoPad = at.GetString("auto_pad", "NOTSET");
        _ceil = at.GetInt("ceil_mode", 0) != 0;
        _countIncludePad = at.GetInt("count_include_pad", 0) != 0;
    }

    public override void Run(GpuExec e)
    {
        var x = e.Get(Node.Inputs[0]);
        if (x.Shape.Length != 4 || _kernel.Length != 2) throw Fail("only 2-D pooling is supported");
        int N = x.Shape[0], C = x.Shape[1], H = x.Shape[2], W = x.Shape[3];
        int KH = (int)_kernel[0], KW = (int)_kernel[1];
        int sh = (int)(_strides?[0] ?? 1), sw = (int)(_strides?[1] ?? 1);
        int dh = (int)(_dilations?[0] ?? 1), dw = (int)(_dilations?[1] ?? 1);
        int pt = (int)(_pads?[0] ?? 0), pl = (int)(_pads?[1] ?? 0), pb = (int)(_pads?[2] ?? 0), pr = (int)(_pads?[3] ?? 0);
        int ekh = (KH - 1) * dh + 1, ekw = (KW - 1) * dw + 1;
        int OH, OW;
        if (_autoPad is "SAME_UPPER" or "SAME_LOWER")
        {
            OH = (H + sh - 1) / sh; OW = (W + sw - 1) / sw;
            int th = Math.Max(0, (OH - 1) * sh + ekh - H), tw = Math.Max(0, (OW - 1) * sw + ekw - W);
            pt = _autoPad == "SAME_UPPER" ? th / 2 : th - th / 2; pb = th - pt;
            pl = _autoPad == "SAME_UPPER" ? tw / 2 : tw - tw / 2; pr = tw - pl;
        }
        else
        {
            if (_autoPad == "VALID") pt = pl = pb = pr = 0;
            OH = Out1(H, H + pt + pb - ekh, sh, pt); OW = Out1(W, W + pl + pr - ekw, sw, pl);
            int Out1(int dim, int span, int s, int padBegin)
            {
                if (!_ceil) return span / s + 1;
                int o = (span + s - 1) / s + 1;
                if ((o - 1) * s >= dim + padBegin) o--; // the last window must start inside the input or the leading pad
                return o;
            }
        }
        var y = e.Alloc([N, C, OH, OW]);
        int[] p = [N, C, H, W, OH, OW, KH, KW, sh, sw, pt, pl, dh, dw, _isMax ? 1 : 0, _countIncludePad ? 1 : 0];
        e.Launch1("pool2d", y.Length, x, y, p, new[] { pb, pr });
        e.Values[Out] = y;
    }
}

internal sealed class GlobalPoolOp(Node n, bool isMax) : GpuOp(n)
{
    public override void Run(GpuExec e)
    {
        var x = e.Get(Node.Inputs[0]);
        if (x.Shape.Length < 3) throw Fail("input must have rank ≥ 3");
        int nc = x.Shape[0] * x.Shape[1], hw = x.Length / Math.Max(1, nc);
        var shape = x.Shape.ToArray();
        for (int i = 2; i < shape.Length; i++) shape[i] = 1;
        var y = e.Alloc(shape);
        e.Launch1("global_pool", nc, x, y, nc, hw, isMax ? 1 : 0);
        e.Values[Out] = y;
    }
}

internal sealed class BatchNormOp : GpuOp
{
    public float[] Scale { get; }
    public float[] Shift { get; }
    private int _act;

    public BatchNormOp(Node n, IConstants c) : base(n)
    {
        float eps = n.Attributes.GetFloat("epsilon", 1e-5f);
        var s = OpFactory.ConstFloats(n, c, 1)!;
        var b = OpFactory.ConstFloats(n, c, 2)!;
        var mean = OpFactory.ConstFloats(n, c, 3)!;
        var v = OpFactory.ConstFloats(n, c, 4)!;
        Scale = new float[s.Length];
        Shift = new float[s.Length];
        for (int i = 0; i < s.Length; i++)
        {
            Scale[i] = s[i] / MathF.Sqrt(v[i] + eps);
            Shift[i] = b[i] - mean[i] * Scale[i];
        }
    }

    public override bool TryFuse(int act, float a, float b)
    {
        if (_act != 0 || act is not (ActRelu or ActSigmoid or ActTanh or ActHardSwish)) return false;
        _act = act;
        return true;
    }

    public override void Run(GpuExec e)
    {
        var x = e.Get(Node.Inputs[0]);
        var sb = e.Get("\u0001bn_scale:" + Node.Inputs[1] + "|" + Out);
        var bb = e.Get("\u0001bn_shift:" + Node.Inputs[2] + "|" + Out);
        int C = x.Shape.Length > 1 ? x.Shape[1] : 1;
        if (C != Scale.Length) throw Fail($"input has {C} channels, scale has {Scale.Length}");
        int inner = 1;
        for (int i = 2; i < x.Shape.Length; i++) inner *= x.Shape[i];
        var y = e.Alloc(x.Shape);
        e.Launch1("channel_affine", y.Length, x, sb, bb, y, y.Length, C, inner, _act);
        e.Values[Out] = y;
    }
}

internal sealed class SoftmaxOp(Node n, bool isLog) : GpuOp(n)
{
    public override void Run(GpuExec e)
    {
        var x = e.Get(Node.Inputs[0]);
        int rank = x.Shape.Length;
        bool legacy = Node.OpsetVersion > 0 && Node.OpsetVersion < 13;
        int axis = OpFactory.Axis(Node.Attributes.GetInt("axis", legacy ? 1 : -1), rank);
        int outer = 1, len = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= x.Shape[i];
        if (legacy) for (int i = axis; i < rank; i++) len *= x.Shape[i];
        else
        {
            len = x.Shape[axis];
            for (int i = axis + 1; i < rank; i++) inner *= x.Shape[i];
        }
        var y = e.Alloc(x.Shape);
        e.Launch1("softmax", outer * inner, x, y, outer, len, inner, isLog ? 1 : 0);
        e.Values[Out] = y;
    }
}

/// <summary>LayerNormalization (Y only; scale/bias over the normalised dims) and InstanceNormalization (per-channel scale/bias).</summary>
internal sealed class NormOp(Node n, bool instance) : GpuOp(n)
{
    public override void Run(GpuExec e)
    {
        var x = e.Get(Node.Inputs[0]);
        var scale = e.Get(Node.Inputs[1]);
        bool hasBias = Node.HasInput(2);
        var bias = hasBias ? e.Get(Node.Inputs[2]) : scale;
        int rank = x.Shape.Length;
        float eps = Node.Attributes.GetFloat("epsilon", 1e-5f);
        int rows = 1, len = 1, perChannel = 0;
        if (instance)
        {
            if (rank < 3) throw Fail($"input rank {rank} < 3");
            rows = x.Shape[0] * x.Shape[1];
            for (int i = 2; i < rank; i++) len *= x.Shape[i];
            perChannel = x.Shape[1];
            if (scale.Length != perChannel || (hasBias && bias.Length != perChannel)) throw Fail("scale/B must have one value per channel");
        }
        else
        {
            int axis = OpFactory.Axis(Node.Attributes.GetInt("axis", -1), rank);
            for (int i = 0; i < axis; i++) rows *= x.Shape[i];
            for (int i = axis; i < rank; i++) len *= x.Shape[i];
            // Scale/B broadcast over the normalised dims: the kernel indexes them by position in the row.
            if (scale.Length != len || (hasBias && bias.Length != len))
                throw Fail($"Scale/B of {scale.Length} elements for rows of {len} (a broadcast Scale is not supported)");
        }
        var y = e.Alloc(x.Shape);
        // LayerNormalization's optional Mean/InvStdDev: one value per row, shaped as X with the normalised dims 1.
        bool stats = !instance && (Node.HasOutput(1) || Node.HasOutput(2));
        DevTensor mean = y, inv = y;
        if (stats)
        {
            int axis = OpFactory.Axis(Node.Attributes.GetInt("axis", -1), rank);
            var statShape = x.Shape.Select((d, i) => i < axis ? d : 1).ToArray();
            mean = e.Alloc(statShape);
            inv = e.Alloc(statShape);
        }
        e.Launch1("norm_rows", rows, x, scale, bias, y, rows, len, eps, perChannel, hasBias ? 1 : 0, mean, inv, stats ? 1 : 0);
        e.Values[Out] = y;
        if (stats)
        {
            if (Node.HasOutput(1)) e.Values[Node.Outputs[1]] = mean;
            if (Node.HasOutput(2)) e.Values[Node.Outputs[2]] = inv;
        }
    }
}

internal sealed class ConcatOp(Node n) : GpuOp(n)
{
    public override void Run(GpuExec e)
    {
        var inputs = Node.Inputs.Where(s => s.Length > 0).Select(e.Get).ToArray();
        var first = inputs[0];
        int rank = first.Shape.Length;
        int axis = OpFactory.Axis(Node.Attributes.GetInt("axis"), rank);
        var shape = first.Shape.ToArray();
        shape[axis] = inputs.Sum(t => t.Shape[axis]);
        if (inputs.All(t => t.Host is not null))
        {
            // Shape arithmetic (Shape → Concat → Reshape): concatenate the host copies; nothing runs on the device.
            var host = new List<int>();
            int outer = Tensor.ElementCount(shape.AsSpan(0, axis));
            for (int o = 0; o < outer; o++)
                foreach (var t in inputs)
                {
                    int block = t.Length / Math.Max(1, outer);
                    host.AddRange(t.Host!.AsSpan(o * block, block).ToArray());
                }
            e.Values[Out] = e.Ints(host.ToArray(), shape, first.Type);
            return;
        }
        var y = e.Alloc(shape, first.Type);
        var ys = GpuExec.Strides(shape);
        int offset = 0;
        foreach (var t in inputs)
        {
            if (t.Length > 0)
                e.Launch1(t.IsInt ? "strided_copy_i" : "strided_copy", t.Length, t, y, t.Length, GpuExec.Dims8(t.Shape), GpuExec.Pad8(GpuExec.Strides(t.Shape)), 0, GpuExec.Pad8(ys), offset * ys[axis]);
            offset += t.Shape[axis];
        }
        e.Values[Out] = y;
    }
}

internal enum AliasKind { Identity, Reshape, Flatten, Squeeze, Unsqueeze }

/// <summary>Shape-only ops: the output shares the input's device buffer.</summary>
internal sealed class AliasOp : GpuOp
{
    private readonly AliasKind _kind;
    private readonly IConstants _c;

    public AliasOp(Node n, AliasKind kind, IConstants c) : base(n)
    {
        _kind = kind;
        _c = c;
    }

    /// <summary>Reshape's shape or (Un)Squeeze's axes: an attribute before opset 5/13, else input 1 (constant or run-time).</summary>
    private long[]? ShapeOrAxes(GpuExec e) => _kind switch
    {
        AliasKind.Reshape => Node.OpsetVersion is > 0 and < 5 ? Node.Attributes.GetInts("shape") : Ints(e, _c, 1),
        AliasKind.Squeeze or AliasKind.Unsqueeze => Node.OpsetVersion is > 0 and < 13 ? Node.Attributes.GetInts("axes") : Ints(e, _c, 1),
        _ => null,
    };

    public override void Run(GpuExec e)
    {
        var x = e.Get(Node.Inputs[0]);
        var shapeOrAxes = ShapeOrAxes(e);
        var s = x.Shape;
        int[] shape;
        switch (_kind)
        {
            case AliasKind.Identity: shape = s; break;
            case AliasKind.Flatten:
                {
                    int axis = OpFactory.Axis(Node.Attributes.GetInt("axis", 1), s.Length);
                    int outer = Tensor.ElementCount(s.AsSpan(0, axis));
                    shape = [outer, outer == 0 ? 0 : x.Length / outer];
                    break;
                }
            case AliasKind.Reshape:
                {
                    var req = shapeOrAxes!;
                    bool allowZero = Node.Attributes.GetInt("allowzero", 0) != 0;
                    shape = new int[req.Length];
                    int known = 1, infer = -1;
                    for (int i = 0; i < req.Length; i++)
                    {
                        if (req[i] == -1) { infer = i; continue; }
                        shape[i] = req[i] == 0 && !allowZero ? s[i] : (int)req[i];
                        known *= shape[i];
                    }
                    if (infer >= 0) shape[infer] = known == 0 ? 0 : x.Length / known;
                    break;
                }
            case AliasKind.Squeeze:
                {
                    var axes = shapeOrAxes?.Select(a => OpFactory.Axis(a, s.Length)).ToHashSet();
                    shape = s.Where((d, i) => axes is null ? d != 1 : !axes.Contains(i)).ToArray();
                    break;
                }
            default:
                {
                    int outRank = s.Length + shapeOrAxes!.Length;
                    var axes = shapeOrAxes.Select(a => OpFactory.Axis(a, outRank)).ToHashSet();
                    shape = new int[outRank];
                    int j = 0;
                    for (int i = 0; i < outRank; i++) shape[i] = axes.Contains(i) ? 1 : s[j++];
                    break;
                }
        }
        if (Tensor.ElementCount(shape) != x.Length) throw Fail($"cannot reshape [{string.Join(",", s)}] to [{string.Join(",", shape)}]");
        e.Values[Out] = x.WithShape(shape);
    }
}

internal sealed class TransposeOp(Node n) : GpuOp(n)
{
    public override void Run(GpuExec e)
    {
        var x = e.Get(Node.Inputs[0]);
        int rank = x.Shape.Length;
        var perm = Node.Attributes.GetInts("perm") is { Length: > 0 } p ? p.Select(v => (int)v).ToArray() : Enumerable.Range(0, rank).Reverse().ToArray();
        var xs = GpuExec.Strides(x.Shape);
        var shape = new int[rank];
        var src = new int[rank];
        for (int i = 0; i < rank; i++) { shape[i] = x.Shape[perm[i]]; src[i] = xs[perm[i]]; }
        e.Values[Out] = e.StridedCopy(x, shape, src, 0);
    }
}

internal sealed class SliceOp : GpuOp
{
    private readonly IConstants _c;

    public SliceOp(Node n, IConstants c) : base(n) => _c = c;

    public override void Run(GpuExec e)
    {
        long[] starts, ends;
        long[]? axes, steps = null;
        if (Node.OpsetVersion is > 0 and < 10)
        {
            starts = Node.Attributes.GetInts("starts")!;
            ends = Node.Attributes.GetInts("ends")!;
            axes = Node.Attributes.GetInts("axes");
        }
        else
        {
            starts = Ints(e, _c, 1)!;
            ends = Ints(e, _c, 2)!;
            axes = Ints(e, _c, 3);
            steps = Ints(e, _c, 4);
        }
        var x = e.Get(Node.Inputs[0]);
        int rank = x.Shape.Length;
        var shape = x.Shape.ToArray();
        var xs = GpuExec.Strides(x.Shape);
        var src = xs.ToArray();
        int offset = 0;
        for (int i = 0; i < starts.Length; i++)
        {
            int ax = OpFactory.Axis(axes?[i] ?? i, rank);
            long dim = x.Shape[ax], step = steps?[i] ?? 1;
            long st = starts[i], en = ends[i];
            if (st < 0) st += dim;
            if (en < 0) en += dim;
            long count;
            if (step > 0)
            {
                st = Math.Clamp(st, 0, dim); en = Math.Clamp(en, 0, dim);
                count = en > st ? (en - st + step - 1) / step : 0;
            }
            else
            {
                st = Math.Clamp(st, 0, dim - 1); en = Math.Clamp(en, -1, dim - 1);
                count = st > en ? (st - en + (-step) - 1) / (-step) : 0;
            }
            shape[ax] = (int)count;
            src[ax] = (int)(xs[ax] * step);
            if (count > 0) offset += (int)(st * xs[ax]);
        }
        e.Values[Out] = e.StridedCopy(x, shape, src, offset);
    }
}

internal sealed class SplitOp : GpuOp
{
    private readonly IConstants _c;

    public SplitOp(Node n, IConstants c) : base(n) => _c = c;

    public override void Run(GpuExec e)
    {
        var split = Node.OpsetVersion is > 0 and < 13 ? Node.Attributes.GetInts("split") : Ints(e, _c, 1);
        if (split is { Length: 0 }) split = null;
        var x = e.Get(Node.Inputs[0]);
        int rank = x.Shape.Length;
        int axis = OpFactory.Axis(Node.Attributes.GetInt("axis", 0), rank);
        int parts = Node.Outputs.Count, dim = x.Shape[axis];
        var sizes = new int[parts];
        if (split is not null) for (int i = 0; i < parts; i++) sizes[i] = (int)split[i];
        else
        {
            int chunk = (dim + parts - 1) / parts;
            for (int i = 0; i < parts; i++) sizes[i] = Math.Max(0, Math.Min(chunk, dim - i * chunk));
        }
        var xs = GpuExec.Strides(x.Shape);
        int offset = 0;
        for (int i = 0; i < parts; i++)
        {
            var shape = x.Shape.ToArray();
            shape[axis] = sizes[i];
            var y = e.StridedCopy(x, shape, xs, offset * xs[axis]);
            offset += sizes[i];
            if (Node.HasOutput(i)) e.Values[Node.Outputs[i]] = y;
        }
    }
}

internal sealed class ResizeOp : GpuOp
{
    private readonly float[]? _scales;
    private readonly long[]? _sizes;
    private readonly bool _linear;
    private readonly int _coord, _nearest;

    public ResizeOp(Node n, IConstants c) : base(n)
    {
        var at = n.Attributes;
        string mode = at.GetString("mode", "nearest");
        _linear = mode is "linear" or "bilinear";
        if (!_linear && mode != "nearest") throw new NotSupportedException($"Resize mode {mode}");
        if (n.OpType == "Upsample" || n.OpsetVersion is > 0 and < 11)
        {
            _scales = n.OpsetVersion is > 0 and < 9 ? at.GetFloats("scales") : OpFactory.ConstFloats(n, c, 1);
            _coord = 3; _nearest = 2; // asymmetric + floor, the Upsample / Resize-10 behaviour
        }
        else
        {
            _scales = OpFactory.ConstFloats(n, c, 2);
            if (_scales is { Length: 0 }) _scales = null;
            _sizes = OpFactory.ConstInts(n, c, 3);
            _coord = at.GetString("coordinate_transformation_mode", "half_pixel") switch
            {
                "half_pixel" => 0, "pytorch_half_pixel" => 1, "align_corners" => 2, "asymmetric" => 3, "tf_half_pixel_for_nn" => 4,
                var m => throw new NotSupportedException($"coordinate_transformation_mode {m}"),
            };
            _nearest = at.GetString("nearest_mode", "round_prefer_floor") switch
            {
                "round_prefer_floor" => 0, "round_prefer_ceil" => 1, "floor" => 2, "ceil" => 3,
                var m => throw new NotSupportedException($"nearest_mode {m}"),
            };
        }
    }

    public override void Run(GpuExec e)
    {
        var x = e.Get(Node.Inputs[0]);
        if (x.Shape.Length != 4) throw Fail("only 4-D (NCHW) resize is supported");
        int N = x.Shape[0], C = x.Shape[1], H = x.Shape[2], W = x.Shape[3];
        int OH, OW;
        float sh, sw;
        if (_sizes is { Length: 4 })
        {
            if (_sizes[0] != N || _sizes[1] != C) throw Fail("resizing N or C is not supported");
            OH = (int)_sizes[2]; OW = (int)_sizes[3];
            sh = (float)OH / H; sw = (float)OW / W;
        }
        else if (_scales is { Length: 4 })
        {
            if (_scales[0] != 1 || _scales[1] != 1) throw Fail("resizing N or C is not supported");
            sh = _scales[2]; sw = _scales[3];
            OH = (int)Math.Floor(H * sh); OW = (int)Math.Floor(W * sw);
        }
        else throw Fail("needs 4 constant scales or sizes");
        var y = e.Alloc([N, C, OH, OW]);
        e.Launch1("resize2d", y.Length, x, y, new[] { N, C, H, W, OH, OW, _linear ? 1 : 0, _coord }, new[] { sh, sw }, _nearest);
        e.Values[Out] = y;
    }
}

internal sealed class ReduceOp : GpuOp
{
    private readonly bool _keepDims, _noopEmpty, _axesInput;
    private readonly int _op;
    private readonly IConstants _c;

    public ReduceOp(Node n, IConstants c, int op) : base(n)
    {
        _op = op;
        _c = c;
        _keepDims = n.Attributes.GetInt("keepdims", 1) != 0;
        _noopEmpty = n.Attributes.GetInt("noop_with_empty_axes", 0) != 0;
        _axesInput = n.OpType == "ReduceSum" ? n.OpsetVersion >= 13 : n.OpsetVersion >= 18;
    }

    public override void Run(GpuExec e)
    {
        var axes = _axesInput ? Ints(e, _c, 1) : Node.Attributes.GetInts("axes");
        if (axes is { Length: 0 }) axes = null;
        var x = e.Get(Node.Inputs[0]);
        int rank = x.Shape.Length;
        if (axes is null && _noopEmpty) { e.Values[Out] = x; return; }
        var red = new bool[rank];
        if (axes is null) Array.Fill(red, true);
        else foreach (var a in axes) red[OpFactory.Axis(a, rank)] = true;
        var xs = GpuExec.Strides(x.Shape);
        var odims = new List<int>(); var os = new List<int>(); var rd = new List<int>(); var rs = new List<int>();
        var outShape = new List<int>();
        int rcount = 1;
        for (int i = 0; i < rank; i++)
        {
            if (red[i]) { rd.Add(x.Shape[i]); rs.Add(xs[i]); rcount *= x.Shape[i]; if (_keepDims) outShape.Add(1); }
            else { odims.Add(x.Shape[i]); os.Add(xs[i]); outShape.Add(x.Shape[i]); }
        }
        var y = e.Alloc(outShape.ToArray());
        e.Launch1("reduce", y.Length, x, y, y.Length, _op, GpuExec.Dims8(odims.ToArray()), GpuExec.Pad8(os.ToArray()),
            GpuExec.Dims8(rd.ToArray()), GpuExec.Pad8(rs.ToArray()), rcount);
        e.Values[Out] = y;
    }
}

internal sealed class PadOp : GpuOp
{
    private readonly long[]? _attrPads; // opset < 11
    private readonly float _value;
    private readonly int _mode;
    private readonly IConstants _c;

    public PadOp(Node n, IConstants c) : base(n)
    {
        _c = c;
        var at = n.Attributes;
        _mode = at.GetString("mode", "constant") switch
        {
            "constant" => 0, "edge" => 1, "reflect" => 2,
            var m => throw new NotSupportedException($"Pad mode {m}"),
        };
        if (n.OpsetVersion is > 0 and < 11)
        {
            _attrPads = at.GetInts("pads")!;
            _value = at.GetFloat("value", 0f);
        }
        else
        {
            _value = OpFactory.ConstFloats(n, c, 2) is { Length: > 0 } v ? v[0] : 0f;
        }
    }

    public override void Run(GpuExec e)
    {
        bool inputs = Node.OpsetVersion is not (> 0 and < 11);
        var pads = inputs ? Ints(e, _c, 1)! : _attrPads!;
        var axesIn = inputs ? Ints(e, _c, 3) : null;
        var x = e.Get(Node.Inputs[0]);
        int rank = x.Shape.Length;
        var lead = new int[rank];
        var shape = x.Shape.ToArray();
        var axes = axesIn?.Select(a => OpFactory.Axis(a, rank)).ToArray() ?? Enumerable.Range(0, rank).ToArray();
        for (int i = 0; i < axes.Length; i++)
        {
            lead[axes[i]] = (int)pads[i];
            shape[axes[i]] += (int)(pads[i] + pads[i + axes.Length]);
        }
        if (lead.Any(v => v < 0)) throw Fail("negative pads are not supported");
        var y = e.Alloc(shape);
        e.Launch1("pad", y.Length, x, y, y.Length, GpuExec.Dims8(shape), GpuExec.Dims8(x.Shape), GpuExec.Pad8(lead), _mode, _value);
        e.Values[Out] = y;
    }
}
