using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Reflection.Emit;

namespace Onyx.Core.Diagnostics;

/// <summary>
/// The methods the JIT compiled while a load ran (<c>ONYX_PROFILE_LOAD=2</c>), with each one's JIT
/// time, read from the runtime's own JIT events (provider Microsoft-Windows-DotNETRuntime, keyword
/// 0x10): MethodJittingStarted names the method, MethodLoadVerbose ends it. A method listed here was
/// not covered by the ReadyToRun image, so this is the list to work from when a load pays JIT.
/// </summary>
/// <remarks>
/// The runtime hands its events to listeners from a dispatch thread, some time after they happen.
/// <see cref="Drain"/> therefore JIT-compiles a marker method on the loading thread and waits for its
/// event: events of one thread arrive in order, so once the marker is seen every earlier method of
/// that thread is too. The marker's event also gives the loading thread's OS id (to drop methods
/// other threads compiled) and ties the events' clock to <see cref="Stopwatch"/>'s.
/// </remarks>
public sealed class JitEventLog : EventListener
{
    private const string RuntimeProvider = "Microsoft-Windows-DotNETRuntime";
    private const EventKeywords JitKeyword = (EventKeywords)0x10;
    private const int MethodLoadVerboseId = 143, MethodJittingStartedId = 145;
    internal const string MarkerName = "OnyxJitEventLogMarker";

    private readonly ConcurrentQueue<Event> _events = new();
    private readonly SemaphoreSlim _markerSeen = new(0);
    private volatile bool _enabled;

    /// <summary>One compiled method: its name, when its JIT began (Stopwatch ticks) and how long it took.</summary>
    public readonly record struct Method(string Name, string Tier, long StartTimestamp, double JitMs);

    private readonly record struct Event(int Id, long OsThread, DateTime Time, ulong MethodId, string Name, string Tier);

    /// <summary>Starts listening; returns null when the runtime's events cannot be had (e.g. EventSource disabled).</summary>
    public static JitEventLog? TryStart()
    {
        var log = new JitEventLog();
        if (log._enabled) return log;
        log.Dispose();
        return null;
    }

    private JitEventLog() { }

    protected override void OnEventSourceCreated(EventSource source)
    {
        // Runs from the base constructor for sources that already exist, before this class's fields are set.
        if (source.Name != RuntimeProvider) return;
        EnableEvents(source, EventLevel.Verbose, JitKeyword);
        _enabled = true;
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventId != MethodJittingStartedId && e.EventId != MethodLoadVerboseId || e.Payload is null) return;
        var payload = e.Payload;
        string ns = Field(e, "MethodNamespace"), name = Field(e, "MethodName");
        ulong id = e.PayloadNames?.IndexOf("MethodID") is >= 0 and var i ? Convert.ToUInt64(payload[i]) : 0;
        string tier = e.EventId == MethodLoadVerboseId ? TierOf(e) : "";
        _events.Enqueue(new Event(e.EventId, e.OSThreadId, e.TimeStamp, id, $"{ns}:{name}", tier));
        if (e.EventId == MethodLoadVerboseId && name == MarkerName) _markerSeen.Release();
    }

    private static string Field(EventWrittenEventArgs e, string field) =>
        e.PayloadNames?.IndexOf(field) is >= 0 and var i ? e.Payload![i]?.ToString() ?? "" : "";

    /// <summary>MethodFlags bits 7..9 carry the optimization tier (the runtime's ETW::MethodLog::OptimizationTier).</summary>
    private static string TierOf(EventWrittenEventArgs e)
    {
        if (e.PayloadNames?.IndexOf("MethodFlags") is not (>= 0 and var i)) return "";
        uint flags = Convert.ToUInt32(e.Payload![i]);
        return ((flags >> 7) & 7) switch
        {
            1 => "min-opts", 2 => "full-opts", 3 => "tier0", 4 => "tier1", 5 => "tier1-osr", 6 => "tier0-instr",
            7 => "tier1-instr", _ => "",
        };
    }

    /// <summary>
    /// The methods this thread compiled since the log started, in order; waits (up to
    /// <paramref name="timeout"/>) for the runtime to deliver them. Null when the marker never arrived.
    /// </summary>
    public List<Method>? Drain(TimeSpan timeout)
    {
        long before = Stopwatch.GetTimestamp();
        CompileMarker();
        if (!_markerSeen.Wait(timeout)) return null;

        var events = _events.ToArray();
        int marker = Array.FindLastIndex(events, e => e.Id == MethodJittingStartedId && e.Name.EndsWith(":" + MarkerName, StringComparison.Ordinal));
        if (marker < 0) return null;
        long thread = events[marker].OsThread;
        DateTime markerTime = events[marker].Time;

        var started = new Dictionary<ulong, Event>();
        var methods = new List<Method>();
        for (int k = 0; k < marker; k++)
        {
            Event e = events[k];
            if (e.OsThread != thread) continue;
            if (e.Id == MethodJittingStartedId) { started[e.MethodId] = e; continue; }
            if (!started.Remove(e.MethodId, out Event s)) continue;
            long startTimestamp = before - (long)((markerTime - s.Time).TotalSeconds * Stopwatch.Frequency);
            methods.Add(new Method(s.Name, e.Tier, startTimestamp, (e.Time - s.Time).TotalMilliseconds));
        }
        return methods;
    }

    /// <summary>A fresh dynamic method each call, so the JIT always compiles it (and reports it) on this thread.</summary>
    private static void CompileMarker()
    {
        var method = new DynamicMethod(MarkerName, typeof(int), Type.EmptyTypes, typeof(JitEventLog).Module, skipVisibility: true);
        var il = method.GetILGenerator();
        il.Emit(OpCodes.Ldc_I4_1);
        il.Emit(OpCodes.Ret);
        ((Func<int>)method.CreateDelegate(typeof(Func<int>)))();
    }
}
