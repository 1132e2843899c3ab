using Engine.Model;

namespace Engine.Exchange.UserData;

/// <summary>
/// Where the user-data stream (and reconciliation's order queries) hand what the venue says about the account.
/// The execution part's order ledger is the production sink: the one funnel for order truth, which normalizes
/// duplicates (a fill reported twice carries its fill once) and publishes into the ring.
/// </summary>
/// <remarks>
/// Called on the stream's receive thread (or the reconciler's), one call at a time per source, never from a ring
/// stage. The event is only valid during the call; copy what is kept.
/// </remarks>
public interface IUserDataSink
{
    /// <summary>
    /// An order changed (<see cref="MarketEventKind.OrderUpdate"/>): <see cref="OrderUpdateData.ClientOrderId"/> is our
    /// numeric id (0 for an order the engine did not place), <see cref="OrderUpdateData.FilledQuantity"/> cumulative,
    /// <see cref="OrderUpdateData.LastFillQuantity"/>/<see cref="OrderUpdateData.LastFillPrice"/> the fill of this
    /// event (zero when none), <see cref="MarketEvent.ExchangeTimeMs"/> the event time <c>E</c>. An answer to a query by
    /// client id (<c>OrderRecovery</c>: after an outage, or from reconciliation) has no single fill: it carries
    /// <see cref="OrderUpdateData.LastFillQuantity"/> 0 and <see cref="OrderUpdateData.LastFillPrice"/> = the order's
    /// average fill price, so a missed fill is <c>FilledQuantity − known</c> at
    /// <c>(average × FilledQuantity − known notional) / missed</c>. A stream event whose <c>FilledQuantity − known</c>
    /// exceeds its own <c>LastFillQuantity</c> means an earlier fill was missed: query the order for the average.
    /// </summary>
    void OnOrderUpdate(in MarketEvent evt);

    /// <summary>The account's balances changed (<see cref="MarketEventKind.Account"/>): wallet and equity (wallet + unrealized).</summary>
    void OnAccountUpdate(in MarketEvent evt);

    /// <summary>The stream is down: events may be arriving at the venue that nobody hears until it is back.</summary>
    void OnStreamDown();

    /// <summary>
    /// The stream is connected. <paramref name="recovered"/> is true when it was down before (a drop, an expired
    /// key, the 24-hour cut): events may have been missed, so the sink should query the orders it thinks are open.
    /// </summary>
    void OnStreamUp(bool recovered);
}
