using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.TensorOps;

/// <summary>
/// ONNX <c>Pad</c>: constant / reflect / edge / wrap (19+) padding. Pads and value are attributes before 11,
/// inputs from 11; 18+ adds the optional <c>axes</c> input. Negative pads crop.
/// </summary>
[OnnxKernel("Pad")]
internal sealed class PadKernel : IKernel
{
    private readonly PadMode _mode;
    private readonly long[]? _attrPads;
    private readonly float _attrValue;

    public PadKernel(KernelInfo info)
    {
        string mode = info.Attributes.GetString("mode", "constant");
        _mode = mode switch
        {
            "constant" => PadMode.Constant,
            "reflect" => PadMode.Reflect,
            "edge" => PadMode.Edge,
            "wrap" => PadMode.Wrap,
            _ => throw info.Invalid($"unknown mode '{mode}' (expected constant, reflect, edge or wrap)"),
        };
        if (info.OpsetVersion < 11)
        {
            _attrPads = info.Attributes.GetInts(info.OpsetVersion < 2 ? "paddings" : "pads") ?? throw info.Invalid("attribute pads is required");
            _attrValue = info.Attributes.GetFloat("value", 0f);
        }
    }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        int rank = x.Rank;
        long[] pads;
        Tensor? value = null;
        long[]? axes = null;
        if (_attrPads is not null)
        {
            pads = _attrPads;
            if (_mode == PadMode.Constant && _attrValue != 0f)
            {
                value = Tensor.Allocate(x.DType, [1]);
                TensorOpHelpers.WriteDoubles(value, [_attrValue]);
            }
        }
        else
        {
            pads = context.Input(1).ToInt64Array();
            if (context.OptionalInput(2) is { Length: > 0 } v) value = v;
            axes = context.OptionalInput(3)?.ToInt64Array();
        }
        int n = axes?.Length ?? rank;
        if (pads.Length != 2 * n) throw context.Error($"pads {TensorOpHelpers.Str(pads)} must have {2 * n} entries for input {x.ShapeString}");
        var begin = new long[rank];
        var end = new long[rank];
        for (int i = 0; i < n; i++)
        {
            int a = axes is null ? i : TensorOpHelpers.Axis(context, axes[i], rank, "axes entry");
            begin[a] = pads[i];
            end[a] = pads[i + n];
        }
        var shape = new int[rank];
        for (int a = 0; a < rank; a++)
        {
            long d = x.Shape[a] + begin[a] + end[a];
            if (d < 0) throw context.Error($"pads {TensorOpHelpers.Str(pads)} remove more than axis {a} of input {x.ShapeString} holds");
            if (_mode != PadMode.Constant && x.Shape[a] == 0 && d > 0) throw context.Error($"cannot {_mode} pad empty axis {a}");
            shape[a] = (int)d;
        }
        if (value is not null && value.DType != x.DType) throw context.Error($"constant_value is {value.DType.OnnxName()}, data is {x.DType.OnnxName()}");
        var y = context.Output(0, x.DType, shape);
        PadEngine.Run(x, y, begin, _mode, value);
    }
}
