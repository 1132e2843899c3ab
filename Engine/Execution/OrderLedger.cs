using Engine.Model;
using Engine.State.Journal;

namespace Engine.Execution;

/// <summary>One order the ledger tracks: what the journal keeps, plus the I/O loop's bookkeeping.</summary>
public sealed class OrderRecord
{
    internal OrderRecord(JournalOrder order, SymbolId symbol, bool paper)
    {
        Order = order;
        Symbol = symbol;
        IsPaper = paper;
    }

    /// <summary>The journaled facts (status, cumulative fill, venue order id, ...).</summary>
    public JournalOrder Order { get; }

    public long ClientOrderId => Order.ClientOrderId;

    /// <summary>This run's id of the symbol (none when the journal named a symbol this run does not trade).</summary>
    public SymbolId Symbol { get; }

    /// <summary>Executed by the paper venue rather than sent.</summary>
    public bool IsPaper { get; }

    /// <summary>Why it failed, when it did (venue code and message, or the local reason).</summary>
    public string? Reason { get; internal set; }

    internal int Sends;
    internal int Queries;
    internal int Resends;
    internal bool InFlight;
    internal PendingAction Pending;
    internal long DueAtMs;
    internal long PublishedTimestamp;

    // The first send's tick-to-order stamps (cleared once traced): see OrderLatencyTrace.
    internal OrderLatencySample Trace;
    internal Engine.Exchange.Rest.SocketWriteStamp? Written;

    // The send in flight: its path and connection (a lost connection makes its outcome unknown), and the stage's write stamp.
    internal Engine.Exchange.Wire.WirePath Path;
    internal int ConnectionId;
    internal long WriteStamp;

    internal enum PendingAction : byte
    {
        None,
        Query,
        Retry,
    }
}

/// <summary>A venue's (or the paper venue's) statement about an order, before normalization.</summary>
/// <param name="Status">The status it reports.</param>
/// <param name="OrderId">The venue's order id (0 when not given).</param>
/// <param name="CumulativeFilled">Filled so far, cumulative.</param>
/// <param name="CumulativeQuote">Σ price × quantity filled so far when the source knows it (REST cumQuote); zero when not.</param>
/// <param name="LastQuantity">The fill this statement reports (user-data stream <c>l</c>); zero when none or unknown.</param>
/// <param name="LastPrice">Its price (<c>L</c>).</param>
/// <param name="AveragePrice">Average fill price (REST <c>avgPrice</c>), the fallback when nothing better prices a delta.</param>
public readonly record struct OrderObservation(
    OrderStatus Status, long OrderId, Quantity CumulativeFilled, Notional CumulativeQuote, Quantity LastQuantity, Price LastPrice, Price AveragePrice);

/// <summary>
/// The order table and the one funnel every statement about an order goes through (REST answers, user-data events,
/// queries, paper fills). Per client order id it keeps the cumulative fill and the status, and turns each statement
/// into at most one normalized change: the part of the fill not reported yet (each fill exactly once; a repeat or a
/// stale statement reports none) and a status that only moves forward (new → partially filled → final; a late NEW
/// after FILLED is dropped). Owned by the execution I/O loop: no locks.
/// </summary>
public sealed class OrderLedger
{
    private const int FinalKept = 4096;
    private readonly Dictionary<long, OrderRecord> _orders = [];
    private readonly Queue<long> _finals = new();

    public int Count => _orders.Count;

    /// <summary>Statements that changed nothing (repeats, stale or out-of-order ones).</summary>
    public long Duplicates { get; private set; }

    /// <summary>Fill deltas priced from the last trade of a statement that skipped fills (no cumulative quote to price them exactly).</summary>
    public long InexactPrices { get; private set; }

    public OrderRecord Add(JournalOrder order, SymbolId symbol, bool paper)
    {
        ArgumentNullException.ThrowIfNull(order);
        var record = new OrderRecord(order, symbol, paper);
        _orders[order.ClientOrderId] = record;
        if (order.IsFinal)
        {
            RememberFinal(order.ClientOrderId);
        }

        return record;
    }

