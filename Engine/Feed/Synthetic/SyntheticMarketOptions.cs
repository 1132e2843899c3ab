namespace Engine.Feed.Synthetic;

/// <summary>One instrument the synthetic source invents a market for.</summary>
public sealed class SyntheticSymbolOptions
{
    public string Name { get; set; } = "";

    /// <summary>First trade price, as the exchange would write it (for example "43210.10").</summary>
    public string StartPrice { get; set; } = "";

    /// <summary>Price increment: the walk moves in whole ticks.</summary>
    public string TickSize { get; set; } = "";

    /// <summary>Quantity increment: trade sizes are whole steps.</summary>
    public string StepSize { get; set; } = "";
}

/// <summary>Settings of the synthetic market-data source.</summary>
public sealed class SyntheticMarketOptions
{
    /// <summary>Events per second across all symbols (trades and quotes).</summary>
    public int EventsPerSecond { get; set; } = 2_000;

    /// <summary>Seed of the random walk: the same seed gives the same market.</summary>
    public ulong Seed { get; set; } = 20_240_718;

    public List<SyntheticSymbolOptions> Symbols { get; set; } = [];

    /// <summary>
    /// Events after which the source stops on its own, as a recorded feed runs out (0: never). Lets a run check
    /// what happens when market data stops arriving.
    /// </summary>
    public long MaxEvents { get; set; }

    /// <summary>The market used when configuration names none: three liquid USD-M perpetuals at 2024-07-18 levels.</summary>
    public static IReadOnlyList<SyntheticSymbolOptions> DefaultSymbols { get; } =
    [
        new() { Name = "BTCUSDT", StartPrice = "64150.10", TickSize = "0.10", StepSize = "0.001" },
        new() { Name = "ETHUSDT", StartPrice = "3432.55", TickSize = "0.01", StepSize = "0.001" },
        new() { Name = "SOLUSDT", StartPrice = "159.4200", TickSize = "0.0100", StepSize = "1" },
    ];
}
