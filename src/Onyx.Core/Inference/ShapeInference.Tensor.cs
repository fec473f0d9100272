using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.Core.Inference;

internal sealed partial class Inferrer
{
    private void InferReshape()
    {
        var x = Shape(0); var t = Elem(0);
        var v = Value(1);
        if (v is null) { Set(0, t, Shape(1) is { } ss && ss[0].IsFixed ? Unknowns((int)ss[0].Value!.Value) : null); return; }
        bool allowZero = GetInt("allowzero", 0) != 0;
        var o = new Dim[v.Items.Length];
        int minus = -1;
        for (int i = 0; i < o.Length; i++)
        {
            var d = v.Items[i];
            if (Is(d, 0) && !allowZero) o[i] = x is not null && i < x.Length ? x[i] : Dim.Unknown;
            else if (Is(d, -1)) { if (minus >= 0) throw Contra($"{InName(1)} has more than one -1"); minus = i; o[i] = Dim.Unknown; }
            else o[i] = d;
        }
        if (minus >= 0 && x is not null)
        {
            var total = Product(x);
            var rest = Product(o, skip: minus);
            if (total.IsFixed && rest.IsFixed && rest.Value != 0)
            {
                if (total.Value % rest.Value != 0) throw Contra($"cannot reshape {InName(0)} {Fmt(x)} to {Fmt(v.Items)}");
                o[minus] = F(total.Value!.Value / rest.Value!.Value);
            }
            else
            {
                // symbolic: when both sides have the same symbols, -1 is the ratio of the fixed parts
                var fx = Split(x, -1, out var sx);
                var fo = Split(o, minus, out var so);
                if (fx is not null && fo is not null && fo != 0 && fx % fo == 0)
                {
                    var left = sx.ToList();
                    bool ok = true;
                    foreach (var sym in so) ok &= left.Remove(sym);
                    if (ok && left.Count == 0) o[minus] = F(fx.Value / fo.Value);
                    else if (ok && left.Count == 1 && fx == fo) o[minus] = Dim.Named(left[0]);
                }
            }
        }
        else if (x is not null)
        {
            var total = Product(x); var p = Product(o);
            if (total.IsFixed && p.IsFixed && total.Value != p.Value)
                throw Contra($"cannot reshape {InName(0)} {Fmt(x)} ({total.Value} elements) to {Fmt(o)} ({p.Value} elements)");
        }
        Set(0, t, o);
        if (Value(0) is { } xv && o.Length <= 1) SetValue(0, new ConstValue(xv.Items, o.Length == 0));
    }

    /// <summary>The product of the fixed dims and the list of symbols; null product when a dim is unknown.</summary>
    /// <remarks>Out parameters, not a (long?, List) tuple: that tuple type's code is JIT-compiled per process.</remarks>
    private static long? Split(Dim[] dims, int skip, out List<string> syms)
    {
        long p = 1; syms = new List<string>();
        for (int i = 0; i < dims.Length; i++)
        {
            if (i == skip) continue;
            var d = dims[i];
            if (d.IsFixed) p *= d.Value!.Value;
            else if (d.Symbol is not null) syms.Add(d.Symbol);
            else return null;
        }
        return p;
    }

    private long[]? AxesFromAttrOrInput(int inputIndex, int attrSinceBelow)
    {
        if (_node.OpsetVersion < attrSinceBelow) return GetInts("axes");
        return _node.HasInput(inputIndex) ? Ints(inputIndex) : null;
    }

    private void InferSqueeze()
    {
        var x = Shape(0); var t = Elem(0);
        bool hasAxes = _node.OpsetVersion < 13 ? _node.Attributes.Has("axes") : _node.HasInput(1);
        var axes = AxesFromAttrOrInput(1, 13);
        if (x is null) { Set(0, t, null); return; }
        if (hasAxes && axes is null)
        {
            Set(0, t, Shape(1) is [{ IsFixed: true } na] && na.Value <= x.Length ? Unknowns(x.Length - (int)na.Value!.Value) : null);
            return;
        }
        bool[] drop;
        if (axes is null)
        {
            drop = new bool[x.Length];
            for (int i = 0; i < x.Length; i++)
            {
                if (!x[i].IsFixed) { Set(0, t, null); return; }
                drop[i] = x[i].Value == 1;
            }
        }
        else
        {
            drop = AxisMask(axes, x.Length);
            for (int a = 0; a < x.Length; a++)
                if (drop[a] && x[a].IsFixed && x[a].Value != 1) throw Contra($"cannot squeeze axis {a} of {InName(0)} {Fmt(x)}: size {x[a].Value}");
        }
        Set(0, t, Without(x, drop));
        if (Value(0) is { } v && v.Items.Length == 1 && !v.Scalar) SetValue(0, new ConstValue(v.Items, true));
    }

