using System.Text;
using Engine.Exchange;
using Engine.Exchange.Rest;
using Engine.Exchange.Wire;
using Engine.State.Journal;
using Engine.Telemetry;

namespace Engine.Execution;

/// <summary>
/// The stage's own sends, the I/O loop's side: orders the stage put on a wire are booked in flight; answers and lost
/// connections come from the connections' reader threads (<see cref="IOrderAnswerSink"/>) through the inbound queue
/// and go through the same rules as the REST client's answers.
/// </summary>
public sealed partial class ExecutionService : IOrderAnswerSink
{
    // An answer can overtake its slot (the reader thread is faster than the loop's turn): kept until the slot is booked.
    private readonly Dictionary<long, OrderAnswer> _earlyAnswers = [];

    // Connections reported lost (ids are unique in the process): a slot booked after the loss has an unknown outcome at once.
    private readonly HashSet<int> _lostConnections = [];
    private IStageIntentLog? _intents;
    private IntentLog? _intentLog;
    private long _releaseUpTo;
    private long _released;

    /// <summary>
    /// Lets the execution stage put orders on <paramref name="wire"/> itself, each intent appended first to the journal
    /// folder's <see cref="IntentLog"/> (opened here, on the folder this service holds); call before <see cref="Start"/>.
    /// False when the stage does not send (no live venue, or the fsync policy is <see cref="FsyncPolicy.EveryRecord"/>).
    /// </summary>
    /// <exception cref="JournalUnusableException">The intent log cannot be opened (its folder cannot be written).</exception>
    public bool AttachWire(IOrderWire wire)
    {
        ArgumentNullException.ThrowIfNull(wire);
        if (_live is null || _journalOptions.Fsync == FsyncPolicy.EveryRecord || !Engine.Native.MappedFile.IsSupported)
        {
            var reason = _live is null ? "no live venue" : _journalOptions.Fsync == FsyncPolicy.EveryRecord ? "the journal's fsync policy is EveryRecord" : "no memory-mapped intent log on this platform";
            ExecutionLog.StageSendsOff(_logger, wire.Path, reason);
            return false;
        }

        _intentLog ??= OpenIntentLog();
        return AttachWire(wire, new StageIntentLog(_intentLog));
    }

    /// <summary>
    /// Lets the execution stage put orders on <paramref name="wire"/> itself, each intent appended to
    /// <paramref name="intents"/> first; call before <see cref="Start"/>. The stage sends while new orders go to the live
    /// venue. Under <see cref="FsyncPolicy.EveryRecord"/> the stage never sends (an intent must be on disk before its
    /// request leaves, and the stage does not wait for a disk): the I/O loop sends after the fsync, and this returns false.
    /// </summary>
    public bool AttachWire(IOrderWire wire, IStageIntentLog intents)
    {
        ArgumentNullException.ThrowIfNull(wire);
        ArgumentNullException.ThrowIfNull(intents);
        if (_thread is not null)
        {
            throw new InvalidOperationException("attach the wire before execution starts");
        }

        RecoverIntents(intents);
        if (_live is null || _journalOptions.Fsync == FsyncPolicy.EveryRecord)
        {
            ExecutionLog.StageSendsOff(_logger, wire.Path, _live is null ? "no live venue" : "the journal's fsync policy is EveryRecord");
            return false;
        }

        _intents = intents;
        Gateway.Attach(wire, intents, _options.CrashAfter == CrashPoint.JournaledBeforeSend ? () => Crash(CrashPoint.JournaledBeforeSend) : null);
        ExecutionLog.StageSendsOn(_logger, wire.Path);
        return true;
    }

    /// <summary>An answer on a connection's reader thread: queued for the loop.</summary>
    public void OnAnswer(in OrderAnswer answer)
    {
        if (answer.Request == OrderRequestKind.Place && _options.CrashAfter == CrashPoint.SentBeforeAck)
        {
            Crash(CrashPoint.SentBeforeAck);
        }

        _inbound.Enqueue(new Inbound(InboundKind.WireAnswer, answer.ClientOrderId, default, default, answer: answer));
        _signal.Wake();
    }

    /// <summary>A connection ended: every order sent on it without an answer has an unknown outcome (queried, never resent blind).</summary>
    public void OnConnectionLost(WirePath path, int connectionId, string reason)
    {
        var answer = new OrderAnswer { Path = path, ConnectionId = connectionId };
        _inbound.Enqueue(new Inbound(InboundKind.ConnectionLost, 0, default, default, reason, answer: answer));
        _signal.Wake();
    }

    /// <summary>A connection is ready: nothing to do on the loop (the wire picks its connections).</summary>
    public void OnConnectionReady(WirePath path, int connectionId)
    {
    }

