using Engine.Model;

namespace Engine.Exchange.Signing;

/// <summary>
/// A new order as the bytes of a signed <c>POST /fapi/v1/order</c> parameter string. Everything it refers to is
/// a span or a value, so the execution stage builds and signs an order without allocating.
/// </summary>
public readonly ref struct OrderQuery
{
    /// <summary>The symbol's name as UTF-8 (from <see cref="SymbolTable.Utf8NameOf"/>).</summary>
    public required ReadOnlySpan<byte> Symbol { get; init; }

    public required Side Side { get; init; }

    public required OrderKind Kind { get; init; }

    /// <summary>Sent for LIMIT orders only.</summary>
    public TimeInForce TimeInForce { get; init; }

    /// <summary>Already rounded to the symbol's step; a finer value is refused, never rounded here.</summary>
    public required Quantity Quantity { get; init; }

    /// <summary>Limit price, already on the tick grid; not sent for MARKET orders.</summary>
    public Price Price { get; init; }

    public bool ReduceOnly { get; init; }

    /// <summary>Our id for the order (<c>newClientOrderId</c>), unique per order so a lost answer can be looked up.</summary>
    public required ReadOnlySpan<byte> ClientOrderId { get; init; }

    /// <summary>Decimals the venue accepts for the symbol's price and quantity (exchangeInfo precision).</summary>
    public required int PriceDecimals { get; init; }

    public required int QuantityDecimals { get; init; }

    public required long RecvWindowMs { get; init; }

    /// <summary>The venue's clock now, in milliseconds (local clock corrected by the measured offset).</summary>
    public required long TimestampMs { get; init; }

    /// <summary>
    /// Writes <c>symbol=…&amp;side=…&amp;type=…&amp;quantity=…[&amp;price=…&amp;timeInForce=…][&amp;reduceOnly=true]&amp;newClientOrderId=…&amp;recvWindow=…&amp;timestamp=…&amp;signature=…</c>
    /// into <paramref name="destination"/>. Returns false with the reason when the buffer is too small or a number
    /// has more decimals than the symbol accepts.
    /// </summary>
    public bool TryWriteSigned(Span<byte> destination, IRequestSigner signer, out int length, out QueryWriteError error)
    {
        // Since December 2025 the venue answers -4120 to conditional types on this endpoint; they belong to the
        // algo-order service. An unset time-in-force on a limit order would be a caller bug sent as garbage.
        if (Kind is not (OrderKind.Limit or OrderKind.Market) || (Kind == OrderKind.Limit && TimeInForce is < TimeInForce.Gtc or > TimeInForce.Gtx))
        {
            length = 0;
            error = QueryWriteError.UnsupportedOrder;
            return false;
        }

        var writer = new QueryWriter(destination);
        writer.Add("symbol"u8, Symbol);
        writer.AddWireName("side"u8, Side.WireName());
        writer.AddWireName("type"u8, Kind.WireName());
        writer.Add("quantity"u8, Quantity, QuantityDecimals);
        if (Kind != OrderKind.Market)
        {
            writer.Add("price"u8, Price, PriceDecimals);
            writer.AddWireName("timeInForce"u8, TimeInForce.WireName());
        }

        if (ReduceOnly)
        {
            writer.Add("reduceOnly"u8, true);
        }

        writer.Add("newClientOrderId"u8, ClientOrderId);
        writer.Add("recvWindow"u8, RecvWindowMs);
        writer.Add("timestamp"u8, TimestampMs);
        writer.AppendSignature(signer);
        return writer.TryComplete(out length, out error);
    }
}
