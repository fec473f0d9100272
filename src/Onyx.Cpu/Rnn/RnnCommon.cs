using Onyx.Core.Execution;
using Onyx.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Onyx.Cpu.Rnn;

/// <summary>One RNN activation function with its alpha/beta (ONNX names, case-insensitive).</summary>
internal readonly struct RnnActivation
{
    private readonly int _kind;
    private readonly float _alpha, _beta;

    private RnnActivation(int kind, float alpha, float beta) { _kind = kind; _alpha = alpha; _beta = beta; }

    private static readonly string[] s_names = ["relu", "tanh", "sigmoid", "affine", "leakyrelu", "thresholdedrelu", "scaledtanh", "hardsigmoid", "elu", "softsign", "softplus"];

    /// <summary>Parses the activations list, consuming activation_alpha/beta in order for the functions that take them.</summary>
    public static RnnActivation[] Parse(KernelInfo info, string[] defaults, int directions)
    {
        string[] names = info.Attributes.GetStrings("activations") ?? [];
        int per = defaults.Length;
        if (names.Length == 0)
        {
            names = new string[per * directions];
            for (int d = 0; d < directions; d++) Array.Copy(defaults, 0, names, d * per, per);
        }
        else if (names.Length == per && directions == 2)
            names = [.. names, .. names];
        if (names.Length != per * directions)
            throw info.Invalid($"expected {per * directions} activations, got {names.Length}");
        float[] alphas = info.Attributes.GetFloats("activation_alpha") ?? [];
        float[] betas = info.Attributes.GetFloats("activation_beta") ?? [];
        int ai = 0, bi = 0;
        var r = new RnnActivation[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            int kind = Array.IndexOf(s_names, names[i].ToLowerInvariant());
            if (kind < 0) throw info.Invalid($"unsupported activation '{names[i]}'");
            (bool usesA, float da, bool usesB, float db) = kind switch
            {
                3 => (true, 1f, true, 0f),
                4 => (true, 0.01f, false, 0f),
                5 => (true, 1f, false, 0f),
                6 => (true, 1f, true, 1f),
                7 => (true, 0.2f, true, 0.5f),
                8 => (true, 1f, false, 0f),
                _ => (false, 0f, false, 0f),
            };
            float a = da, b = db;
            if (usesA && ai < alphas.Length) a = alphas[ai++];
            if (usesB && bi < betas.Length) b = betas[bi++];
            r[i] = new RnnActivation(kind, a, b);
        }
        return r;
    }

    public void Apply(Span<float> x)
    {
        switch (_kind)
        {
            case 1: TensorPrimitives.Tanh(x, x); return;
            case 2: TensorPrimitives.Sigmoid(x, x); return;
        }
        for (int i = 0; i < x.Length; i++) x[i] = Scalar(x[i]);
    }

    public float Scalar(float v) => _kind switch
    {
        0 => MathF.Max(v, 0),
        1 => MathF.Tanh(v),
        2 => 1f / (1f + MathF.Exp(-v)),
        3 => _alpha * v + _beta,
        4 => v >= 0 ? v : _alpha * v,
        5 => v > _alpha ? v : 0,
        6 => _alpha * MathF.Tanh(_beta * v),
        7 => MathF.Max(0, MathF.Min(1, _alpha * v + _beta)),
        8 => v >= 0 ? v : _alpha * (MathF.Exp(v) - 1),
        9 => v / (1 + MathF.Abs(v)),
        10 => MathF.Log(1 + MathF.Exp(v)),
        _ => v,
    };
}

/// <summary>Shapes, attributes and layout handling shared by RNN, GRU and LSTM.</summary>
internal sealed class RnnSetup
{
    public readonly int Directions;   // 1 or 2
    public readonly bool ReverseOnly;
    public readonly int Hidden;
    public readonly int Layout;
    public readonly float Clip;       // 0 = none

    public RnnSetup(KernelInfo info)
    {
        string dir = info.Attributes.GetString("direction", "forward");
        Directions = dir == "bidirectional" ? 2 : 1;
        ReverseOnly = dir == "reverse";
        if (dir is not ("forward" or "reverse" or "bidirectional")) throw info.Invalid($"unknown direction '{dir}'");
        Hidden = (int)info.Attributes.GetInt("hidden_size", 0);
        Layout = (int)info.Attributes.GetInt("layout", 0);
        Clip = info.Attributes.Has("clip") ? info.Attributes.GetFloat("clip") : 0f;
    }