    public bool TryGet(long clientOrderId, out OrderRecord record) => _orders.TryGetValue(clientOrderId, out record!);

    /// <summary>Orders not final yet.</summary>
    public IEnumerable<OrderRecord> Open()
    {
        foreach (var record in _orders.Values)
        {
            if (!record.Order.IsFinal)
            {
                yield return record;
            }
        }
    }

    /// <summary>Orders ever seen by this ledger that are still kept (open ones and the latest final ones).</summary>
    public IEnumerable<OrderRecord> All() => _orders.Values;

    /// <summary>Rank of a status on the forward-only ladder: final statuses share the top rung.</summary>
    public static int Rank(OrderStatus status) => status switch
    {
        OrderStatus.New => 1,
        OrderStatus.PartiallyFilled => 2,
        OrderStatus.Filled or OrderStatus.Canceled or OrderStatus.Rejected or OrderStatus.Expired => 3,
        _ => 0,
    };

    /// <summary>
    /// Normalizes <paramref name="observation"/> into <paramref name="record"/>. Returns true when something changed
    /// (a status step forward or a new fill): then <paramref name="fillQuantity"/>/<paramref name="fillPrice"/> are the
    /// fill not reported before (zero when only the status moved), and the record holds the new status and totals.
    /// </summary>
    public bool Apply(OrderRecord record, in OrderObservation observation, out Quantity fillQuantity, out Price fillPrice)
    {
        ArgumentNullException.ThrowIfNull(record);
        var order = record.Order;
        fillQuantity = Quantity.Zero;
        fillPrice = Price.Zero;
        if (observation.OrderId != 0 && order.OrderId == 0)
        {
            order.OrderId = observation.OrderId;
        }

        var changed = false;
        if (observation.CumulativeFilled > order.Filled)
        {
            var delta = observation.CumulativeFilled - order.Filled;
            var quoteDelta = observation.CumulativeQuote - order.FilledQuote;
            if (observation.CumulativeQuote.Mantissa > 0 && quoteDelta.Mantissa > 0)
            {
                fillPrice = quoteDelta.DivideBy(delta, RoundingMode.HalfEven);
                order.FilledQuote = observation.CumulativeQuote;
            }
            else
            {
                if (observation.LastQuantity == delta && observation.LastPrice.Mantissa > 0)
                {
                    fillPrice = observation.LastPrice;
                }
                else
                {
                    fillPrice = observation.LastPrice.Mantissa > 0 ? observation.LastPrice : observation.AveragePrice;
                    InexactPrices++;
                }

                order.FilledQuote += fillPrice.Multiply(delta, RoundingMode.HalfEven);
            }

            fillQuantity = delta;
            order.Filled = observation.CumulativeFilled;
            changed = true;
        }

        var rank = Rank(observation.Status);
        var current = Rank(order.Status);
        if (rank > current)
        {
            order.Status = observation.Status;
            changed = true;
        }

        if (!fillQuantity.IsZero && !order.IsFinal)
        {
            // A fill reported by a statement whose own status lags (a stream event older than the REST answer, or the reverse).
            var implied = order.Filled >= order.Quantity ? OrderStatus.Filled : OrderStatus.PartiallyFilled;
            if (Rank(implied) > Rank(order.Status))
            {
                order.Status = implied;
            }
        }

        if (!changed)
        {
            Duplicates++;
            return false;
        }

        if (order.IsFinal)
        {
            RememberFinal(order.ClientOrderId);
        }

        return true;
    }

    private void RememberFinal(long clientOrderId)
    {
        _finals.Enqueue(clientOrderId);
        while (_finals.Count > FinalKept)
        {
            var old = _finals.Dequeue();
            if (_orders.TryGetValue(old, out var record) && record.Order.IsFinal)
            {
                _orders.Remove(old);
            }
        }
    }
}
