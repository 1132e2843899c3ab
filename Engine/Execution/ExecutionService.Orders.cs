using System.Buffers;
using System.Diagnostics;
using Engine.Exchange.Rest;
using Engine.Exchange.Wire;
using Engine.Native;
using Engine.State.Journal;
using Engine.Telemetry;

namespace Engine.Execution;

public sealed partial class ExecutionService
{
    private bool DrainQueue(OrderQueue queue)
    {
        var any = false;
        while (queue.TryPeek(out var index))
        {
            any = true;
            ref var slot = ref queue.Slot(index);
            switch (slot.Op)
            {
                case OrderOp.New:
                    Accept(ref slot);
                    break;
                case OrderOp.Reject:
                    FailAtStage(ref slot);
                    break;
                case OrderOp.CancelAll:
                    CancelAll();
                    break;
                case OrderOp.SetMode:
                    SetMode(slot.Argument, "operator (SetMode)");
                    break;
                default:
                    break;
            }

            queue.Release(index);
        }

        return any;
    }

    private JournalOrder OrderOf(ref OrderMessage slot) => new()
    {
        ClientOrderId = slot.ClientOrderId,
        Symbol = slot.Symbol.IsNone || slot.Symbol.Value > _symbols.Count ? "UNKNOWN" : _symbols.NameOf(slot.Symbol),
        Side = slot.Side,
        Kind = slot.Kind,
        TimeInForce = slot.TimeInForce,
        Price = slot.Price,
        Quantity = slot.Quantity,
        ReduceOnly = slot.ReduceOnly,
        SignedTimestampMs = slot.SignedTimestampMs,
    };

    private void Accept(ref OrderMessage slot)
    {
        // An order the stage sent is at the venue (or may be): it is booked whatever happened since.
        var sentByStage = slot.StageSend == StageSend.Sent;
        if (!sentByStage && !slot.ReduceOnly && (_journalDown || _reduceOnly))
        {
            // The stage refuses entries too, but it may have signed this one before it was told.
            slot.Reason = _reduceOnly ? RejectReason.ReduceOnly : RejectReason.JournalUnavailable;
            FailAtStage(ref slot);
            return;
        }

        var paper = _venue == _paper && !sentByStage;
        var order = OrderOf(ref slot);
        order.Paper = paper;
        var record = _ledger.Add(order, slot.Symbol, paper);
        record.PublishedTimestamp = slot.PublishedTimestamp;
        record.Trace = new OrderLatencySample
        {
            ClientOrderId = slot.ClientOrderId, Received = slot.ReceivedTimestamp, Published = slot.PublishedTimestamp,
            Brain = slot.BrainTimestamp, Signed = slot.SignedTimestamp,
        };
        _snapshotDirty = true;
        _journal.Append(_recordBuffer.AsSpan(0, JournalCodec.WriteIntent(_recordBuffer, order)));
        if (slot.IntentSequence > _releaseUpTo)
        {
            _releaseUpTo = slot.IntentSequence;
        }

        if (sentByStage)
        {
            BookStageSend(record, ref slot);
            return;
        }

        if (paper)
        {
            order.OrderId = _paper.NextOrderId();
            _toSend.Add((record, [], 0));
            return;
        }

        var bytes = ArrayPool<byte>.Shared.Rent(slot.Length);
        slot.Buffer.AsSpan(0, slot.Length).CopyTo(bytes);
        _toSend.Add((record, bytes, slot.Length));
    }

    /// <summary>Sends what was journaled: only after <see cref="JournalWriter.Commit"/>, so no request leaves before its intent is in the journal.</summary>
    private void SendCommitted()
    {
        if (_toSend.Count == 0)
        {
            return;
        }

        if (_options.CrashAfter == CrashPoint.JournaledBeforeSend && _toSend.Exists(static s => s.Record.Sends == 0))
        {
            Crash(CrashPoint.JournaledBeforeSend);
        }

        foreach (var (record, bytes, length) in _toSend)
        {
            if (record.IsPaper)
            {
                _paper.Place(record, bytes, length);
            }
            else
            {
                StartSend(record, bytes, length);
            }
        }

        _toSend.Clear();
    }

    /// <summary>Counts and times a live send, stamps the first one's socket write, and places it on the live venue.</summary>
    private void StartSend(OrderRecord record, byte[] bytes, int length)
    {
        record.InFlight = true;
        record.Sends++;
        record.Path = WirePath.Rest;
        record.ConnectionId = 0;
        record.WriteStamp = 0;
        Counters.CountSent();
        Counters.CountSentBy(WirePath.Rest, fromStage: false);
        if (record.PublishedTimestamp != 0)
        {
            var nanoseconds = StageStatistics.StopwatchNanoseconds(Stopwatch.GetTimestamp() - record.PublishedTimestamp);
            SentLatency.Record(nanoseconds);
            Volatile.Write(ref _sentLatencySum, _sentLatencySum + nanoseconds);
            record.PublishedTimestamp = 0;
        }

        // Only the first send is a reaction to a tick: its first socket write is stamped and traced with the answer.
        record.Written = record.Trace.Signed != 0 && record.Sends == 1 ? new SocketWriteStamp() : null;
        _live!.Place(record, bytes, length);
    }

