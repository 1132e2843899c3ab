using Engine.Exchange.Signing;
using Engine.Model;

namespace Engine.Exchange.Rest;

/// <summary>A new plain order for <c>POST /fapi/v1/order</c> or one element of <c>batchOrders</c> (LIMIT or MARKET; conditional orders go to the algo service).</summary>
public sealed class NewOrderRequest
{
    public required string Symbol { get; init; }

    public required Side Side { get; init; }

    /// <summary><see cref="OrderKind.Limit"/> or <see cref="OrderKind.Market"/>; the venue refuses stop types on this endpoint (-4120).</summary>
    public required OrderKind Type { get; init; }

    /// <summary>Already rounded to the symbol's step; sent in its minimal exact form.</summary>
    public required Quantity Quantity { get; init; }

    /// <summary>Limit price, already rounded to the tick; required for LIMIT.</summary>
    public Price? Price { get; init; }

    /// <summary>Required for LIMIT.</summary>
    public TimeInForce? TimeInForce { get; init; }

    public bool? ReduceOnly { get; init; }

    /// <summary>"BOTH", "LONG" or "SHORT" (hedge mode only); omitted when null.</summary>
    public string? PositionSide { get; init; }

    /// <summary>Unique id (<c>^[\.A-Z\:/a-z0-9_-]{1,36}$</c>) so that an unknown outcome can be reconciled; strongly advised.</summary>
    public string? NewClientOrderId { get; init; }

    /// <summary>Ask for the final state of MARKET/IOC orders in the answer (<c>newOrderRespType=RESULT</c>).</summary>
    public bool ResultResponse { get; init; }

    internal string? Validate()
    {
        if (string.IsNullOrWhiteSpace(Symbol))
        {
            return "symbol is empty";
        }

        if (Type is not (OrderKind.Limit or OrderKind.Market))
        {
            return $"order type {Type} is not accepted by /fapi/v1/order since 2025-12 (-4120); use the algo-order service";
        }

        if (Quantity.Mantissa <= 0)
        {
            return $"quantity {Quantity} is not positive";
        }

        if (Type == OrderKind.Limit && (Price is null || TimeInForce is null))
        {
            return "a LIMIT order needs a price and a time in force";
        }

        if (NewClientOrderId is { Length: > 36 })
        {
            return "newClientOrderId is longer than 36 characters";
        }

        return null;
    }

    internal void Write(ref QueryWriter writer)
    {
        writer.Add("symbol"u8, Symbol);
        writer.Add("side"u8, Side.WireName());
        writer.Add("type"u8, Type.WireName());
        writer.Add("quantity"u8, Quantity, FixedPoint.DecimalsOf(Quantity.Mantissa));
        if (Price is { } price)
        {
            writer.Add("price"u8, price, FixedPoint.DecimalsOf(price.Mantissa));
        }

        if (TimeInForce is { } timeInForce)
        {
            writer.Add("timeInForce"u8, timeInForce.WireName());
        }

        if (ReduceOnly is { } reduceOnly)
        {
            writer.Add("reduceOnly"u8, reduceOnly);
        }

        if (PositionSide is not null)
        {
            writer.Add("positionSide"u8, PositionSide);
        }

        if (NewClientOrderId is not null)
        {
            writer.Add("newClientOrderId"u8, NewClientOrderId);
        }

        if (ResultResponse)
        {
            writer.Add("newOrderRespType"u8, "RESULT"u8);
        }
    }
}

/// <summary>Names one order for cancel or query: by the venue's id or by our client id (exactly one).</summary>
public readonly record struct OrderReference(string Symbol, long? OrderId, string? ClientOrderId)
{
    public static OrderReference ByOrderId(string symbol, long orderId) => new(symbol, orderId, null);

    public static OrderReference ByClientOrderId(string symbol, string clientOrderId) => new(symbol, null, clientOrderId);

    internal string? Validate() =>
        string.IsNullOrWhiteSpace(Symbol) ? "symbol is empty"
        : (OrderId is null) == string.IsNullOrEmpty(ClientOrderId) ? "exactly one of orderId and the client order id must be given"
        : null;

    internal void Write(ref QueryWriter writer, ReadOnlySpan<byte> clientIdName)
    {
        writer.Add("symbol"u8, Symbol);
        if (OrderId is { } id)
        {
            writer.Add("orderId"u8, id);
        }
        else
        {
            writer.Add(clientIdName, ClientOrderId);
        }
    }
}

/// <summary>A conditional order for the algo service (<c>POST /fapi/v1/algoOrder</c>, <c>algoType=CONDITIONAL</c>).</summary>
public sealed class NewAlgoOrderRequest
{
    public required string Symbol { get; init; }

    public required Side Side { get; init; }

    /// <summary>"STOP_MARKET", "TAKE_PROFIT_MARKET", "STOP", "TAKE_PROFIT" or "TRAILING_STOP_MARKET".</summary>
    public required string Type { get; init; }