    private void InferUnsqueeze()
    {
        var x = Shape(0); var t = Elem(0);
        var axes = AxesFromAttrOrInput(1, 13);
        if (x is null || axes is null) { Set(0, t, x is not null && Shape(1) is { } a1 && a1[0].IsFixed ? Unknowns(x.Length + (int)a1[0].Value!.Value) : null); return; }
        int r = x.Length + axes.Length;
        var set = AxisMask(axes, r);
        var o = new Dim[r];
        int j = 0;
        for (int i = 0; i < r; i++) o[i] = set[i] ? F(1) : x[j++];
        Set(0, t, o);
        if (Value(0) is { } v && v.Scalar && axes.Length == 1) SetValue(0, new ConstValue(v.Items, false));
    }

    private void InferConcat()
    {
        var t = Elem(0);
        Dim[]? acc = null;
        int ax = 0;
        bool unknown = false;
        for (int i = 0; i < InputCount; i++)
        {
            if (!_node.HasInput(i)) continue;
            var s = Shape(i);
            if (t == DType.Undefined) t = Elem(i);
            if (s is null) { unknown = true; continue; }
            if (acc is null) { acc = (Dim[])s.Clone(); ax = Axis(GetInt("axis", 0), s.Length); continue; }
            if (s.Length != acc.Length) throw Contra($"{InName(i)} has rank {s.Length} but earlier inputs have rank {acc.Length}");
            for (int d = 0; d < s.Length; d++)
                acc[d] = d == ax ? Add(acc[d], s[d]) : Unify(acc[d], s[d], $"{InName(i)} dimension {d} differs from earlier inputs");
        }
        if (acc is not null && unknown) acc[ax] = Dim.Unknown;
        Set(0, t, acc);
        // value propagation
        int count = 0;
        for (int i = 0; i < InputCount; i++)
        {
            if (!_node.HasInput(i)) continue;
            if (Value(i) is not { } v) return;
            count += v.Items.Length;
        }
        var items = new Dim[count];
        for (int i = 0, at = 0; i < InputCount; i++)
        {
            if (!_node.HasInput(i)) continue;
            var v = Value(i)!.Items;
            Array.Copy(v, 0, items, at, v.Length);
            at += v.Length;
        }
        SetValue(0, new ConstValue(items, false));
    }

    private void InferSplit()
    {
        var x = Shape(0); var t = Elem(0);
        int outs = _node.Outputs.Count;
        if (x is null) { for (int i = 0; i < outs; i++) Set(i, t, null); return; }
        int ax = Axis(GetInt("axis", 0), x.Length);
        long[]? split = _node.OpsetVersion < 13 ? GetInts("split") : _node.HasInput(1) ? Ints(1) : null;
        bool splitGiven = _node.OpsetVersion < 13 ? split is { Length: > 0 } : _node.HasInput(1);
        if (split is { Length: 0 }) split = null;
        for (int i = 0; i < outs; i++)
        {
            Dim d;
            if (split is not null) d = i < split.Length ? F(split[i]) : Dim.Unknown;
            else if (splitGiven) d = Dim.Unknown;
            else if (x[ax].IsFixed)
            {
                long total = x[ax].Value!.Value;
                long chunk = (total + outs - 1) / outs;
                d = _node.OpsetVersion >= 18 && _node.Attributes.Has("num_outputs") ? F(i < outs - 1 ? chunk : total - chunk * (outs - 1))
                    : total % outs == 0 ? F(total / outs) : throw Contra($"{InName(0)} axis {ax} of size {total} does not split evenly into {outs}");
            }
            else d = Dim.Unknown;
            Set(i, t, Map(x, (e, k) => k == ax ? d : e));
        }
        if (split is not null && x[ax].IsFixed && split.Sum() != x[ax].Value)
            throw Contra($"split sizes sum to {split.Sum()} but {InName(0)} axis {ax} has size {x[ax].Value}");
    }

