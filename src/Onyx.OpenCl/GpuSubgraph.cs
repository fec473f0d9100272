using Onyx.Core.Execution;
using Onyx.Core.Ir;
using Onyx.Tensors;
using Silk.NET.OpenCL;

namespace Onyx.OpenCl;

/// <summary>
/// A list of Core IR nodes compiled to OpenCL kernels on one device. Float initializers are uploaded
/// once (in the storage precision); intermediate tensors stay in device buffers between nodes and
/// only the subgraph's inputs and outputs cross the host boundary (as float32 tensors).
/// Conv/ConvTranspose/MatMul/Gemm/BatchNormalization absorb a following activation when the
/// intermediate value is used by nothing else. Run is serialised per device.
/// </summary>
public sealed unsafe class GpuSubgraph : IDisposable, IConstants
{
    private readonly OpenClDevice _device;
    private readonly GpuProgram _program;
    private readonly List<GpuOp> _ops = [];
    private readonly Dictionary<string, Tensor> _constants;
    private readonly Dictionary<string, DevTensor> _uploaded = new(StringComparer.Ordinal);
    private readonly bool _fp16;
    private readonly Dictionary<string, List<(Node Node, int Index)>> _consumers = new(StringComparer.Ordinal);

    public IReadOnlyList<string> InputNames { get; }
    public IReadOnlyList<string> OutputNames { get; }
    public GpuPrecision Precision { get; }
    /// <summary>True when FP16 runs element-wise math in half (cl_khr_fp16).</summary>
    public bool HalfArithmetic { get; }
    public OpenClDevice Device => _device;
    /// <summary>Number of kernels-level ops after fusion.</summary>
    public int OpCount => _ops.Count;

    private GpuSubgraph(OpenClDevice device, IReadOnlyList<Node> nodes, IReadOnlyDictionary<string, Tensor> initializers,
        IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, GpuPrecision precision, bool forceFloatCompute)
    {
        _device = device;
        Precision = precision;
        _fp16 = precision == GpuPrecision.FP16;
        HalfArithmetic = _fp16 && device.HalfArithmetic(forceFloatCompute);
        InputNames = inputs.ToArray();
        OutputNames = outputs.ToArray();
        _constants = new Dictionary<string, Tensor>(initializers, StringComparer.Ordinal);
        foreach (var n in nodes)
            if (n.OpType == "Constant" && GpuCapability.ConstantValue(n) is { } v) _constants[n.Outputs[0]] = v;
        _program = device.Program(precision, forceFloatCompute);
        foreach (var n in nodes)
            for (int i = 0; i < n.Inputs.Count; i++)
                if (n.Inputs[i].Length > 0) (_consumers.TryGetValue(n.Inputs[i], out var l) ? l : _consumers[n.Inputs[i]] = []).Add((n, i));

        var uses = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var n in nodes) foreach (var i in n.Inputs) if (i.Length > 0) uses[i] = uses.GetValueOrDefault(i) + 1;
        foreach (var o in outputs) uses[o] = uses.GetValueOrDefault(o) + 1;

