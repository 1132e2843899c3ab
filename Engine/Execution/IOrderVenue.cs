using Engine.Exchange;
using Engine.Exchange.Rest;
using Engine.Model;

namespace Engine.Execution;

/// <summary>
/// A venue as the execution I/O loop sees it: where an order whose intent is journaled is placed, asked about and
/// cancelled. The loop keeps the ledger, the journal, the timers, the schedule of queries and retries, and recovery;
/// a venue carries requests and hands back what it learns: the live venue through <see cref="IVenueAnswers"/> from
/// its own threads, the paper venue at once, on the loop's thread, through <see cref="IOrderFunnel"/>. The venue switch
/// (paper ↔ live) is the loop swapping which venue new orders go to. Every member is called on the I/O loop's thread.
/// </summary>
internal interface IOrderVenue
{
    /// <summary>Which venue this is.</summary>
    VenueMode Mode { get; }

    /// <summary>
    /// Places a new order whose intent the journal holds. <paramref name="request"/> is the signed request (rented from
    /// <see cref="System.Buffers.ArrayPool{T}.Shared"/>; the venue returns it) for the live venue, empty for the paper venue.
    /// </summary>
    void Place(OrderRecord record, byte[] request, int length);

    /// <summary>Asks for an order's state by its client order id (an order whose outcome is unknown).</summary>
    void Query(OrderRecord record);

    /// <summary>
    /// Cancels this venue's open orders of <paramref name="symbol"/>. With <paramref name="entriesOnly"/> only those that
    /// could add to a position, where the venue can tell them apart: the exchange's cancel-all cannot, and cancels every
    /// order of the symbol (what reduces a position is placed again by the loop's protective pass).
    /// </summary>
    void CancelAll(string symbol, bool entriesOnly);

    /// <summary>The venue's own upkeep on each turn of the loop; returns how soon it wants the next turn, or null when it needs none.</summary>
    TimeSpan? Poll();
}

/// <summary>Where the live venue's answers go: called on its threads (the HTTP client's continuations); must not block.</summary>
internal interface IVenueAnswers
{
    /// <summary>The answer to a new order (an exception on the way is an unknown outcome).</summary>
    void OnPlaced(long clientOrderId, RestResult<OrderResponse> result);

    /// <summary>The answer to an order query.</summary>
    void OnQueried(long clientOrderId, RestResult<OrderResponse> result);

    /// <summary>The answer to a cancel-all of <paramref name="symbol"/>; null when it succeeded.</summary>
    void OnCancelledAll(string symbol, VenueError? error);
}

/// <summary>The ledger's funnel, for a venue that answers on the loop's thread (the paper venue).</summary>
internal interface IOrderFunnel
{
    /// <summary>Normalizes the statement, folds its fill into positions, journals and publishes it; returns the PnL the fill realized.</summary>
    Notional Observe(OrderRecord record, in OrderObservation observation);

    /// <summary>The order failed before reaching the market: published as Rejected with <paramref name="reason"/>.</summary>
    void Fail(OrderRecord record, string reason);
}
