using System.Text.Json.Serialization;
using Engine.Model;

namespace Engine.Exchange.Rest;

// The venue's answers as read by the REST client. Every price, quantity and amount is exact fixed-point; fields the
// engine does not use are not mapped (and unknown fields are ignored), so a new venue field never breaks parsing.

/// <summary>A conditional (algo) order's status. 0 means a status this client does not know.</summary>
public enum AlgoOrderStatus : byte
{
    Unknown = 0,
    New,
    Canceled,
    Triggering,
    Triggered,
    Finished,
    Rejected,
    Expired,
}

/// <summary><c>GET /fapi/v1/time</c>.</summary>
public sealed class ServerTimeResponse
{
    public long ServerTime { get; init; }
}

/// <summary><c>{"code":200,"msg":"success"}</c>-style acknowledgements (marginType, allOpenOrders, algo cancel).</summary>
public sealed class VenueAck
{
    public int Code { get; init; }

    public string? Msg { get; init; }
}

/// <summary>One row of <c>GET /fapi/v1/ticker/24hr</c>.</summary>
public sealed class Ticker24h
{
    public required string Symbol { get; init; }

    public Price PriceChange { get; init; }

    /// <summary>The change in percent (e.g. -1.234), exact.</summary>
    public Price PriceChangePercent { get; init; }

    public Price WeightedAvgPrice { get; init; }

    public Price LastPrice { get; init; }

    public Quantity LastQty { get; init; }

    public Price OpenPrice { get; init; }

    public Price HighPrice { get; init; }

    public Price LowPrice { get; init; }

    /// <summary>Base volume; null when it exceeds the fixed-point range (±92 billion, seen on low-priced contracts).</summary>
    [JsonConverter(typeof(OverflowToNullQuantityJsonConverter))]
    public Quantity? Volume { get; init; }

    /// <summary>Quote volume; null when it exceeds the fixed-point range.</summary>
    [JsonConverter(typeof(OverflowToNullNotionalJsonConverter))]
    public Notional? QuoteVolume { get; init; }

    public long OpenTime { get; init; }

    public long CloseTime { get; init; }

    public long Count { get; init; }
}

/// <summary>One candle of <c>GET /fapi/v1/klines</c>.</summary>
public readonly struct Kline
{
    public long OpenTime { get; init; }

    public Price Open { get; init; }

    public Price High { get; init; }

    public Price Low { get; init; }

    public Price Close { get; init; }

    public Quantity Volume { get; init; }

    public long CloseTime { get; init; }

    public Notional QuoteVolume { get; init; }

    public long TradeCount { get; init; }

    public Quantity TakerBuyVolume { get; init; }

    public Notional TakerBuyQuoteVolume { get; init; }
}

/// <summary>A price level of a book snapshot.</summary>
public readonly record struct BookLevel(Price Price, Quantity Quantity);

/// <summary><c>GET /fapi/v1/depth</c>: bids best first (descending), asks best first (ascending).</summary>
public sealed class OrderBookSnapshot
{
    public long LastUpdateId { get; init; }

    /// <summary>Message time (<c>E</c>).</summary>
    [JsonPropertyName("E")]
    public long EventTime { get; init; }

    /// <summary>Transaction time (<c>T</c>).</summary>
    [JsonPropertyName("T")]
    public long TransactionTime { get; init; }

    public BookLevel[] Bids { get; init; } = [];

    public BookLevel[] Asks { get; init; } = [];
}

/// <summary><c>GET /fapi/v1/ticker/bookTicker</c>.</summary>
public sealed class BookTicker
{
    public required string Symbol { get; init; }

    public Price BidPrice { get; init; }

    public Quantity BidQty { get; init; }

    public Price AskPrice { get; init; }

    public Quantity AskQty { get; init; }

    public long Time { get; init; }
}

/// <summary><c>GET /fapi/v1/premiumIndex</c>: mark price and funding.</summary>
public sealed class PremiumIndex
{
    public required string Symbol { get; init; }

