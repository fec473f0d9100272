using Onyx.Core.Execution;
using Onyx.Tensors;

namespace Onyx.Cpu.ControlFlow;

/// <summary>
/// ONNX <c>Scan</c>. Opset 9+: inputs are N states then M scan inputs, each scanned along its
/// scan_input_axes entry (reversed where scan_input_directions is 1); scan outputs are stacked along
/// scan_output_axes (reversed where scan_output_directions is 1). Opset 8: an optional
/// sequence_lens input first, and every input carries a leading batch axis; the scan axis is 1.
/// </summary>
[OnnxKernel("Scan", Since = 8)]
internal sealed class ScanKernel : IKernel
{
    private readonly ISubgraph _body;
    private readonly bool _v8;
    private readonly int _numScanInputs;
    private readonly int _states;
    private readonly int _scanOutputs;
    private readonly long[]? _inAxes, _inDirs, _outAxes, _outDirs;

    public ScanKernel(KernelInfo info)
    {
        _v8 = info.OpsetVersion < 9;
        _body = info.CompileSubgraph(info.Attributes.GetRequiredGraph("body"));
        _numScanInputs = (int)info.Attributes.GetInt("num_scan_inputs");
        _states = _body.Graph.Inputs.Count - _numScanInputs;
        _scanOutputs = _body.Graph.Outputs.Count - _states;
        if (_states < 0 || _scanOutputs < 0)
            throw info.Invalid($"body has {_body.Graph.Inputs.Count} inputs and {_body.Graph.Outputs.Count} outputs for num_scan_inputs={_numScanInputs}");
        if (_v8) _inDirs = info.Attributes.GetInts("directions");
        else
        {
            _inAxes = info.Attributes.GetInts("scan_input_axes");
            _inDirs = info.Attributes.GetInts("scan_input_directions");
            _outAxes = info.Attributes.GetInts("scan_output_axes");
            _outDirs = info.Attributes.GetInts("scan_output_directions");
        }
    }

    public void Execute(KernelContext context)
    {
        if (_v8) { ExecuteV8(context); return; }
        var states = new OnnxValue?[_states];
        for (int i = 0; i < _states; i++) states[i] = context.InputValue(i);
        var scanIns = new Tensor[_numScanInputs];
        var axes = new int[_numScanInputs];
        for (int j = 0; j < _numScanInputs; j++)
        {
            scanIns[j] = context.Input(_states + j);
            int a = _inAxes is { Length: > 0 } ? (int)_inAxes[j] : 0;
            if (a < 0) a += scanIns[j].Rank;
            axes[j] = a;
        }
        var (finals, outs) = RunSequence(context, states, scanIns, axes, -1);
        for (int i = 0; i < _states; i++) context.SetOutput(i, finals[i]);
        for (int k = 0; k < _scanOutputs; k++)
        {
            var list = outs[k];
            bool reverse = _outDirs is { Length: > 0 } && _outDirs[k] == 1;
            if (reverse) list.Reverse();
            int[] itemShape = list.Count > 0 ? list[0].Shape : [];
            int axis = _outAxes is { Length: > 0 } ? (int)_outAxes[k] : 0;
            if (axis < 0) axis += itemShape.Length + 1;
            var dtype = list.Count > 0 ? list[0].DType : (_body.Graph.Outputs[_states + k].Type as TensorTypeInfo)?.ElementType ?? DType.Float32;
            context.SetOutput(_states + k, AxisCopy.Stack(list, axis, dtype, itemShape));
        }
    }

