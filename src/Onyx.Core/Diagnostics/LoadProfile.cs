using System.Diagnostics;
using System.Text;

namespace Onyx.Core.Diagnostics;

/// <summary>
/// Wall time per session-load phase (parse, shape inference, each optimizer pass, each op's kernel
/// creation), printed to stderr when <c>ONYX_PROFILE_LOAD=1</c>; <c>ONYX_PROFILE_LOAD=2</c> also lists
/// every method the JIT compiled during the load, under the phase that compiled it (see
/// <see cref="JitEventLog"/>). The collector is per thread, so
/// sessions loading on other threads neither see nor disturb it; when disabled every hook is one
/// null check.
/// </summary>
public sealed class LoadProfile
{
    [ThreadStatic] private static LoadProfile? t_current;

    // Reference-type entries only: a collection over a value tuple would be JIT-compiled (no ReadyToRun
    // code exists for the framework's generics over such types) and show up in the very load it measures.
    private readonly Dictionary<string, Totals> _phases = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly List<Span> _spans = [];
    private readonly JitEventLog? _jitLog;
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly TimeSpan _jitStart = System.Runtime.JitInfo.GetCompilationTime(currentThread: true);
    private readonly long _methodsStart = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true);
    private readonly int _gen0Start = GC.CollectionCount(0), _gen2Start = GC.CollectionCount(2);

    private static readonly string? s_setting = Environment.GetEnvironmentVariable("ONYX_PROFILE_LOAD");

    /// <summary>True when <c>ONYX_PROFILE_LOAD=1</c> or <c>2</c>.</summary>
    public static bool Enabled { get; } = s_setting is "1" or "2";

    /// <summary>True when <c>ONYX_PROFILE_LOAD=2</c>: the JIT-compiled methods are listed too.</summary>
    public static bool ListJit { get; } = s_setting == "2";

    private LoadProfile(JitEventLog? jitLog) => _jitLog = jitLog;

    /// <summary>The collector of the load running on this thread, or null.</summary>
    public static LoadProfile? Current => t_current;

    /// <summary>Starts collecting on this thread when enabled (and no outer load already collects).</summary>
    public static LoadProfile? Begin()
    {
        if (!Enabled || t_current is not null) return null;
        // The listener starts before the clocks do, so its own set-up is not counted in the load.
        return t_current = new LoadProfile(ListJit ? JitEventLog.TryStart() : null);
    }

    /// <summary>The clock and this thread's JIT time now, to pass to <see cref="Record"/>; default when nothing collects.</summary>
    public static Mark Start() => t_current is null ? default
        : new Mark(Stopwatch.GetTimestamp(), System.Runtime.JitInfo.GetCompilationTime(currentThread: true).Ticks);

    /// <summary>Adds the wall and JIT time since <paramref name="start"/> to <paramref name="phase"/>.</summary>
    public static void Record(string phase, Mark start)
    {
        if (t_current is not { } p || start.Timestamp == 0) return;
        long jit = System.Runtime.JitInfo.GetCompilationTime(currentThread: true).Ticks - start.JitTicks;
        if (!p._phases.TryGetValue(phase, out var v))
        {
            p._phases[phase] = v = new Totals();
            p._order.Add(phase);
        }
        long now = Stopwatch.GetTimestamp();
        v.Ticks += now - start.Timestamp;
        v.JitTicks += jit;
        v.Count++;
        if (p._jitLog is not null) p._spans.Add(new Span(phase, start.Timestamp, now));
    }

    private sealed class Totals { public long Ticks, JitTicks; public int Count; }

    private sealed record Span(string Phase, long Start, long End);

    /// <summary>Where a phase began.</summary>
    public readonly record struct Mark(long Timestamp, long JitTicks);

    /// <summary>Stops collecting without a report (the load failed).</summary>
    public void Abandon()
    {
        t_current = null;
        _jitLog?.Dispose();
    }

    /// <summary>Stops collecting and writes the phases (slowest kernels first within their group) to stderr.</summary>
    public void End(string modelName)
    {
        t_current = null;
        long end = Stopwatch.GetTimestamp();
        double total = Stopwatch.GetElapsedTime(_start, end).TotalMilliseconds;
        double jit = (System.Runtime.JitInfo.GetCompilationTime(currentThread: true) - _jitStart).TotalMilliseconds;
        long methods = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true) - _methodsStart;
        var sb = new StringBuilder($"load {modelName}: {total:0.0} ms, of it JIT {jit:0.0} ms ({methods} methods) on this thread; "
            + $"GCs {GC.CollectionCount(0) - _gen0Start} (gen2 {GC.CollectionCount(2) - _gen2Start})\n");
        static double Ms(long t) => t * 1000.0 / Stopwatch.Frequency;
        static double JitMs(long t) => t / (double)TimeSpan.TicksPerMillisecond;
        foreach (var group in _order.GroupBy(p => p.Split(' ')[0]))
        {
            var items = group.ToList();
            if (items.Count > 1)
                sb.AppendLine($"  {group.Key,-44} {Ms(items.Sum(p => _phases[p].Ticks)),8:0.00} ms  jit {JitMs(items.Sum(p => _phases[p].JitTicks)),7:0.00}");
            foreach (var p in items.Count > 1 ? items.OrderByDescending(p => _phases[p].Ticks).Take(12) : items)
            {
                var t = _phases[p];
                sb.AppendLine($"  {(items.Count > 1 ? "  " : "") + p,-44} {Ms(t.Ticks),8:0.00} ms  jit {JitMs(t.JitTicks),7:0.00}  x{t.Count}");
            }
        }
        if (_jitLog is not null) AppendJitMethods(sb, end);
        Console.Error.Write(sb.ToString());
    }

    /// <summary>
    /// Each method JIT-compiled before <paramref name="end"/> (this report's own formatting is left out),
    /// under the innermost phase that was running when its JIT began.
    /// </summary>
    private void AppendJitMethods(StringBuilder sb, long end)
    {
        List<JitEventLog.Method>? methods;
        using (_jitLog) methods = _jitLog!.Drain(TimeSpan.FromSeconds(5));
        methods?.RemoveAll(m => m.StartTimestamp > end);
        if (methods is null)
        {
            sb.AppendLine("  jit methods: the runtime's JIT events did not arrive");
            return;
        }
        sb.AppendLine($"  jit methods: {methods.Count}, {methods.Sum(m => m.JitMs):0.00} ms (phase, ms, tier, method)");
        foreach (var m in methods)
            sb.AppendLine($"    {PhaseAt(m.StartTimestamp),-36} {m.JitMs,6:0.00}  {m.Tier,-11} {m.Name}");
    }

    /// <summary>The shortest recorded span that holds <paramref name="timestamp"/> (phases nest), or "(between phases)".</summary>
    internal string PhaseAt(long timestamp)
    {
        string best = "(between phases)";
        long bestLength = long.MaxValue;
        foreach (var s in _spans)
            if (s.Start <= timestamp && timestamp <= s.End && s.End - s.Start < bestLength) (best, bestLength) = (s.Phase, s.End - s.Start);
        return best;
    }
}
