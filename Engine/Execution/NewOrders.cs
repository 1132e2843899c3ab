using Engine.Exchange.Wire;
using Engine.Model;

namespace Engine.Execution;

/// <summary>How execution describes a new order to the one order encoder, whoever writes it (the stage, or the I/O loop re-signing).</summary>
internal static class NewOrders
{
    /// <summary>
    /// The new order's description: a LIMIT without a time in force is GTC (the journal of an older run may hold one so),
    /// prices and quantities at the symbol's own decimals.
    /// </summary>
    public static OrderDescription Describe(
        ReadOnlySpan<byte> symbol, long clientOrderId, Side side, OrderKind kind, TimeInForce timeInForce, Quantity quantity, Price price,
        bool reduceOnly, in SymbolRules rules, long recvWindowMs, long timestampMs) => new()
        {
            Request = OrderRequestKind.Place,
            Symbol = symbol,
            ClientOrderId = clientOrderId,
            Side = side,
            Kind = kind,
            TimeInForce = kind == OrderKind.Limit && timeInForce == default ? TimeInForce.Gtc : timeInForce,
            Quantity = quantity,
            Price = price,
            ReduceOnly = reduceOnly,
            PriceDecimals = rules.PricePrecision,
            QuantityDecimals = rules.QuantityPrecision,
            RecvWindowMs = recvWindowMs,
            TimestampMs = timestampMs,
        };
}
