using System.Diagnostics;
using System.Text;

namespace Onyx.Core.Diagnostics;

/// <summary>
/// Wall time per session-load phase (parse, shape inference, each optimizer pass, each op's kernel
/// creation), printed to stderr when <c>ONYX_PROFILE_LOAD=1</c>. The collector is per thread, so
/// sessions loading on other threads neither see nor disturb it; when disabled every hook is one
/// null check.
/// </summary>
public sealed class LoadProfile
{
    [ThreadStatic] private static LoadProfile? t_current;

    private readonly Dictionary<string, (long Ticks, long JitTicks, int Count)> _phases = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly TimeSpan _jitStart = System.Runtime.JitInfo.GetCompilationTime(currentThread: true);
    private readonly long _methodsStart = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true);
    private readonly int _gen0Start = GC.CollectionCount(0), _gen2Start = GC.CollectionCount(2);

    /// <summary>True when <c>ONYX_PROFILE_LOAD=1</c>.</summary>
    public static bool Enabled { get; } = Environment.GetEnvironmentVariable("ONYX_PROFILE_LOAD") == "1";

    /// <summary>The collector of the load running on this thread, or null.</summary>
    public static LoadProfile? Current => t_current;

    /// <summary>Starts collecting on this thread when enabled (and no outer load already collects).</summary>
    public static LoadProfile? Begin()
    {
        if (!Enabled || t_current is not null) return null;
        return t_current = new LoadProfile();
    }

    /// <summary>The clock and this thread's JIT time now, to pass to <see cref="Record"/>; default when nothing collects.</summary>
    public static Mark Start() => t_current is null ? default
        : new Mark(Stopwatch.GetTimestamp(), System.Runtime.JitInfo.GetCompilationTime(currentThread: true).Ticks);

    /// <summary>Adds the wall and JIT time since <paramref name="start"/> to <paramref name="phase"/>.</summary>
    public static void Record(string phase, Mark start)
    {
        if (t_current is not { } p || start.Timestamp == 0) return;
        long jit = System.Runtime.JitInfo.GetCompilationTime(currentThread: true).Ticks - start.JitTicks;
        if (!p._phases.TryGetValue(phase, out var v)) p._order.Add(phase);
        p._phases[phase] = (v.Ticks + Stopwatch.GetTimestamp() - start.Timestamp, v.JitTicks + jit, v.Count + 1);
    }

    /// <summary>Where a phase began.</summary>
    public readonly record struct Mark(long Timestamp, long JitTicks);

    /// <summary>Stops collecting without a report (the load failed).</summary>
    public void Abandon() => t_current = null;

    /// <summary>Stops collecting and writes the phases (slowest kernels first within their group) to stderr.</summary>
    public void End(string modelName)
    {
        t_current = null;
        double total = Stopwatch.GetElapsedTime(_start).TotalMilliseconds;
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
                var (ticks, jitTicks, count) = _phases[p];
                sb.AppendLine($"  {(items.Count > 1 ? "  " : "") + p,-44} {Ms(ticks),8:0.00} ms  jit {JitMs(jitTicks),7:0.00}  x{count}");
            }
        }
        Console.Error.Write(sb.ToString());
    }
}