    /// <summary>X as [seq, batch, input] float32.</summary>
    public float[] ReadX(Tensor x, out int seq, out int batch, out int input)
    {
        ReadOnlySpan<float> xs = Nn.NnFloat.Read(x);
        if (Layout == 0)
        {
            seq = x.Shape[0]; batch = x.Shape[1]; input = x.Shape[2];
            return xs.ToArray();
        }
        batch = x.Shape[0]; seq = x.Shape[1]; input = x.Shape[2];
        var r = new float[xs.Length];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < seq; t++)
                xs.Slice((b * seq + t) * input, input).CopyTo(r.AsSpan((t * batch + b) * input, input));
        return r;
    }

    /// <summary>An initial state input ([dirs, batch, hidden], or [batch, dirs, hidden] in layout 1) as [dirs, batch, hidden].</summary>
    public float[] ReadState(Tensor? t, int batch)
    {
        var r = new float[Directions * batch * Hidden];
        if (t is null) return r;
        ReadOnlySpan<float> s = Nn.NnFloat.Read(t);
        if (Layout == 0) { s.CopyTo(r); return r; }
        for (int b = 0; b < batch; b++)
            for (int d = 0; d < Directions; d++)
                s.Slice((b * Directions + d) * Hidden, Hidden).CopyTo(r.AsSpan((d * batch + b) * Hidden, Hidden));
        return r;
    }

    /// <summary>Writes Y ([seq, dirs, batch, hidden] internally) and a final state in the node's layout.</summary>
    public void WriteOutputs(KernelContext context, DType dtype, float[] y, int seq, int batch, params (int index, float[] state)[] states)
    {
        int h = Hidden, dirs = Directions;
        if (context.OutputCount > 0 && context.IsOutputRequested(0))
        {
            if (Layout == 0) Nn.NnFloat.Write(context.Output(0, dtype, [seq, dirs, batch, h]), y);
            else
            {
                var r = new float[y.Length];
                for (int t = 0; t < seq; t++)
                    for (int d = 0; d < dirs; d++)
                        for (int b = 0; b < batch; b++)
                            y.AsSpan(((t * dirs + d) * batch + b) * h, h).CopyTo(r.AsSpan(((b * seq + t) * dirs + d) * h, h));
                Nn.NnFloat.Write(context.Output(0, dtype, [batch, seq, dirs, h]), r);
            }
        }
        foreach (var (index, state) in states)
        {
            if (context.OutputCount <= index || !context.IsOutputRequested(index)) continue;
            if (Layout == 0) Nn.NnFloat.Write(context.Output(index, dtype, [dirs, batch, h]), state);
            else
            {
                var r = new float[state.Length];
                for (int d = 0; d < dirs; d++)
                    for (int b = 0; b < batch; b++)
                        state.AsSpan((d * batch + b) * h, h).CopyTo(r.AsSpan((b * dirs + d) * h, h));
                Nn.NnFloat.Write(context.Output(index, dtype, [batch, dirs, h]), r);
            }
        }
    }

    public int[] SequenceLengths(KernelContext context, Tensor? t, int seq, int batch)
    {
        var r = new int[batch];
        if (t is null) { Array.Fill(r, seq); return r; }
        long[] v = t.ToInt64Array();
        if (v.Length != batch) throw context.Error($"sequence_lens must have {batch} elements, got {v.Length}");
        for (int i = 0; i < batch; i++)
        {
            if (v[i] < 0 || v[i] > seq) throw context.Error($"sequence_lens[{i}] = {v[i]} is outside [0, {seq}]");
            r[i] = (int)v[i];
        }
        return r;
    }

    public void ClipInPlace(Span<float> x)
    {
        if (Clip > 0) TensorPrimitives.Clamp(x, -Clip, Clip, x);
    }

    /// <summary>C[m, n] = A[m, k] · B[n, k]ᵀ (B in the ONNX weight layout), through the shared SGEMM.</summary>
    public static void MatMulTransB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, Onyx.Kernels.Threading.IntraOpPool? pool = null) =>
        Nn.AttentionKernel.Gemm(false, true, m, n, k, 1f, a, k, b, k, c, n, pool);
}
