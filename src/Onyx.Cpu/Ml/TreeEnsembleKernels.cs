using Onyx.Core.Execution;
using Onyx.Core.Ir;
using Onyx.Cpu.Signal;
using Onyx.Tensors;

namespace Onyx.Cpu.Ml;

internal enum NodeMode : byte { Leq, Lt, Gte, Gt, Eq, Neq, Member, Leaf }

/// <summary>A flattened forest: interior nodes with children that are nodes or leaves, and per-leaf (target, weight) lists.</summary>
internal sealed class Forest
{
    public required int[] Roots;
    public required bool[] RootIsLeaf;
    public required int[] Feature;
    public required NodeMode[] Mode;
    public required double[] Threshold;
    public required int[] True, False;
    public required bool[] TrueLeaf, FalseLeaf, MissingTrue;
    public required HashSet<double>?[] Members;
    public required int[][] LeafTargets;
    public required double[][] LeafWeights;

    /// <summary>The leaf a row reaches in tree <paramref name="t"/>.</summary>
    public int Walk(int t, ReadOnlySpan<double> row)
    {
        int i = Roots[t];
        if (RootIsLeaf[t]) return i;
        while (true)
        {
            double x = row[Feature[i]];
            double th = Threshold[i];
            bool nan = double.IsNaN(x);
            bool go = Mode[i] switch
            {
                NodeMode.Leq => x <= th,
                NodeMode.Lt => x < th,
                NodeMode.Gte => x >= th,
                NodeMode.Gt => x > th,
                NodeMode.Eq => x == th,
                NodeMode.Neq => x != th,
                NodeMode.Member => Members[i]!.Contains(x),
                _ => false,
            };
            if (nan && MissingTrue[i]) go = true;
            if (go) { if (TrueLeaf[i]) return True[i]; i = True[i]; }
            else { if (FalseLeaf[i]) return False[i]; i = False[i]; }
        }
    }

    public static NodeMode ParseMode(string s) => s switch
    {
        "BRANCH_LEQ" => NodeMode.Leq,
        "BRANCH_LT" => NodeMode.Lt,
        "BRANCH_GTE" => NodeMode.Gte,
        "BRANCH_GT" => NodeMode.Gt,
        "BRANCH_EQ" => NodeMode.Eq,
        "BRANCH_NEQ" => NodeMode.Neq,
        "LEAF" => NodeMode.Leaf,
        _ => throw new ArgumentException($"unknown node mode '{s}'"),
    };

