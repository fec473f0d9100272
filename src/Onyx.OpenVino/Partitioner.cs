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
    public static PartitionResult Partition(Graph graph, KernelRegistry kernels, DeviceSelection device, string modelName = "model")
    {
        var order = ExecutionPlan.TopologicalOrder(graph, modelName);
        int n = order.Count;
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < n; i++)
            foreach (var o in order[i].Outputs) if (o.Length > 0) producer[o] = i;

        var reads = new List<string>[n];
        for (int i = 0; i < n; i++) reads[i] = Reads(order[i]);

        var refused = new List<RefusedNode>();
        var supported = new bool[n];
        var producersOf = new List<int>[n];
        for (int i = 0; i < n; i++)
        {
            producersOf[i] = [];
            foreach (var name in reads[i])
                if (producer.TryGetValue(name, out int p) && p != i && !producersOf[i].Contains(p)) producersOf[i].Add(p);
            if (order[i].Domain == FusedDomain) continue; // already compiled (an EPContext node)
            string? why = Capability.WhyNot(order[i], graph, kernels);
            if (why is null) supported[i] = true;
            else refused.Add(new RefusedNode(order[i], why));
        }
        // Maximal connected components of supported nodes, unless contracting them would create a
        // cycle (a path leaving a component and coming back through CPU nodes); then cut runs of a topological order.
        var cluster = ConnectedComponents(n, supported, producersOf);
        if (HasCycle(n, cluster, producersOf)) cluster = Runs(n, supported, producersOf);
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
                Device = device.Devices[0],
                Nodes = m.Select(i => order[i]).ToList(),
                Inputs = inputs,
                Outputs = outputs,
                Graph = sub,
            });
        }
        return new PartitionResult { Original = graph, Subgraphs = subgraphs, Refused = refused };
    }

    private static int[] ConnectedComponents(int n, bool[] supported, List<int>[] producersOf)
    {
        var parent = new int[n];
        for (int i = 0; i < n; i++) parent[i] = i;
        int Find(int x) { while (parent[x] != x) x = parent[x] = parent[parent[x]]; return x; }
        for (int i = 0; i < n; i++)
            if (supported[i])
                foreach (int p in producersOf[i])
                    if (supported[p]) parent[Find(p)] = Find(i);
        var cluster = new int[n];
        for (int i = 0; i < n; i++) cluster[i] = supported[i] ? Find(i) : -1;
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
    /// Clusters that can never form a cycle: a topological order that stays with supported (or with CPU)
    /// nodes as long as any is ready, cut into runs of supported nodes; each run split into its
    /// connected pieces. Every edge goes forward in that order, so contracting runs keeps the graph a DAG.
    /// </summary>
    private static int[] Runs(int n, bool[] supported, List<int>[] producersOf)
    {
        var indegree = new int[n];
        var consumers = new List<int>[n];
        for (int i = 0; i < n; i++)
            foreach (int p in producersOf[i])
            {
                indegree[i]++;
                (consumers[p] ??= []).Add(i);
            }
        var readySupported = new PriorityQueue<int, int>();
        var readyCpu = new PriorityQueue<int, int>();
        void Ready(int i) { if (supported[i]) readySupported.Enqueue(i, i); else readyCpu.Enqueue(i, i); }
        for (int i = 0; i < n; i++) if (indegree[i] == 0) Ready(i);
        var run = new int[n];
        var position = new int[n];
        int current = -1;
        bool onSupported = true;
        for (int done = 0; done < n; done++)
        {
            var queue = onSupported ? readySupported : readyCpu;
            if (queue.Count == 0) queue = onSupported ? readyCpu : readySupported;
            int i = queue.Dequeue();
            position[i] = done;
            if (supported[i])
            {
                if (!onSupported || current < 0) current++;
                onSupported = true;
                run[i] = current;
            }
            else
            {
                if (onSupported) current++;
                onSupported = false;
                run[i] = -1;
            }
            if (consumers[i] is { } cs)
                foreach (int c in cs)
                    if (--indegree[c] == 0) Ready(c);
        }
        // A supported node without producers (Constant, ...) joins the run of its earliest consumer: it can
        // be placed at that run's start, so every edge still goes forward.
        for (int i = 0; i < n; i++)
        {
            if (!supported[i] || producersOf[i].Count > 0 || consumers[i] is not { Count: > 0 } cs) continue;
            int first = cs[0];
            foreach (int c in cs) if (position[c] < position[first]) first = c;
            if (run[first] >= 0) run[i] = run[first];
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