    public Price MarkPrice { get; init; }

    public Price IndexPrice { get; init; }

    public Price EstimatedSettlePrice { get; init; }

    /// <summary>Funding rate as a fraction (0.0001 = 0.01 %); null for delivery contracts, where the venue sends "".</summary>
    [JsonConverter(typeof(OptionalPriceJsonConverter))]
    public Price? LastFundingRate { get; init; }

    /// <summary>Null for delivery contracts, where the venue sends "".</summary>
    [JsonConverter(typeof(OptionalPriceJsonConverter))]
    public Price? InterestRate { get; init; }

    public long NextFundingTime { get; init; }

    public long Time { get; init; }
}

/// <summary>The order object of <c>/fapi/v1/order</c> (POST, DELETE, GET), <c>openOrders</c> and <c>batchOrders</c>.</summary>
public sealed class OrderResponse
{
    public long OrderId { get; init; }

    public required string Symbol { get; init; }

    public OrderStatus Status { get; init; }

    public required string ClientOrderId { get; init; }

    public Price Price { get; init; }

    public Price AvgPrice { get; init; }

    public Quantity OrigQty { get; init; }

    public Quantity ExecutedQty { get; init; }

    public Quantity CumQty { get; init; }

    public Notional CumQuote { get; init; }

    public string? TimeInForce { get; init; }

    /// <summary>Wire type ("LIMIT", "MARKET", …).</summary>
    public string? Type { get; init; }

    public string? OrigType { get; init; }

    public bool ReduceOnly { get; init; }

    public bool ClosePosition { get; init; }

    public Side Side { get; init; }

    public string? PositionSide { get; init; }

    public Price StopPrice { get; init; }

    public string? WorkingType { get; init; }

    public bool PriceProtect { get; init; }

    public string? PriceMatch { get; init; }

    public string? SelfTradePreventionMode { get; init; }

    public long GoodTillDate { get; init; }

    /// <summary>Creation time (GET and openOrders only; 0 otherwise).</summary>
    public long Time { get; init; }

    public long UpdateTime { get; init; }
}

/// <summary>One element of a <c>batchOrders</c> answer: the order, or the error that replaced it (same position as sent).</summary>
public sealed class BatchOrderResult
{
    public BatchOrderResult(OrderResponse order) => Order = order;

    public BatchOrderResult(VenueError error) => Error = error;

    public OrderResponse? Order { get; }

    public VenueError? Error { get; }
}

/// <summary>A position row of <c>GET /fapi/v2/positionRisk</c> or <c>/fapi/v3/positionRisk</c>.</summary>
public sealed class PositionRisk
{
    public required string Symbol { get; init; }

    public string? PositionSide { get; init; }

    /// <summary>Signed: negative for a short.</summary>
    public Quantity PositionAmt { get; init; }

    public Price EntryPrice { get; init; }

    public Price BreakEvenPrice { get; init; }

    public Price MarkPrice { get; init; }

    public Notional UnRealizedProfit { get; init; }

    public Price LiquidationPrice { get; init; }

    public Notional IsolatedMargin { get; init; }

    /// <summary>Signed: negative for a short.</summary>
    public Notional Notional { get; init; }

    public Notional IsolatedWallet { get; init; }

    /// <summary>v3 only.</summary>
    public Notional InitialMargin { get; init; }

    /// <summary>v3 only.</summary>
    public Notional MaintMargin { get; init; }

    /// <summary>v3 only.</summary>
    public string? MarginAsset { get; init; }

    /// <summary>v2 only ("isolated" or "cross").</summary>
    public string? MarginType { get; init; }

    /// <summary>v2 only (sent as a string).</summary>
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public int Leverage { get; init; }

    public long UpdateTime { get; init; }
}

/// <summary>An asset row of <c>GET /fapi/v2|v3/account</c>.</summary>
public sealed class AccountAsset
{
    public required string Asset { get; init; }

