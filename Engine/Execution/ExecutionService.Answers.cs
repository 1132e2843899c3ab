using System.Diagnostics;
using System.Globalization;
using Engine.Exchange;
using Engine.Exchange.Rest;
using Engine.Model;
using Engine.State.Journal;

namespace Engine.Execution;

public sealed partial class ExecutionService
{
    private bool DrainInbound()
    {
        var any = false;
        while (_inbound.TryDequeue(out var item))
        {
            any = true;
            switch (item.Kind)
            {
                case InboundKind.NewAnswer:
                    OnNewAnswer(item.ClientOrderId, item.Result);
                    break;
                case InboundKind.QueryAnswer:
                    OnQueryAnswer(item.ClientOrderId, item.Result);
                    break;
                case InboundKind.CancelAllAnswer:
                    OnCancelAllAnswer(item.Symbol!, item.Error);
                    break;
                case InboundKind.StreamOrder:
                    OnStreamOrder(in item.Event);
                    break;
                case InboundKind.StreamAccount:
                    OnStreamAccount(in item.Event);
                    break;
                case InboundKind.Recover:
                    RecoverOpenOrders("user-data stream gap");
                    break;
                case InboundKind.ReduceOnly:
                    ReduceOnly(item.Symbol!);
                    break;
                case InboundKind.WireAnswer:
                    OnWireAnswer(in item.Answer);
                    break;
                case InboundKind.ConnectionLost:
                    ConnectionLost(item.Answer.Path, item.Answer.ConnectionId, item.Symbol!);
                    break;
                default:
                    break;
            }
        }

        return any;
    }

    // ---- answers (IVenueAnswers: from the live venue's threads, queued for the loop) ----

    void IVenueAnswers.OnPlaced(long clientOrderId, RestResult<OrderResponse> result)
    {
        if (_options.CrashAfter == CrashPoint.SentBeforeAck)
        {
            Crash(CrashPoint.SentBeforeAck);
        }

        _inbound.Enqueue(new Inbound(InboundKind.NewAnswer, clientOrderId, result, default));
        _signal.Wake();
    }

    void IVenueAnswers.OnQueried(long clientOrderId, RestResult<OrderResponse> result)
    {
        _inbound.Enqueue(new Inbound(InboundKind.QueryAnswer, clientOrderId, result, default));
        _signal.Wake();
    }

    void IVenueAnswers.OnCancelledAll(string symbol, VenueError? error)
    {
        _inbound.Enqueue(new Inbound(InboundKind.CancelAllAnswer, 0, default, default, symbol, error));
        _signal.Wake();
    }

    Notional IOrderFunnel.Observe(OrderRecord record, in OrderObservation observation) => Observe(record, in observation);

    void IOrderFunnel.Fail(OrderRecord record, string reason) => Fail(record, reason);

    private void OnNewAnswer(long clientOrderId, RestResult<OrderResponse> result)
    {
        if (!_ledger.TryGet(clientOrderId, out var record))
        {
            return;
        }

        record.InFlight = false;
        TraceFirstSend(record);
        if (result.IsSuccess)
        {
            Counters.Success();
            Counters.CountAcknowledged();
            ApplyResponse(record, result.Value!);
            return;
        }

        var error = result.Error;
        switch (error.Category)
        {
            case VenueErrorCategory.UnknownOutcome:
                Counters.CountUnknown();
                ExecutionLog.UnknownOutcome(_logger, WireId(record), record.Order.Symbol, error.ToString());
                VenueFailure(error);
                Schedule(record, OrderRecord.PendingAction.Query, _options.QueryDelay);
                break;
            case VenueErrorCategory.RetrySafe or VenueErrorCategory.Clock when record.Sends <= _options.MaxRetries:
                if (error.Category == VenueErrorCategory.RetrySafe)
                {
                    VenueFailure(error);
                }

                var delay = error.Category == VenueErrorCategory.Clock ? TimeSpan.Zero : _options.RetryBackoff * (1 << Math.Min(record.Sends - 1, 6));
                var wireId = WireId(record);
                var text = error.ToString();
                ExecutionLog.Retrying(_logger, wireId, record.Order.Symbol, text, (long)delay.TotalMilliseconds);
                Schedule(record, OrderRecord.PendingAction.Retry, delay);
                break;
            case VenueErrorCategory.Rejected:
                Counters.Success();
                ExecutionLog.OrderRejected(_logger, WireId(record), record.Order.Symbol, error.Code, error.Message);
                Fail(record, string.Create(CultureInfo.InvariantCulture, $"venue rejected it: code {error.Code}, {error.Message}"));
                break;
            default:
                // Auth, rate limits and 418, exhausted retries: the order is not at the venue.
                VenueFailure(error);
                ExecutionLog.OrderRejected(_logger, WireId(record), record.Order.Symbol, error.Code, error.Message);
                Fail(record, string.Create(CultureInfo.InvariantCulture, $"{error.Category}: code {error.Code}, {error.Message}"));
                break;
        }
    }

