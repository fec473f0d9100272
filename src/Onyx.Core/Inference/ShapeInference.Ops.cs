using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.Core.Inference;

internal sealed partial class Inferrer
{
    private static readonly HashSet<string> Unary = new(StringComparer.Ordinal)
    {
        "Abs", "Acos", "Acosh", "Asin", "Asinh", "Atan", "Atanh", "BitwiseNot", "Ceil", "Celu", "Clip", "Cos", "Cosh",
        "CumSum", "CumProd", "Elu", "Erf", "Exp", "Floor", "Gelu", "HardSigmoid", "HardSwish", "LeakyRelu", "Log", "Mish",
        "Neg", "Reciprocal", "Relu", "Round", "Selu", "Shrink", "Sigmoid", "Sign", "Sin", "Sinh", "Softplus", "Softsign",
        "Sqrt", "Tan", "Tanh", "ThresholdedRelu", "Swish", "Softmax", "LogSoftmax", "Hardmax", "LRN", "LpNormalization",
        "MeanVarianceNormalization", "InstanceNormalization", "Trilu", "ReverseSequence", "Scatter", "ScatterElements",
        "ScatterND", "TensorScatter", "Identity", "RandomNormalLike", "RandomUniformLike", "BatchNormalization",
        "GroupNormalization", "RMSNormalization", "RotaryEmbedding", "Det_", "Bernoulli", "Optional_",
    };

    private static readonly HashSet<string> Binary = new(StringComparer.Ordinal)
    {
        "Add", "Sub", "Mul", "Div", "Pow", "Mod", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "PRelu",
        "Max", "Min", "Sum", "Mean",
    };

    private static readonly HashSet<string> Compare = new(StringComparer.Ordinal)
    {
        "Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "And", "Or", "Xor",
    };

