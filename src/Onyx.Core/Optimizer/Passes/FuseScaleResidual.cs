using Onyx.Core.Ir;
using Onyx.Tensors;
using static Onyx.Core.Optimizer.PatternMatch;

namespace Onyx.Core.Optimizer.Passes;

/// <summary>
/// x + x·s → x·(s + 1): the squeeze-excitation residual PP-OCRv4's detector neck writes seven times,
/// where s is a per-channel gate and x a full feature map. One pass over the map instead of two. When
/// s comes from a FusedConv/MatMulBias whose store applies a post activation (the gate's HardSigmoid),
/// the +1 joins that store's <c>activation_affine</c>; otherwise a small Add(s, 1) is inserted.
/// </summary>
internal sealed class FuseScaleResidual : IGraphPass
{
    public OptimizationLevel Level => OptimizationLevel.Extended;

    private static readonly HashSet<string> s_post = ["HardSigmoid", "HardSwish", "Sigmoid", "Swish", "Tanh", "Gelu", "FastGelu"];

    public bool Run(Graph graph, OptimizerContext context)
    {
        bool changed = false;
        var usage = new GraphUsage(graph);
        foreach (var add in graph.Nodes.ToList())
        {
            if (Is(add, "Add") is null || add.Inputs.Count != 2 || !add.HasOutput(0) || add.Inputs[0] == add.Inputs[1]) continue;
            for (int k = 0; k < 2; k++)
            {
                string x = add.Inputs[k];
                if (Is(usage.Producer(add.Inputs[1 - k]), "Mul") is not { } mul || usage.SoleConsumer(mul.Outputs[0]) != add) continue;
                if (Other(mul, x) is not { } s || Float32(graph, x) is null || Float32(graph, s) is null) continue;

                string gate = GatePlusOne(graph, usage, s, mul.OpsetVersion);
                var scaled = new Node("Mul", [x, gate], [add.Outputs[0]], mul.Name + "/residual") { OpsetVersion = mul.OpsetVersion };
                graph.Nodes[graph.Nodes.IndexOf(add)] = scaled;
                graph.Nodes.Remove(mul);
                usage = new GraphUsage(graph);
                changed = true;
                break;
            }
        }
        return changed;
    }

    /// <summary>s + 1: folded into s's producer's affine when it has a post activation and no other reader, else a new Add.</summary>
    private static string GatePlusOne(Graph graph, GraphUsage usage, string s, int mulVersion)
    {
        if (usage.SoleConsumer(s) is not null && usage.Producer(s) is { } p
            && (p is { OpType: "FusedConv", Domain: "com.microsoft" } || p is { OpType: "MatMulBias", Domain: "onyx" })
            && s_post.Contains(p.Attributes.GetString("activation", "")))
        {
            float[] affine = p.Attributes.GetFloats("activation_affine") ?? [1f, 0f];
            p.Attributes.Set(new Ir.Attribute { Name = "activation_affine", Kind = AttributeKind.Floats, Floats = [affine[0], affine[1] + 1f] });
            return s;
        }
        string one = GraphConstants.Fresh(graph, s + "/one");
        graph.Initializers[one] = Tensor.Scalar(1f);
        string plusOne = GraphConstants.Fresh(graph, s + "/plus_one");
        var node = new Node("Add", [s, one], [plusOne], plusOne) { OpsetVersion = Math.Max(7, mulVersion) };
        // Right after s's producer (or first, for a graph input): everything after it may read the new value.
        int at = usage.Producer(s) is { } prod ? graph.Nodes.IndexOf(prod) + 1 : 0;
        graph.Nodes.Insert(at, node);
        return plusOne;
    }
}