    private void TraceFirstSend(OrderRecord record)
    {
        long written;
        if (record.Written is { } stamp)
        {
            written = stamp.Timestamp;
        }
        else if (record.WriteStamp != 0 && record.Sends == 1)
        {
            written = record.WriteStamp;
        }
        else
        {
            return;
        }

        Trace.Record(record.Trace with { Socket = written, Path = record.Path });
        record.WriteStamp = 0;
        record.Written = null;
        record.Trace = default;
    }

    private void Crash(CrashPoint point)
    {
        ExecutionLog.InjectedCrash(_logger, point, _options.CrashExitCode);
        ProcessExit.Now(_options.CrashExitCode);
    }

    // ---- timers: queries, retries, resends, paper resting orders ----

    private readonly HashSet<long> _flattenQueries = [];

    private static void Schedule(OrderRecord record, OrderRecord.PendingAction action, TimeSpan delay)
    {
        record.Pending = action;
        record.DueAtMs = Environment.TickCount64 + (long)Math.Max(0, delay.TotalMilliseconds);
    }

    private TimeSpan RunTimers()
    {
        var now = Environment.TickCount64;
        var next = long.MaxValue;
        List<OrderRecord>? due = null;
        foreach (var record in _ledger.Open())
        {
            if (record.Pending == OrderRecord.PendingAction.None || record.InFlight)
            {
                continue;
            }

            if (record.DueAtMs <= now)
            {
                (due ??= []).Add(record);
            }
            else
            {
                next = Math.Min(next, record.DueAtMs);
            }
        }

        if (due is not null)
        {
            foreach (var record in due)
            {
                var action = record.Pending;
                record.Pending = OrderRecord.PendingAction.None;
                if (record.IsPaper)
                {
                    continue;
                }

                if (_venue != _live || _live is null)
                {
                    // The venue is out. An order waiting for a retry is certainly not there: it fails (cooldown). One
                    // whose outcome is unknown is kept as it is known; a switch back to live queries it.
                    if (action == OrderRecord.PendingAction.Retry)
                    {
                        Fail(record, "the venue was switched to paper before it could be sent");
                    }

                    continue;
                }

                if (action == OrderRecord.PendingAction.Query)
                {
                    StartQuery(record);
                }
                else
                {
                    Counters.CountRetry();
                    SignAndSend(record);
                }
            }
        }

        // Paper orders rest whichever venue new orders go to now.
        var wait = next == long.MaxValue ? s_idleWait : TimeSpan.FromMilliseconds(Math.Clamp(next - now, 0, s_idleWait.TotalMilliseconds));
        return _paper.Poll() is { } poll && poll < wait ? poll : wait;
    }

    private void StartQuery(OrderRecord record)
    {
        record.InFlight = true;
        record.Queries++;
        Counters.CountQuery();
        _live!.Query(record);
    }

    private void Resend(OrderRecord record)
    {
        record.Resends++;
        Counters.CountResend();
        ExecutionLog.Resending(_logger, WireId(record), record.Order.Symbol, record.Resends, _options.MaxResends);
        SignAndSend(record);
    }

    /// <summary>Signs the order again at a fresh timestamp (same client order id), journals that, and sends it.</summary>
    private void SignAndSend(OrderRecord record)
    {
        var order = record.Order;
        if (record.Symbol.IsNone || record.Symbol.Value >= _rules.Length || _live is null)
        {
            Fail(record, "cannot sign it again: the symbol is not traded in this run");
            return;
        }

        var bytes = ArrayPool<byte>.Shared.Rent(_options.RequestBufferBytes);
        var timestamp = _live.Clock.NowUnixMs;
        var length = _live.WriteRequest(order, record.Symbol, timestamp, bytes);
        if (length <= 0)
        {
            ArrayPool<byte>.Shared.Return(bytes);
            Fail(record, "cannot sign it again: the request does not fit");
            return;
        }

        order.SignedTimestampMs = timestamp;
        _journal.Append(_recordBuffer.AsSpan(0, JournalCodec.WriteResent(_recordBuffer, order.ClientOrderId, timestamp)));
        _toSend.Add((record, bytes, length));
        if (CommitJournal())
        {
            SendCommitted();
        }
    }
}