    private void InferNode(Node n)
    {
        if (n.Domain.Length > 0 && n.Domain != "com.microsoft") return;
        string op = n.OpType;
        var x = In(0);
        var s0 = x?.Shape;
        var t0 = x?.ElementType ?? DType.Undefined;

        if (Unary.Contains(op))
        {
            if (op == "BatchNormalization" && n.OpsetVersion >= 14 && GetInt("training_mode", 0) != 0)
            {
                Set(0, t0, s0);
                if (s0 is { Length: >= 2 }) { Set(1, Elem(3), [s0[1]]); Set(2, Elem(4), [s0[1]]); }
                return;
            }
            if (op == "Bernoulli") { Set(0, n.Attributes.Has("dtype") ? (DType)GetInt("dtype", 1) : t0, s0); return; }
            Set(0, t0, s0);
            if (op is "Identity" && x is null) return;
            return;
        }
        if (Binary.Contains(op) || Compare.Contains(op) || op == "Where")
        {
            // PRelu's slope and pre-opset-7 arithmetic (legacy 'broadcast'/'axis' attributes) follow input 0
            if (op == "PRelu" || n.OpsetVersion < 7 && op != "Where")
            {
                Set(0, Compare.Contains(op) ? DType.Bool : t0, op is "Max" or "Min" or "Sum" or "Mean" ? null : s0);
                return;
            }
            Dim[]? s = Shape(0);
            for (int i = 1; i < InputCount; i++)
            {
                if (!n.HasInput(i)) continue;
                s = Broadcast(s, Shape(i), $"broadcasting {InName(0)} with {InName(i)}");
            }
            var type = Compare.Contains(op) ? DType.Bool : op == "Where" ? Elem(1) : t0;
            if (op == "Where" && type == DType.Undefined) type = Elem(2);
            Set(0, type, s);
            if (op is "Add" or "Sub" or "Mul" or "Div") PropagateArith(op);
            return;
        }
        switch (op)
        {
            case "Not": case "IsNaN": case "IsInf": Set(0, DType.Bool, s0); return;
            case "Cast":
            {
                var to = (DType)GetInt("to", 0);
                Set(0, to, s0);
                if (IsInt(to) && Value(0) is { } v) SetValue(0, v);
                return;
            }
            case "CastLike": Set(0, Elem(1), s0); if (Value(0) is { } cv && IsInt(Elem(1))) SetValue(0, cv); return;
            case "Dropout":
                Set(0, t0, s0);
                Set(1, DType.Bool, s0);
                return;
            case "Constant": InferConstant(); return;
            case "Shape":
            {
                if (s0 is null) { Set(0, DType.Int64, [Dim.Unknown]); return; }
                int r = s0.Length;
                int start = (int)Math.Clamp(Norm(GetInt("start", 0), r), 0, r), end = (int)Math.Clamp(Norm(GetInt("end", r), r), 0, r);
                int len = Math.Max(0, end - start);
                Set(0, DType.Int64, [F(len)]);
                SetValue(0, new ConstValue(Sub(s0, start, start + len), false));
                return;
            }
            case "Size":
                Set(0, DType.Int64, []);
                if (s0 is not null) { var p = Product(s0); if (p.IsFixed) SetValue(0, new ConstValue([p], true)); }
                return;
            case "ConstantOfShape":
            {
                var vt = n.Attributes.GetTensor("value");
                var dt = vt?.DType ?? DType.Float32;
                var v = Value(0);
                var shape = v is not null ? v.Items : Shape(0) is { } ss && ss[0].IsFixed ? Unknowns((int)ss[0].Value!.Value) : null;
                Set(0, dt, shape);
                if (IsInt(dt) && vt is not null && v?.Fixed() is { } fs && fs.Length <= 1)
                {
                    long val = vt.ToInt64Array()[0];
                    long cnt = fs.Length == 0 ? 1 : fs[0];
                    if (cnt <= MaxConstLength) SetValue(0, new ConstValue(Repeat(F(val), (int)cnt), fs.Length == 0));
                }
                return;
            }
            case "MatMul": case "MatMulInteger": case "QLinearMatMul": InferMatMul(op); return;
            case "Gemm": InferGemm(); return;
            case "Conv": case "ConvInteger": case "QLinearConv": case "FusedConv": InferConv(op); return;
            case "ConvTranspose": InferConvTranspose(); return;
            case "MaxPool": case "AveragePool": case "LpPool": InferPool(op); return;
            case "GlobalAveragePool": case "GlobalMaxPool": case "GlobalLpPool":
                if (s0 is not null) Set(0, t0, Map(s0, (d, i) => i < 2 ? d : F(1))); else Set(0, t0, null);
                return;
            case "LayerNormalization":
            {
                Set(0, t0, s0);
                var st = (DType)GetInt("stash_type", 1);
                if (s0 is not null)
                {
                    int ax = Axis(GetInt("axis", -1), s0.Length);
                    var ms = Map(s0, (d, i) => i < ax ? d : F(1));
                    Set(1, st, ms); Set(2, st, ms);
                }
                return;
            }
            case "Reshape": InferReshape(); return;
            case "Flatten":
            {
                if (s0 is null) { Set(0, t0, [Dim.Unknown, Dim.Unknown]); return; }
                int ax = (int)Norm(GetInt("axis", 1), s0.Length);
                Set(0, t0, [Product(Sub(s0, 0, ax)), Product(Sub(s0, ax, s0.Length))]);
                return;
            }
            case "Transpose":
            {
                if (s0 is null) { Set(0, t0, null); return; }
                var perm = GetInts("perm");
                if (perm is not null && perm.Length != s0.Length) throw Contra($"perm has {perm.Length} entries but {InName(0)} has rank {s0.Length}");
                Set(0, t0, Map(s0, (_, i) => s0[perm is null ? s0.Length - 1 - i : (int)perm[i]]));
                return;
            }
            case "Squeeze": InferSqueeze(); return;
            case "Unsqueeze": InferUnsqueeze(); return;
            case "Concat": InferConcat(); return;
            case "Split": InferSplit(); return;
            case "Slice": InferSlice(); return;
            case "Gather": InferGather(); return;
            case "GatherElements": Set(0, t0, Shape(1)); return;
            case "GatherND": InferGatherND(); return;
            case "Expand":
            {
                var v = Value(1);
                Set(0, t0, v is null ? (Shape(1) is { } es && es[0].IsFixed && s0 is not null ? Unknowns((int)Math.Max(es[0].Value!.Value, s0.Length)) : null)
                    : Broadcast(s0, v.Items, $"expanding {InName(0)} to the shape in {InName(1)}"));
                return;
            }
            case "Tile":
            {
                var r = Value(1);
                if (s0 is null) { Set(0, t0, null); return; }
                Set(0, t0, r is null ? Unknowns(s0.Length) : Map(s0, (d, i) => Mul(d, r.Items[i])));
                return;
            }
            case "Pad": InferPad(); return;
            case "Resize": case "Upsample": InferResize(op); return;
            case "Range":
            {
                var t = ConstTensor(0) ?? null;
                double[]? a = ScalarDouble(0), b = ScalarDouble(1), c = ScalarDouble(2);
                if (a is not null && b is not null && c is not null && c[0] != 0)
                    Set(0, t0, [F(Math.Max(0, (long)Math.Ceiling((b[0] - a[0]) / c[0])))]);
                else Set(0, t0, [Dim.Unknown]);
                return;
            }
            case "ReduceSum": case "ReduceMean": case "ReduceMax": case "ReduceMin": case "ReduceProd": case "ReduceL1": case "ReduceL2":
            case "ReduceLogSum": case "ReduceLogSumExp": case "ReduceSumSquare":
                InferReduce(op); return;
            case "ArgMax": case "ArgMin":
            {
                if (s0 is null) { Set(0, DType.Int64, null); return; }
                int ax = Axis(GetInt("axis", 0), s0.Length);
                bool keep = GetInt("keepdims", 1) != 0;
                Set(0, DType.Int64, keep ? Map(s0, (d, i) => i == ax ? F(1) : d) : Cat(Sub(s0, 0, ax), [], Sub(s0, ax + 1, s0.Length)));
                return;
            }
            case "TopK":
            {
                if (s0 is null) { Set(0, t0, null); Set(1, DType.Int64, null); return; }
                int ax = Axis(GetInt("axis", -1), s0.Length);
                Dim k = n.OpsetVersion < 10 ? F(GetInt("k", 0)) : Value(1) is { } kv ? kv.Items[0] : Dim.Unknown;
                var os = Map(s0, (d, i) => i == ax ? k : d);
                Set(0, t0, os); Set(1, DType.Int64, os);
                return;
            }
            case "DepthToSpace": case "SpaceToDepth":
            {
                if (s0 is null) { Set(0, t0, null); return; }
                if (s0.Length != 4) throw Contra($"{InName(0)} must be 4-D, has rank {s0.Length}");
                long b = GetInt("blocksize", 1);
                Set(0, t0, op == "DepthToSpace"
                    ? [s0[0], Div(s0[1], b * b), Mul(s0[2], F(b)), Mul(s0[3], F(b))]
                    : [s0[0], Mul(s0[1], F(b * b)), Div(s0[2], b), Div(s0[3], b)]);
                return;
            }
            case "Einsum": InferEinsum(); return;
            case "LSTM": case "GRU": case "RNN": InferRnn(op); return;
            case "NonZero": Set(0, DType.Int64, [s0 is null ? Dim.Unknown : F(s0.Length), Dim.Unknown]); return;
            case "Unique":
            {
                var axis = n.Attributes.Get("axis");
                if (axis is null || s0 is null) Set(0, t0, axis is null ? [Dim.Unknown] : null);
                else { int ax = Axis(axis.Int, s0.Length); Set(0, t0, Map(s0, (d, i) => i == ax ? Dim.Unknown : d)); }
                Set(1, DType.Int64, [Dim.Unknown]);
                Set(2, DType.Int64, axis is null ? [s0 is null ? Dim.Unknown : Product(s0)] : [s0 is null ? Dim.Unknown : s0[Axis(axis.Int, s0.Length)]]);
                Set(3, DType.Int64, [Dim.Unknown]);
                return;
            }
            case "NonMaxSuppression": Set(0, DType.Int64, [Dim.Unknown, F(3)]); return;
            case "Compress": Set(0, t0, n.Attributes.Has("axis") && s0 is not null ? s0.Select((d, i) => i == Axis(GetInt("axis", 0), s0.Length) ? Dim.Unknown : d).ToArray() : [Dim.Unknown]); return;
            case "QuantizeLinear":
            {
                var dt = n.Attributes.Has("output_dtype") && GetInt("output_dtype", 0) != 0 ? (DType)GetInt("output_dtype", 0)
                    : n.HasInput(2) ? Elem(2) : DType.UInt8;
                Set(0, dt, s0);
                return;
            }
            case "DequantizeLinear":
            {
                var dt = n.Attributes.Has("output_dtype") && GetInt("output_dtype", 0) != 0 ? (DType)GetInt("output_dtype", 0) : Elem(1);
                if (dt == DType.Undefined) dt = DType.Float32;
                Set(0, dt, s0);
                return;
            }
            case "DynamicQuantizeLinear": Set(0, DType.UInt8, s0); Set(1, DType.Float32, []); Set(2, DType.UInt8, []); return;
            case "QLinearAdd": case "QLinearMul":
                Set(0, Elem(7) != DType.Undefined ? Elem(7) : t0, Broadcast(s0, Shape(3), $"broadcasting {InName(0)} with {InName(3)}"));
                return;
            case "OneHot":
            {
                var depth = Value(1);
                if (s0 is null) { Set(0, Elem(2), null); return; }
                int r = s0.Length + 1, ax = Axis(GetInt("axis", -1), r);
                var os = new List<Dim>(s0);
                os.Insert(ax, depth is not null ? depth.Items[0] : ScalarDouble(1) is { } dd ? F((long)dd[0]) : Dim.Unknown);
                Set(0, Elem(2), os.ToArray());
                return;
            }
            case "EyeLike": Set(0, n.Attributes.Has("dtype") ? (DType)GetInt("dtype", 1) : t0, s0); return;
            case "RandomNormal": case "RandomUniform":
                Set(0, (DType)GetInt("dtype", 1), GetInts("shape") is { } given ? FixedDims(given) : null); return;
            case "If": case "Loop": case "Scan": InferControlFlow(op); return;
            case "SoftmaxCrossEntropyLoss": case "NegativeLogLikelihoodLoss":
            {
                bool none = GetString("reduction", "mean") == "none";
                Set(0, t0, none ? Shape(1) : []);
                if (op == "SoftmaxCrossEntropyLoss") Set(1, t0, s0);
                return;
            }
            case "GridSample":
            {
                var gs = Shape(1);
                Set(0, t0, s0 is not null && gs is not null && s0.Length == gs.Length ? [s0[0], s0[1], .. gs[1..^1]] : null);
                return;
            }
            case "BitCast":
            {
                var to = (DType)GetInt("to", 0);
                if (t0 == DType.Undefined || s0 is null || to == DType.Undefined) { Set(0, to, null); return; }
                int a = t0.SizeOf(), b = to.SizeOf();
                Set(0, to, a == b ? s0 : a > b && a % b == 0 ? [.. s0, F(a / b)] : s0.Length > 0 && s0[^1].Value == (long)b / a ? s0[..^1] : null);
                return;
            }
            case "Det": Set(0, t0, s0 is { Length: >= 2 } ? Sub(s0, 0, s0.Length - 2) : null); return;
            case "Attention" when n.Domain.Length == 0 && n.OpsetVersion >= 23:
            {
                var vsh = Shape(2);
                if (s0 is { Length: 4 } && vsh is { Length: 4 }) Set(0, t0, [s0[0], s0[1], s0[2], vsh[3]]);
                else if (s0 is { Length: 3 } && vsh is { Length: 3 } && n.Attributes.Has("q_num_heads") && n.Attributes.Has("kv_num_heads")
                    && vsh[2].IsFixed && GetInt("kv_num_heads", 1) > 0)
                    Set(0, t0, [s0[0], s0[1], F(vsh[2].Value!.Value / GetInt("kv_num_heads", 1) * GetInt("q_num_heads", 1))]);
                else Set(0, t0, s0 is not null ? Unknowns(s0.Length) : null);
                return;
            }
        }
    }

