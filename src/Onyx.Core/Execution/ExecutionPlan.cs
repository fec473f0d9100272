using Onyx.Core.Diagnostics;
using Onyx.Core.Ir;
using Onyx.Tensors;

namespace Onyx.Core.Execution;

/// <summary>
/// A graph made runnable: nodes in topological order, each with its kernel and the slots of its
/// inputs and outputs, and the step after which each intermediate slot can be dropped.
/// Immutable once built, so any number of threads may <see cref="Run"/> it at once.
/// </summary>
public sealed class ExecutionPlan : ISubgraphCompiler
{
    private sealed record Step(Node Node, IKernel Kernel, int[] Inputs, int[] Outputs, int[] FreeAfter, int[] SubgraphReads);

    private readonly Dictionary<string, int> _slots = new(StringComparer.Ordinal);
    private readonly Step[] _steps;
    // Records, not value tuples: the framework's lists, LINQ and spreads over (int, T) tuples have no
    // ReadyToRun code, so building these arrays JIT-compiled ~30 methods in each process's first load.
    private sealed record SlotValue(int Slot, Tensor Value);
    private sealed record SlotName(int Slot, string Name);

    private readonly SlotValue[] _constants;
    private readonly int[] _inputSlots;
    private readonly int[] _outputSlots;
    private readonly SlotName[] _captured;
    private readonly IKernelResolver _resolver;
    private readonly string _modelName;
    private readonly bool[] _producedHere;
    private readonly int[]?[] _dyingInputs;
    private RunState? _idle;

    public Graph Graph { get; }
    public int SlotCount => _slots.Count;
    /// <summary>Nodes in the order they run.</summary>
    public IEnumerable<Node> Nodes => _steps.Select(s => s.Node);

    public bool TryGetSlot(string name, out int slot) => _slots.TryGetValue(name, out slot);

