namespace Onyx;

/// <summary>Per-call options for <see cref="InferenceSession.Run(RunOptions, IReadOnlyCollection{string}, IReadOnlyCollection{OrtValue}, IReadOnlyCollection{string})"/>.</summary>
public class RunOptions : IDisposable
{
    private CancellationTokenSource _cts = new();

    /// <summary>Tag for log messages of this run.</summary>
    public string LogId { get; set; } = "";

    /// <summary>Log severity for this run (0 verbose to 4 fatal).</summary>
    public int LogSeverityLevel { get; set; } = 2;

    /// <summary>Setting this to true makes runs using these options stop at the next node with an error.</summary>
    public bool Terminate
    {
        get => _cts.IsCancellationRequested;
        set
        {
            if (value) _cts.Cancel();
            else if (_cts.IsCancellationRequested) _cts = new CancellationTokenSource();
        }
    }

    internal CancellationToken Token => _cts.Token;

    /// <summary>Releases the cancellation source.</summary>
    public void Dispose()
    {
        _cts.Dispose();
        GC.SuppressFinalize(this);
    }
}