    private static long Norm(long a, int r) => a < 0 ? a + r : a;
    private static Dim Div(Dim a, long b) => a.IsFixed ? F(a.Value!.Value / b) : Dim.Unknown;

    private double[]? ScalarDouble(int i)
    {
        if (Value(i)?.Fixed() is { Length: 1 } l) return [l[0]];
        var t = ConstTensor(i);
        if (t is null || t.Length != 1) return null;
        return t.ToDoubleArray();
    }

    private void PropagateArith(string op)
    {
        var a = Value(0); var b = Value(1);
        if (a is null || b is null) return;
        int len = Math.Max(a.Items.Length, b.Items.Length);
        if (a.Items.Length != len && a.Items.Length != 1 || b.Items.Length != len && b.Items.Length != 1) return;
        var r = new Dim[len];
        for (int i = 0; i < len; i++)
        {
            var x = a.Items[a.Items.Length == 1 ? 0 : i]; var y = b.Items[b.Items.Length == 1 ? 0 : i];
            r[i] = !x.IsFixed || !y.IsFixed ? (op == "Mul" && (Is(x, 1) || Is(y, 1)) ? (Is(x, 1) ? y : x) : (op is "Add" or "Sub" && Is(y, 0) ? x : Dim.Unknown))
                : op switch
                {
                    "Add" => F(x.Value!.Value + y.Value!.Value),
                    "Sub" => F(x.Value!.Value - y.Value!.Value),
                    "Mul" => F(x.Value!.Value * y.Value!.Value),
                    _ => y.Value == 0 ? Dim.Unknown : F((long)Math.Floor((double)x.Value!.Value / y.Value!.Value)),
                };
        }
        SetValue(0, new ConstValue(r, a.Scalar && b.Scalar));
    }

