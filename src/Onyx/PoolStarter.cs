using Onyx.Kernels.Threading;

namespace Onyx;

/// <summary>
/// Creates a session's <see cref="IntraOpPool"/> off the loading thread. Starting a worker thread blocks its
/// starter until the thread runs (0.6-1 ms measured per session at 2 threads, half of MNIST's load), so a
/// .NET pool thread starts it while the session loads, and the session's first Run takes it. Whoever asks
/// first builds it: <see cref="Pool"/> builds it inline when the queued item has not begun (a busy .NET
/// pool never delays a Run), and waits for it when it has.
/// </summary>
internal sealed class PoolStarter : IDisposable
{
    private readonly Lazy<IntraOpPool> _pool;

    public PoolStarter(int threads)
    {
        _pool = new Lazy<IntraOpPool>(() => new IntraOpPool(threads), LazyThreadSafetyMode.ExecutionAndPublication);
        // One thread runs everything: nothing to start early.
        if (threads > 1) ThreadPool.UnsafeQueueUserWorkItem(static starter => starter.Start(), this, preferLocal: false);
    }

    /// <summary>The pool; throws what its construction threw.</summary>
    public IntraOpPool Pool => _pool.Value;

    private void Start()
    {
        // A failure is cached by the Lazy and rethrown to the session by Pool; it must not escape on a pool thread.
        try { _ = _pool.Value; }
        catch (Exception) { }
    }

    /// <summary>Stops the pool's workers (building it first when nothing took it: the queued start may be running).</summary>
    public void Dispose()
    {
        try { _pool.Value.Dispose(); }
        catch (Exception) { }
    }
}