    private void InferSlice()
    {
        var x = Shape(0); var t = Elem(0);
        if (x is null) { Set(0, t, null); return; }
        long[]? starts, ends, axes, steps;
        if (_node.OpsetVersion < 10) { starts = GetInts("starts"); ends = GetInts("ends"); axes = GetInts("axes"); steps = null; }
        else
        {
            starts = Ints(1); ends = Ints(2);
            axes = _node.HasInput(3) ? Ints(3) : null; steps = _node.HasInput(4) ? Ints(4) : null;
            if (_node.HasInput(3) && axes is null || _node.HasInput(4) && steps is null) starts = null;
        }
        if (starts is null || ends is null)
        {
            // unknown slice parameters: rank survives, dims on unknown axes may change
            var changed = axes is not null ? AxisMask(axes, x.Length) : null;
            Set(0, t, changed is not null ? Map(x, (d, i) => changed[i] ? Dim.Unknown : d) : Unknowns(x.Length));
            return;
        }
        axes ??= Iota(starts.Length);
        var o = (Dim[])x.Clone();
        for (int i = 0; i < starts.Length; i++)
        {
            int a = Axis(axes[i], x.Length);
            long step = steps?[i] ?? 1;
            if (!x[a].IsFixed) { o[a] = Dim.Unknown; continue; }
            long n = x[a].Value!.Value;
            o[a] = F(SliceLen(n, starts[i], ends[i], step));
        }
        Set(0, t, o);
        if (Value(0) is { Scalar: false } v && x.Length == 1)
        {
            long n = v.Items.Length, s = starts[0], e = ends[0], st = steps?[0] ?? 1;
            long len = SliceLen(n, s, e, st);
            long b = Start(n, s, st);
            var items = new Dim[len];
            for (long k = 0; k < len; k++) items[k] = v.Items[b + k * st];
            SetValue(0, new ConstValue(items, false));
        }
    }

    private static long Start(long n, long s, long step)
    {
        if (s < 0) s += n;
        return step > 0 ? Math.Clamp(s, 0, n) : Math.Clamp(s, 0, n - 1);
    }

    private static long SliceLen(long n, long s, long e, long step)
    {
        if (step == 0) throw Contra("slice step is 0");
        s = Start(n, s, step);
        if (e < 0) e += n;
        e = step > 0 ? Math.Clamp(e, 0, n) : Math.Clamp(e, -1, n - 1);
        long len = step > 0 ? (e - s + step - 1) / step : (s - e + (-step) - 1) / (-step);
        return Math.Max(0, len);
    }

    private void InferGather()
    {
        var x = Shape(0); var idx = Shape(1); var t = Elem(0);
        if (x is null || idx is null) { Set(0, t, null); return; }
        int ax = Axis(GetInt("axis", 0), x.Length);
        Set(0, t, Cat(Sub(x, 0, ax), idx, Sub(x, ax + 1, x.Length)));
        if (Value(0) is { Scalar: false } v && Ints(1) is { } ii && x.Length == 1)
        {
            var items = new Dim[ii.Length];
            for (int k = 0; k < ii.Length; k++) items[k] = v.Items[ii[k] < 0 ? ii[k] + v.Items.Length : ii[k]];
            SetValue(0, new ConstValue(items, idx.Length == 0));
        }
    }

    private void InferGatherND()
    {
        var x = Shape(0); var idx = Shape(1); var t = Elem(0);
        if (x is null || idx is null || !idx[^1].IsFixed) { Set(0, t, null); return; }
        int b = (int)GetInt("batch_dims", 0);
        int last = (int)idx[^1].Value!.Value;
        Set(0, t, Cat(Sub(idx, 0, idx.Length - 1), [], Sub(x, b + last, x.Length)));
    }

