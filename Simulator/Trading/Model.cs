namespace Simulator;

/// <summary>A rule violation answered with Binance's HTTP status, code and message.</summary>
internal sealed class VenueException(int status, int code, string message) : Exception(message)
{
    public int Status { get; } = status;

    public int Code { get; } = code;

    public static VenueException Bad(int code, string message) => new(400, code, message);

    public static VenueException Mandatory(string name) =>
        Bad(-1102, $"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.");

    public static VenueException NotRequired(string name) => Bad(-1106, $"Parameter '{name}' sent when not required.");
}

internal sealed class Order
{
    public long OrderId;
    public required string ClientOrderId;
    public required MarketSymbol Symbol;
    public bool IsBuy;
    public required string Type;
    public required string OrigType;
    public string TimeInForce = "GTC";
    public decimal Price;
    public decimal OrigQty;
    public decimal ExecutedQty;
    public decimal CumQuote;
    public string Status = "NEW";
    public bool ReduceOnly;
    public bool ClosePosition;
    public decimal StopPrice;
    public string WorkingType = "CONTRACT_PRICE";
    public bool PriceProtect;
    public long Time;
    public long UpdateTime;
    public long GoodTillDate;
    public string SelfTradePreventionMode = "EXPIRE_MAKER";

    public string Side => IsBuy ? "BUY" : "SELL";

    public decimal Remaining => OrigQty - ExecutedQty;

    public decimal AvgPrice => ExecutedQty == 0 ? 0m : CumQuote / ExecutedQty;

    public bool IsOpen => Status is "NEW" or "PARTIALLY_FILLED";
}

internal sealed class Position
{
    public decimal Amount;
    public decimal EntryPrice;
    public decimal AccumulatedRealized;
    public int Leverage;
    public bool Isolated;
    public long UpdateTime;
}

internal sealed record UserTrade(
    long Id,
    long OrderId,
    string Symbol,
    bool IsBuy,
    decimal Price,
    decimal Qty,
    decimal Commission,
    decimal RealizedPnl,
    bool Maker,
    long Time);

internal sealed class AlgoOrder
{
    public long AlgoId;
    public required string ClientAlgoId;
    public required MarketSymbol Symbol;
    public bool IsBuy;
    public required string OrderType;
    public string TimeInForce = "GTC";
    public decimal Quantity;
    public decimal Price;
    public decimal TriggerPrice;
    public string WorkingType = "CONTRACT_PRICE";
    public bool ClosePosition;
    public bool ReduceOnly;
    public bool PriceProtect;
    public string Status = "NEW";
    public long CreateTime;
    public long UpdateTime;
    public long TriggerTime;
    public long ActualOrderId;
    public string RejectReason = "";

    public string Side => IsBuy ? "BUY" : "SELL";

    public bool IsOpen => Status is "NEW";

    /// <summary>STOP fires when a BUY sees price ≥ trigger (SELL ≤); TAKE_PROFIT the other way round.</summary>
    public bool Fires(decimal price)
    {
        var stop = OrderType is "STOP_MARKET" or "STOP";
        return stop == IsBuy ? price >= TriggerPrice : price <= TriggerPrice;
    }
}

/// <summary>An order as the REST layer parsed and checked it (types and enums valid; filters not yet applied).</summary>
internal sealed class OrderRequest
{
    public required MarketSymbol Symbol;
    public bool IsBuy;
    public required string Type;
    public string TimeInForce = "GTC";
    public decimal? Price;
    public decimal? Quantity;
    public bool ReduceOnly;
    public string? ClientOrderId;
    public bool ResultResponse;
    public long GoodTillDate;
    public string SelfTradePreventionMode = "EXPIRE_MAKER";
}
