using Engine.Model;

namespace Engine.State;

/// <summary>An order the engine believes is live at the venue, as reconciliation compares it.</summary>
/// <param name="Symbol">The order's symbol.</param>
/// <param name="ClientOrderId">Our numeric client order id (<see cref="Engine.Model.ClientOrderId"/> gives its wire form).</param>
/// <param name="Side">Buy or sell.</param>
/// <param name="Quantity">The order's original quantity.</param>
/// <param name="Filled">Cumulative filled quantity as the engine knows it.</param>
/// <param name="Status">The engine's status of the order (New or PartiallyFilled for an open one).</param>
public readonly record struct LocalOrder(SymbolId Symbol, long ClientOrderId, Side Side, Quantity Quantity, Quantity Filled, OrderStatus Status);

/// <summary>
/// The engine's open orders, read by reconciliation (off the stage threads). The execution part implements it over
/// its order table; an implementation must be safe to call from any thread and must not block the owning stage.
/// </summary>
public interface IOpenOrderView
{
    /// <summary>Appends every order the engine thinks is open (acknowledged or in flight, not terminal) to <paramref name="into"/>; returns how many.</summary>
    int CopyOpenOrders(List<LocalOrder> into);
}
