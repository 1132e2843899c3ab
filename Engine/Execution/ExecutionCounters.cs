namespace Engine.Execution;

/// <summary>What execution has done, written by the I/O loop (single writer), read from any thread.</summary>
public sealed class ExecutionCounters
{
    private long _sent;
    private long _acknowledged;
    private long _fills;
    private long _rejected;
    private long _unknownOutcomes;
    private long _queries;
    private long _resends;
    private long _retries;
    private long _paperFills;
    private long _switchesToPaper;
    private long _consecutiveFailures;
    private long _foreignEvents;
    private long _canceled;
    private long _expired;
    private int _mode;
    private string? _lastSwitchReason;
    private int _journalAvailable = 1;
    private long _journalEpisodes;
    private long _entriesRefused;
    private long _protectiveCloses;
    private int _reduceOnly;

    /// <summary>Whether the journal can be written (1) or not (0: no entries, exits wait until journaled).</summary>
    public bool JournalAvailable => Volatile.Read(ref _journalAvailable) == 1;

    /// <summary>Times the journal became unwritable (each episode once, however long it lasts).</summary>
    public long JournalEpisodes => Volatile.Read(ref _journalEpisodes);

    /// <summary>Entries failed without being sent because the journal could not be written or execution was reduce-only.</summary>
    public long EntriesRefused => Volatile.Read(ref _entriesRefused);

    /// <summary>Reduce-only MARKET orders execution placed itself to close positions in reduce-only mode.</summary>
    public long ProtectiveCloses => Volatile.Read(ref _protectiveCloses);

    /// <summary>Whether execution is reduce-only (a stage halted).</summary>
    public bool ReduceOnly => Volatile.Read(ref _reduceOnly) == 1;

    public long Sent => Volatile.Read(ref _sent);

    public long Acknowledged => Volatile.Read(ref _acknowledged);

    /// <summary>Fill deltas published (live and paper).</summary>
    public long Fills => Volatile.Read(ref _fills);

    /// <summary>Orders that ended Rejected (venue rejections and local failures).</summary>
    public long Rejected => Volatile.Read(ref _rejected);

    public long UnknownOutcomes => Volatile.Read(ref _unknownOutcomes);

    public long Queries => Volatile.Read(ref _queries);

    /// <summary>Orders sent again because the venue answered -2013 to the query.</summary>
    public long Resends => Volatile.Read(ref _resends);

    /// <summary>Sends repeated after a retry-safe failure.</summary>
    public long Retries => Volatile.Read(ref _retries);

    public long PaperFills => Volatile.Read(ref _paperFills);

    public long SwitchesToPaper => Volatile.Read(ref _switchesToPaper);

    public long ConsecutiveFailures => Volatile.Read(ref _consecutiveFailures);

    /// <summary>User-data order events for orders this engine did not place (not published).</summary>
    public long ForeignEvents => Volatile.Read(ref _foreignEvents);

    public VenueMode Mode => (VenueMode)Volatile.Read(ref _mode);

    /// <summary>Orders that ended Canceled.</summary>
    public long Canceled => Volatile.Read(ref _canceled);

    /// <summary>Orders that ended Expired.</summary>
    public long Expired => Volatile.Read(ref _expired);

    /// <summary>Why the venue was last switched (null before any switch).</summary>
    public string? LastSwitchReason => Volatile.Read(ref _lastSwitchReason);

    internal void CountFinal(Engine.Model.OrderStatus status)
    {
        if (status == Engine.Model.OrderStatus.Canceled)
        {
            Volatile.Write(ref _canceled, _canceled + 1);
        }
        else if (status == Engine.Model.OrderStatus.Expired)
        {
            Volatile.Write(ref _expired, _expired + 1);
        }
        else if (status == Engine.Model.OrderStatus.Rejected)
        {
            Volatile.Write(ref _rejected, _rejected + 1);
        }
    }

    internal void SetSwitchReason(string reason) => Volatile.Write(ref _lastSwitchReason, reason);

    internal void CountSent() => Volatile.Write(ref _sent, _sent + 1);

    // Sends by path (WirePath: none, WebSocketApi, Rest) and by who sent (0 the I/O loop, 1 the stage).
    private readonly long[] _sentBy = new long[6];

    internal void CountSentBy(Engine.Exchange.Wire.WirePath path, bool fromStage)
    {
        var index = (Math.Min((int)path, 2) * 2) + (fromStage ? 1 : 0);
        Volatile.Write(ref _sentBy[index], _sentBy[index] + 1);
    }

    /// <summary>Orders sent on <paramref name="path"/> by the execution stage itself (<paramref name="fromStage"/>) or by the I/O loop.</summary>
    public long SentBy(Engine.Exchange.Wire.WirePath path, bool fromStage) => Volatile.Read(ref _sentBy[(Math.Min((int)path, 2) * 2) + (fromStage ? 1 : 0)]);

    internal void CountAcknowledged() => Volatile.Write(ref _acknowledged, _acknowledged + 1);

    internal void CountFill() => Volatile.Write(ref _fills, _fills + 1);

    internal void CountUnknown() => Volatile.Write(ref _unknownOutcomes, _unknownOutcomes + 1);

    internal void CountQuery() => Volatile.Write(ref _queries, _queries + 1);

    internal void CountResend() => Volatile.Write(ref _resends, _resends + 1);

    internal void CountRetry() => Volatile.Write(ref _retries, _retries + 1);

    internal void CountPaperFill() => Volatile.Write(ref _paperFills, _paperFills + 1);

    internal void CountSwitchToPaper() => Volatile.Write(ref _switchesToPaper, _switchesToPaper + 1);

    internal void CountForeign() => Volatile.Write(ref _foreignEvents, _foreignEvents + 1);

    internal long Failure()
    {
        Volatile.Write(ref _consecutiveFailures, _consecutiveFailures + 1);
        return _consecutiveFailures;
    }

    internal void Success() => Volatile.Write(ref _consecutiveFailures, 0);

    internal void SetMode(VenueMode mode) => Volatile.Write(ref _mode, (int)mode);

    internal void SetJournalAvailable(bool available) => Volatile.Write(ref _journalAvailable, available ? 1 : 0);

    internal void CountJournalEpisode() => Volatile.Write(ref _journalEpisodes, _journalEpisodes + 1);

    internal void CountEntryRefused() => Volatile.Write(ref _entriesRefused, _entriesRefused + 1);

    internal void CountProtectiveClose() => Volatile.Write(ref _protectiveCloses, _protectiveCloses + 1);

    internal void SetReduceOnly() => Volatile.Write(ref _reduceOnly, 1);
}

/// <summary>An order as the control plane and the reconciler see it (a copy).</summary>
public sealed record OpenOrderSnapshot(
    long ClientOrderId, string Symbol, Engine.Model.Side Side, Engine.Model.OrderKind Kind, Engine.Model.Price Price, Engine.Model.Quantity Quantity,
    Engine.Model.Quantity Filled, Engine.Model.OrderStatus Status, long OrderId, bool ReduceOnly, bool Paper);