    private void InferPad()
    {
        var x = Shape(0); var t = Elem(0);
        if (x is null) { Set(0, t, null); return; }
        long[]? pads = _node.OpsetVersion < 11 ? GetInts("pads") : Ints(1);
        if (pads is null) { Set(0, t, Unknowns(x.Length)); return; }
        long[] axes;
        if (_node.HasInput(3)) { var a = Ints(3); if (a is null) { Set(0, t, Unknowns(x.Length)); return; } axes = new long[a.Length]; for (int i = 0; i < a.Length; i++) axes[i] = Axis(a[i], x.Length); }
        else axes = Iota(x.Length);
        if (pads.Length != 2 * axes.Length) throw Contra($"pads has {pads.Length} entries, expected {2 * axes.Length}");
        var o = (Dim[])x.Clone();
        for (int i = 0; i < axes.Length; i++)
        {
            long p = pads[i] + pads[i + axes.Length];
            o[axes[i]] = p == 0 ? x[axes[i]] : Add(x[axes[i]], F(p));
        }
        Set(0, t, o);
    }

    private double[]? Doubles(int i)
    {
        if (!_node.HasInput(i)) return null;
        var t = ConstTensor(i);
        if (t is not null) return t.ToDoubleArray();
        if (Ints(i) is not { } ints) return null;
        var r = new double[ints.Length];
        for (int k = 0; k < r.Length; k++) r[k] = ints[k];
        return r;
    }

    private void InferResize(string op)
    {
        var x = Shape(0); var t = Elem(0);
        if (x is null) { Set(0, t, null); return; }
        double[]? scales; long[]? sizes = null;
        if (op == "Upsample") scales = _node.OpsetVersion < 9 ? GetFloats("scales") : Doubles(1);
        else if (_node.OpsetVersion < 11) scales = Doubles(1);
        else
        {
            scales = Doubles(2); if (scales is { Length: 0 }) scales = null;
            if (_node.HasInput(3)) sizes = Ints(3);
            if (sizes is { Length: 0 }) sizes = null;
            if (scales is null && sizes is null && (_node.HasInput(3) || _node.HasInput(2) && ConstTensor(2) is not { Length: 0 }))
            { Set(0, t, Unknowns(x.Length)); return; }
        }
        var axes = Iota(x.Length);
        if (GetInts("axes") is { } given)
        {
            axes = new long[given.Length];
            for (int i = 0; i < given.Length; i++) axes[i] = Axis(given[i], x.Length);
        }
        var o = (Dim[])x.Clone();
        if (sizes is not null)
        {
            string policy = GetString("keep_aspect_ratio_policy", "stretch");
            if (policy != "stretch") { foreach (var a in axes) o[a] = Dim.Unknown; Set(0, t, o); return; }
            for (int i = 0; i < axes.Length; i++) o[axes[i]] = F(sizes[i]);
        }
        else if (scales is not null)
        {
            for (int i = 0; i < axes.Length; i++)
                o[axes[i]] = scales[i] == 1 ? x[axes[i]] : x[axes[i]].IsFixed ? F((long)Math.Floor(x[axes[i]].Value!.Value * scales[i] + 1e-6)) : Dim.Unknown;
        }
        else o = Unknowns(x.Length);
        Set(0, t, o);
    }

    private double[]? GetFloats(string name) => _node.Attributes.GetFloats(name)?.Select(f => (double)f).ToArray();

    private void InferReduce(string op)
    {
        var x = Shape(0); var t = Elem(0);
        bool keep = GetInt("keepdims", 1) != 0;
        bool axesInput = op == "ReduceSum" ? _node.OpsetVersion >= 13 : _node.OpsetVersion >= 18;
        long[]? axes; bool known = true;
        if (axesInput) { axes = _node.HasInput(1) ? Ints(1) : null; if (_node.HasInput(1) && axes is null) known = false; }
        else axes = GetInts("axes");
        if (x is null) { Set(0, t, null); return; }
        if (!known)
        {
            Set(0, t, keep ? Unknowns(x.Length) : Shape(1) is [{ IsFixed: true } na] && na.Value <= x.Length ? Unknowns(x.Length - (int)na.Value!.Value) : null);
            return;
        }
        if (axes is null || axes.Length == 0)
        {
            if (axesInput && GetInt("noop_with_empty_axes", 0) != 0) { Set(0, t, x); return; }
            axes = Iota(x.Length);
        }
        var set = AxisMask(axes, x.Length);
        Set(0, t, keep ? Map(x, (d, i) => set[i] ? F(1) : d) : Without(x, set));
    }

