using Onyx.Core.Execution;
using Onyx.Core.Ir;
using Onyx.Cpu.Common;
using Onyx.Tensors;

namespace Onyx.Cpu.Training;

/// <summary>
/// ai.onnx.preview.training <c>Gradient</c>: dy/dx for each x in <c>xs</c>, where y is a value of the
/// enclosing graph computed from the xs. The forward nodes between xs and y are re-run on the
/// Gradient node's inputs, then reverse-mode differentiation walks them back; broadcast inputs get
/// their gradient summed over the broadcast dimensions. Supports the elementwise ops Add, Sub,
/// Mul, Div, Neg and Identity on float/double.
/// </summary>
[OnnxKernel("Gradient", Domain = "ai.onnx.preview.training")]
internal sealed class GradientKernel : IKernel
{
    private static readonly HashSet<string> Differentiable = ["Add", "Sub", "Mul", "Div", "Neg", "Identity"];

    private readonly string[] _xs;
    private readonly string _y;
    private readonly List<Node> _forward;
    private readonly ExecutionPlan _plan;

    public GradientKernel(KernelInfo info)
    {
        _xs = info.Attributes.GetStrings("xs") ?? throw info.Invalid("attribute 'xs' is required");
        _y = info.Attributes.GetString("y", "");
        if (_y.Length == 0) throw info.Invalid("attribute 'y' is required");
        if (info.Attributes.Has("zs")) throw info.Invalid("attribute 'zs' is not supported");
        // The nodes y depends on, back to the xs, in graph order.
        var producer = new Dictionary<string, Node>();
        foreach (var n in info.Graph.Nodes) foreach (var o in n.Outputs) if (o.Length > 0) producer[o] = n;
        var needed = new HashSet<Node>();
        var stack = new Stack<string>([_y]);
        var xs = _xs.ToHashSet();
        while (stack.Count > 0)
        {
            string v = stack.Pop();
            if (xs.Contains(v) || !producer.TryGetValue(v, out var n) || !needed.Add(n)) continue;
            if (n.Domain.Length != 0 || !Differentiable.Contains(n.OpType))
                throw info.Invalid($"cannot differentiate through {n.Describe()}: supported ops are {string.Join(", ", Differentiable)}");
            foreach (var i in n.Inputs) if (i.Length > 0) stack.Push(i);
        }
        _forward = info.Graph.Nodes.Where(needed.Contains).ToList();
        // A private copy of the forward graph, fed by the Gradient node's inputs, that exposes every intermediate.
        var g = new Graph { Opsets = info.Graph.Opsets };
        foreach (var x in _xs) g.Inputs.Add(new ValueInfo(x, null));
        foreach (var n in _forward) g.Nodes.Add(n);
        foreach (var n in _forward) foreach (var o in n.Outputs) if (o.Length > 0) g.Outputs.Add(new ValueInfo(o, null));
        foreach (var n in _forward)
            foreach (var i in n.Inputs)
                if (i.Length > 0 && !xs.Contains(i) && !producer.ContainsKey(i) && info.Graph.Initializers.TryGetValue(i, out var t))
                    g.Initializers[i] = t;
        _plan = new ExecutionPlan(g, CpuKernels.Registry, "Gradient");
    }

    public void Execute(KernelContext context)
    {
        var inputs = new OnnxValue?[_xs.Length];
        for (int i = 0; i < _xs.Length; i++) inputs[i] = context.Input(i);
        var outs = _plan.Run(inputs);
        var values = new Dictionary<string, double[]>();
        var shapes = new Dictionary<string, int[]>();
        void Record(string name, Tensor t) { values[name] = t.ToDoubleArray(); shapes[name] = t.Shape; }
        for (int i = 0; i < _xs.Length; i++) Record(_xs[i], context.Input(i));
        foreach (var (name, t) in _plan.Graph.Initializers) Record(name, t);
        for (int o = 0; o < _plan.Graph.Outputs.Count; o++) Record(_plan.Graph.Outputs[o].Name, (Tensor)outs[o]!);
        if (!values.ContainsKey(_y)) throw context.Error($"y '{_y}' is not computed from xs");

        var grad = new Dictionary<string, double[]> { [_y] = Enumerable.Repeat(1.0, values[_y].Length).ToArray() };
        for (int k = _forward.Count - 1; k >= 0; k--)
        {
            var n = _forward[k];
            if (!grad.TryGetValue(n.Outputs[0], out var dOut)) continue;
            var outShape = shapes[n.Outputs[0]];
            switch (n.OpType)
            {
                case "Identity": Accumulate(n.Inputs[0], dOut); break;
                case "Neg": Accumulate(n.Inputs[0], dOut.Select(v => -v).ToArray()); break;
                case "Add": Accumulate(n.Inputs[0], dOut); Accumulate(n.Inputs[1], dOut); break;
                case "Sub": Accumulate(n.Inputs[0], dOut); Accumulate(n.Inputs[1], dOut.Select(v => -v).ToArray()); break;
                case "Mul":
                case "Div":
                {
                    var a = Expand(n.Inputs[0], outShape);
                    var b = Expand(n.Inputs[1], outShape);
                    var da = new double[dOut.Length];
                    var db = new double[dOut.Length];
                    for (int i = 0; i < dOut.Length; i++)
                    {
                        if (n.OpType == "Mul") { da[i] = dOut[i] * b[i]; db[i] = dOut[i] * a[i]; }
                        else { da[i] = dOut[i] / b[i]; db[i] = -dOut[i] * a[i] / (b[i] * b[i]); }
                    }
                    Accumulate(n.Inputs[0], da);
                    Accumulate(n.Inputs[1], db);
                    break;
                }
            }

            // Sums a gradient over the dimensions the input was broadcast along.
            void Accumulate(string input, double[] g)
            {
                var inShape = shapes[input];
                var offsets = Broadcast.Offsets(inShape, outShape);
                var reduced = new double[Tensor.ElementCount(inShape)];
                for (int i = 0; i < g.Length; i++) reduced[offsets[i]] += g[i];
                if (grad.TryGetValue(input, out var prev)) for (int i = 0; i < reduced.Length; i++) reduced[i] += prev[i];
                grad[input] = reduced;
            }
        }

        for (int i = 0; i < _xs.Length; i++)
        {
            var x = context.Input(i);
            var g = grad.TryGetValue(_xs[i], out var d) ? d : new double[x.Length];
            var y = context.Output(i, x.DType, x.Shape);
            switch (x.DType)
            {
                case DType.Float32: { var s = y.Span<float>(); for (int j = 0; j < g.Length; j++) s[j] = (float)g[j]; break; }
                case DType.Float64: g.CopyTo(y.Span<double>()); break;
                default: throw context.Error($"x '{_xs[i]}' must be float or double, got {x.DType.OnnxName()}");
            }
        }

        double[] Expand(string name, int[] outShape)
        {
            var src = values[name];
            var offsets = Broadcast.Offsets(shapes[name], outShape);
            var r = new double[offsets.Length];
            for (int i = 0; i < r.Length; i++) r[i] = src[offsets[i]];
            return r;
        }
    }
}
