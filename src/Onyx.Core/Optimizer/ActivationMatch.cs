using Onyx.Core.Ir;
using static Onyx.Core.Optimizer.PatternMatch;

namespace Onyx.Core.Optimizer;

/// <summary>
/// The activation chain after a GEMM-like node's output, for the fusions that move it into the
/// GEMM/conv store (FusedConv, onyx.MatMulBias): one activation node (Relu, Clip, LeakyRelu,
/// HardSigmoid, HardSwish, Sigmoid, Tanh, com.microsoft Gelu/FastGelu), or Swish written as
/// x·Sigmoid(x) / x·Sigmoid(α·x), then — after the activations applied outside the micro-kernel's
/// registers — an optional scalar Mul and/or Add (PP-LCNet's learnable affine after HardSwish).
/// </summary>
internal sealed record ActivationMatch(string Name, float[] Params, float[]? Affine, string Output, IReadOnlyList<Node> Nodes)
{
    /// <summary>The activations the stores apply after the micro-kernel (the only ones an affine may follow).</summary>
    private static readonly HashSet<string> s_post = ["HardSigmoid", "HardSwish", "Sigmoid", "Swish", "Tanh", "Gelu", "FastGelu"];

    /// <summary>Matches the chain reading <paramref name="x"/>; null when none. <paramref name="supported"/> filters activation names.</summary>
    public static ActivationMatch? Find(Graph graph, GraphUsage usage, string x, Func<string, bool> supported)
    {
        if (usage.IsGraphOutput(x)) return null;
        var consumers = usage.Consumers(x);
        ActivationMatch? m = consumers.Count == 1 ? Single(graph, consumers[0], x) : consumers.Count == 2 ? Swish(graph, usage, x, consumers) : null;
        if (m is null || !supported(m.Name)) return null;
        return s_post.Contains(m.Name) ? WithAffine(graph, usage, m) : m;
    }

    /// <summary>Adds FusedConv/MatMulBias's activation attributes for this match.</summary>
    public void SetAttributes(NodeAttributes attrs)
    {
        attrs.Set(new Ir.Attribute { Name = "activation", Kind = AttributeKind.String, Bytes = System.Text.Encoding.UTF8.GetBytes(Name) });
        if (Params.Length > 0)
            attrs.Set(new Ir.Attribute { Name = "activation_params", Kind = AttributeKind.Floats, Floats = Params });
        if (Affine is not null)
            attrs.Set(new Ir.Attribute { Name = "activation_affine", Kind = AttributeKind.Floats, Floats = Affine });
    }

    private static ActivationMatch? Single(Graph graph, Node act, string x)
    {
        if (act.Inputs.Count == 0 || act.Inputs[0] != x || !act.HasOutput(0)) return null;
        if (act.Domain == "com.microsoft")
            return act.OpType is "Gelu" or "FastGelu" && act.Inputs.Count == 1 ? new(act.OpType, [], null, act.Outputs[0], [act]) : null;
        if (act.Domain.Length != 0) return null;
        (string, float[])? kind = act.OpType switch
        {
            "Relu" or "Sigmoid" or "Tanh" or "HardSwish" => (act.OpType, []),
            "LeakyRelu" => ("LeakyRelu", [act.Attributes.GetFloat("alpha", 0.01f)]),
            "HardSigmoid" => ("HardSigmoid", [act.Attributes.GetFloat("alpha", 0.2f), act.Attributes.GetFloat("beta", 0.5f)]),
            "Clip" => ClipBounds(graph, act) is { } b ? ("Clip", b) : null,
            _ => null,
        };
        return kind is var (name, p) ? new(name, p, null, act.Outputs[0], [act]) : null;
    }

    private static float[]? ClipBounds(Graph graph, Node clip)
    {
        if (clip.OpsetVersion < 11)
            return [clip.Attributes.GetFloat("min", float.MinValue), clip.Attributes.GetFloat("max", float.MaxValue)];
        float lo = float.MinValue, hi = float.MaxValue;
        if (clip.HasInput(1)) { if (Scalar(graph, clip, 1) is not { } v) return null; lo = v; }
        if (clip.HasInput(2)) { if (Scalar(graph, clip, 2) is not { } v) return null; hi = v; }
        return [lo, hi];
    }

    /// <summary>x's two readers are Mul(x, s) and either s = Sigmoid(x) or s = Sigmoid(Mul(x, α)).</summary>
    private static ActivationMatch? Swish(Graph graph, GraphUsage usage, string x, IReadOnlyList<Node> consumers)
    {
        for (int k = 0; k < 2; k++)
        {
            Node mul = consumers[k], first = consumers[1 - k];
            if (Is(mul, "Mul") is null || !mul.HasOutput(0) || Other(mul, x) is not { } s) continue;
            float alpha = 1f;
            Node sigmoid;
            var nodes = new List<Node>();
            if (Is(first, "Sigmoid") is { } sg && sg.Inputs[0] == x)
            {
                sigmoid = sg;
            }
            else if (Is(first, "Mul") is { } scale && ScalarOperand(graph, scale, 1) is ({ } other, float a) && other == x
                && Is(usage.SoleConsumer(scale.Outputs[0]), "Sigmoid") is { } sg2)
            {
                alpha = a;
                sigmoid = sg2;
                nodes.Add(scale);
            }
            else continue;
            if (sigmoid.Outputs[0] != s || usage.SoleConsumer(s) != mul) continue;
            nodes.Add(sigmoid);
            nodes.Add(mul);
            return new("Swish", [alpha], null, mul.Outputs[0], nodes);
        }
        return null;
    }

    /// <summary>Then y·scale and/or y + shift with one-element constants (rank ≤ 1, so the shape holds).</summary>
    private static ActivationMatch WithAffine(Graph graph, GraphUsage usage, ActivationMatch m)
    {
        float scale = 1f, shift = 0f;
        string output = m.Output;
        var nodes = new List<Node>(m.Nodes);
        if (Is(usage.SoleConsumer(output), "Mul") is { } mul && ScalarOperand(graph, mul, 1) is ({ } o, float s) && o == output)
        {
            scale = s;
            output = mul.Outputs[0];
            nodes.Add(mul);
        }
        if (Is(usage.SoleConsumer(output), "Add") is { } add && ScalarOperand(graph, add, 1) is ({ } o2, float b) && o2 == output)
        {
            shift = b;
            output = add.Outputs[0];
            nodes.Add(add);
        }
        return nodes.Count == m.Nodes.Count ? m : m with { Affine = [scale, shift], Output = output, Nodes = nodes };
    }
}
