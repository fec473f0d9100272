using Onyx.Core.Execution;
using Onyx.Core.Ir;

namespace Onyx.OpenVino;

/// <summary>A node the provider left to the CPU provider, and why.</summary>
public sealed record RefusedNode(Node Node, string Reason);

/// <summary>One claimed subgraph: its nodes (in run order) and its interface in the parent graph.</summary>
public sealed class ClaimedSubgraph
{
    /// <summary>0-based index within the model.</summary>
    public required int Index { get; init; }

    /// <summary>"OpenVINO_Subgraph_1", ...: the fused node's op type.</summary>
    public string Name => Label ?? $"OpenVINO_Subgraph_{Index + 1}";

    /// <summary>A name other than the default (EPContext subgraphs).</summary>
    public string? Label { get; init; }

    /// <summary>The device of the selection that runs it.</summary>
    public required string Device { get; init; }

    /// <summary>The claimed nodes in topological order.</summary>
    public required IReadOnlyList<Node> Nodes { get; init; }

    /// <summary>Values the subgraph reads from outside (graph inputs, CPU node outputs).</summary>
    public required IReadOnlyList<string> Inputs { get; init; }

    /// <summary>Values the subgraph produces that the rest of the model (or the caller) reads.</summary>
    public required IReadOnlyList<string> Outputs { get; init; }

    /// <summary>The subgraph as a standalone graph (inputs, outputs, the initializers it reads).</summary>
    public required Graph Graph { get; init; }
}

/// <summary>The provider's partition of one graph.</summary>
public sealed class PartitionResult
{
    /// <summary>The graph as loaded.</summary>
    public required Graph Original { get; init; }

    /// <summary>Claimed subgraphs, in the order their first node runs.</summary>
    public required IReadOnlyList<ClaimedSubgraph> Subgraphs { get; init; }

    /// <summary>Nodes left to the CPU provider, with the reason.</summary>
    public required IReadOnlyList<RefusedNode> Refused { get; init; }

    /// <summary>Number of nodes in the graph.</summary>
    public int NodeCount => Original.Nodes.Count;

    /// <summary>Number of claimed nodes.</summary>
    public int ClaimedCount => Subgraphs.Sum(s => s.Nodes.Count);

    /// <summary>A human-readable listing, as <c>onyx inspect</c> prints it.</summary>
    public string Describe(string modelName = "model")
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine($"{modelName}: {NodeCount} nodes; OpenVINO claims {ClaimedCount} in {Subgraphs.Count} subgraph(s), CPU runs {Refused.Count}");
        if (Subgraphs.Any(x => x.Device != "CPU"))
            foreach (var d in Subgraphs.GroupBy(x => x.Device))
                sb.AppendLine($"  on {d.Key}: {d.Count()} subgraph(s), {d.Sum(s => s.Nodes.Count)} nodes");
        foreach (var s in Subgraphs)
        {
            var ops = s.Nodes.GroupBy(n => n.OpType).Select(g => g.Count() > 1 ? $"{g.Key} x{g.Count()}" : g.Key);
            sb.AppendLine($"  {s.Name} on {s.Device}: {s.Nodes.Count} nodes [{string.Join(", ", ops)}]");
            sb.AppendLine($"    inputs:  {string.Join(", ", s.Inputs)}");
            sb.AppendLine($"    outputs: {string.Join(", ", s.Outputs)}");
            foreach (var n in s.Nodes) sb.AppendLine($"      {n.Describe()}");
        }
        if (Refused.Count > 0)
        {
            sb.AppendLine("  CPU fallback:");
            foreach (var r in Refused) sb.AppendLine($"    {r.Node.Describe()}: {r.Reason}");
        }
        return sb.ToString();
    }
}

/// <summary>
/// Claims maximal connected subgraphs of supported nodes, never creating a cycle between a fused
/// subgraph and the CPU nodes around it, and rewrites the graph with one fused node per subgraph.
/// </summary>
public static class Partitioner
{
    /// <summary>The domain of fused nodes.</summary>
    public const string FusedDomain = "onyx.openvino";

    /// <summary>Finds the subgraphs the provider claims in <paramref name="graph"/>.</summary>
    /// <param name="graph">The graph to partition.</param>
    /// <param name="kernels">The CPU kernels (a node needs one to be claimed at all).</param>
    /// <param name="device">The selection: one device, or HETERO's list (each node goes to the first listed device that supports it).</param>
    /// <param name="modelName">Names the model in messages.</param>
    /// <param name="registry">Resolves device ids (GPU.N devices also need <see cref="OpenCl.GpuCapability"/>); null: <see cref="DeviceRegistry.Default"/>.</param>
    public static PartitionResult Partition(Graph graph, KernelRegistry kernels, DeviceSelection device, string modelName = "model", DeviceRegistry? registry = null)
    {
        registry ??= DeviceRegistry.Default;
        var order = ExecutionPlan.TopologicalOrder(graph, modelName);
        int n = order.Count;
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < n; i++)
            foreach (var o in order[i].Outputs) if (o.Length > 0) producer[o] = i;

