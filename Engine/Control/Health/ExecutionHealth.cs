using Engine.Execution;

namespace Engine.Control.Health;

/// <summary>
/// The venue execution sends to: serving while orders go where they were configured to go; not serving once the
/// venue failed for good and execution switched itself to paper (until the operator switches back with SetMode), once
/// execution is reduce-only (a stage halted: positions are being closed), or when its I/O loop stopped.
/// </summary>
public sealed class ExecutionHealth(ExecutionService execution, VenueMode configured) : IHealthComponent
{
    public string Name => "venue";

    public ComponentCheck Check()
    {
        var c = execution.Counters;
        if (execution.Fault is { } fault)
        {
            return ComponentCheck.Down($"the execution I/O loop stopped: {fault.GetType().Name}: {fault.Message}; positions are not managed: close them at the venue and restart");
        }

        if (execution.ReduceOnlyReason is { } reason)
        {
            return ComponentCheck.Down($"reduce-only: {reason}; entries refused, {c.ProtectiveCloses} protective closes placed, {execution.OpenOrders.Count} open orders; restart to trade again");
        }

        if (c.Mode == VenueMode.Paper && configured == VenueMode.Live)
        {
            return ComponentCheck.Down($"switched to paper: {c.LastSwitchReason ?? "by the operator"}; positions and orders kept; SetMode live to switch back");
        }

        return ComponentCheck.Up(c.Mode == VenueMode.Live
            ? $"live; {c.ConsecutiveFailures} failures in a row, {execution.OpenOrders.Count} open orders"
            : "paper (configured)");
    }
}

/// <summary>
/// The write-ahead journal: serving while commits succeed; not serving while it cannot be written (a full disk, a
/// quota, an I/O error), with the error's message. Execution retries on its own and this clears when a commit succeeds.
/// </summary>
public sealed class JournalHealth(ExecutionService execution) : IHealthComponent
{
    public string Name => "journal";

    public ComponentCheck Check()
    {
        if (execution.JournalUnavailable is { } reason)
        {
            return ComponentCheck.Down($"{reason}; no new entries, exits wait until journaled, {execution.Journal.PendingBytes} bytes waiting; retrying");
        }

        var c = execution.Counters;
        return ComponentCheck.Up(c.JournalEpisodes == 0
            ? $"writable; segment {execution.Journal.Segment}"
            : $"writable; segment {execution.Journal.Segment}; unwritable {c.JournalEpisodes} times in this run");
    }
}
