namespace Simulator;

/// <summary>Per-symbol contract rules the venue enforces and publishes in exchangeInfo.</summary>
internal sealed record SymbolSpec(
    string Symbol,
    string BaseAsset,
    decimal StartPrice,
    decimal TickSize,
    decimal StepSize,
    decimal MinQty,
    decimal MaxQty,
    decimal MarketMaxQty,
    decimal MinNotional,
    int PricePrecision,
    int QuantityPrecision,
    double AnnualVolatility,
    decimal MaintMarginRatio)
{
    public decimal MinPrice => TickSize;

    public decimal MaxPrice => StartPrice * 100m;
}

/// <summary>Twenty liquid USDⓈ-M perpetuals with tick and step sizes as the live venue lists them.</summary>
internal static class SymbolCatalog
{
    public const int Count = 20;

    public static readonly IReadOnlyList<SymbolSpec> All =
    [
        new("BTCUSDT", "BTC", 65000m, 0.10m, 0.001m, 0.001m, 1000m, 120m, 100m, 2, 3, 0.55, 0.004m),
        new("ETHUSDT", "ETH", 3400m, 0.01m, 0.001m, 0.001m, 10000m, 2000m, 20m, 2, 3, 0.65, 0.004m),
        new("BNBUSDT", "BNB", 580m, 0.010m, 0.01m, 0.01m, 100000m, 2000m, 5m, 3, 2, 0.60, 0.005m),
        new("SOLUSDT", "SOL", 150m, 0.0100m, 1m, 1m, 1000000m, 5000m, 5m, 4, 0, 0.85, 0.005m),
        new("XRPUSDT", "XRP", 0.6000m, 0.0001m, 0.1m, 0.1m, 10000000m, 2000000m, 5m, 4, 1, 0.80, 0.005m),
        new("DOGEUSDT", "DOGE", 0.150000m, 0.000010m, 1m, 1m, 50000000m, 30000000m, 5m, 6, 0, 0.95, 0.005m),
        new("ADAUSDT", "ADA", 0.45000m, 0.00010m, 1m, 1m, 10000000m, 1000000m, 5m, 5, 0, 0.85, 0.005m),
        new("AVAXUSDT", "AVAX", 35.0000m, 0.0010m, 1m, 1m, 1000000m, 50000m, 5m, 4, 0, 0.90, 0.005m),
        new("LINKUSDT", "LINK", 18.000m, 0.001m, 0.01m, 0.01m, 1000000m, 50000m, 5m, 3, 2, 0.85, 0.005m),
        new("DOTUSDT", "DOT", 7.000m, 0.001m, 0.1m, 0.1m, 1000000m, 100000m, 5m, 3, 1, 0.80, 0.005m),
        new("LTCUSDT", "LTC", 80.00m, 0.01m, 0.001m, 0.001m, 100000m, 5000m, 20m, 2, 3, 0.75, 0.005m),
        new("BCHUSDT", "BCH", 400.00m, 0.01m, 0.001m, 0.001m, 10000m, 850m, 20m, 2, 3, 0.80, 0.005m),
        new("TRXUSDT", "TRX", 0.12000m, 0.00001m, 1m, 1m, 50000000m, 5000000m, 5m, 5, 0, 0.55, 0.005m),
        new("ATOMUSDT", "ATOM", 8.000m, 0.001m, 0.01m, 0.01m, 1000000m, 30000m, 5m, 3, 2, 0.80, 0.005m),
        new("NEARUSDT", "NEAR", 5.0000m, 0.0010m, 1m, 1m, 1000000m, 150000m, 5m, 4, 0, 0.95, 0.005m),
        new("UNIUSDT", "UNI", 9.0000m, 0.0010m, 1m, 1m, 1000000m, 50000m, 5m, 4, 0, 0.90, 0.005m),
        new("ETCUSDT", "ETC", 25.000m, 0.001m, 0.01m, 0.01m, 1000000m, 50000m, 5m, 3, 2, 0.75, 0.005m),
        new("FILUSDT", "FIL", 5.000m, 0.001m, 0.1m, 0.1m, 1000000m, 100000m, 5m, 3, 1, 0.90, 0.005m),
        new("APTUSDT", "APT", 9.00000m, 0.00010m, 0.1m, 0.1m, 1000000m, 100000m, 5m, 5, 1, 0.95, 0.005m),
        new("ARBUSDT", "ARB", 1.1000m, 0.0001m, 0.1m, 0.1m, 10000000m, 1000000m, 5m, 4, 1, 0.95, 0.005m),
    ];
}
