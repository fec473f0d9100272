using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.Ml;

/// <summary>Score transforms shared by the ai.onnx.ml classifiers and regressors (ONNX Runtime's float semantics).</summary>
internal enum PostTransform { None, Logistic, Softmax, SoftmaxZero, Probit }

internal static class MlCommon
{
    public const string Domain = "ai.onnx.ml";

    public static PostTransform ParseTransform(string s, KernelInfo info) => s switch
    {
        "NONE" or "" => PostTransform.None,
        "LOGISTIC" => PostTransform.Logistic,
        "SOFTMAX" => PostTransform.Softmax,
        "SOFTMAX_ZERO" => PostTransform.SoftmaxZero,
        "PROBIT" => PostTransform.Probit,
        _ => throw info.Invalid($"post_transform must be NONE, LOGISTIC, SOFTMAX, SOFTMAX_ZERO or PROBIT, got '{s}'"),
    };

    public static float Logistic(float v)
    {
        float e = 1f / (1f + MathF.Exp(-MathF.Abs(v)));
        return v < 0 ? 1 - e : e;
    }

    /// <summary>The approximate inverse error function ONNX Runtime uses for PROBIT.</summary>
    public static float ErfInv(float x)
    {
        float sgn = x < 0 ? -1f : 1f;
        x = (1 - x) * (1 + x);
        float log = MathF.Log(x);
        float v = 2 / (3.14159f * 0.147f) + 0.5f * log;
        float v2 = 1 / 0.147f * log;
        float v3 = -v + MathF.Sqrt(v * v - v2);
        return sgn * MathF.Sqrt(v3);
    }

    public static float Probit(float v) => 1.41421356f * ErfInv(2 * v - 1);

    public static void Softmax(Span<float> s)
    {
        float max = float.MinValue;
        foreach (var v in s) if (v > max) max = v;
        float sum = 0;
        for (int i = 0; i < s.Length; i++) { s[i] = MathF.Exp(s[i] - max); sum += s[i]; }
        for (int i = 0; i < s.Length; i++) s[i] /= sum;
    }

    public static void SoftmaxZero(Span<float> s)
    {
        float max = float.MinValue;
        foreach (var v in s) if (v > max) max = v;
        float expNegMax = MathF.Exp(-max);
        float sum = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] > 0.0000001f || s[i] < -0.0000001f) { s[i] = MathF.Exp(s[i] - max); sum += s[i]; }
            else s[i] *= expNegMax;
        }
        for (int i = 0; i < s.Length; i++) s[i] /= sum;
    }

    /// <summary>Applies a transform to one row of two or more scores.</summary>
    public static void Apply(Span<float> row, PostTransform t)
    {
        switch (t)
        {
            case PostTransform.Probit: for (int i = 0; i < row.Length; i++) row[i] = Probit(row[i]); break;
            case PostTransform.Logistic: for (int i = 0; i < row.Length; i++) row[i] = Logistic(row[i]); break;
            case PostTransform.Softmax: Softmax(row); break;
            case PostTransform.SoftmaxZero: SoftmaxZero(row); break;
        }
    }

    /// <summary>
    /// ONNX Runtime's binary-score expansion: one raw score becomes two columns. Modes 0/1 give
    /// [1-p, p] with p = σ(s) under LOGISTIC, else s; 2/3 (mixed-sign weights) give [-s, s], or [σ(-s), σ(s)] under LOGISTIC.
    /// </summary>
    public static void ExpandBinary(float s, Span<float> dst, int mode, PostTransform t)
    {
        if (mode is 0 or 1)
        {
            float p = t == PostTransform.Logistic ? Logistic(s) : s;
            dst[0] = 1 - p; dst[1] = p;
        }
        else if (t == PostTransform.Logistic) { dst[0] = Logistic(-s); dst[1] = Logistic(s); }
        else { dst[0] = -s; dst[1] = s; }
    }

    /// <summary>Rows and columns of an [N, C] or [C] input.</summary>
    public static (int N, int C) Rows(Tensor x) => x.Rank switch
    {
        0 => (1, 1),
        1 => (1, x.Shape[0]),
        _ => (x.Shape[0], x.Length / Math.Max(1, x.Shape[0])),
    };

    public static float[] ToFloats(Tensor x)
    {
        if (x.DType == DType.Float32) return x.Span<float>().ToArray();
        var d = x.ToDoubleArray();
        var r = new float[d.Length];
        for (int i = 0; i < d.Length; i++) r[i] = (float)d[i];
        return r;
    }
}