    private void OnQueryAnswer(long clientOrderId, RestResult<OrderResponse> result)
    {
        if (!_ledger.TryGet(clientOrderId, out var record))
        {
            return;
        }

        record.InFlight = false;
        if (result.IsSuccess)
        {
            Counters.Success();
            ApplyResponse(record, result.Value!);
            if (!record.Order.IsFinal && record.Pending == OrderRecord.PendingAction.None && record.Queries > 0 && _flattenQueries.Remove(record.ClientOrderId))
            {
                // Still open right after a cancel-all: ask once more shortly (the cancel may not have reached it yet).
                Schedule(record, OrderRecord.PendingAction.Query, _options.QueryDelay);
            }

            return;
        }

        var error = result.Error;
        if (error.Code == -2013)
        {
            Counters.Success();
            if (record.Order.Acknowledged)
            {
                ExecutionLog.Forgotten(_logger, WireId(record), record.Order.Symbol);
                Observe(record, new OrderObservation(OrderStatus.Canceled, 0, record.Order.Filled, Notional.Zero, Quantity.Zero, Price.Zero, Price.Zero));
                return;
            }

            // The venue refuses a request after its timestamp + recvWindow: only then does "never saw it" mean it never will.
            var deadline = record.Order.SignedTimestampMs + (_live?.RecvWindowMs ?? 0) + (long)_options.RecvWindowMargin.TotalMilliseconds;
            var wait = deadline - NowMs();
            if (wait > 0)
            {
                Schedule(record, OrderRecord.PendingAction.Query, TimeSpan.FromMilliseconds(wait));
                return;
            }

            if (record.Resends >= _options.MaxResends)
            {
                Fail(record, "the venue never saw it and the resends are used up");
                return;
            }

            Resend(record);
            return;
        }

        VenueFailure(error);
        if (record.Queries >= _options.MaxQueries)
        {
            Fail(record, string.Create(CultureInfo.InvariantCulture, $"outcome still unknown after {record.Queries} queries: {error}"));
            return;
        }

        Schedule(record, OrderRecord.PendingAction.Query, _options.QueryDelay * (1 << Math.Min(record.Queries, 5)));
    }

    private void ApplyResponse(OrderRecord record, OrderResponse response)
    {
        record.Order.Acknowledged = true;
        Observe(record, new OrderObservation(
            response.Status, response.OrderId, response.ExecutedQty, response.CumQuote, Quantity.Zero, Price.Zero, response.AvgPrice));
    }

    private void OnStreamOrder(in MarketEvent evt)
    {
        ref readonly var update = ref evt.OrderUpdate;
        if (update.ClientOrderId <= 0 || !_ledger.TryGet(update.ClientOrderId, out var record))
        {
            Counters.CountForeign();
            ExecutionLog.ForeignOrder(_logger, update.ClientOrderId);
            return;
        }

        record.Order.Acknowledged = true;
        if (update.LastFillQuantity.IsZero && !update.LastFillPrice.IsZero && !update.FilledQuantity.IsZero)
        {
            // An order query handed over as an event (state's OrderRecovery): no single fill, the average price of all.
            // Σ price × quantity is then avgPrice × executed, which prices a missed fill as (that − known) / (executed − known).
            var cumulativeQuote = update.LastFillPrice.Multiply(update.FilledQuantity, RoundingMode.HalfEven);
            Observe(record, new OrderObservation(update.Status, update.OrderId, update.FilledQuantity, cumulativeQuote, Quantity.Zero, Price.Zero, update.LastFillPrice));
            return;
        }

        Observe(record, new OrderObservation(update.Status, update.OrderId, update.FilledQuantity, Notional.Zero, update.LastFillQuantity, update.LastFillPrice, Price.Zero));
    }

