using System.Runtime.CompilerServices;

namespace Onyx.Kernels.Threading;

/// <summary>One unit of a parallel loop: <see cref="IntraOpPool.Run{TBody}"/> calls <see cref="Invoke"/> once per index.</summary>
public interface IParallelBody
{
    /// <summary>Runs work item <paramref name="index"/>; called concurrently for distinct indices.</summary>
    void Invoke(int index);
}

/// <summary>
/// A persistent fork-join pool for intra-op parallelism: <c>threads - 1</c> worker threads plus the
/// calling thread, which always works too. One pool per session. Workers spin briefly after each
/// job and then block, so an idle session costs nothing. <see cref="Run{TBody}"/> allocates nothing:
/// the body is a struct passed by reference and read in place by the workers.
/// </summary>
/// <remarks>
/// One job at a time: a <see cref="Run{TBody}"/> that finds the pool busy (a concurrent Run on another
/// thread, or a nested call from inside a body) runs its items on the calling thread. Exceptions
/// thrown by a body are rethrown on the caller (the first one wins).
/// </remarks>
public sealed unsafe class IntraOpPool : IDisposable
{
    private readonly Thread[] _workers;
    private readonly object _gate = new();
    private readonly int _spinIterations;

    // The current job. Written by the caller before it publishes a new generation.
    private void* _body;
    private delegate*<void*, int, void> _invoke;
    private int _count;
    private int _next;
    private int _closed = 1;
    private int _active;
    private Exception? _error;

    /// <summary>Pause-spins (~35 ns each) the caller waits for workers before it starts yielding: ~2 ms.</summary>
    private const int JoinSpins = 64_000;

    private int _generation;
    private int _sleepers;
    private int _busy;
    private volatile bool _disposed;

    /// <summary>
    /// Work item <paramref name="index"/>'s share [Start, End) of <paramref name="count"/> items split evenly
    /// into <paramref name="parts"/> (sizes differ by at most one): the static partition every parallel body uses.
    /// </summary>
    public static (int Start, int End) Share(int count, int index, int parts) =>
        ((int)((long)count * index / parts), (int)((long)count * (index + 1) / parts));

    /// <summary>
    /// How many parts a body of <paramref name="items"/> items runs as: one per thread of <paramref name="pool"/>
    /// (at most one per item) when <paramref name="worthSplitting"/>, else 1.
    /// </summary>
    public static int PartsFor(IntraOpPool? pool, int items, bool worthSplitting) =>
        worthSplitting && pool is { DegreeOfParallelism: > 1 } p ? Math.Min(p.DegreeOfParallelism, items) : 1;

    /// <summary>Runs <paramref name="parts"/> items of <paramref name="body"/> on <paramref name="pool"/>, or inline when there is one part.</summary>
    public static void RunParts<TBody>(IntraOpPool? pool, int parts, ref TBody body) where TBody : struct, IParallelBody
    {
        if (parts > 1) pool!.Run(parts, ref body);
        else body.Invoke(0);
    }

    /// <summary>Creates a pool that runs <paramref name="threads"/> items at once (the caller plus threads - 1 workers).</summary>
    /// <param name="threads">Degree of parallelism, at least 1.</param>
    /// <param name="allowSpinning">When false, idle workers block at once (ONNX Runtime's <c>allow_spinning=0</c>).</param>
    public IntraOpPool(int threads, bool allowSpinning = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        DegreeOfParallelism = threads;
        // ~1 ms of spinning (SpinWait(1) is ~35 ns, normalised by the runtime): covers the gap between consecutive
        // ops without burning a shared core for long once the session goes idle. One pause per poll: a new job
        // is seen within tens of ns (SpinWait(8) took up to ~0.3 us, on every op of a 100-node model).
        _spinIterations = allowSpinning ? 32_000 : 0;
        _workers = new Thread[threads - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"Onyx intra-op {i + 1}" };
            _workers[i].Start();
        }
    }

    /// <summary>How many items run at once: the workers plus the calling thread.</summary>
    public int DegreeOfParallelism { get; }

    /// <summary>
    /// Calls <c>body.Invoke(i)</c> for every i in [0, <paramref name="count"/>) across the pool and
    /// returns when all are done. <paramref name="body"/> must be a local (or otherwise unmovable)
    /// struct: workers read it through its address while the call lasts.
    /// </summary>
    public void Run<TBody>(int count, ref TBody body) where TBody : struct, IParallelBody
    {
        if (count <= 0) return;
        if (count == 1 || _workers.Length == 0 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            for (int i = 0; i < count; i++) body.Invoke(i);
            return;
        }
        try
        {
            _body = Unsafe.AsPointer(ref body);
            _invoke = &Invoker<TBody>.Invoke;
            _count = count;
            _next = 0;
            _error = null;
            Volatile.Write(ref _closed, 0);
            Interlocked.Increment(ref _generation); // full fence: publishes the job, then read _sleepers
            if (Volatile.Read(ref _sleepers) > 0)
                lock (_gate) Monitor.PulseAll(_gate);

            Work();
            // No item is left to claim; close the job, then wait for workers still inside it.
            Interlocked.Exchange(ref _closed, 1);
            // Pause-spin first: a worker's item ends within microseconds to a few ms, and SpinWait.SpinOnce starts
            // yielding after ~10 rounds (a sched_yield per poll: slower to notice the end, and on a busy machine
            // it can hand the core to another process for a whole time slice). Then yield, as before.
            SpinWait spin = default;
            for (int polls = 0; Volatile.Read(ref _active) != 0; polls++)
            {
                if (polls < JoinSpins) Thread.SpinWait(1);
                else spin.SpinOnce(sleep1Threshold: -1);
            }
            _body = null;
            if (_error is { } e) throw new AggregateException("an intra-op work item failed", e);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private void Work()
    {
        int count = _count;
        var invoke = _invoke;
        void* body = _body;
        int i;
        while ((i = Interlocked.Increment(ref _next) - 1) < count)
        {
            try { invoke(body, i); }
            catch (Exception e) { Interlocked.CompareExchange(ref _error, e, null); }
        }
    }

    private void WorkerLoop()
    {
        int seen = Volatile.Read(ref _generation);
        while (!_disposed)
        {
            // Spin first: a GEMM sequence issues jobs microseconds apart.
            int spins = 0;
            while (Volatile.Read(ref _generation) == seen && spins < _spinIterations && !_disposed)
            {
                Thread.SpinWait(1);
                spins++;
            }
            if (Volatile.Read(ref _generation) == seen)
            {
                lock (_gate)
                {
                    Interlocked.Increment(ref _sleepers); // full fence before re-reading the generation
                    while (Volatile.Read(ref _generation) == seen && !_disposed) Monitor.Wait(_gate);
                    Interlocked.Decrement(ref _sleepers);
                }
            }
            if (_disposed) return;
            seen = Volatile.Read(ref _generation);
            Interlocked.Increment(ref _active); // full fence: the caller now waits for us, or we see the job closed
            if (Volatile.Read(ref _closed) == 0) Work();
            Interlocked.Decrement(ref _active);
        }
    }

    /// <summary>Stops the workers. Must not race with <see cref="Run{TBody}"/>.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        lock (_gate) Monitor.PulseAll(_gate);
        foreach (var t in _workers) t.Join();
    }

    private static class Invoker<TBody> where TBody : struct, IParallelBody
    {
        public static void Invoke(void* body, int index) => Unsafe.AsRef<TBody>(body).Invoke(index);
    }
}