    public ExecutionPlan(Graph graph, IKernelResolver resolver, string modelName = "model")
    {
        Graph = graph;
        _resolver = resolver;
        _modelName = modelName;
        var order = TopologicalOrder(graph, modelName);

        int SlotOf(string name)
        {
            if (!_slots.TryGetValue(name, out int s)) _slots[name] = s = _slots.Count;
            return s;
        }

        _inputSlots = new int[graph.Inputs.Count];
        for (int i = 0; i < _inputSlots.Length; i++) _inputSlots[i] = SlotOf(graph.Inputs[i].Name);
        _constants = new SlotValue[graph.Initializers.Count];
        int k = 0;
        foreach (var (name, value) in graph.Initializers) _constants[k++] = new SlotValue(SlotOf(name), value);

        var produced = new HashSet<string>(graph.Inputs.Select(v => v.Name).Concat(graph.Initializers.Keys), StringComparer.Ordinal);
        var captured = new List<SlotName>();
        var steps = new List<Step>(order.Count);
        foreach (var node in order)
        {
            var ins = new int[node.Inputs.Count];
            for (int i = 0; i < ins.Length; i++)
            {
                string name = node.Inputs[i];
                if (name.Length == 0) { ins[i] = -1; continue; }
                if (!produced.Contains(name))
                {
                    if (!ExistsInOuterScope(graph.Parent, name))
                        throw new OnnxRuntimeException(ErrorCode.InvalidGraph,
                            $"{modelName}: {node.Describe()} input '{name}' is not a graph input, an initializer or the output of any node");
                    produced.Add(name);
                    captured.Add(new SlotName(SlotOf(name), name));
                }
                ins[i] = SlotOf(name);
            }
            var outs = new int[node.Outputs.Count];
            for (int i = 0; i < outs.Length; i++) outs[i] = node.Outputs[i].Length == 0 ? -1 : SlotOf(node.Outputs[i]);
            foreach (var o in node.Outputs) if (o.Length > 0) produced.Add(o);

            var info = new KernelInfo(node, graph, this);
            IKernel? kernel;
            string? why;
            var start = LoadProfile.Start();
            try { kernel = resolver.TryCreate(info, out why); }
            catch (OnnxRuntimeException) { throw; }
            catch (Exception e)
            {
                throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"{modelName}: {node.Describe()}: {e.Message}", e);
            }
            LoadProfile.Record("kernel " + node.OpType, start);
            if (kernel is null)
                throw new OnnxRuntimeException(ErrorCode.NotImplemented, $"{modelName}: {node.Describe()}: {why}");
            // Values the node's subgraphs capture must stay alive until the node has run.
            var subgraphReads = SubgraphReads(node);
            steps.Add(new Step(node, kernel, ins, outs, [], subgraphReads));
        }
        foreach (var v in graph.Outputs)
            if (!produced.Contains(v.Name))
            {
                if (!ExistsInOuterScope(graph.Parent, v.Name))
                    throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"{modelName}: graph output '{v.Name}' is not produced by any node");
                captured.Add(new SlotName(SlotOf(v.Name), v.Name));
            }
        _captured = captured.ToArray();
        _outputSlots = new int[graph.Outputs.Count];
        for (int i = 0; i < _outputSlots.Length; i++) _outputSlots[i] = _slots[graph.Outputs[i].Name];

        // Drop each intermediate value after its last reader so memory stays bounded by the live set.
        // Arrays over the slots (every slot exists by now), visited in first-use order as before.
        var keep = new bool[_slots.Count];
        foreach (int o in _outputSlots) keep[o] = true;
        foreach (var c in _constants) keep[c.Slot] = true;
        var lastUse = new int[_slots.Count];
        for (int i = 0; i < lastUse.Length; i++) lastUse[i] = -1;
        var firstUseOrder = new List<int>();
        void Use(int slot, int step, bool overwrite)
        {
            if (lastUse[slot] < 0) firstUseOrder.Add(slot);
            else if (!overwrite) return;
            lastUse[slot] = step;
        }
        for (int s = 0; s < steps.Count; s++)
        {
            foreach (int i in steps[s].Inputs) if (i >= 0) Use(i, s, overwrite: true);
            foreach (int i in steps[s].SubgraphReads) Use(i, s, overwrite: true);
            foreach (int o in steps[s].Outputs) if (o >= 0) Use(o, s, overwrite: false);
        }
        var freeLists = new List<int>[steps.Count];
        foreach (int slot in firstUseOrder)
            if (!keep[slot]) (freeLists[lastUse[slot]] ??= []).Add(slot);
        _steps = new Step[steps.Count];
        for (int s = 0; s < _steps.Length; s++) _steps[s] = steps[s] with { FreeAfter = freeLists[s]?.ToArray() ?? [] };
        // Only values a step of this plan produced may go back to the arena; inputs and captured
        // outer values belong to the caller or an enclosing frame.
        _producedHere = new bool[_slots.Count];
        foreach (var st in _steps) foreach (int o in st.Outputs) if (o >= 0) _producedHere[o] = true;
        _dyingInputs = Array.ConvertAll(_steps, DyingInputs);
    }

    /// <summary>The slots of the outer values <paramref name="node"/>'s subgraphs read (NodeReads past its own inputs).</summary>
    private int[] SubgraphReads(Node node)
    {
        int skip = 0;
        foreach (var i in node.Inputs) if (i.Length > 0) skip++;
        List<int>? reads = null;
        foreach (var name in NodeReads(node))
        {
            if (skip > 0) { skip--; continue; }
            if (_slots.TryGetValue(name, out int slot)) (reads ??= []).Add(slot);
        }
        return reads?.ToArray() ?? [];
    }

    private static bool ExistsInOuterScope(Graph? g, string name)
    {
        for (; g is not null; g = g.Parent)
        {
            if (g.Initializers.ContainsKey(name) || g.Inputs.Any(v => v.Name == name)) return true;
            if (g.Nodes.Any(n => n.Outputs.Contains(name))) return true;
        }
        return false;
    }

    /// <summary>Kahn's algorithm; keeps the model's order where it is already valid and names the nodes of a cycle.</summary>
    public static List<Node> TopologicalOrder(Graph graph, string modelName = "model")
    {
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < graph.Nodes.Count; i++)
            foreach (var o in graph.Nodes[i].Outputs)
                if (o.Length > 0 && !producer.TryAdd(o, i))
                    throw new OnnxRuntimeException(ErrorCode.InvalidGraph,
                        $"{modelName}: value '{o}' is produced by more than one node ({graph.Nodes[producer[o]].Describe()} and {graph.Nodes[i].Describe()})");
        int n = graph.Nodes.Count;
        var indegree = new int[n];
        var consumers = new List<int>[n];
        for (int i = 0; i < n; i++)
        {
            foreach (var name in NodeReads(graph.Nodes[i]))
                if (producer.TryGetValue(name, out int p) && p != i)
                {
                    indegree[i]++;
                    (consumers[p] ??= []).Add(i);
                }
                else if (p == i && producer.ContainsKey(name))
                    throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"{modelName}: {graph.Nodes[i].Describe()} reads its own output '{name}' (a cycle)");
        }
        var ready = new IndexHeap(n);
        for (int i = 0; i < n; i++) if (indegree[i] == 0) ready.Push(i);
        var order = new List<Node>(n);
        while (ready.TryPop(out int i))
        {
            order.Add(graph.Nodes[i]);
            if (consumers[i] is { } cs)
                foreach (int c in cs)
                    if (--indegree[c] == 0) ready.Push(c);
        }
        if (order.Count != n)
        {
            var stuck = Enumerable.Range(0, n).Where(i => indegree[i] > 0).Take(5).Select(i => graph.Nodes[i].Describe());
            throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"{modelName}: the graph has a cycle through {string.Join(", ", stuck)}");
        }
        return order;
    }

    /// <summary>Names a node reads: its inputs, plus outer-scope names its subgraphs capture.</summary>
    private static IEnumerable<string> NodeReads(Node node)
    {
        foreach (var i in node.Inputs) if (i.Length > 0) yield return i;
        foreach (var a in node.Attributes.All)
        {
            if (a.Graph is not null) foreach (var c in CapturedNames(a.Graph)) yield return c;
            if (a.Graphs is not null) foreach (var g in a.Graphs) foreach (var c in CapturedNames(g)) yield return c;
        }
    }

    /// <summary>Names a subgraph (recursively) reads that it does not define itself.</summary>
    public static HashSet<string> CapturedNames(Graph g)
    {
        var defined = new HashSet<string>(g.Inputs.Select(v => v.Name).Concat(g.Initializers.Keys), StringComparer.Ordinal);
        foreach (var n in g.Nodes) foreach (var o in n.Outputs) defined.Add(o);
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in g.Nodes)
            foreach (var name in NodeReads(n))
                if (!defined.Contains(name)) result.Add(name);
        foreach (var o in g.Outputs) if (!defined.Contains(o.Name)) result.Add(o.Name);
        return result;
    }

    /// <summary>Runs the plan. <paramref name="inputs"/> are in graph-input order (null = use the initializer default).</summary>
    public OnnxValue?[] Run(IReadOnlyList<OnnxValue?> inputs, Frame? parent = null, RunContext? run = null)
    {
        run ??= RunContext.Default;
        // Reuse the previous Run's frame and contexts; a Run that overlaps another (a second thread)
        // builds its own and the last one to finish is kept.
        var state = Interlocked.Exchange(ref _idle, null) ?? new RunState(this);
        var frame = state.Frame;
        frame.Parent = parent;
        var slots = frame.Slots;
        foreach (var (slot, value) in _constants) SlotArray.Store(slots, slot, value);
        for (int i = 0; i < _inputSlots.Length && i < inputs.Count; i++)
            if (inputs[i] is { } v) SlotArray.Store(slots, _inputSlots[i], v);
        foreach (var (slot, name) in _captured)
            slots[slot] = parent?.Lookup(name)
                ?? throw new OnnxRuntimeException(ErrorCode.InvalidGraph, $"{_modelName}: outer-scope value '{name}' is not available");

        var steps = _steps;
        var contexts = state.Contexts;
        var observer = run.Observer;
        var token = run.Cancellation;
        bool cancellable = token.CanBeCanceled;
        for (int s = 0; s < steps.Length; s++)
        {
            var step = steps[s];
            if (cancellable) token.ThrowIfCancellationRequested();
            var ctx = contexts[s];
            // Skip the store (and its write barrier) when the context already carries this Run's settings.
            if (!ReferenceEquals(ctx.Run, run)) ctx.Run = run;
            int[] stepInputs = step.Inputs, stepOutputs = step.Outputs;
            var ins = ctx.Inputs;
            for (int i = 0; i < stepInputs.Length; i++)
                SlotArray.Store(ins, i, stepInputs[i] >= 0 ? slots[stepInputs[i]] : null);
            var outs = ctx.Outputs;
            long started = observer is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                step.Kernel.Execute(ctx);
            }
            catch (OnnxRuntimeException e) when (e.Message.Contains(step.Node.Describe(), StringComparison.Ordinal)) { throw; }
            catch (OperationCanceledException) { throw; }
            catch (Exception e)
            {
                throw new OnnxRuntimeException(e is OnnxRuntimeException o ? o.ErrorCode : ErrorCode.RuntimeException,
                    $"{_modelName}: {step.Node.Describe()} failed: {e.Message}", e);
            }
            for (int o = 0; o < outs.Length; o++)
            {
                int slot = stepOutputs[o];
                if (slot < 0) continue;
                var value = outs[o] ?? throw new OnnxRuntimeException(ErrorCode.RuntimeException,
                    $"{_modelName}: {step.Node.Describe()} produced no value for output {o} ('{step.Node.Outputs[o]}')");
                SlotArray.Store(slots, slot, value);
                if (value is Tensor { Buffer: { Pool: not null } pooled }) pooled.Retain();
                else if (value is not Tensor) TrackBuffers(value);
            }
            observer?.OnStep(step.Node, System.Diagnostics.Stopwatch.GetTimestamp() - started);
            // The cached context must not keep this Run's values alive.
            ctx.EndStep();
            foreach (int f in step.FreeAfter)
            {
                if (_producedHere[f] && slots[f] is Tensor { Buffer: { } buffer }) buffer.ReleaseToPool();
                slots[f] = null;
            }
        }

        var result = new OnnxValue?[_outputSlots.Length];
        for (int i = 0; i < result.Length; i++) result[i] = slots[_outputSlots[i]];
        Array.Clear(slots);
        frame.Parent = null;
        state.Release(run);
        _idle = state;
        return result;
    }

    /// <summary>
    /// Positions of the step's inputs whose value the step is the last to read and which this plan
    /// produced (not a constant, graph input, graph output or outer-scope value): their buffers may
    /// be reused for the step's output (<see cref="KernelContext.ElementwiseOutput"/>).
    /// </summary>
    private int[]? DyingInputs(Step step)
    {
        List<int>? dying = null;
        for (int i = 0; i < step.Inputs.Length; i++)
        {
            int slot = step.Inputs[i];
            if (slot >= 0 && _producedHere[slot] && Array.IndexOf(step.FreeAfter, slot) >= 0 && Array.IndexOf(step.Outputs, slot) < 0)
                (dying ??= []).Add(i);
        }
        return dying?.ToArray();
    }

    /// <summary>
    /// What one execution needs besides the values themselves: the frame and one context per step
    /// (with its input and output arrays). Kept between Runs so a steady-state Run allocates none of it.
    /// </summary>
    private sealed class RunState
    {
        public readonly Frame Frame;
        public readonly KernelContext[] Contexts;

        public RunState(ExecutionPlan plan)
        {
            Frame = new Frame(plan, null);
            Contexts = new KernelContext[plan._steps.Length];
            for (int s = 0; s < Contexts.Length; s++)
            {
                var step = plan._steps[s];
                Contexts[s] = new KernelContext(step.Node, new OnnxValue?[step.Inputs.Length], new OnnxValue?[step.Outputs.Length], Frame, RunContext.Default)
                {
                    DyingInputs = plan._dyingInputs[s],
                };
            }
        }

        /// <summary>Drops the references to the finished Run's settings (its observer, cancellation source).</summary>
        public void Release(RunContext run)
        {
            if (ReferenceEquals(run, RunContext.Default)) return;
            foreach (var c in Contexts) c.Run = RunContext.Default;
        }
    }

    /// <summary>
    /// Counts the slot references to pooled buffers so the last drop returns them to the arena.
    /// Tensors inside sequences, optionals and maps escape the count and are never reused.
    /// </summary>
    private static void TrackBuffers(OnnxValue value)
    {
        switch (value)
        {
            case Tensor { Buffer: { Pool: not null } b }: b.Retain(); break;
            case SequenceValue s: foreach (var item in s.Items) Escape(item); break;
            case OptionalValue { Value: { } inner }: Escape(inner); break;
            case MapValue m: Escape(m.Keys); Escape(m.Values); break;
        }
    }

    private static void Escape(OnnxValue value)
    {
        switch (value)
        {
            case Tensor { Buffer: { Pool: not null } b }: b.Escape(); break;
            case SequenceValue s: foreach (var item in s.Items) Escape(item); break;
            case OptionalValue { Value: { } inner }: Escape(inner); break;
            case MapValue m: Escape(m.Keys); Escape(m.Values); break;
        }
    }

    /// <inheritdoc/>
    public ISubgraph Compile(Graph body) => new CompiledSubgraph(new ExecutionPlan(body, _resolver, _modelName));

    private sealed class CompiledSubgraph(ExecutionPlan plan) : ISubgraph
    {
        public Graph Graph => plan.Graph;

        public OnnxValue?[] Run(KernelContext outer, IReadOnlyList<OnnxValue?> inputs) =>
            plan.Run(inputs, outer.Frame, outer.Run);
    }
}