    /// <summary>Builds a forest from the opset 1/3 TreeEnsembleRegressor/Classifier encoding (node ids per tree, LEAF nodes carry weights).</summary>
    public static Forest FromLegacy(NodeAttributes a, string prefix, KernelInfo info)
    {
        long[] treeIds = a.GetInts("nodes_treeids") ?? throw info.Invalid("nodes_treeids is required");
        long[] nodeIds = a.GetInts("nodes_nodeids") ?? throw info.Invalid("nodes_nodeids is required");
        long[] features = a.GetInts("nodes_featureids") ?? [];
        string[] modes = a.GetStrings("nodes_modes") ?? [];
        double[] values = a.GetTensor("nodes_values_as_tensor")?.ToDoubleArray()
            ?? Array.ConvertAll(a.GetFloats("nodes_values") ?? [], f => (double)f);
        long[] trues = a.GetInts("nodes_truenodeids") ?? [];
        long[] falses = a.GetInts("nodes_falsenodeids") ?? [];
        long[] missing = a.GetInts("nodes_missing_value_tracks_true") ?? [];
        int n = treeIds.Length;
        var index = new Dictionary<(long, long), int>();
        var roots = new List<int>();
        var seenTrees = new Dictionary<long, int>();
        for (int i = 0; i < n; i++)
        {
            index[(treeIds[i], nodeIds[i])] = i;
            if (!seenTrees.TryGetValue(treeIds[i], out int r)) { seenTrees[treeIds[i]] = roots.Count; roots.Add(i); }
            else if (nodeIds[i] < nodeIds[roots[r]]) roots[r] = i;
        }
        var mode = new NodeMode[n];
        for (int i = 0; i < n; i++) mode[i] = ParseMode(modes[i]);
        var f = new Forest
        {
            Roots = roots.ToArray(),
            RootIsLeaf = roots.Select(r => mode[r] == NodeMode.Leaf).ToArray(),
            Feature = features.Select(x => (int)x).ToArray(),
            Mode = mode,
            Threshold = values.Length == n ? values : new double[n],
            True = new int[n], False = new int[n],
            TrueLeaf = new bool[n], FalseLeaf = new bool[n],
            MissingTrue = new bool[n],
            Members = new HashSet<double>?[n],
            LeafTargets = new int[n][],
            LeafWeights = new double[n][],
        };
        for (int i = 0; i < n; i++)
        {
            if (mode[i] == NodeMode.Leaf) continue;
            if (!index.TryGetValue((treeIds[i], trues[i]), out int t)) throw info.Invalid($"tree {treeIds[i]} node {nodeIds[i]}: true child {trues[i]} does not exist");
            if (!index.TryGetValue((treeIds[i], falses[i]), out int fl)) throw info.Invalid($"tree {treeIds[i]} node {nodeIds[i]}: false child {falses[i]} does not exist");
            f.True[i] = t; f.False[i] = fl;
            f.TrueLeaf[i] = mode[t] == NodeMode.Leaf;
            f.FalseLeaf[i] = mode[fl] == NodeMode.Leaf;
            f.MissingTrue[i] = i < missing.Length && missing[i] != 0;
        }
        long[] wTree = a.GetInts(prefix + "_treeids") ?? [];
        long[] wNode = a.GetInts(prefix + "_nodeids") ?? [];
        long[] wIds = a.GetInts(prefix + "_ids") ?? [];
        double[] w = a.GetTensor(prefix + "_weights_as_tensor")?.ToDoubleArray()
            ?? Array.ConvertAll(a.GetFloats(prefix + "_weights") ?? [], x => (double)x);
        var lt = new List<int>[n];
        var lw = new List<double>[n];
        for (int k = 0; k < wTree.Length; k++)
        {
            if (!index.TryGetValue((wTree[k], wNode[k]), out int i)) throw info.Invalid($"{prefix} weight {k} refers to missing tree {wTree[k]} node {wNode[k]}");
            (lt[i] ??= []).Add((int)wIds[k]);
            (lw[i] ??= []).Add(w[k]);
        }
        for (int i = 0; i < n; i++) { f.LeafTargets[i] = lt[i]?.ToArray() ?? []; f.LeafWeights[i] = lw[i]?.ToArray() ?? []; }
        return f;
    }
}

internal enum Aggregate { Average, Sum, Min, Max }

/// <summary>Shared regression evaluation: per-target aggregation over trees plus base values (ONNX Runtime semantics).</summary>
internal static class ForestEval
{
    public static void Regress(Forest f, double[] x, int n, int features, int targets, Aggregate agg, double[]? baseValues, double[] result)
    {
        var has = new bool[targets];
        var row = new double[targets];
        for (int r = 0; r < n; r++)
        {
            Array.Clear(row); Array.Clear(has);
            var xr = x.AsSpan(r * features, features);
            for (int t = 0; t < f.Roots.Length; t++)
            {
                int leaf = f.Walk(t, xr);
                var ids = f.LeafTargets[leaf];
                var ws = f.LeafWeights[leaf];
                for (int k = 0; k < ids.Length; k++)
                {
                    int id = ids[k];
                    double w = ws[k];
                    switch (agg)
                    {
                        case Aggregate.Min: row[id] = !has[id] || w < row[id] ? w : row[id]; break;
                        case Aggregate.Max: row[id] = !has[id] || w > row[id] ? w : row[id]; break;
                        default: row[id] += w; break;
                    }
                    has[id] = true;
                }
            }
            for (int j = 0; j < targets; j++)
            {
                double v = row[j];
                if (agg == Aggregate.Average) v /= f.Roots.Length;
                // ONNX Runtime leaves a target no tree reached at 0 (its base value is not added).
                if (!has[j]) v = 0;
                else if (baseValues is { Length: > 0 }) v += baseValues[j];
                result[r * targets + j] = v;
            }
        }
    }