    private void OnStreamAccount(in MarketEvent evt)
    {
        _lastLiveWallet = evt.Account.WalletBalance;
        _haveLiveWallet = true;
        if (_venue == _live)
        {
            _output.Publish(in evt);
        }
    }

    /// <summary>The funnel's exit: normalize, fold the fill into positions, journal, publish. Returns the PnL the fill realized.</summary>
    private Notional Observe(OrderRecord record, in OrderObservation observation)
    {
        var wasFinal = record.Order.IsFinal;
        if (!_ledger.Apply(record, in observation, out var fillQuantity, out var fillPrice))
        {
            return Notional.Zero;
        }

        _snapshotDirty = true;
        var realized = _positions.Apply(record.Order.Symbol, record.Order.Side, fillQuantity, fillPrice);
        _journal.Append(_recordBuffer.AsSpan(0, JournalCodec.WriteUpdate(_recordBuffer, record.Order, fillQuantity, fillPrice)));
        if (!fillQuantity.IsZero)
        {
            Counters.CountFill();
        }

        if (!wasFinal && record.Order.IsFinal)
        {
            Counters.CountFinal(record.Order.Status);
        }

        if (record.Order.IsFinal)
        {
            record.Pending = OrderRecord.PendingAction.None;
        }

        if (!record.Symbol.IsNone)
        {
            var evt = default(MarketEvent);
            evt.Begin(MarketEventKind.OrderUpdate, record.Symbol, EventTimeMs(), Stopwatch.GetTimestamp());
            ref var u = ref evt.OrderUpdate;
            u.OrderId = record.Order.OrderId;
            u.ClientOrderId = record.ClientOrderId;
            u.Price = record.Order.Price;
            u.Quantity = record.Order.Quantity;
            u.FilledQuantity = record.Order.Filled;
            u.LastFillQuantity = fillQuantity;
            u.LastFillPrice = fillPrice;
            u.Side = record.Order.Side;
            u.OrderKind = record.Order.Kind;
            u.Status = record.Order.Status;
            u.ReduceOnly = record.Order.ReduceOnly;
            _output.Publish(in evt);
        }

        return realized;
    }

    private void Fail(OrderRecord record, string reason)
    {
        record.Reason = reason;
        record.Pending = OrderRecord.PendingAction.None;
        ExecutionLog.OrderFailed(_logger, WireId(record), record.Order.Symbol, reason);
        Observe(record, new OrderObservation(OrderStatus.Rejected, 0, record.Order.Filled, Notional.Zero, Quantity.Zero, Price.Zero, Price.Zero));
    }

    private void FailAtStage(ref OrderMessage slot)
    {
        if (slot.ClientOrderId == 0)
        {
            return;
        }

        var order = OrderOf(ref slot);
        order.Paper = true;
        var record = _ledger.Add(order, slot.Symbol, paper: true);
        _journal.Append(_recordBuffer.AsSpan(0, JournalCodec.WriteIntent(_recordBuffer, order)));
        if (slot.Reason is RejectReason.ReduceOnly or RejectReason.JournalUnavailable)
        {
            Counters.CountEntryRefused();
        }

        Fail(record, slot.Reason switch
        {
            RejectReason.QueueFull => "the queue to the I/O loop was full",
            RejectReason.UnknownSymbol => "no venue rules for the symbol",
            RejectReason.InvalidOrder => "the order could not be written (quantity or price finer than the symbol allows, or not positive)",
            RejectReason.ReduceOnly => "execution is reduce-only (" + _reduceOnlyReason + "): entries are refused",
            RejectReason.JournalUnavailable => "the journal cannot be written (" + _journalUnavailable + "): entries are refused",
            _ => "refused by the execution stage",
        });
    }

    private void OnCancelAllAnswer(string symbol, VenueError? error)
    {
        ExecutionLog.CancelAll(_logger, symbol, error is null ? "done" : error.ToString());
        if (error is not null)
        {
            VenueFailure(error);
        }

        // Learn each order's final state (the user-data stream may be down).
        foreach (var record in _ledger.Open())
        {
            if (!record.IsPaper && record.Order.Symbol == symbol && !record.InFlight)
            {
                _flattenQueries.Add(record.ClientOrderId);
                Schedule(record, OrderRecord.PendingAction.Query, TimeSpan.Zero);
            }
        }
    }
}
