namespace Engine.Model;

/// <summary>The Binance USD-M order types the engine places. Starts at 1 so 0 is detectably unset.</summary>
public enum OrderKind : byte
{
    /// <summary>Resting limit order ("LIMIT").</summary>
    Limit = 1,

    /// <summary>Immediate market order ("MARKET").</summary>
    Market,

    /// <summary>Market order triggered at a stop price, e.g. a stop-loss ("STOP_MARKET").</summary>
    StopMarket,

    /// <summary>Market order triggered at a profit target ("TAKE_PROFIT_MARKET").</summary>
    TakeProfitMarket,
}

/// <summary>Binance wire text for <see cref="OrderKind"/>.</summary>
public static class OrderKindExtensions
{
    private static readonly OrderKind[] s_values = Enum.GetValues<OrderKind>();

    /// <summary>The wire text ("LIMIT", "MARKET", "STOP_MARKET", "TAKE_PROFIT_MARKET") as static UTF-8.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined kind.</exception>
    public static ReadOnlySpan<byte> WireName(this OrderKind kind) => kind switch
    {
        OrderKind.Limit => "LIMIT"u8,
        OrderKind.Market => "MARKET"u8,
        OrderKind.StopMarket => "STOP_MARKET"u8,
        OrderKind.TakeProfitMarket => "TAKE_PROFIT_MARKET"u8,
        _ => WireNames.ThrowUndefined(kind),
    };

    /// <summary>Reads the wire text (exact case) without allocating; other Binance types (e.g. "STOP") are not recognised.</summary>
    public static bool TryParseWire(ReadOnlySpan<byte> utf8, out OrderKind kind) =>
        WireNames.TryParse(utf8, s_values, WireName, out kind);
}
