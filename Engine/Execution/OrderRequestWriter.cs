using Engine.Exchange.Signing;
using Engine.Model;

namespace Engine.Execution;

/// <summary>
/// The new-order request the engine sends: <c>symbol, side, type, quantity[, price, timeInForce][, reduceOnly],
/// newClientOrderId, newOrderRespType=RESULT, recvWindow, timestamp, signature</c>. RESULT makes the venue answer
/// with the order's state after matching (a market order comes back FILLED with its fills), so the REST answer alone
/// carries fills even when the user-data stream is down; the ledger removes the duplicates the stream adds.
/// </summary>
public static class OrderRequestWriter
{
    /// <summary>Writes and signs; returns the length, or -1 when the buffer is too small or a number is finer than the symbol allows.</summary>
    public static int Write(
        Span<byte> destination, ReadOnlySpan<byte> symbol, Side side, OrderKind kind, TimeInForce timeInForce, Quantity quantity, Price price,
        bool reduceOnly, ReadOnlySpan<byte> clientOrderId, int priceDecimals, int quantityDecimals, long recvWindowMs, long timestampMs,
        IRequestSigner signer)
    {
        if (kind is not (OrderKind.Limit or OrderKind.Market) || quantity.Mantissa <= 0 || (kind == OrderKind.Limit && price.Mantissa <= 0))
        {
            return -1;
        }

        var writer = new QueryWriter(destination);
        writer.Add("symbol"u8, symbol);
        writer.Add("side"u8, side.WireName());
        writer.Add("type"u8, kind.WireName());
        writer.Add("quantity"u8, quantity, quantityDecimals);
        if (kind == OrderKind.Limit)
        {
            writer.Add("price"u8, price, priceDecimals);
            writer.Add("timeInForce"u8, (timeInForce == default ? TimeInForce.Gtc : timeInForce).WireName());
        }

        if (reduceOnly)
        {
            writer.Add("reduceOnly"u8, true);
        }

        writer.Add("newClientOrderId"u8, clientOrderId);
        writer.Add("newOrderRespType"u8, "RESULT"u8);
        writer.Add("recvWindow"u8, recvWindowMs);
        writer.Add("timestamp"u8, timestampMs);
        writer.AppendSignature(signer);
        return writer.TryComplete(out var length, out _) ? length : -1;
    }
}