        var outputSet = new HashSet<string>(outputs, StringComparer.Ordinal);
        var byProducedValue = new Dictionary<string, GpuOp>(StringComparer.Ordinal);
        foreach (var n in nodes)
        {
            if (n.OpType == "Constant") continue;
            // Fuse an activation into the op producing its only input when that value has no other use.
            if (OpFactory.ActivationOf(n, this) is { } act && act.Code != KernelSource.ActIdentity
                && byProducedValue.TryGetValue(n.Inputs[0], out var producer) && producer.Out == n.Inputs[0]
                && uses.GetValueOrDefault(n.Inputs[0]) == 1 && !outputSet.Contains(n.Inputs[0])
                && producer.TryFuse(act.Code, act.A, act.B))
            {
                byProducedValue.Remove(producer.Out);
                producer.Out = n.Outputs[0];
                byProducedValue[producer.Out] = producer;
                continue;
            }
            var op = OpFactory.Create(n, this);
            _ops.Add(op);
            foreach (var o in n.Outputs) if (o.Length > 0) byProducedValue[o] = op;
            if (op is BatchNormOp bn)
            {
                _constants["\u0001bn_scale:" + n.Inputs[1] + "|" + n.Outputs[0]] = Tensor.FromArray(bn.Scale, bn.Scale.Length);
                _constants["\u0001bn_shift:" + n.Inputs[2] + "|" + n.Outputs[0]] = Tensor.FromArray(bn.Shift, bn.Shift.Length);
            }
        }
        // BatchNorm's folded params are keyed by the node's first output; fusion may have renamed Out, so rekey.
        foreach (var op in _ops.OfType<BatchNormOp>())
        {
            if (op.Out == op.Node.Outputs[0]) continue;
            string oldS = "\u0001bn_scale:" + op.Node.Inputs[1] + "|" + op.Node.Outputs[0], oldB = "\u0001bn_shift:" + op.Node.Inputs[2] + "|" + op.Node.Outputs[0];
            _constants["\u0001bn_scale:" + op.Node.Inputs[1] + "|" + op.Out] = _constants[oldS];
            _constants["\u0001bn_shift:" + op.Node.Inputs[2] + "|" + op.Out] = _constants[oldB];
        }
    }

    /// <summary>
    /// Compiles <paramref name="nodes"/> (in topological order) for <paramref name="device"/>.
    /// <paramref name="initializers"/> holds the constants the nodes read (weights, shapes, axes);
    /// <paramref name="inputs"/>/<paramref name="outputs"/> are the boundary value names, in the
    /// order <see cref="Run"/> takes and returns them.
    /// </summary>
    public static GpuSubgraph Compile(OpenClDevice device, IReadOnlyList<Node> nodes, IReadOnlyDictionary<string, Tensor> initializers,
        IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, GpuPrecision precision = GpuPrecision.FP32, bool forceFloatCompute = false)
    {
        try
        {
            return new GpuSubgraph(device, nodes, initializers, inputs, outputs, precision, forceFloatCompute);
        }
        catch (NotSupportedException ex)
        {
            throw new OnnxRuntimeException(ErrorCode.NotImplemented, $"GPU subgraph: {ex.Message}");
        }
    }

    /// <summary>Compiles a whole graph (its inputs that are not initializers, its outputs).</summary>
    public static GpuSubgraph Compile(OpenClDevice device, Graph graph, GpuPrecision precision = GpuPrecision.FP32, bool forceFloatCompute = false) =>
        Compile(device, graph.Nodes, graph.Initializers,
            graph.Inputs.Where(i => !graph.Initializers.ContainsKey(i.Name)).Select(i => i.Name).ToArray(),
            graph.Outputs.Select(o => o.Name).ToArray(), precision, forceFloatCompute);

    Tensor? IConstants.Get(string name) => _constants.GetValueOrDefault(name);

    /// <summary>
    /// Waits for the device by clFlush + polling the completion event with 1 ms sleeps instead of a
    /// blocking clFinish (which many GPU drivers implement by spinning a core): the seed's
    /// enable_opencl_throttling. Costs up to a millisecond of latency per Run.
    /// </summary>
    public bool Throttle { get; set; }

    /// <summary>Runs the subgraph: float32 host inputs in <see cref="InputNames"/> order, float32 outputs in <see cref="OutputNames"/> order.</summary>
    public Tensor[] Run(IReadOnlyList<Tensor> inputs)
    {
        var values = new OnnxValue[inputs.Count];
        for (int i = 0; i < values.Length; i++) values[i] = inputs[i];
        var outputs = Run(values, deviceOutputs: false);
        var result = new Tensor[outputs.Length];
        for (int i = 0; i < result.Length; i++) result[i] = (Tensor)outputs[i];
        return result;
    }

    /// <summary>
    /// Runs the subgraph on float32 inputs that are host tensors or <see cref="OpenClBuffer"/>s of this
    /// device's context (read in place). Outputs are host tensors, or with <paramref name="deviceOutputs"/>
    /// new <see cref="OpenClBuffer"/>s (float32, owned by the caller) that never touch the host.
    /// </summary>
    public OnnxValue[] Run(IReadOnlyList<OnnxValue> inputs, bool deviceOutputs)
    {
        if (inputs.Count != InputNames.Count)
            throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"GPU subgraph takes {InputNames.Count} inputs, got {inputs.Count}");
        lock (_device.Gate)
        {
            var e = new GpuExec(_device, _program, _fp16 ? 2 : 4, Constant);
            var result = new OnnxValue[OutputNames.Count];
            bool done = false;
            try
            {
                for (int i = 0; i < inputs.Count; i++) e.Values[InputNames[i]] = Bind(e, InputNames[i], inputs[i]);
                if (Profile) RunProfiled(e);
                else foreach (var op in _ops) op.Run(e);
                for (int i = 0; i < result.Length; i++)
                {
                    var v = e.Values.TryGetValue(OutputNames[i], out var d) ? d : Constant(OutputNames[i]);
                    // IO buffers are float32; any other output type comes back as a host tensor.
                    result[i] = deviceOutputs && v.Type == DType.Float32 ? e.ToDeviceFloat(v, _fp16) : e.DownloadAsync(v, _fp16);
                }
                e.ReadFlags();
                _device.Wait(Throttle);
                e.Finish();
                done = true;
                return result;
            }
            finally
            {
                if (!done)
                {
                    _device.Api.Finish(_device.Queue);
                    foreach (var r in result) (r as OpenClBuffer)?.Dispose();
                }
                e.ReleaseAll();
            }
        }
    }

    /// <summary>When set, each op is followed by clFinish and timed into <see cref="OpTimes"/> (diagnostics; slows runs down).</summary>
    public bool Profile { get; set; }

    /// <summary>Per op type: launches and milliseconds, accumulated over profiled runs.</summary>
    public IReadOnlyDictionary<string, (int Count, double Milliseconds)> OpTimes => _opTimes;
    private readonly Dictionary<string, (int Count, double Milliseconds)> _opTimes = new(StringComparer.Ordinal);

    /// <summary>Per node name: runs and milliseconds, accumulated over profiled runs.</summary>
    public IReadOnlyDictionary<string, (int Count, double Milliseconds)> NodeTimes => _nodeTimes;
    private readonly Dictionary<string, (int Count, double Milliseconds)> _nodeTimes = new(StringComparer.Ordinal);

    private void RunProfiled(GpuExec e)
    {
        var sw = new System.Diagnostics.Stopwatch();
        foreach (var op in _ops)
        {
            sw.Restart();
            op.Run(e);
            _device.Check(_device.Api.Finish(_device.Queue), "clFinish");
            var (c, ms) = _opTimes.GetValueOrDefault(op.Node.OpType);
            _opTimes[op.Node.OpType] = (c + 1, ms + sw.Elapsed.TotalMilliseconds);
            var (nc, nms) = _nodeTimes.GetValueOrDefault(op.Node.Name);
            _nodeTimes[op.Node.Name] = (nc + 1, nms + sw.Elapsed.TotalMilliseconds);
        }
    }

    /// <summary>A boundary input as a device tensor: host tensors are uploaded; a cl_mem is read in place (FP32) or converted on the device (FP16).</summary>
    private DevTensor Bind(GpuExec e, string name, OnnxValue value)
    {
        switch (value)
        {
            case Tensor t when DeviceTypes.IsSupported(t.DType):
                foreach (var (n, i) in _consumers.GetValueOrDefault(name) ?? [])
                    if (!GpuCapability.Accepts(n, i, t.DType))
                        throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"GPU subgraph input '{name}' is {t.DType}; {n.Describe()} takes float32 there");
                return e.Upload(t, _fp16, name);
            case Tensor t:
                throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"GPU subgraph input '{name}' is {t.DType}; the device holds float32/float16/float64/int64/int32/bool tensors");
            case OpenClBuffer b:
                if (b.Context != _device.Context)
                    throw new OnnxRuntimeException(ErrorCode.InvalidArgument,
                        $"GPU subgraph input '{name}': cl_mem 0x{b.Mem:x} belongs to another OpenCL context; pass that context as the provider's 'context' option");
                if (!_fp16) return new DevTensor(b.Mem, b.Shape);
                var s = e.Alloc(b.Shape);
                e.Launch1("to_storage", b.Length, b.Mem, s, b.Length);
                return s;
            default:
                throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"GPU subgraph input '{name}' must be a float32 tensor, got {value.Type}");
        }
    }

    /// <summary>A constant as a device tensor, uploaded once (integer constants as int32 with their host copy).</summary>
    private DevTensor Constant(string name)
    {
        if (_uploaded.TryGetValue(name, out var d)) return d;
        if (!_constants.TryGetValue(name, out var t))
            throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"GPU subgraph: value '{name}' is neither an input, a constant nor produced before use");
        if (DeviceTypes.IsInt(t.DType))
        {
            var ints = DeviceTypes.ToInt32(t, name);
            d = new DevTensor(GpuExec.CreateInts(_device, ints), t.Shape, t.DType, ints);
            _uploaded[name] = d;
            return d;
        }
        bool paramsFloat = name.StartsWith('\u0001'); // folded BatchNorm params stay float32
        DType type = t.DType;
        if (!DeviceTypes.IsFloat(type))
            throw new OnnxRuntimeException(ErrorCode.InvalidArgument, $"GPU subgraph: constant '{name}' is {t.DType}; the device holds float and int64/int32/bool tensors");
        t = DeviceTypes.ToFloat32(t);
        int err;
        int es = paramsFloat || !_fp16 ? 4 : 2;
        nint mem = _device.Api.CreateBuffer(_device.Context, MemFlags.ReadWrite, (nuint)Math.Max(4, t.Length * es), null, &err);
        _device.Check(err, "clCreateBuffer(constant)");
        GpuExec.UploadInto(_device, mem, t, _fp16 && !paramsFloat);
        d = new DevTensor(mem, t.Shape, paramsFloat ? DType.Float32 : type);
        _uploaded[name] = d;
        return d;
    }

    public void Dispose()
    {
        lock (_device.Gate)
        {
            foreach (var d in _uploaded.Values) _device.Api.ReleaseMemObject(d.Mem);
            _uploaded.Clear();
        }
    }
}

/// <summary>
/// Runs a <see cref="GpuSubgraph"/> as the kernel of a fused node: the node's inputs map in order
/// onto <see cref="GpuSubgraph.InputNames"/>, its outputs onto <see cref="GpuSubgraph.OutputNames"/>.
/// </summary>
public sealed class GpuSubgraphKernel(GpuSubgraph subgraph) : IKernel
{
    public GpuSubgraph Subgraph { get; } = subgraph;

    public void Execute(KernelContext context)
    {
        var inputs = new Tensor[Subgraph.InputNames.Count];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = context.Input(i);
        Tensor[] outputs;
        try
        {
            outputs = Subgraph.Run(inputs);
        }
        catch (OnnxRuntimeException ex)
        {
            throw context.Error(ex.Message);
        }
        for (int i = 0; i < outputs.Length; i++) context.SetOutput(i, outputs[i]);
    }
}
