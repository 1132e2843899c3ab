using System.Collections.Frozen;
using Engine.Model;

namespace Engine.Exchange.Rules;

/// <summary>A symbol's trading state (exchangeInfo <c>status</c>); anything the venue adds later parses as <see cref="Unknown"/>.</summary>
public enum SymbolStatus : byte
{
    Unknown = 0,
    PendingTrading,
    Trading,
    PreDelivering,
    Delivering,
    Delivered,
    PreSettle,
    Settling,
    Close,
}

/// <summary>The contract's kind (exchangeInfo <c>contractType</c>); an empty or new value parses as <see cref="Unknown"/>.</summary>
public enum ContractType : byte
{
    Unknown = 0,
    Perpetual,
    CurrentMonth,
    NextMonth,
    CurrentQuarter,
    NextQuarter,
    PerpetualDelivering,
}

/// <summary>What a rate limit counts.</summary>
public enum RateLimitType : byte
{
    Unknown = 0,
    RequestWeight,
    Orders,
    RawRequests,
}

/// <summary>One entry of exchangeInfo <c>rateLimits</c>: at most <see cref="Limit"/> per <see cref="Window"/>.</summary>
public readonly record struct RateLimit(RateLimitType Type, TimeSpan Window, int IntervalNum, char IntervalLetter, int Limit)
{
    /// <summary>The response header that reports usage against this limit, e.g. <c>X-MBX-USED-WEIGHT-1M</c>, <c>X-MBX-ORDER-COUNT-10S</c>.</summary>
    public string HeaderName => Type switch
    {
        RateLimitType.RequestWeight => $"X-MBX-USED-WEIGHT-{IntervalNum}{IntervalLetter}",
        RateLimitType.Orders => $"X-MBX-ORDER-COUNT-{IntervalNum}{IntervalLetter}",
        _ => string.Empty,
    };
}

/// <summary>One symbol of exchangeInfo: its identity, state and the filters orders must pass.</summary>
public sealed class SymbolInfo
{
    public required string Symbol { get; init; }
    public required string Pair { get; init; }
    public required ContractType ContractType { get; init; }
    public required SymbolStatus Status { get; init; }
    public required string BaseAsset { get; init; }
    public required string QuoteAsset { get; init; }
    public required string MarginAsset { get; init; }

    /// <summary>The filters as exact values; bounds the venue did not send are zero (not enforced).</summary>
    public required SymbolRules Rules { get; init; }

    /// <summary>Order types the venue lists for the symbol (LIMIT, MARKET, STOP_MARKET, …).</summary>
    public required IReadOnlyList<string> OrderTypes { get; init; }

    /// <summary>Time-in-force values the venue lists for the symbol.</summary>
    public required IReadOnlyList<string> TimeInForce { get; init; }

    /// <summary>Filter types present that this engine does not interpret (ignored, as the venue's docs ask).</summary>
    public required IReadOnlyList<string> IgnoredFilters { get; init; }

    /// <summary>True for a USDT-margined perpetual that is trading now: what the engine may trade.</summary>
    public bool IsTradingUsdtPerpetual =>
        Status == SymbolStatus.Trading && ContractType == ContractType.Perpetual && MarginAsset == "USDT" && QuoteAsset == "USDT";

    public override string ToString() => $"{Symbol} ({ContractType}, {Status})";
}

/// <summary>A parsed <c>GET /fapi/v1/exchangeInfo</c> response.</summary>
public sealed class ExchangeInfo
{
    private readonly FrozenDictionary<string, SymbolInfo> _bySymbol;

    public ExchangeInfo(long serverTimeMs, IReadOnlyList<RateLimit> rateLimits, IReadOnlyList<SymbolInfo> symbols)
    {
        ArgumentNullException.ThrowIfNull(rateLimits);
        ArgumentNullException.ThrowIfNull(symbols);
        ServerTimeMs = serverTimeMs;
        RateLimits = rateLimits;
        Symbols = symbols;
        var map = new Dictionary<string, SymbolInfo>(symbols.Count, StringComparer.Ordinal);
        foreach (var symbol in symbols)
        {
            if (!map.TryAdd(symbol.Symbol, symbol))
            {
                throw new ExchangeInfoFormatException($"exchangeInfo lists symbol {symbol.Symbol} twice.");
            }
        }

        _bySymbol = map.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The venue's clock when it answered (informational; the clock offset comes from <c>/fapi/v1/time</c>).</summary>
    public long ServerTimeMs { get; }

    public IReadOnlyList<RateLimit> RateLimits { get; }

    public IReadOnlyList<SymbolInfo> Symbols { get; }

    public bool TryGetSymbol(string symbol, out SymbolInfo info) => _bySymbol.TryGetValue(symbol, out info!);
}

/// <summary>An exchangeInfo response that cannot be used, with where and why.</summary>
public sealed class ExchangeInfoFormatException : FormatException
{
    public ExchangeInfoFormatException(string message)
        : base(message)
    {
    }

    public ExchangeInfoFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public ExchangeInfoFormatException()
    {
    }
}