    /// <summary>Omit with <see cref="ClosePosition"/>.</summary>
    public Quantity? Quantity { get; init; }

    /// <summary>Limit price of STOP / TAKE_PROFIT.</summary>
    public Price? Price { get; init; }

    public Price? TriggerPrice { get; init; }

    public TimeInForce? TimeInForce { get; init; }

    /// <summary>"MARK_PRICE" or "CONTRACT_PRICE" (the venue's default).</summary>
    public string? WorkingType { get; init; }

    public bool? PriceProtect { get; init; }

    public bool? ReduceOnly { get; init; }

    public bool? ClosePosition { get; init; }

    /// <summary>Trailing stop activation price.</summary>
    public Price? ActivatePrice { get; init; }

    /// <summary>Trailing stop callback in percent (0.1–10).</summary>
    public Price? CallbackRate { get; init; }

    public string? PositionSide { get; init; }

    /// <summary>Our id for the algo order, for reconciliation.</summary>
    public string? ClientAlgoId { get; init; }

    internal string? Validate()
    {
        if (string.IsNullOrWhiteSpace(Symbol) || string.IsNullOrWhiteSpace(Type))
        {
            return "symbol and type are required";
        }

        if (Type is not ("STOP_MARKET" or "TAKE_PROFIT_MARKET" or "STOP" or "TAKE_PROFIT" or "TRAILING_STOP_MARKET"))
        {
            return $"'{Type}' is not a conditional order type";
        }

        if (ClientAlgoId is { Length: > 36 })
        {
            return "clientAlgoId is longer than 36 characters";
        }

        return null;
    }

    internal void Write(ref QueryWriter writer)
    {
        writer.Add("algoType"u8, "CONDITIONAL"u8);
        writer.Add("symbol"u8, Symbol);
        writer.Add("side"u8, Side.WireName());
        writer.Add("type"u8, Type);
        if (Quantity is { } quantity)
        {
            writer.Add("quantity"u8, quantity, FixedPoint.DecimalsOf(quantity.Mantissa));
        }

        AddPrice(ref writer, "price"u8, Price);
        AddPrice(ref writer, "triggerPrice"u8, TriggerPrice);
        if (TimeInForce is { } timeInForce)
        {
            writer.Add("timeInForce"u8, timeInForce.WireName());
        }

        if (WorkingType is not null)
        {
            writer.Add("workingType"u8, WorkingType);
        }

        AddBool(ref writer, "priceProtect"u8, PriceProtect);
        AddBool(ref writer, "reduceOnly"u8, ReduceOnly);
        AddBool(ref writer, "closePosition"u8, ClosePosition);
        AddPrice(ref writer, "activatePrice"u8, ActivatePrice);
        AddPrice(ref writer, "callbackRate"u8, CallbackRate);
        if (PositionSide is not null)
        {
            writer.Add("positionSide"u8, PositionSide);
        }

        if (ClientAlgoId is not null)
        {
            writer.Add("clientAlgoId"u8, ClientAlgoId);
        }
    }

    private static void AddPrice(ref QueryWriter writer, ReadOnlySpan<byte> name, Price? value)
    {
        if (value is { } price)
        {
            writer.Add(name, price, FixedPoint.DecimalsOf(price.Mantissa));
        }
    }

    private static void AddBool(ref QueryWriter writer, ReadOnlySpan<byte> name, bool? value)
    {
        if (value is { } flag)
        {
            writer.Add(name, flag);
        }
    }
}

/// <summary>Which order call a pre-signed query is for (see <see cref="BinanceRestClient.SendSignedOrderAsync"/>).</summary>
public enum OrderCall : byte
{
    /// <summary><c>POST /fapi/v1/order</c>, parameters in the form body.</summary>
    New = 1,

    /// <summary><c>DELETE /fapi/v1/order</c>, parameters in the query string.</summary>
    Cancel,

    /// <summary><c>GET /fapi/v1/order</c>, parameters in the query string.</summary>
    Query,
}

/// <summary>Which algo-order call a pre-signed query is for (see <see cref="BinanceRestClient.SendSignedAlgoOrderAsync"/>).</summary>
public enum AlgoOrderCall : byte
{
    /// <summary><c>POST /fapi/v1/algoOrder</c>.</summary>
    New = 1,

    /// <summary><c>GET /fapi/v1/algoOrder</c>.</summary>
    Query,
}

/// <summary>Writes string values as UTF-8 through the query writer (convenience paths only: this allocates the bytes).</summary>
internal static class QueryWriterStrings
{
    public static void Add(this ref QueryWriter writer, ReadOnlySpan<byte> name, string? value) =>
        writer.Add(name, System.Text.Encoding.UTF8.GetBytes(value ?? string.Empty));
}
