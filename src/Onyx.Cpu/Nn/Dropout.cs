using Onyx.Core.Execution;
using Onyx.Cpu.Random;
using Onyx.Tensors;

namespace Onyx.Cpu.Nn;

/// <summary>
/// ONNX <c>Dropout</c> (1-22). Inference (or ratio 0): output = input, mask all true. Training
/// (opset 12+ training_mode input true, ratio &gt; 0): mask = uniform &gt;= ratio, output = x * mask / (1 - ratio),
/// drawn from MT19937 seeded by the <c>seed</c> attribute (the ONNX reference's generator).
/// </summary>
[OnnxKernel("Dropout", Since = 1)]
public sealed class DropoutKernel : IKernel
{
    private readonly float _ratioAttr;
    private readonly float? _seed;
    private readonly int _opset;

    public DropoutKernel(KernelInfo info)
    {
        _opset = info.OpsetVersion;
        _ratioAttr = info.Attributes.GetFloat("ratio", 0.5f);
        _seed = info.Attributes.Has("seed") ? info.Attributes.GetInt("seed") : null;
    }

    public void Execute(KernelContext context)
    {
        Tensor x = context.Input(0);
        float ratio = _ratioAttr;
        bool training = false;
        if (_opset >= 12)
        {
            Tensor? r = context.OptionalInput(1);
            ratio = r is null ? 0.5f : (float)r.ToDoubleArray()[0];
            Tensor? tm = context.OptionalInput(2);
            training = tm is not null && tm.Bytes[0] != 0;
        }
        bool wantMask = context.OutputCount > 1 && context.IsOutputRequested(1);
        DType maskType = _opset >= 10 ? DType.Bool : x.DType;
        if (!training || ratio == 0)
        {
            context.SetOutput(0, x.Clone());
            if (wantMask)
            {
                Tensor m = context.Output(1, maskType, x.Shape);
                if (maskType == DType.Bool) m.Bytes.Fill(1);
                else NnFloat.WriteDouble(m, Enumerable.Repeat(1.0, m.Length).ToArray());
            }
            return;
        }
        NnFloat.Require(context, x, "data");
        if (ratio < 0 || ratio >= 1) throw context.Error($"ratio must be in [0, 1), got {ratio}");
        var rng = Mt19937.Create(_seed);
        double scale = 1.0 / (1.0 - ratio);
        double[] xs = x.ToDoubleArray();
        var ys = new double[xs.Length];
        var mask = new bool[xs.Length];
        for (int i = 0; i < xs.Length; i++)
        {
            mask[i] = rng.NextDouble() >= ratio;
            ys[i] = mask[i] ? xs[i] * scale : 0;
        }
        NnFloat.WriteDouble(context.Output(0, x.DType, x.Shape), ys);
        if (wantMask)
        {
            Tensor m = context.Output(1, DType.Bool, x.Shape);
            var mb = m.Bytes;
            for (int i = 0; i < mask.Length; i++) mb[i] = mask[i] ? (byte)1 : (byte)0;
        }
    }
}
