using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.ControlFlow;

/// <summary>
/// ONNX <c>Loop</c>: runs the body while iteration &lt; M (when given) and cond (when given) hold.
/// Body: (iteration_num, cond, carried...) → (cond, carried..., scan outputs...). Loop outputs are
/// the final carried values (tensors, sequences or optionals) and each scan output stacked along a new axis 0.
/// </summary>
[OnnxKernel("Loop")]
internal sealed class LoopKernel : IKernel
{
    private readonly ISubgraph _body;
    private readonly int _carried;
    private readonly int _scans;

    public LoopKernel(KernelInfo info)
    {
        _body = info.CompileSubgraph(info.Attributes.GetRequiredGraph("body"));
        int bodyIn = _body.Graph.Inputs.Count, bodyOut = _body.Graph.Outputs.Count;
        _carried = bodyIn - 2;
        _scans = bodyOut - 1 - _carried;
        if (_carried < 0 || _scans < 0)
            throw info.Invalid($"body has {bodyIn} inputs and {bodyOut} outputs; expected 2+N inputs and 1+N+K outputs");
    }

    public void Execute(KernelContext context)
    {
        long maxTrip = long.MaxValue;
        if (context.OptionalInput(0) is { } m) maxTrip = m.ToInt64Array()[0];
        bool cond = true;
        if (context.OptionalInput(1) is { } c) cond = AxisCopy.IsTrue(c);

        var state = new OnnxValue?[_carried];
        for (int i = 0; i < _carried; i++) state[i] = context.InputValue(2 + i);
        var scans = new List<Tensor>[_scans];
        for (int k = 0; k < _scans; k++) scans[k] = [];

        var bodyInputs = new OnnxValue?[2 + _carried];
        long iter = 0;
        while (iter < maxTrip && cond)
        {
            context.Run.Cancellation.ThrowIfCancellationRequested();
            bodyInputs[0] = Tensor.Scalar(iter);
            bodyInputs[1] = Tensor.Scalar(cond);
            for (int i = 0; i < _carried; i++) bodyInputs[2 + i] = state[i];
            var outs = _body.Run(context, bodyInputs);
            cond = outs[0] is Tensor ct ? AxisCopy.IsTrue(ct) : throw context.Error("body output 0 (cond) must be a bool tensor");
            for (int i = 0; i < _carried; i++) state[i] = outs[1 + i];
            for (int k = 0; k < _scans; k++)
                scans[k].Add(outs[1 + _carried + k] as Tensor ?? throw context.Error($"scan output {k} of the body must be a tensor"));
            iter++;
        }

        for (int i = 0; i < _carried; i++) context.SetOutput(i, state[i]);
        for (int k = 0; k < _scans; k++)
        {
            var list = scans[k];
            if (list.Count == 0)
            {
                var t = _body.Graph.Outputs[1 + _carried + k].Type as TensorTypeInfo;
                var dtype = t?.ElementType ?? DType.Float32;
                int[] shape = [0];
                if (t?.Shape is { } s && s.All(d => d.IsFixed)) shape = [0, .. s.Select(d => (int)d.Value!.Value)];
                context.SetOutput(_carried + k, Tensor.Allocate(dtype, shape));
                continue;
            }
            int[] itemShape = list[0].Shape;
            foreach (var item in list)
                if (!item.Shape.AsSpan().SequenceEqual(itemShape))
                    throw context.Error($"scan output {k} changes shape across iterations ({item.ShapeString} vs [{string.Join(",", itemShape)}])");
            context.SetOutput(_carried + k, AxisCopy.Stack(list, 0, list[0].DType, itemShape));
        }
    }
}