    private IntentLog OpenIntentLog()
    {
        try
        {
            return IntentLog.Open(_folder, _journalOptions, _logger);
        }
        catch
        {
            _journal.Dispose();
            _folder.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Intents the stage's log holds that the main journal never heard of (a crash between the stage's send and the
    /// loop's journaling): each may be at the venue, so each is journaled now and queried at start as an unknown
    /// outcome, never resent blind. Then the whole log is released: the main journal holds them all.
    /// </summary>
    private void RecoverIntents(IStageIntentLog intents)
    {
        var count = 0;
        foreach (var intent in intents.Unreleased)
        {
            if (_recovered.Intents.Contains(intent.ClientOrderId) || _ledger.TryGet(intent.ClientOrderId, out _))
            {
                continue;
            }

            var order = intent.Clone();
            order.Paper = false;
            _symbols.TryGet(Encoding.ASCII.GetBytes(order.Symbol), out var id);
            var record = _ledger.Add(order, id, paper: false);
            record.Pending = OrderRecord.PendingAction.Query;
            record.DueAtMs = 0;
            _journal.Append(_recordBuffer.AsSpan(0, JournalCodec.WriteIntent(_recordBuffer, order)));
            _snapshotDirty = true;
            count++;
        }

        _journal.Commit();
        intents.Release(long.MaxValue);
        if (count > 0)
        {
            ExecutionLog.Recovering(_logger, count, "sent by the execution stage before the journal had them");
        }
    }

    /// <summary>Books an order the stage sent: in flight on its connection, answered through <see cref="OnAnswer"/>.</summary>
    private void BookStageSend(OrderRecord record, ref OrderMessage slot)
    {
        record.InFlight = true;
        record.Sends = 1;
        record.Path = slot.Path;
        record.ConnectionId = slot.ConnectionId;
        record.WriteStamp = slot.WriteStamp;
        record.Written = null;
        Counters.CountSent();
        Counters.CountSentBy(slot.Path, fromStage: true);
        if (record.PublishedTimestamp != 0 && slot.WriteStamp != 0)
        {
            var nanoseconds = StageStatistics.StopwatchNanoseconds(slot.WriteStamp - record.PublishedTimestamp);
            SentLatency.Record(nanoseconds);
            Volatile.Write(ref _sentLatencySum, _sentLatencySum + nanoseconds);
        }

        record.PublishedTimestamp = 0;
        if (_earlyAnswers.Remove(record.ClientOrderId, out var early))
        {
            OnWireAnswer(in early);
        }
        else if (_lostConnections.Contains(record.ConnectionId))
        {
            LostInFlight(record, "the connection was lost before the order was booked");
        }
    }

    /// <summary>Intents the main journal now holds are released from the stage's intent log (after a successful commit).</summary>
    private void ReleaseIntents()
    {
        if (_intents is not null && _releaseUpTo > _released)
        {
            _released = _releaseUpTo;
            _intents.Release(_released);
        }
    }

    private void OnWireAnswer(in OrderAnswer answer)
    {
        if (!_ledger.TryGet(answer.ClientOrderId, out var record))
        {
            if (answer.Request == OrderRequestKind.Place)
            {
                // Bounded: an answer whose slot never comes (an order of another run on a shared key) must not pile up.
                if (_earlyAnswers.Count >= 4096)
                {
                    _earlyAnswers.Clear();
                }

                _earlyAnswers[answer.ClientOrderId] = answer;
            }

            return;
        }

        if (!record.InFlight || record.Path != answer.Path)
        {
            return;
        }

        var result = ResultOf(record, in answer);
        switch (answer.Request)
        {
            case OrderRequestKind.Place:
                OnNewAnswer(record.ClientOrderId, result);
                break;
            case OrderRequestKind.Status:
                OnQueryAnswer(record.ClientOrderId, result);
                break;
            default:
                break;
        }
    }

    private void ConnectionLost(WirePath path, int connectionId, string reason)
    {
        _lostConnections.Add(connectionId);
        List<OrderRecord>? lost = null;
        foreach (var record in _ledger.Open())
        {
            if (record.InFlight && record.Path == path && record.ConnectionId == connectionId)
            {
                (lost ??= []).Add(record);
            }
        }

        if (lost is null)
        {
            return;
        }

        foreach (var record in lost)
        {
            LostInFlight(record, reason);
        }
    }

    /// <summary>The order left on a connection that is gone before its answer came: an unknown outcome, queried by client order id.</summary>
    private void LostInFlight(OrderRecord record, string reason)
    {
        var error = new VenueError(VenueErrorCategory.UnknownOutcome, VenueError.LocalCode, "connection lost: " + reason, 0, sent: true);
        OnNewAnswer(record.ClientOrderId, RestResult.Failure<OrderResponse>(error));
    }

    /// <summary>A wire answer in the REST client's form, so both paths go through one set of rules.</summary>
    private static RestResult<OrderResponse> ResultOf(OrderRecord record, in OrderAnswer answer)
    {
        if (answer.IsSuccess)
        {
            return RestResult.Success(new OrderResponse
            {
                OrderId = answer.OrderId,
                Symbol = record.Order.Symbol,
                ClientOrderId = WireId(record),
                Status = answer.OrderStatus,
                ExecutedQty = answer.ExecutedQuantity,
                CumQuote = answer.CumulativeQuote,
                AvgPrice = answer.AveragePrice,
                Side = record.Order.Side,
                Price = record.Order.Price,
                OrigQty = record.Order.Quantity,
                ReduceOnly = record.Order.ReduceOnly,
            });
        }

        var message = Encoding.UTF8.GetString(answer.Message[..Math.Clamp(answer.MessageLength, 0, AnswerMessage.Length)]);
        var changesState = answer.Request is not OrderRequestKind.Status;
        var retryAfter = answer.RetryAfterMs > 0 ? TimeSpan.FromMilliseconds(answer.RetryAfterMs) : (TimeSpan?)null;
        var category = VenueErrors.Classify(answer.Status, answer.ErrorCode, message, changesState);
        return RestResult.Failure<OrderResponse>(new VenueError(category, answer.ErrorCode, message, answer.Status, sent: true, retryAfter));
    }
}