    private void InferConstant()
    {
        var a = _node.Attributes;
        Tensor? t = a.GetTensor("value");
        if (t is not null)
        {
            Set(0, t.DType, FixedDims(t.Shape));
            if (t.Length <= MaxConstLength) _tensors[_node.Outputs[0]] = t;
            if (t.Rank <= 1 && t.Length <= MaxConstLength && IsInt(t.DType)) SetValue(0, new ConstValue(FixedDims(t.ToInt64Array()), t.Rank == 0));
            return;
        }
        if (a.Get("value_int") is { } vi) { Set(0, DType.Int64, []); SetValue(0, new ConstValue([F(vi.Int)], true)); return; }
        if (a.Get("value_ints") is { } vis) { var l = vis.Ints ?? []; Set(0, DType.Int64, [F(l.Length)]); SetValue(0, new ConstValue(FixedDims(l), false)); return; }
        if (a.Get("value_float") is not null) { Set(0, DType.Float32, []); return; }
        if (a.Get("value_floats") is { } vfs) { Set(0, DType.Float32, [F(vfs.Floats?.Length ?? 0)]); return; }
        if (a.Get("value_string") is not null) { Set(0, DType.String, []); return; }
        if (a.Get("value_strings") is { } vss) { Set(0, DType.String, [F(vss.BytesList?.Length ?? 0)]); return; }
    }

