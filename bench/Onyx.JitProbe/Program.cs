using System.Diagnostics;
using System.Diagnostics.Tracing;
using Onyx;
using Onyx.Benchmarking;
using Onyx.Tensors;

// Counts what the JIT still compiles while a process loads its first model and runs it: per phase
// (load, first Run, later Runs), the methods compiled before they could run (tier 0, full opts: no
// usable ReadyToRun code; OSR of hot loops) apart from the rejits of hot code (tier 1, off the calling thread), and
// the JIT time on the calling thread. Usage: Onyx.JitProbe <model.onnx> [threads] [--list] [dim=value...]
if (args.Length == 0) { Console.Error.WriteLine("usage: Onyx.JitProbe <model.onnx> [threads] [--list] [#i=value...]"); return 1; }
string model = args[0];
int threads = args.Length > 1 && int.TryParse(args[1], out int t) ? t : 1;
bool list = args.Contains("--list");
var dims = new Dictionary<string, int>();
foreach (var a in args.Skip(1).Where(a => a.Contains('=')))
    dims[a[..a.IndexOf('=')]] = int.Parse(a[(a.IndexOf('=') + 1)..]);

using var listener = new JitListener();
ModelFileWarmup.Touch(model);
Phase("load", () =>
{
    var session = new InferenceSession(model, new SessionOptions { IntraOpNumThreads = threads });
    return session;
}, out InferenceSession session);
var inputs = BenchInputs.For(session, dims);
var feeds = inputs.Select(i => (i.Name, (OnnxValue)i.Value)).ToList();
OnnxValue[] outputs = [];
for (int run = 1; run <= 3; run++)
    Phase($"run {run}", () => { outputs = session.RunCore(feeds, session.OutputNames, null); return session; }, out _);
// A checksum of the float outputs: two builds (or instruction-set settings) must print the same numbers.
foreach (var o in outputs)
    if (o is Tensor { DType: DType.Float32 } y)
    {
        double sum = 0, abs = 0;
        foreach (float v in y.Span<float>()) { sum += v; abs += Math.Abs(v); }
        Console.WriteLine($"output [{string.Join(',', y.Shape.ToArray())}]: sum {sum:R}, abs sum {abs:R}");
    }
session.Dispose();
return 0;

void Phase(string name, Func<InferenceSession> body, out InferenceSession result)
{
    Thread.Sleep(300); // let the listener drain the previous phase's events
    listener.Reset();
    TimeSpan jitBefore = System.Runtime.JitInfo.GetCompilationTime(currentThread: true);
    long countBefore = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true);
    var sw = Stopwatch.StartNew();
    result = body();
    double ms = sw.Elapsed.TotalMilliseconds;
    double jitMs = (System.Runtime.JitInfo.GetCompilationTime(currentThread: true) - jitBefore).TotalMilliseconds;
    long count = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true) - countBefore;
    Thread.Sleep(300);
    var methods = listener.Take();
    // Tier-1 rejits (instrumented or not) run on the tiering thread; OSR and cold compiles on the caller.
    var cold = methods.Where(m => !m.Tier.StartsWith("Tier1", StringComparison.Ordinal) || m.Tier.StartsWith("Tier1OSR", StringComparison.Ordinal)).ToList();
    Console.WriteLine($"{name}: {ms:0.0} ms, calling thread JIT {count} methods {jitMs:0.0} ms; all threads: {cold.Count} compiled cold " +
        $"({string.Join(", ", cold.GroupBy(m => m.Tier).Select(g => $"{g.Key} {g.Count()}"))}), {methods.Count - cold.Count} tier-1 rejits");
    foreach (var g in cold.GroupBy(m => Assembly(m.Namespace)).OrderByDescending(g => g.Count()))
        Console.WriteLine($"    {g.Key,-14} {g.Count()}");
    if (list)
        foreach (var m in cold) Console.WriteLine($"      [{m.Tier}] {m.Namespace}::{m.Name}");
}

static string Assembly(string ns) =>
    ns.StartsWith("Onyx.", StringComparison.Ordinal) ? string.Join('.', ns.Split('.').Take(2)) : ns.StartsWith("System.", StringComparison.Ordinal) ? "System" : "other";

/// <summary>The runtime's MethodLoadVerbose events under the JIT keyword (0x10): one per compiled method.</summary>
internal sealed class JitListener : EventListener
{
    private readonly List<(string Namespace, string Name, string Tier)> _methods = new();

    public void Reset() { lock (_methods) _methods.Clear(); }

    public List<(string Namespace, string Name, string Tier)> Take() { lock (_methods) return _methods.ToList(); }

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x10);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName is null || !e.EventName.StartsWith("MethodLoadVerbose", StringComparison.Ordinal) || e.Payload is null) return;
        string ns = e.Payload[e.PayloadNames!.IndexOf("MethodNamespace")]?.ToString() ?? "";
        string name = e.Payload[e.PayloadNames.IndexOf("MethodName")]?.ToString() ?? "";
        uint flags = Convert.ToUInt32(e.Payload[e.PayloadNames.IndexOf("MethodFlags")]);
        // MethodFlags bits 7-9 hold the optimization tier (ETW's OptimizationTier map).
        string tier = ((flags >> 7) & 0xF) switch
        {
            1 => "MinOpts", 2 => "FullOpts", 3 => "Tier0", 4 => "Tier1", 5 => "Tier1OSR", 6 => "Tier0Instr", 7 => "Tier1Instr",
            uint other => "tier" + other,
        };
        // 0x40: the method had ReadyToRun code that the runtime rejected (an instruction-set fixup failed).
        if ((flags & 0x40) != 0) tier += "/R2Rrejected";
        lock (_methods) _methods.Add((ns, name, tier));
    }
}