    public Notional WalletBalance { get; init; }

    public Notional UnrealizedProfit { get; init; }

    public Notional MarginBalance { get; init; }

    public Notional MaintMargin { get; init; }

    public Notional InitialMargin { get; init; }

    public Notional PositionInitialMargin { get; init; }

    public Notional OpenOrderInitialMargin { get; init; }

    public Notional CrossWalletBalance { get; init; }

    public Notional CrossUnPnl { get; init; }

    public Notional AvailableBalance { get; init; }

    public Notional MaxWithdrawAmount { get; init; }

    public long UpdateTime { get; init; }
}

/// <summary>A position row of <c>GET /fapi/v2|v3/account</c>.</summary>
public sealed class AccountPosition
{
    public required string Symbol { get; init; }

    public string? PositionSide { get; init; }

    public Quantity PositionAmt { get; init; }

    public Notional UnrealizedProfit { get; init; }

    public Notional IsolatedMargin { get; init; }

    public Notional Notional { get; init; }

    public Notional IsolatedWallet { get; init; }

    public Notional InitialMargin { get; init; }

    public Notional MaintMargin { get; init; }

    /// <summary>v2 only.</summary>
    public Price EntryPrice { get; init; }

    /// <summary>v2 only (sent as a string).</summary>
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public int Leverage { get; init; }

    /// <summary>v2 only.</summary>
    public bool Isolated { get; init; }

    public long UpdateTime { get; init; }
}

/// <summary><c>GET /fapi/v2/account</c> or <c>/fapi/v3/account</c>.</summary>
public sealed class AccountInfo
{
    public Notional TotalInitialMargin { get; init; }

    public Notional TotalMaintMargin { get; init; }

    public Notional TotalWalletBalance { get; init; }

    public Notional TotalUnrealizedProfit { get; init; }

    public Notional TotalMarginBalance { get; init; }

    public Notional TotalPositionInitialMargin { get; init; }

    public Notional TotalOpenOrderInitialMargin { get; init; }

    public Notional TotalCrossWalletBalance { get; init; }

    public Notional TotalCrossUnPnl { get; init; }

    public Notional AvailableBalance { get; init; }

    public Notional MaxWithdrawAmount { get; init; }

    /// <summary>v2 only.</summary>
    public bool? CanTrade { get; init; }

    /// <summary>v2 only.</summary>
    public bool? MultiAssetsMargin { get; init; }

    public AccountAsset[] Assets { get; init; } = [];

    public AccountPosition[] Positions { get; init; } = [];
}

/// <summary>A row of <c>GET /fapi/v2/balance</c>.</summary>
public sealed class AccountBalance
{
    public string? AccountAlias { get; init; }

    public required string Asset { get; init; }

    public Notional Balance { get; init; }

    public Notional CrossWalletBalance { get; init; }

    public Notional CrossUnPnl { get; init; }

    public Notional AvailableBalance { get; init; }

    public Notional MaxWithdrawAmount { get; init; }

    public bool MarginAvailable { get; init; }

    public long UpdateTime { get; init; }
}

/// <summary><c>POST /fapi/v1/leverage</c>.</summary>
public sealed class LeverageResponse
{
    public int Leverage { get; init; }

    public Notional MaxNotionalValue { get; init; }

    public required string Symbol { get; init; }
}

/// <summary>A fill of <c>GET /fapi/v1/userTrades</c>.</summary>
public sealed class UserTrade
{
    public long Id { get; init; }

    public long OrderId { get; init; }

    public required string Symbol { get; init; }

    public Side Side { get; init; }

    public string? PositionSide { get; init; }

    public Price Price { get; init; }

    public Quantity Qty { get; init; }

    public Notional QuoteQty { get; init; }

    public Notional RealizedPnl { get; init; }

    public Notional Commission { get; init; }

    public string? CommissionAsset { get; init; }

    public bool Buyer { get; init; }

