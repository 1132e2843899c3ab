namespace Engine.State.Reconciliation;

/// <summary>What reconciliation did, for health and metrics. Written by the reconciler (one run at a time), read from any thread.</summary>
public sealed class ReconciliationCounters
{
    private long _completed;
    private long _failed;
    private long _dryRuns;
    private long _mismatches;
    private long _positionCorrections;
    private long _ordersCanceled;
    private long _ordersQueried;
    private long _lastSuccessUnixMs;
    private long _lastRunUnixMs;
    private long _lastMismatches;
    private long _lastFailed;

    /// <summary>Runs that compared everything (dry runs included).</summary>
    public long RunsCompleted => Volatile.Read(ref _completed);

    /// <summary>Runs that could not complete (the venue did not answer).</summary>
    public long RunsFailed => Volatile.Read(ref _failed);

    /// <summary>Completed runs that were dry runs.</summary>
    public long DryRuns => Volatile.Read(ref _dryRuns);

    /// <summary>Mismatches found by completed runs that were not dry runs.</summary>
    public long Mismatches => Volatile.Read(ref _mismatches);

    /// <summary>Position events published to correct the engine.</summary>
    public long PositionCorrections => Volatile.Read(ref _positionCorrections);

    /// <summary>Unknown orders of ours canceled at the venue.</summary>
    public long OrdersCanceled => Volatile.Read(ref _ordersCanceled);

    /// <summary>Orders queried by client id and handed to the ledger.</summary>
    public long OrdersQueried => Volatile.Read(ref _ordersQueried);

    /// <summary>When the last completed run (not a dry run) ended, Unix ms; 0 before one.</summary>
    public long LastSuccessUnixMs => Volatile.Read(ref _lastSuccessUnixMs);

    /// <summary>When the last run of any kind ended, Unix ms; 0 before one.</summary>
    public long LastRunUnixMs => Volatile.Read(ref _lastRunUnixMs);

    /// <summary>Mismatches the last completed run found.</summary>
    public long LastMismatches => Volatile.Read(ref _lastMismatches);

    /// <summary>Whether the last run failed.</summary>
    public bool LastRunFailed => Volatile.Read(ref _lastFailed) != 0;

    internal void Completed(bool dryRun, int mismatches, long nowMs)
    {
        Interlocked.Increment(ref _completed);
        if (dryRun)
        {
            Interlocked.Increment(ref _dryRuns);
        }
        else
        {
            Interlocked.Add(ref _mismatches, mismatches);
            Volatile.Write(ref _lastSuccessUnixMs, nowMs);
        }

        Volatile.Write(ref _lastMismatches, mismatches);
        Volatile.Write(ref _lastFailed, 0);
        Volatile.Write(ref _lastRunUnixMs, nowMs);
    }

    internal void Failed(long nowMs)
    {
        Interlocked.Increment(ref _failed);
        Volatile.Write(ref _lastFailed, 1);
        Volatile.Write(ref _lastRunUnixMs, nowMs);
    }

    internal void PositionCorrected() => Interlocked.Increment(ref _positionCorrections);

    internal void OrderCanceled() => Interlocked.Increment(ref _ordersCanceled);

    internal void OrderQueried() => Interlocked.Increment(ref _ordersQueried);
}