    private void InferRnn(string op)
    {
        var x = Shape(0); var w = Shape(1); var r = Shape(2); var t = Elem(0);
        string dir = GetString("direction", "forward");
        Dim nd = F(dir == "bidirectional" ? 2 : 1);
        Dim h = _node.Attributes.Has("hidden_size") ? F(GetInt("hidden_size", 0)) : r is { Length: 3 } ? r[2] : Dim.Unknown;
        bool bl = GetInt("layout", 0) != 0;
        if (x is null || x.Length != 3) { for (int i = 0; i < 3; i++) Set(i, t, null); return; }
        Dim seq = bl ? x[1] : x[0], batch = bl ? x[0] : x[1];
        Set(0, t, bl ? [batch, seq, nd, h] : [seq, nd, batch, h]);
        Dim[] hs = bl ? [batch, nd, h] : [nd, batch, h];
        Set(1, t, hs);
        if (op == "LSTM") Set(2, t, hs);
    }

    private void InferEinsum()
    {
        string eq = GetString("equation", "").Replace(" ", "");
        var parts = eq.Split("->");
        var ins = parts[0].Split(',');
        var t = Elem(0);
        if (ins.Length != InputCount || eq.Contains("...")) { Set(0, t, null); return; }
        var dims = new Dictionary<char, Dim>();
        var counts = new Dictionary<char, int>();
        for (int i = 0; i < ins.Length; i++)
        {
            var s = Shape(i);
            if (s is not null && s.Length != ins[i].Length) throw Contra($"{InName(i)} has rank {s.Length} but the equation term '{ins[i]}' has {ins[i].Length} letters");
            for (int k = 0; k < ins[i].Length; k++)
            {
                char c = ins[i][k];
                counts[c] = counts.GetValueOrDefault(c) + 1;
                var d = s is null ? Dim.Unknown : s[k];
                dims[c] = dims.TryGetValue(c, out var prev) ? (Is(prev, 1) ? d : Is(d, 1) ? prev : Unify(prev, d, $"einsum label '{c}'")) : d;
            }
        }
        string outTerm = parts.Length > 1 ? parts[1] : new string(counts.Where(kv => kv.Value == 1).Select(kv => kv.Key).OrderBy(c => c).ToArray());
        Set(0, t, outTerm.Select(c => dims.GetValueOrDefault(c, Dim.Unknown)).ToArray());
    }

    private void InferControlFlow(string op)
    {
        var graphs = new List<Graph>();
        foreach (var a in _node.Attributes.All) { if (a.Graph is not null) graphs.Add(a.Graph); }
        var outsByGraph = new List<TensorTypeInfo?[]>();
        foreach (var g in graphs)
        {
            var sub = new Inferrer(g, this);
            sub.Run();
            outsByGraph.Add(g.Outputs.Select(o => sub.TypeOfName(o.Name)).ToArray());
        }
        if (op == "If" && outsByGraph.Count == 2)
        {
            for (int i = 0; i < _node.Outputs.Count; i++)
            {
                var a = i < outsByGraph[0].Length ? outsByGraph[0][i] : null;
                var b = i < outsByGraph[1].Length ? outsByGraph[1][i] : null;
                if (a is null || b is null) continue;
                Dim[]? s = a.Shape is not null && b.Shape is not null && a.Shape.Length == b.Shape.Length
                    ? a.Shape.Select((d, k) => d == b.Shape[k] ? d : Dim.Unknown).ToArray() : null;
                Set(i, a.ElementType, s);
            }
        }
        else if (op == "Loop" && outsByGraph.Count == 1)
        {
            var body = outsByGraph[0];
            int carried = Math.Max(0, InputCount - 2);
            for (int i = 0; i < _node.Outputs.Count; i++)
            {
                if (i < carried) { var ti = In(i + 2); if (ti is not null) Set(i, ti.ElementType, null); continue; }
                var b = 1 + i < body.Length ? body[1 + i] : null;
                if (b is not null) Set(i, b.ElementType, b.Shape is null ? null : [Dim.Unknown, .. b.Shape]);
            }
        }
    }
}