        var reads = new List<string>[n];
        for (int i = 0; i < n; i++) reads[i] = Reads(order[i]);

        // Candidate devices in priority order: HETERO's list, else the one device (MULTI/AUTO are resolved by the provider).
        var devices = (device.Mode == DeviceMode.Hetero ? device.Devices : device.Devices.Take(1))
            .Select(id => registry.Find(id) ?? DeviceRegistry.DetectCpu()).ToList();
        var refused = new List<RefusedNode>();
        var label = new int[n]; // index into devices, or -1: the CPU fallback provider
        // A preview-training Gradient differentiates through the forward nodes themselves, which a fused
        // subgraph would hide from it: such a graph stays whole on the CPU provider.
        bool differentiated = graph.Nodes.Any(x => x.OpType == "Gradient" && x.Domain == "ai.onnx.preview.training");
        var producersOf = new List<int>[n];
        for (int i = 0; i < n; i++)
        {
            producersOf[i] = [];
            foreach (var name in reads[i])
                if (producer.TryGetValue(name, out int p) && p != i && !producersOf[i].Contains(p)) producersOf[i].Add(p);
            label[i] = -1;
            if (order[i].Domain == FusedDomain) continue; // already compiled (an EPContext node)
            if (differentiated)
            {
                refused.Add(new RefusedNode(order[i], "the graph holds an ai.onnx.preview.training.Gradient node, which differentiates through the original nodes on the CPU provider"));
                continue;
            }
            var reasons = new List<string>();
            for (int d = 0; d < devices.Count && label[i] < 0; d++)
            {
                string? why = WhyNot(devices[d], order[i], graph, kernels);
                if (why is null) label[i] = d;
                else reasons.Add(devices.Count > 1 || devices[d].IsGpu ? $"{devices[d].Id}: {why}" : why);
            }
            if (label[i] < 0) refused.Add(new RefusedNode(order[i], string.Join("; ", reasons)));
        }
        // A Constant on a GPU feeds only that GPU's nodes: a subgraph of constants alone would hand
        // non-float values across the host boundary, so such a Constant goes to the next device.
        for (int i = 0; i < n; i++)
        {
            if (label[i] < 0 || !devices[label[i]].IsGpu || order[i].OpType != "Constant") continue;
            bool allSame = true, any = false;
            for (int j = 0; j < n; j++)
                if (producersOf[j].Contains(i)) { any = true; allSame &= label[j] == label[i]; }
            if (any && allSame) continue;
            int next = -1;
            for (int d = label[i] + 1; d < devices.Count && next < 0; d++)
                if (WhyNot(devices[d], order[i], graph, kernels) is null) next = d;
            if (next < 0) refused.Add(new RefusedNode(order[i], $"{devices[label[i]].Id}: a Constant read outside the GPU subgraph"));
            label[i] = next;
        }
        // Maximal connected components of same-device nodes, unless contracting them would create a
        // cycle (a path leaving a component and coming back through other nodes); then cut runs of a topological order.
        var cluster = ConnectedComponents(n, label, producersOf);
        if (HasCycle(n, cluster, producersOf)) cluster = Runs(n, label, producersOf);
        if (HasCycle(n, cluster, producersOf))
            throw new InvalidOperationException($"{modelName}: OpenVINO partitioning produced a cyclic partition (a bug)");
        var members = new List<List<int>>();
        var remap = new Dictionary<int, int>();
        for (int i = 0; i < n; i++)
        {
            if (cluster[i] < 0) continue;
            if (!remap.TryGetValue(cluster[i], out int c)) { remap[cluster[i]] = c = members.Count; members.Add([]); }
            members[c].Add(i);
        }