    /// <summary>Runs the body over the scan axis; returns final states and per-output slice lists.</summary>
    private (OnnxValue?[] States, List<Tensor>[] Outs) RunSequence(KernelContext context, OnnxValue?[] states, Tensor[] scanIns, int[] axes, int seqLen)
    {
        int len = seqLen;
        for (int j = 0; j < scanIns.Length; j++)
        {
            int d = scanIns[j].Shape[axes[j]];
            if (seqLen < 0)
            {
                if (len >= 0 && d != len) throw context.Error($"scan input {j} has {d} steps along axis {axes[j]}, others have {len}");
                len = d;
            }
        }
        if (len < 0) len = 0;
        var outs = new List<Tensor>[_scanOutputs];
        for (int k = 0; k < _scanOutputs; k++) outs[k] = [];
        var bodyIn = new OnnxValue?[_states + _numScanInputs];
        for (int t = 0; t < len; t++)
        {
            context.Run.Cancellation.ThrowIfCancellationRequested();
            for (int i = 0; i < _states; i++) bodyIn[i] = states[i];
            for (int j = 0; j < scanIns.Length; j++)
            {
                bool rev = _inDirs is { Length: > 0 } && _inDirs[j] == 1;
                int idx = rev ? scanIns[j].Shape[axes[j]] - 1 - t : t;
                if (rev && seqLen >= 0) idx = seqLen - 1 - t;
                bodyIn[_states + j] = AxisCopy.Slice(scanIns[j], axes[j], idx);
            }
            var r = _body.Run(context, bodyIn);
            for (int i = 0; i < _states; i++) states[i] = r[i];
            for (int k = 0; k < _scanOutputs; k++)
                outs[k].Add(r[_states + k] as Tensor ?? throw context.Error($"scan output {k} of the body must be a tensor"));
        }
        return (states, outs);
    }

    private void ExecuteV8(KernelContext context)
    {
        var seqLens = context.OptionalInput(0)?.ToInt64Array();
        var stateIns = new Tensor[_states];
        for (int i = 0; i < _states; i++) stateIns[i] = context.Input(1 + i);
        var scanIns = new Tensor[_numScanInputs];
        for (int j = 0; j < _numScanInputs; j++) scanIns[j] = context.Input(1 + _states + j);
        int batch = _numScanInputs > 0 ? scanIns[0].Shape[0] : stateIns[0].Shape[0];
        int maxLen = _numScanInputs > 0 ? scanIns[0].Shape[1] : 0;
        var axes = new int[_numScanInputs];
        var finalStates = new List<Tensor>[_states];
        for (int i = 0; i < _states; i++) finalStates[i] = [];
        var scanOuts = new List<Tensor>[_scanOutputs];
        for (int k = 0; k < _scanOutputs; k++) scanOuts[k] = [];
        for (int b = 0; b < batch; b++)
        {
            var st = new OnnxValue?[_states];
            for (int i = 0; i < _states; i++) st[i] = AxisCopy.Slice(stateIns[i], 0, b);
            var si = new Tensor[_numScanInputs];
            for (int j = 0; j < _numScanInputs; j++) si[j] = AxisCopy.Slice(scanIns[j], 0, b);
            int len = seqLens is null ? maxLen : (int)seqLens[b];
            var (finals, outs) = RunSequence(context, st, si, axes, len);
            for (int i = 0; i < _states; i++) finalStates[i].Add((Tensor)finals[i]!);
            for (int k = 0; k < _scanOutputs; k++)
            {
                var list = outs[k];
                if (list.Count == 0) throw context.Error("Scan-8 with a zero-length sequence is not supported");
                // Pad shorter sequences with zeros up to the longest one.
                while (list.Count < maxLen) list.Add(Tensor.Allocate(list[0].DType, list[0].Shape));
                scanOuts[k].Add(AxisCopy.Stack(list, 0, list[0].DType, list[0].Shape));
            }
        }
        for (int i = 0; i < _states; i++)
            context.SetOutput(i, AxisCopy.Stack(finalStates[i], 0, finalStates[i][0].DType, finalStates[i][0].Shape));
        for (int k = 0; k < _scanOutputs; k++)
            context.SetOutput(_states + k, AxisCopy.Stack(scanOuts[k], 0, scanOuts[k][0].DType, scanOuts[k][0].Shape));
    }
}