    private void InferMatMul(string op)
    {
        int ib = op == "QLinearMatMul" ? 3 : 1;
        var a = Shape(0); var b = Shape(ib);
        var type = op == "MatMulInteger" ? DType.Int32 : op == "QLinearMatMul" ? Elem(7) : Elem(0);
        if (a is null || b is null) { Set(0, type, null); return; }
        if (a.Length == 0 || b.Length == 0) throw Contra("MatMul inputs must not be scalars");
        bool a1 = a.Length == 1, b1 = b.Length == 1;
        var aa = a1 ? new[] { F(1), a[0] } : a;
        var bb = b1 ? new[] { b[0], F(1) } : b;
        if (Conflict(aa[^1], bb[^2])) throw Contra($"inner dimensions of {InName(0)} {Fmt(a)} and {InName(ib)} {Fmt(b)} differ: {aa[^1].Value} vs {bb[^2].Value}");
        var batch = Broadcast(Sub(aa, 0, aa.Length - 2), Sub(bb, 0, bb.Length - 2), $"batch dimensions of {InName(0)} and {InName(ib)}")!;
        var o = Cat(batch, a1 ? [] : [aa[^2]], b1 ? [] : [bb[^1]]);
        Set(0, type, o);
    }


    private void InferGemm()
    {
        var a = Shape(0); var b = Shape(1);
        if (a is null || b is null || a.Length != 2 || b.Length != 2) { Set(0, Elem(0), a is not null || b is not null ? Unknowns(2) : null); return; }
        bool ta = GetInt("transA", 0) != 0, tb = GetInt("transB", 0) != 0;
        Dim m = ta ? a[1] : a[0], k1 = ta ? a[0] : a[1], k2 = tb ? b[1] : b[0], nn = tb ? b[0] : b[1];
        if (Conflict(k1, k2)) throw Contra($"inner dimensions of {InName(0)} {Fmt(a)} and {InName(1)} {Fmt(b)} differ: {k1.Value} vs {k2.Value}");
        Set(0, Elem(0), [m, nn]);
    }

    private Dim[]? KernelShape(Dim[]? w, int spatial)
    {
        var ks = GetInts("kernel_shape");
        if (ks is not null) return FixedDims(ks);
        if (w is not null && w.Length == spatial + 2) return Sub(w, 2, w.Length);
        return null;
    }