    public static void Transform(float[] scores, int n, int cols, PostTransform t)
    {
        for (int r = 0; r < n; r++)
        {
            var row = scores.AsSpan(r * cols, cols);
            if (cols > 1) MlCommon.Apply(row, t);
            else if (t == PostTransform.Probit) row[0] = MlCommon.Probit(row[0]);
        }
    }

    public static Aggregate ParseAggregate(string s, KernelInfo info) => s switch
    {
        "AVERAGE" => Aggregate.Average,
        "SUM" => Aggregate.Sum,
        "MIN" => Aggregate.Min,
        "MAX" => Aggregate.Max,
        _ => throw info.Invalid($"aggregate_function must be AVERAGE, SUM, MIN or MAX, got '{s}'"),
    };
}

/// <summary>ai.onnx.ml <c>TreeEnsemble</c> (opset 5): explicit roots, leaf tables, set-membership nodes; output type follows the input.</summary>
[OnnxKernel("TreeEnsemble", Domain = MlCommon.Domain, Since = 5)]
internal sealed class TreeEnsembleKernel : IKernel
{
    private readonly Forest _forest;
    private readonly int _targets;
    private readonly Aggregate _agg;
    private readonly PostTransform _transform;

    public TreeEnsembleKernel(KernelInfo info)
    {
        var a = info.Attributes;
        _targets = (int)a.GetInt("n_targets", 1);
        _agg = (Aggregate)a.GetInt("aggregate_function", 1);
        _transform = (PostTransform)a.GetInt("post_transform", 0);
        long[] roots = a.GetInts("tree_roots") ?? throw info.Invalid("tree_roots is required");
        byte[] modes = a.GetTensor("nodes_modes")?.Bytes.ToArray() ?? throw info.Invalid("nodes_modes is required");
        long[] features = a.GetInts("nodes_featureids") ?? [];
        double[] splits = a.GetTensor("nodes_splits")?.ToDoubleArray() ?? throw info.Invalid("nodes_splits is required");
        long[] trueIds = a.GetInts("nodes_truenodeids") ?? [];
        long[] falseIds = a.GetInts("nodes_falsenodeids") ?? [];
        long[] trueLeafs = a.GetInts("nodes_trueleafs") ?? [];
        long[] falseLeafs = a.GetInts("nodes_falseleafs") ?? [];
        long[] missing = a.GetInts("nodes_missing_value_tracks_true") ?? [];
        double[] members = a.GetTensor("membership_values")?.ToDoubleArray() ?? [];
        long[] leafTargets = a.GetInts("leaf_targetids") ?? [];
        double[] leafWeights = a.GetTensor("leaf_weights")?.ToDoubleArray() ?? throw info.Invalid("leaf_weights is required");
        int n = modes.Length;
        var sets = new HashSet<double>?[n];
        int m = 0;
        for (int i = 0; i < n; i++)
        {
            if (modes[i] != (byte)NodeMode.Member) continue;
            var set = new HashSet<double>();
            while (m < members.Length && !double.IsNaN(members[m])) set.Add(members[m++]);
            m++; // skip the NaN delimiter
            sets[i] = set;
        }
        _forest = new Forest
        {
            Roots = roots.Select(r => (int)r).ToArray(),
            RootIsLeaf = new bool[roots.Length],
            Feature = features.Select(x => (int)x).ToArray(),
            Mode = modes.Select(b => (NodeMode)b).ToArray(),
            Threshold = splits,
            True = trueIds.Select(x => (int)x).ToArray(),
            False = falseIds.Select(x => (int)x).ToArray(),
            TrueLeaf = trueLeafs.Select(x => x != 0).ToArray(),
            FalseLeaf = falseLeafs.Select(x => x != 0).ToArray(),
            MissingTrue = Enumerable.Range(0, n).Select(i => i < missing.Length && missing[i] != 0).ToArray(),
            Members = sets,
            LeafTargets = leafTargets.Select(t => new[] { (int)t }).ToArray(),
            LeafWeights = leafWeights.Select(w => new[] { w }).ToArray(),
        };
    }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var (n, c) = MlCommon.Rows(x);
        var res = new double[n * _targets];
        ForestEval.Regress(_forest, x.ToDoubleArray(), n, c, _targets, _agg, null, res);
        var y = context.Output(0, x.DType, [n, _targets]);
        if (_transform != PostTransform.None)
        {
            var f = Array.ConvertAll(res, v => (float)v);
            ForestEval.Transform(f, n, _targets, _transform);
            for (int i = 0; i < res.Length; i++) res[i] = f[i];
        }
        NumericIo.Write(y, res);
    }
}