    public bool Maker { get; init; }

    public long Time { get; init; }
}

/// <summary><c>POST/PUT /fapi/v1/listenKey</c>.</summary>
public sealed class ListenKeyResponse
{
    public string? ListenKey { get; init; }
}

/// <summary>A conditional order of the algo service (<c>/fapi/v1/algoOrder</c>, <c>openAlgoOrders</c>).</summary>
public sealed class AlgoOrderResponse
{
    public long AlgoId { get; init; }

    public string? ClientAlgoId { get; init; }

    public string? AlgoType { get; init; }

    /// <summary>Wire type ("STOP_MARKET", "TAKE_PROFIT", …).</summary>
    public string? OrderType { get; init; }

    public required string Symbol { get; init; }

    public Side Side { get; init; }

    public string? PositionSide { get; init; }

    public string? TimeInForce { get; init; }

    public Quantity Quantity { get; init; }

    public AlgoOrderStatus AlgoStatus { get; init; }

    public Price TriggerPrice { get; init; }

    public Price Price { get; init; }

    public string? WorkingType { get; init; }

    public string? SelfTradePreventionMode { get; init; }

    public string? PriceMatch { get; init; }

    public bool ClosePosition { get; init; }

    public bool PriceProtect { get; init; }

    public bool ReduceOnly { get; init; }

    /// <summary>Trailing orders only; null when the venue sends "".</summary>
    [JsonConverter(typeof(OptionalPriceJsonConverter))]
    public Price? ActivatePrice { get; init; }

    /// <summary>Trailing orders only (percent, e.g. 1 = 1 %); null when the venue sends "".</summary>
    [JsonConverter(typeof(OptionalPriceJsonConverter))]
    public Price? CallbackRate { get; init; }

    public long CreateTime { get; init; }

    public long UpdateTime { get; init; }

    public long TriggerTime { get; init; }

    public long GoodTillDate { get; init; }
}

/// <summary><c>DELETE /fapi/v1/algoOrder</c>.</summary>
public sealed class AlgoCancelResponse
{
    public long AlgoId { get; init; }

    public string? ClientAlgoId { get; init; }

    /// <summary>"200" on success (the venue sends it as a string here).</summary>
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public int Code { get; init; }

    public string? Msg { get; init; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    Converters = [typeof(PriceJsonConverter), typeof(QuantityJsonConverter), typeof(NotionalJsonConverter), typeof(SideJsonConverter),
        typeof(OrderStatusJsonConverter), typeof(AlgoOrderStatusJsonConverter), typeof(KlineJsonConverter), typeof(BookLevelJsonConverter)])]
[JsonSerializable(typeof(ServerTimeResponse))]
[JsonSerializable(typeof(VenueAck))]
[JsonSerializable(typeof(Ticker24h))]
[JsonSerializable(typeof(Ticker24h[]))]
[JsonSerializable(typeof(Kline[]))]
[JsonSerializable(typeof(OrderBookSnapshot))]
[JsonSerializable(typeof(BookTicker))]
[JsonSerializable(typeof(BookTicker[]))]
[JsonSerializable(typeof(PremiumIndex))]
[JsonSerializable(typeof(PremiumIndex[]))]
[JsonSerializable(typeof(OrderResponse))]
[JsonSerializable(typeof(OrderResponse[]))]
[JsonSerializable(typeof(PositionRisk[]))]
[JsonSerializable(typeof(AccountInfo))]
[JsonSerializable(typeof(AccountBalance[]))]
[JsonSerializable(typeof(LeverageResponse))]
[JsonSerializable(typeof(UserTrade[]))]
[JsonSerializable(typeof(ListenKeyResponse))]
[JsonSerializable(typeof(AlgoOrderResponse))]
[JsonSerializable(typeof(AlgoOrderResponse[]))]
[JsonSerializable(typeof(AlgoCancelResponse))]
internal sealed partial class RestJsonContext : JsonSerializerContext;