    private static Dim ConvOut(Dim input, Dim k, long s, long d, long pb, long pe, string autoPad, bool ceil)
    {
        if (autoPad is "SAME_UPPER" or "SAME_LOWER")
            return input.IsFixed ? F((input.Value!.Value + s - 1) / s) : (s == 1 ? input : Dim.Unknown);
        if (!input.IsFixed || !k.IsFixed) return Dim.Unknown;
        long ek = d * (k.Value!.Value - 1) + 1;
        long p = autoPad == "VALID" ? 0 : pb + pe;
        long num = input.Value!.Value + p - ek;
        if (num < 0) return Dim.Unknown;
        long o = ceil ? (num + s - 1) / s + 1 : num / s + 1;
        if (ceil && (o - 1) * s >= input.Value!.Value + pb) o--;
        return F(o);
    }

    private Dim[]? SpatialOut(Dim[] x, Dim[]? ks, bool ceil)
    {
        int sp = x.Length - 2;
        if (ks is null) return null;
        var strides = GetInts("strides") ?? Ones(sp);
        var dil = GetInts("dilations") ?? Ones(sp);
        var pads = GetInts("pads") ?? new long[2 * sp];
        string ap = GetString("auto_pad", "NOTSET");
        var o = new Dim[sp];
        for (int i = 0; i < sp; i++) o[i] = ConvOut(x[i + 2], ks[i], strides[i], dil[i], pads[i], pads[i + sp], ap, ceil);
        return o;
    }

    private string GetString(string name, string def) => _node.Attributes.GetString(name, def);

    private void InferConv(string op)
    {
        int iw = op == "QLinearConv" ? 3 : 1;
        var x = Shape(0); var w = Shape(iw);
        var type = op == "ConvInteger" ? DType.Int32 : op == "QLinearConv" ? Elem(7) : Elem(0);
        if (x is null) { Set(0, type, w is not null ? Unknowns(w.Length) : null); return; }
        if (x.Length < 3) throw Contra($"{InName(0)} must have rank >= 3, has {x.Length}");
        long group = GetInt("group", 1);
        if (w is not null)
        {
            if (w.Length != x.Length) throw Contra($"{InName(iw)} has rank {w.Length} but {InName(0)} has rank {x.Length}");
            if (x[1].IsFixed && w[1].IsFixed && x[1].Value != w[1].Value * group)
                throw Contra($"{InName(0)} has {x[1].Value} channels but {InName(iw)} expects {w[1].Value} x group {group}");
        }
        var sp = SpatialOut(x, KernelShape(w, x.Length - 2), false) ?? Unknowns(x.Length - 2);
        Set(0, type, Cat(x[0], w is not null ? w[0] : Dim.Unknown, sp));
    }

    private void InferConvTranspose()
    {
        var x = Shape(0); var w = Shape(1);
        if (x is null) { Set(0, Elem(0), null); return; }
        int sp = x.Length - 2;
        long group = GetInt("group", 1);
        Dim c = w is not null ? Mul(w[1], F(group)) : Dim.Unknown;
        var os = GetInts("output_shape");
        if (os is not null && os.Length > 0) { Set(0, Elem(0), [x[0], c, .. os.Skip(os.Length - sp).Select(F)]); return; }
        var ks = KernelShape(w, sp);
        var strides = GetInts("strides") ?? Ones(sp);
        var dil = GetInts("dilations") ?? Ones(sp);
        var pads = GetInts("pads") ?? new long[2 * sp];
        var opad = GetInts("output_padding") ?? new long[sp];
        string ap = GetString("auto_pad", "NOTSET");
        var o = new Dim[sp];
        for (int i = 0; i < sp; i++)
        {
            var d = x[i + 2];
            if (!d.IsFixed) { o[i] = Dim.Unknown; continue; }
            if (ap is "SAME_UPPER" or "SAME_LOWER") { o[i] = F(d.Value!.Value * strides[i]); continue; }
            if (ks is null || !ks[i].IsFixed) { o[i] = Dim.Unknown; continue; }
            long p = ap == "VALID" ? 0 : pads[i] + pads[i + sp];
            o[i] = F(strides[i] * (d.Value!.Value - 1) + opad[i] + (ks[i].Value!.Value - 1) * dil[i] + 1 - p);
        }
        Set(0, Elem(0), Cat(x[0], c, o));
    }

    private void InferPool(string op)
    {
        var x = Shape(0);
        if (x is null) { Set(0, Elem(0), null); return; }
        bool ceil = GetInt("ceil_mode", 0) != 0;
        var sp = SpatialOut(x, KernelShape(null, x.Length - 2), ceil) ?? Unknowns(x.Length - 2);
        Dim[] o = Cat(x[0], x[1], sp);
        Set(0, Elem(0), o);
        if (op == "MaxPool") Set(1, DType.Int64, o);
    }
}