        // Interface of each cluster.
        var graphOutputs = new HashSet<string>(graph.Outputs.Select(v => v.Name), StringComparer.Ordinal);
        var overridable = new HashSet<string>(graph.Inputs.Select(v => v.Name), StringComparer.Ordinal);
        var readers = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int j = 0; j < n; j++)
            foreach (var name in reads[j])
            {
                if (!readers.TryGetValue(name, out var l)) readers[name] = l = [];
                l.Add(j);
            }
        var subgraphs = new List<ClaimedSubgraph>();
        foreach (var m in members)
        {
            var set = new HashSet<int>(m);
            var produced = new HashSet<string>(StringComparer.Ordinal);
            foreach (int i in m) foreach (var o in order[i].Outputs) if (o.Length > 0) produced.Add(o);
            var inputs = new List<string>();
            var initializers = new List<string>();
            foreach (int i in m)
                foreach (var name in reads[i])
                {
                    if (produced.Contains(name) || inputs.Contains(name) || initializers.Contains(name)) continue;
                    if (graph.Initializers.ContainsKey(name) && !overridable.Contains(name)) initializers.Add(name);
                    else inputs.Add(name);
                }
            var outputs = new List<string>();
            foreach (int i in m)
                foreach (var o in order[i].Outputs)
                {
                    if (o.Length == 0) continue;
                    bool usedOutside = graphOutputs.Contains(o);
                    if (!usedOutside && readers.TryGetValue(o, out var rs))
                        foreach (int j in rs)
                            if (!set.Contains(j)) { usedOutside = true; break; }
                    if (usedOutside) outputs.Add(o);
                }
            var sub = new Graph { Name = $"OpenVINO_Subgraph_{subgraphs.Count + 1}", Opsets = graph.Opsets };
            foreach (var name in inputs) sub.Inputs.Add(new ValueInfo(name, graph.TypeOf(name)));
            foreach (var name in outputs) sub.Outputs.Add(new ValueInfo(name, graph.TypeOf(name)));
            foreach (var name in initializers) sub.Initializers[name] = graph.Initializers[name];
            foreach (int i in m)
            {
                sub.Nodes.Add(order[i]);
                foreach (var o in order[i].Outputs)
                    if (o.Length > 0 && graph.ValueInfos.TryGetValue(o, out var vi)) sub.ValueInfos[o] = vi;
            }
            subgraphs.Add(new ClaimedSubgraph
            {
                Index = subgraphs.Count,
                Device = devices[label[m[0]]].Id,
                Nodes = m.Select(i => order[i]).ToList(),
                Inputs = inputs,
                Outputs = outputs,
                Graph = sub,
            });
        }
        return new PartitionResult { Original = graph, Subgraphs = subgraphs, Refused = refused };
    }

    /// <summary>Null when <paramref name="device"/> can run <paramref name="node"/>: the provider's table, plus the GPU's kernels for a GPU.</summary>
    public static string? WhyNot(DeviceInfo device, Node node, Graph graph, KernelRegistry kernels) =>
        Capability.WhyNot(node, graph, kernels) ?? (device.IsGpu ? OpenCl.GpuCapability.WhyNot(node, graph) : null);

    private static int[] ConnectedComponents(int n, int[] label, List<int>[] producersOf)
    {
        var parent = new int[n];
        for (int i = 0; i < n; i++) parent[i] = i;
        int Find(int x) { while (parent[x] != x) x = parent[x] = parent[parent[x]]; return x; }
        for (int i = 0; i < n; i++)
            if (label[i] >= 0)
                foreach (int p in producersOf[i])
                    if (label[p] == label[i]) parent[Find(p)] = Find(i);
        var cluster = new int[n];
        for (int i = 0; i < n; i++) cluster[i] = label[i] >= 0 ? Find(i) : -1;
        return cluster;
    }

    /// <summary>True when the graph with each cluster contracted to one node has a cycle.</summary>
    private static bool HasCycle(int n, int[] cluster, List<int>[] producersOf)
    {
        int Super(int i) => cluster[i] >= 0 ? n + cluster[i] : i;
        var indegree = new int[2 * n];
        var succ = new List<int>[2 * n];
        var edges = new HashSet<(int, int)>();
        var present = new HashSet<int>();
        for (int i = 0; i < n; i++)
        {
            int si = Super(i);
            present.Add(si);
            foreach (int p in producersOf[i])
            {
                int sp = Super(p);
                if (sp == si || !edges.Add((sp, si))) continue;
                (succ[sp] ??= []).Add(si);
                indegree[si]++;
            }
        }
        var queue = new Queue<int>(present.Where(x => indegree[x] == 0));
        int seen = 0;
        while (queue.TryDequeue(out int x))
        {
            seen++;
            if (succ[x] is { } list)
                foreach (int y in list)
                    if (--indegree[y] == 0) queue.Enqueue(y);
        }
        return seen != present.Count;
    }

    /// <summary>
    /// Clusters that can never form a cycle: a topological order that stays on the current device (or on
    /// the CPU fallback) as long as any of its nodes is ready, cut into runs of one device; each run split
    /// into its connected pieces. Every edge goes forward in that order, so contracting runs keeps the graph a DAG.
    /// </summary>
    private static int[] Runs(int n, int[] label, List<int>[] producersOf)
    {
        var indegree = new int[n];
        var consumers = new List<int>[n];
        for (int i = 0; i < n; i++)
            foreach (int p in producersOf[i])
            {
                indegree[i]++;
                (consumers[p] ??= []).Add(i);
            }
        // One ready queue per label (label -1, the fallback, is queue 0).
        int labels = 1;
        for (int i = 0; i < n; i++) labels = Math.Max(labels, label[i] + 2);
        var ready = new PriorityQueue<int, int>[labels];
        for (int q = 0; q < labels; q++) ready[q] = new PriorityQueue<int, int>();
        void Ready(int i) => ready[label[i] + 1].Enqueue(i, i);
        for (int i = 0; i < n; i++) if (indegree[i] == 0) Ready(i);
        var run = new int[n];
        var position = new int[n];
        int current = -1;
        int onLabel = int.MinValue;
        for (int done = 0; done < n; done++)
        {
            // Stay on the current label while it has ready nodes; else prefer claimed devices in order, fallback last.
            var queue = onLabel != int.MinValue && ready[onLabel + 1].Count > 0 ? ready[onLabel + 1] : null;
            for (int q = 1; queue is null && q < labels; q++) if (ready[q].Count > 0) queue = ready[q];
            queue ??= ready[0];
            int i = queue.Dequeue();
            position[i] = done;
            if (label[i] != onLabel) current++;
            onLabel = label[i];
            run[i] = label[i] >= 0 ? current : -1;
            if (consumers[i] is { } cs)
                foreach (int c in cs)
                    if (--indegree[c] == 0) Ready(c);
        }
        // A claimed node without producers (Constant, ...) joins the run of its earliest consumer when that run is on
        // the same device: it can be placed at that run's start, so every edge still goes forward.
        for (int i = 0; i < n; i++)
        {
            if (label[i] < 0 || producersOf[i].Count > 0 || consumers[i] is not { Count: > 0 } cs) continue;
            int first = cs[0];
            foreach (int c in cs) if (position[c] < position[first]) first = c;
            if (run[first] >= 0 && label[first] == label[i]) run[i] = run[first];
        }
        // Connected pieces of each run.
        var parent = new int[n];
        for (int i = 0; i < n; i++) parent[i] = i;
        int Find(int x) { while (parent[x] != x) x = parent[x] = parent[parent[x]]; return x; }
        for (int i = 0; i < n; i++)
            if (run[i] >= 0)
                foreach (int p in producersOf[i])
                    if (run[p] == run[i]) parent[Find(p)] = Find(i);
        var cluster = new int[n];
        for (int i = 0; i < n; i++) cluster[i] = run[i] >= 0 ? Find(i) : -1;
        return cluster;
    }

    /// <summary>Names a node reads: its inputs, plus outer-scope names its bodies capture.</summary>
    public static List<string> Reads(Node node)
    {
        var list = new List<string>();
        foreach (var i in node.Inputs) if (i.Length > 0 && !list.Contains(i)) list.Add(i);
        foreach (var a in node.Attributes.All)
        {
            var bodies = a.Graph is not null ? [a.Graph] : a.Graphs ?? [];
            foreach (var body in bodies)
                foreach (var c in ExecutionPlan.CapturedNames(body))
                    if (!list.Contains(c)) list.Add(c);
        }
        return list;
    }

    /// <summary>
    /// A copy of <paramref name="graph"/> in which each claimed subgraph is one node of domain
    /// <see cref="FusedDomain"/> and op type <see cref="ClaimedSubgraph.Name"/>. The original graph is not changed.
    /// </summary>
    public static Graph Fuse(PartitionResult partition)
    {
        var graph = partition.Original;
        var fused = new Graph { Name = graph.Name, Opsets = graph.Opsets, Parent = graph.Parent };
        fused.Inputs.AddRange(graph.Inputs);
        fused.Outputs.AddRange(graph.Outputs);
        foreach (var (k, v) in graph.Initializers) fused.Initializers[k] = v;
        foreach (var (k, v) in graph.ValueInfos) fused.ValueInfos[k] = v;
        var owner = new Dictionary<Node, ClaimedSubgraph>(ReferenceEqualityComparer.Instance);
        foreach (var s in partition.Subgraphs) foreach (var node in s.Nodes) owner[node] = s;
        var placed = new HashSet<int>();
        foreach (var node in graph.Nodes)
        {
            if (!owner.TryGetValue(node, out var s)) { fused.Nodes.Add(node); continue; }
            if (!placed.Add(s.Index)) continue;
            fused.Nodes.Add(new Node(s.Name, s.Inputs, s.Outputs, name: s.Name, domain: FusedDomain));
        }
        return fused;
    }
}
