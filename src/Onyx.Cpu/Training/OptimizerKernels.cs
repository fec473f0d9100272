using Onyx.Core.Execution;
using Onyx.Cpu.Signal;
using Onyx.Tensors;

namespace Onyx.Cpu.Training;

/// <summary>Shared plumbing of the ai.onnx.preview.training optimizers: R, T, then k groups of n same-shaped tensors; math in double.</summary>
internal static class Optimizer
{
    public const string Domain = "ai.onnx.preview.training";

    /// <summary>Reads group <paramref name="g"/> (0 = X, 1 = G, ...) of tensor <paramref name="i"/> among <paramref name="n"/>.</summary>
    public static Tensor Arg(KernelContext context, int groups, int g, int i)
    {
        int n = (context.InputCount - 2) / groups;
        return context.Input(2 + g * n + i);
    }

    public static int Count(KernelContext context, int groups)
    {
        int rest = context.InputCount - 2;
        if (rest <= 0 || rest % groups != 0)
            throw context.Error($"expected R, T and {groups} groups of equally many tensors, got {context.InputCount} inputs");
        return rest / groups;
    }

    public static void Emit(KernelContext context, int index, Tensor like, double[] values)
    {
        var t = context.Output(index, like.DType, like.Shape);
        NumericIo.Write(t, values);
    }
}

/// <summary>ai.onnx.preview.training <c>Adagrad</c>.</summary>
[OnnxKernel("Adagrad", Domain = Optimizer.Domain)]
internal sealed class AdagradKernel(KernelInfo info) : IKernel
{
    private readonly double _decay = info.Attributes.GetFloat("decay_factor", 0f);
    private readonly double _eps = info.Attributes.GetFloat("epsilon", 0f);
    private readonly double _norm = info.Attributes.GetFloat("norm_coefficient", 0f);

    public void Execute(KernelContext context)
    {
        int n = Optimizer.Count(context, 3);
        double r0 = context.Input(0).ToDoubleArray()[0];
        double t = context.Input(1).ToDoubleArray()[0];
        double r = r0 / (1 + t * _decay);
        for (int i = 0; i < n; i++)
        {
            var xt = Optimizer.Arg(context, 3, 0, i);
            double[] x = xt.ToDoubleArray(), g = Optimizer.Arg(context, 3, 1, i).ToDoubleArray(), h = Optimizer.Arg(context, 3, 2, i).ToDoubleArray();
            var xn = new double[x.Length];
            var hn = new double[x.Length];
            for (int k = 0; k < x.Length; k++)
            {
                double gr = _norm * x[k] + g[k];
                hn[k] = h[k] + gr * gr;
                xn[k] = x[k] - r * gr / (Math.Sqrt(hn[k]) + _eps);
            }
            Optimizer.Emit(context, i, xt, xn);
            Optimizer.Emit(context, n + i, xt, hn);
        }
    }
}

/// <summary>ai.onnx.preview.training <c>Adam</c>.</summary>
[OnnxKernel("Adam", Domain = Optimizer.Domain)]
internal sealed class AdamKernel(KernelInfo info) : IKernel
{
    private readonly double _alpha = info.Attributes.GetFloat("alpha", 0.9f);
    private readonly double _beta = info.Attributes.GetFloat("beta", 0.999f);
    private readonly double _eps = info.Attributes.GetFloat("epsilon", 0f);
    private readonly double _norm = info.Attributes.GetFloat("norm_coefficient", 0f);
    private readonly double _normPost = info.Attributes.GetFloat("norm_coefficient_post", 0f);

    public void Execute(KernelContext context)
    {
        int n = Optimizer.Count(context, 4);
        double r = context.Input(0).ToDoubleArray()[0];
        double t = context.Input(1).ToDoubleArray()[0];
        double ra = t > 0 ? r * Math.Sqrt(1 - Math.Pow(_beta, t)) / (1 - Math.Pow(_alpha, t)) : r;
        for (int i = 0; i < n; i++)
        {
            var xt = Optimizer.Arg(context, 4, 0, i);
            double[] x = xt.ToDoubleArray(), g = Optimizer.Arg(context, 4, 1, i).ToDoubleArray();
            double[] v = Optimizer.Arg(context, 4, 2, i).ToDoubleArray(), h = Optimizer.Arg(context, 4, 3, i).ToDoubleArray();
            var xn = new double[x.Length];
            var vn = new double[x.Length];
            var hn = new double[x.Length];
            for (int k = 0; k < x.Length; k++)
            {
                double gr = _norm * x[k] + g[k];
                vn[k] = _alpha * v[k] + (1 - _alpha) * gr;
                hn[k] = _beta * h[k] + (1 - _beta) * gr * gr;
                double xnew = x[k] - ra * vn[k] / (Math.Sqrt(hn[k]) + _eps);
                xn[k] = (1 - _normPost) * xnew;
            }
            Optimizer.Emit(context, i, xt, xn);
            Optimizer.Emit(context, n + i, xt, vn);
            Optimizer.Emit(context, 2 * n + i, xt, hn);
        }
    }
}

/// <summary>ai.onnx.preview.training <c>Momentum</c> (standard or Nesterov).</summary>
[OnnxKernel("Momentum", Domain = Optimizer.Domain)]
internal sealed class MomentumKernel : IKernel
{
    private readonly double _alpha, _beta, _norm;
    private readonly bool _nesterov;

    public MomentumKernel(KernelInfo info)
    {
        _alpha = info.Attributes.GetFloat("alpha");
        _beta = info.Attributes.GetFloat("beta");
        _norm = info.Attributes.GetFloat("norm_coefficient");
        string mode = info.Attributes.GetString("mode");
        _nesterov = mode switch
        {
            "nesterov" => true,
            "standard" => false,
            _ => throw info.Invalid($"mode must be 'nesterov' or 'standard', got '{mode}'"),
        };
    }

    public void Execute(KernelContext context)
    {
        int n = Optimizer.Count(context, 3);
        double r = context.Input(0).ToDoubleArray()[0];
        double t = context.Input(1).ToDoubleArray()[0];
        double beta = t > 0 ? _beta : 1;
        for (int i = 0; i < n; i++)
        {
            var xt = Optimizer.Arg(context, 3, 0, i);
            double[] x = xt.ToDoubleArray(), g = Optimizer.Arg(context, 3, 1, i).ToDoubleArray(), v = Optimizer.Arg(context, 3, 2, i).ToDoubleArray();
            var xn = new double[x.Length];
            var vn = new double[x.Length];
            for (int k = 0; k < x.Length; k++)
            {
                double gr = _norm * x[k] + g[k];
                vn[k] = _alpha * v[k] + beta * gr;
                xn[k] = _nesterov ? x[k] - r * (gr + _alpha * vn[k]) : x[k] - r * vn[k];
            }
            Optimizer.Emit(context, i, xt, xn);
            Optimizer.Emit(context, n + i, xt, vn);
        }
    }
}