/// <summary>ai.onnx.ml <c>TreeEnsembleRegressor</c> (opsets 1 and 3; _as_tensor attributes in 3).</summary>
[OnnxKernel("TreeEnsembleRegressor", Domain = MlCommon.Domain)]
internal sealed class TreeEnsembleRegressorKernel : IKernel
{
    private readonly Forest _forest;
    private readonly int _targets;
    private readonly Aggregate _agg;
    private readonly PostTransform _transform;
    private readonly double[]? _base;

    public TreeEnsembleRegressorKernel(KernelInfo info)
    {
        var a = info.Attributes;
        _forest = Forest.FromLegacy(a, "target", info);
        _targets = (int)a.GetInt("n_targets", 1);
        _agg = ForestEval.ParseAggregate(a.GetString("aggregate_function", "SUM"), info);
        _transform = MlCommon.ParseTransform(a.GetString("post_transform", "NONE"), info);
        _base = a.GetTensor("base_values_as_tensor")?.ToDoubleArray() ?? a.GetFloats("base_values")?.Select(v => (double)v).ToArray();
    }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var (n, c) = MlCommon.Rows(x);
        var res = new double[n * _targets];
        ForestEval.Regress(_forest, x.ToDoubleArray(), n, c, _targets, _agg, _base, res);
        var f = Array.ConvertAll(res, v => (float)v);
        ForestEval.Transform(f, n, _targets, _transform);
        f.CopyTo(context.Output(0, DType.Float32, [n, _targets]).Span<float>());
    }
}

/// <summary>ai.onnx.ml <c>TreeEnsembleClassifier</c> (opsets 1 and 3), with ONNX Runtime's binary-class score conventions.</summary>
[OnnxKernel("TreeEnsembleClassifier", Domain = MlCommon.Domain)]
internal sealed class TreeEnsembleClassifierKernel : IKernel
{
    private readonly Forest _forest;
    private readonly long[]? _intLabels;
    private readonly string[]? _stringLabels;
    private readonly int _classes;
    private readonly PostTransform _transform;
    private readonly double[] _base;
    private readonly bool _binaryCase, _allPositive;

