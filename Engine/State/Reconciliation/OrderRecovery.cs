using System.Diagnostics;
using System.Text;
using Engine.Exchange;
using Engine.Exchange.Rest;
using Engine.Exchange.UserData;
using Engine.Model;

namespace Engine.State.Reconciliation;

/// <summary>What querying one order by its client id found.</summary>
public enum OrderQueryOutcome : byte
{
    /// <summary>The venue answered; the answer went to the sink.</summary>
    Answered,

    /// <summary>The venue does not know the order (-2013): never received, or forgotten. Left to execution.</summary>
    NotFound,

    /// <summary>The query failed (network, rate limit, …); nothing was handed over.</summary>
    Failed,
}

/// <summary>
/// Queries orders by client id and hands each answer to the <see cref="IUserDataSink"/> as an order update, the way
/// the user-data stream would have: after a stream outage (for the orders the engine thinks are open) and for
/// reconciliation. The ledger normalizes (a state it already knows changes nothing).
/// </summary>
/// <remarks>
/// A query answer is not one fill: the event carries <see cref="OrderUpdateData.FilledQuantity"/> = executedQty,
/// <see cref="OrderUpdateData.LastFillQuantity"/> = 0 and <see cref="OrderUpdateData.LastFillPrice"/> = the order's
/// average fill price (avgPrice), so the ledger can book a missed fill of <c>executed − known</c> at
/// <c>(avgPrice × executed − known notional) / (executed − known)</c>. Runs on the caller's (I/O) thread.
/// </remarks>
public sealed class OrderRecovery
{
    private const int UnknownOrderCode = -2013;

    private readonly BinanceRestClient _rest;
    private readonly SymbolTable _symbols;
    private readonly IUserDataSink _sink;

    public OrderRecovery(BinanceRestClient rest, SymbolTable symbols, IUserDataSink sink)
    {
        ArgumentNullException.ThrowIfNull(rest);
        ArgumentNullException.ThrowIfNull(symbols);
        ArgumentNullException.ThrowIfNull(sink);
        _rest = rest;
        _symbols = symbols;
        _sink = sink;
    }

    /// <summary>The wire form of a numeric client order id ("e123…").</summary>
    public static string WireId(long clientOrderId)
    {
        Span<byte> buffer = stackalloc byte[ClientOrderId.MaxLength];
        var written = ClientOrderId.Format(clientOrderId, buffer);
        return Encoding.ASCII.GetString(buffer[..written]);
    }

    /// <summary>Queries one order and, when the venue answers, hands the answer to the sink.</summary>
    public async Task<(OrderQueryOutcome Outcome, OrderResponse? Order, VenueError? Error)> QueryAsync(LocalOrder order, CancellationToken cancellationToken)
    {
        var symbol = _symbols.NameOf(order.Symbol);
        var result = await _rest.QueryOrderAsync(OrderReference.ByClientOrderId(symbol, WireId(order.ClientOrderId)), cancellationToken).ConfigureAwait(false);
        if (!result.IsSuccess)
        {
            return (result.Error!.Code == UnknownOrderCode ? OrderQueryOutcome.NotFound : OrderQueryOutcome.Failed, null, result.Error);
        }

        Hand(result.Value!);
        return (OrderQueryOutcome.Answered, result.Value, null);
    }

    /// <summary>Queries every order in <paramref name="orders"/>; returns how many were answered, not found and failed.</summary>
    public async Task<(int Answered, int NotFound, int Failed)> QueryAllAsync(IReadOnlyList<LocalOrder> orders, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(orders);
        int answered = 0, notFound = 0, failed = 0;
        foreach (var order in orders)
        {
            var (outcome, _, _) = await QueryAsync(order, cancellationToken).ConfigureAwait(false);
            switch (outcome)
            {
                case OrderQueryOutcome.Answered: answered++; break;
                case OrderQueryOutcome.NotFound: notFound++; break;
                default: failed++; break;
            }
        }

        return (answered, notFound, failed);
    }

    /// <summary>Hands an order object from the venue (a query, openOrders) to the sink as an order update.</summary>
    public void Hand(OrderResponse order)
    {
        ArgumentNullException.ThrowIfNull(order);
        var evt = ToEvent(order, _symbols);
        if (evt.Kind == MarketEventKind.OrderUpdate)
        {
            _sink.OnOrderUpdate(in evt);
        }
    }

    /// <summary>An order object as an order-update event (kind None when the symbol is not in the table).</summary>
    public static MarketEvent ToEvent(OrderResponse order, SymbolTable symbols)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentNullException.ThrowIfNull(symbols);
        var evt = default(MarketEvent);
        if (!symbols.TryGet(Encoding.ASCII.GetBytes(order.Symbol), out var symbol))
        {
            return evt;
        }

        evt.Begin(MarketEventKind.OrderUpdate, symbol, order.UpdateTime, Stopwatch.GetTimestamp());
        ref var u = ref evt.OrderUpdate;
        u.OrderId = order.OrderId;
        u.ClientOrderId = ClientOrderId.TryParse(Encoding.ASCII.GetBytes(order.ClientOrderId), out var id) ? id : 0;
        u.Price = order.Price;
        u.Quantity = order.OrigQty;
        u.FilledQuantity = order.ExecutedQty;
        u.LastFillQuantity = Quantity.Zero;
        u.LastFillPrice = order.AvgPrice;
        u.Side = order.Side;
        u.OrderKind = order.Type is { } type && OrderKindExtensions.TryParseWire(Encoding.ASCII.GetBytes(type), out var kind) ? kind : default;
        u.Status = order.Status;
        u.ReduceOnly = order.ReduceOnly;
        return evt;
    }
}
