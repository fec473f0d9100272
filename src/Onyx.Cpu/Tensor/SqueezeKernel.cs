using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>ONNX <c>Squeeze</c> (axes attribute before 13, optional input from 13). Returns a view.</summary>
[OnnxKernel("Squeeze")]
internal sealed class SqueezeKernel : IKernel
{
    private readonly long[]? _attrAxes;
    private readonly bool _axesFromInput;

    public SqueezeKernel(KernelInfo info)
    {
        _axesFromInput = info.OpsetVersion >= 13;
        if (!_axesFromInput) _attrAxes = info.Attributes.GetInts("axes");
    }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        long[]? axes = _axesFromInput ? context.OptionalInput(1)?.ToInt64Array() : _attrAxes;
        var remove = new bool[x.Rank];
        if (axes is null || axes.Length == 0)
        {
            for (int i = 0; i < x.Rank; i++) remove[i] = x.Shape[i] == 1;
        }
        else
        {
            foreach (long a in axes)
            {
                int ax = TensorOpHelpers.Axis(context, a, x.Rank, "axes entry");
                if (x.Shape[ax] != 1) throw context.Error($"cannot squeeze axis {a} of input {x.ShapeString}: its size is {x.Shape[ax]}, not 1");
                remove[ax] = true;
            }
        }
        var shape = new List<int>(x.Rank);
        for (int i = 0; i < x.Rank; i++) if (!remove[i]) shape.Add(x.Shape[i]);
        context.SetOutput(0, x.Reshape(shape.ToArray()));
    }
}