    public TreeEnsembleClassifierKernel(KernelInfo info)
    {
        var a = info.Attributes;
        _forest = Forest.FromLegacy(a, "class", info);
        _intLabels = a.GetInts("classlabels_int64s") is { Length: > 0 } li ? li : null;
        _stringLabels = a.GetStrings("classlabels_strings") is { Length: > 0 } ls ? ls : null;
        _classes = _stringLabels?.Length ?? _intLabels?.Length ?? throw info.Invalid("classlabels_int64s or classlabels_strings is required");
        _transform = MlCommon.ParseTransform(a.GetString("post_transform", "NONE"), info);
        _base = a.GetTensor("base_values_as_tensor")?.ToDoubleArray() ?? a.GetFloats("base_values")?.Select(v => (double)v).ToArray() ?? [];
        var classIds = a.GetInts("class_ids") ?? [];
        var weights = a.GetTensor("class_weights_as_tensor")?.ToDoubleArray() ?? a.GetFloats("class_weights")?.Select(v => (double)v).ToArray() ?? [];
        _binaryCase = _classes == 2 && classIds.Distinct().Count() == 1;
        _allPositive = weights.All(w => w >= 0);
    }

    public void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var (n, c) = MlCommon.Rows(x);
        double[] xs = x.ToDoubleArray();
        int cols = _classes;
        var z = context.Output(1, DType.Float32, [n, cols]).Span<float>();
        var labelIdx = new int[n];
        var score = new double[_classes];
        var has = new bool[_classes];
        for (int r = 0; r < n; r++)
        {
            Array.Clear(score); Array.Clear(has);
            var xr = xs.AsSpan(r * c, c);
            for (int t = 0; t < _forest.Roots.Length; t++)
            {
                int leaf = _forest.Walk(t, xr);
                var ids = _forest.LeafTargets[leaf];
                var ws = _forest.LeafWeights[leaf];
                for (int k = 0; k < ids.Length; k++) { score[ids[k]] += ws[k]; has[ids[k]] = true; }
            }
            var row = z.Slice(r * cols, cols);
            if (_classes > 2 || _classes == 1)
            {
                for (int k = 0; k < _base.Length && k < _classes; k++) { score[k] += _base[k]; has[k] = true; }
                int best = -1;
                for (int k = 0; k < _classes; k++) if (has[k] && (best < 0 || score[k] > score[best])) best = k;
                labelIdx[r] = Math.Max(best, 0);
                for (int k = 0; k < _classes; k++) row[k] = (float)score[k];
                if (_classes > 1) MlCommon.Apply(row, _transform);
                else if (_transform == PostTransform.Probit) row[0] = MlCommon.Probit(row[0]);
                continue;
            }
            // Two classes.
            int mode = -1;
            bool two = true;
            if (_base.Length == 2)
            {
                if (has[1]) { score[1] = _base[1] + score[0]; score[0] = -score[1]; }
                else { score[1] += _base[1]; score[0] += _base[0]; }
            }
            else if (_base.Length == 1) { score[0] += _base[0]; if (!has[1]) two = false; }
            else { mode = 3; if (!has[1]) two = false; }
            double pos = two && has[1] ? score[1] : (has[0] ? score[0] : 0);
            if (two && _base.Length != 2 && !has[1]) pos = has[0] ? score[0] : 0;
            bool positive;
            if (_binaryCase)
            {
                if (_allPositive) { positive = pos > 0.5; mode = positive ? 0 : 1; }
                else { positive = pos > 0; mode = positive ? 2 : 3; }
            }
            else positive = pos > 0;
            labelIdx[r] = positive ? 1 : 0;
            if (two)
            {
                row[0] = (float)score[0]; row[1] = (float)score[1];
                MlCommon.Apply(row, _transform);
            }
            else if (_transform == PostTransform.Probit) row[0] = MlCommon.Probit((float)score[0]);
            else if (mode >= 0) MlCommon.ExpandBinary((float)score[0], row, mode, _transform);
            else row[0] = (float)score[0];
        }
        if (_stringLabels is not null)
        {
            var s = new string[n];
            for (int r = 0; r < n; r++) s[r] = _stringLabels[labelIdx[r]];
            context.SetOutput(0, Tensor.FromStrings(s, n));
        }
        else
        {
            var l = new long[n];
            for (int r = 0; r < n; r++) l[r] = _intLabels![labelIdx[r]];
            context.SetOutput(0, Tensor.FromArray(l, n));
        }
    }
}
