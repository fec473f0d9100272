using Onyx.Core.Execution;
using Onyx.Kernels.Gemm;

namespace Onyx.Cpu.Fused;

/// <summary>
/// Reads a fused node's activation into the <see cref="GemmEpilogue"/> its GEMM/conv stores apply:
/// <c>activation</c> (ONNX Runtime's FusedConv names: Relu, Clip, LeakyRelu, HardSigmoid, Sigmoid, Tanh;
/// plus HardSwish, Swish, Gelu, FastGelu), <c>activation_params</c> (Clip [min, max], LeakyRelu [alpha],
/// HardSigmoid [alpha, beta], Swish [alpha]) and Onyx's <c>activation_affine</c> [scale, shift]
/// (y = act(x)·scale + shift, only after the activations applied outside the micro-kernel registers).
/// </summary>
internal static class FusedActivationAttributes
{
    public static GemmEpilogue Parse(KernelInfo info, string op)
    {
        string act = info.Attributes.GetString("activation", "");
        float[] p = info.Attributes.GetFloats("activation_params") ?? [];
        float P(int i, float dflt) => p.Length > i ? p[i] : dflt;
        GemmEpilogue ep = act switch
        {
            "" or "Identity" => default,
            "Relu" => new GemmEpilogue { Activation = FusedActivation.Relu },
            "Clip" => new GemmEpilogue { Activation = FusedActivation.Clip, Min = P(0, float.MinValue), Max = P(1, float.MaxValue) },
            "LeakyRelu" => new GemmEpilogue { Activation = FusedActivation.LeakyRelu, Alpha = P(0, 0.01f) },
            "HardSigmoid" => new GemmEpilogue { Activation = FusedActivation.HardSigmoid, Alpha = P(0, 0.2f), Beta = P(1, 0.5f) },
            "HardSwish" => new GemmEpilogue { Activation = FusedActivation.HardSwish },
            "Sigmoid" => new GemmEpilogue { Activation = FusedActivation.Sigmoid },
            "Swish" => new GemmEpilogue { Activation = FusedActivation.Swish, Alpha = P(0, 1f) },
            "Tanh" => new GemmEpilogue { Activation = FusedActivation.Tanh },
            "Gelu" => new GemmEpilogue { Activation = FusedActivation.Gelu },
            "FastGelu" => new GemmEpilogue { Activation = FusedActivation.FastGelu },
            _ => throw info.Invalid($"{op} activation '{act}' is not supported (Relu, Clip, LeakyRelu, HardSigmoid, HardSwish, Sigmoid, Swish, Tanh, Gelu, FastGelu)"),
        };
        if (info.Attributes.GetFloats("activation_affine") is { } affine)
        {
            if (affine.Length != 2 || !ep.HasPost)
                throw info.Invalid($"{op} activation_affine needs [scale, shift] and one of HardSigmoid, HardSwish, Sigmoid, Swish, Tanh, Gelu, FastGelu (activation '{act}')");
            ep = ep with { HasAffine = true, Scale = affine[0], Shift = affine[1] };
        }
        return ep;
    }
}
