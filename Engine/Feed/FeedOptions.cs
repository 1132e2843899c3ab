using System.Globalization;
using Microsoft.Extensions.Options;

namespace Engine.Feed;

/// <summary>The per-symbol market streams the feed can subscribe to.</summary>
[Flags]
public enum FeedStreams
{
    None = 0,

    /// <summary><c>&lt;s&gt;@aggTrade</c> (route /market).</summary>
    AggTrade = 1,

    /// <summary><c>&lt;s&gt;@kline_1m</c> (route /market); needed for candle continuity and back-fill.</summary>
    Kline1m = 2,

    /// <summary><c>&lt;s&gt;@bookTicker</c> (route /public).</summary>
    BookTicker = 4,

    /// <summary><c>&lt;s&gt;@markPrice@1s</c> (route /market); also the 1 s heartbeat the stale-stream watchdog relies on.</summary>
    MarkPrice1s = 8,

    All = AggTrade | Kline1m | BookTicker | MarkPrice1s,
}

/// <summary>
/// The market-data feed: where the streams are, how they are split across connections, when a connection is
/// replaced, and which symbols are traded (<c>Engine:Feed</c>).
/// </summary>
public sealed class FeedOptions
{
    public const string Section = "Engine:Feed";

    /// <summary>The venue's hard limit of streams on one connection.</summary>
    public const int VenueStreamLimit = 1024;

    /// <summary>The liquid USDT perpetuals used when discovery fails.</summary>
    public static readonly IReadOnlyList<string> DefaultFallbackSymbols =
    [
        "BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT", "ADAUSDT", "AVAXUSDT", "LINKUSDT", "DOTUSDT",
        "LTCUSDT", "TRXUSDT", "BCHUSDT", "NEARUSDT", "ATOMUSDT", "ETCUSDT", "FILUSDT", "APTUSDT", "OPUSDT", "ARBUSDT",
    ];

    /// <summary>Base address of the market streams; routes (<c>market/</c>, <c>public/</c>) are appended (e.g. <c>wss://fstream.binance.com/</c>, or the simulator's <c>ws://127.0.0.1:PORT/</c>).</summary>
    public string WebSocketBaseAddress { get; set; } = "wss://fstream.binance.com/";

    /// <summary>Use the venue's /market and /public routes; false for hosts without them (the testnet), which take <c>/stream</c>.</summary>
    public bool UseRoutes { get; set; } = true;

    /// <summary>Which streams each symbol gets.</summary>
    public FeedStreams Streams { get; set; } = FeedStreams.All;

    /// <summary>Streams per connection, at most <see cref="VenueStreamLimit"/>; a symbol's streams of one route never straddle two connections.</summary>
    public int MaxStreamsPerConnection { get; set; } = 200;

    /// <summary>Streams per SUBSCRIBE message.</summary>
    public int SubscribeBatchSize { get; set; } = 100;

    /// <summary>Pause between SUBSCRIBE messages (the venue allows 10 client messages per second per connection).</summary>
    public TimeSpan SubscribeInterval { get; set; } = TimeSpan.FromMilliseconds(150);

    /// <summary>How long a connection may live before it is replaced (make-before-break); the venue cuts at 24 h.</summary>
    public TimeSpan MaxConnectionAge { get; set; } = TimeSpan.FromHours(23);

    /// <summary>
    /// How long a replacement connection receives alongside the old one before it takes over; what both delivered is
    /// published once (duplicates are recognised by trade id, book update id, kline time and event time).
    /// </summary>
    public TimeSpan HandoverOverlap { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A symbol that has had messages and then has none for this long makes its connection reconnect.</summary>
    public TimeSpan StaleTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Connect, upgrade and subscribe must finish within this.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>First reconnect delay; doubles per failed attempt up to <see cref="BackoffMax"/>, with jitter.</summary>
    public TimeSpan BackoffMin { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Longest reconnect delay.</summary>
    public TimeSpan BackoffMax { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A connection up this long resets the back-off to <see cref="BackoffMin"/>.</summary>
    public TimeSpan BackoffResetAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Most symbols discovery returns (ranked by 24 h quote volume).</summary>
    public int MaxSymbols { get; set; } = 50;

    /// <summary>
    /// Used (with a warning) when discovery fails; empty means <see cref="DefaultFallbackSymbols"/>. Empty by default
    /// because configuration binding overlays a list element by element instead of replacing it.
    /// </summary>
    public string[] FallbackSymbols { get; set; } = [];

    /// <summary>The fallback list in force: <see cref="FallbackSymbols"/>, or the default 20 when none are configured.</summary>
    public IReadOnlyList<string> EffectiveFallbackSymbols => FallbackSymbols is { Length: > 0 } ? FallbackSymbols : DefaultFallbackSymbols;

    /// <summary>How long a symbol's events are held after a reconnect waiting for its first kline to show whether candles were missed.</summary>
    public TimeSpan ReconnectHoldTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Most events held per symbol while a back-fill runs; beyond it the symbol's events are dropped and counted.</summary>
    public int MaxHeldEventsPerSymbol { get; set; } = 16_384;

    /// <summary>Back-fill requests in flight at once.</summary>
    public int BackfillConcurrency { get; set; } = 4;

    /// <summary>Attempts per back-fill before the minutes are given up as missing.</summary>
    public int BackfillAttempts { get; set; } = 4;

    /// <summary>Longest gap back-filled (minutes); older minutes of a longer gap are counted missing.</summary>
    public int MaxBackfillMinutes { get; set; } = 1500;

    /// <summary>Minutes of history back-filled at start before the first live candle (0 = none): warms the brain's indicators.</summary>
    public int WarmupMinutes { get; set; }

    /// <summary>The window of the missing-candles check (the operators' check: zero missing in it).</summary>
    public TimeSpan HealthWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long after a minute's end its closed kline may take before the minute counts as missing.</summary>
    public TimeSpan CandleGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How far an event time may lie from the venue's clock (synchronized over REST) before the event is refused as
    /// impossible; either way, so a frame arriving this late is refused too.
    /// </summary>
    public TimeSpan MaxEventTimeSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How far a symbol's trade id or book update id may lie from its last one before it is refused as impossible
    /// (per symbol, relative to the last id: the venue's ids grow by small steps).
    /// </summary>
    public long MaxIdJump { get; set; } = 1_000_000_000;

    /// <summary>Consecutive refused ids of one connection that must agree on a new range before the symbol re-syncs to it.</summary>
    public int IdResyncFrames { get; set; } = 3;

    /// <summary>Initial receive buffer per connection; grows (doubling) only for a larger message, and shrinks back after it.</summary>
    public int ReceiveBufferSize { get; set; } = 64 * 1024;

    /// <summary>
    /// Largest market message taken, in bytes. A longer one drops the connection (close 1009, counted as the
    /// reconnect reason <c>message_too_big</c>) and the feed reconnects as usual; the receive buffer never grows past
    /// it. The engine's streams send frames of well under 1 KiB and the venue's largest (the all-market arrays of a few
    /// hundred symbols) are about 200 KiB: 512 KiB leaves room for both.
    /// </summary>
    public int MaxMessageBytes { get; set; } = 512 * 1024;
}

/// <summary>Checks <see cref="FeedOptions"/>; every problem is listed, each naming its setting.</summary>
public sealed class FeedOptionsValidator : IValidateOptions<FeedOptions>
{
    public ValidateOptionsResult Validate(string? name, FeedOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        void Check(bool ok, string setting, string rule)
        {
            if (!ok)
            {
                failures.Add($"{FeedOptions.Section}:{setting} {rule}.");
            }
        }

        Check(Uri.TryCreate(options.WebSocketBaseAddress, UriKind.Absolute, out var uri) && uri.Scheme is "ws" or "wss",
            nameof(FeedOptions.WebSocketBaseAddress), "must be an absolute ws:// or wss:// address");
        Check(options.Streams != FeedStreams.None && (options.Streams & ~FeedStreams.All) == 0, nameof(FeedOptions.Streams),
            "must name at least one of AggTrade, Kline1m, BookTicker, MarkPrice1s");
        Check(options.MaxStreamsPerConnection is >= 1 and <= FeedOptions.VenueStreamLimit, nameof(FeedOptions.MaxStreamsPerConnection),
            string.Create(CultureInfo.InvariantCulture, $"must be 1..{FeedOptions.VenueStreamLimit} (the venue's limit)"));
        Check(options.SubscribeBatchSize is >= 1 and <= FeedOptions.VenueStreamLimit, nameof(FeedOptions.SubscribeBatchSize), "must be 1..1024");
        Check(options.SubscribeInterval >= TimeSpan.FromMilliseconds(100), nameof(FeedOptions.SubscribeInterval),
            "must be at least 100 ms (the venue allows 10 client messages per second)");
        Check(options.MaxConnectionAge > TimeSpan.Zero && options.MaxConnectionAge < TimeSpan.FromHours(24), nameof(FeedOptions.MaxConnectionAge),
            "must be positive and under 24 h (the venue closes connections at 24 h)");
        Check(options.HandoverOverlap >= TimeSpan.Zero && options.HandoverOverlap < options.MaxConnectionAge, nameof(FeedOptions.HandoverOverlap),
            "must be zero or more and shorter than MaxConnectionAge");
        Check(options.StaleTimeout > TimeSpan.Zero, nameof(FeedOptions.StaleTimeout), "must be positive");
        Check(options.ConnectTimeout > TimeSpan.Zero, nameof(FeedOptions.ConnectTimeout), "must be positive");
        Check(options.BackoffMin > TimeSpan.Zero && options.BackoffMax >= options.BackoffMin, nameof(FeedOptions.BackoffMin),
            "must be positive and not above BackoffMax");
        Check(options.BackoffResetAfter > TimeSpan.Zero, nameof(FeedOptions.BackoffResetAfter), "must be positive");
        Check(options.MaxSymbols is >= 1 and <= 4096, nameof(FeedOptions.MaxSymbols), "must be 1..4096");
        Check(options.FallbackSymbols is not null && Array.TrueForAll(options.FallbackSymbols, IsSymbolName), nameof(FeedOptions.FallbackSymbols),
            "must list symbols of A-Z/0-9/_ only (e.g. BTCUSDT), or none for the default list");
        Check(options.ReconnectHoldTimeout > TimeSpan.Zero, nameof(FeedOptions.ReconnectHoldTimeout), "must be positive");
        Check(options.MaxHeldEventsPerSymbol >= 16, nameof(FeedOptions.MaxHeldEventsPerSymbol), "must be at least 16");
        Check(options.BackfillConcurrency is >= 1 and <= 64, nameof(FeedOptions.BackfillConcurrency), "must be 1..64");
        Check(options.BackfillAttempts is >= 1 and <= 20, nameof(FeedOptions.BackfillAttempts), "must be 1..20");
        Check(options.MaxBackfillMinutes is >= 1 and <= 100_000, nameof(FeedOptions.MaxBackfillMinutes), "must be 1..100000");
        Check(options.WarmupMinutes is >= 0 and <= 10_000, nameof(FeedOptions.WarmupMinutes), "must be 0..10000");
        Check(options.HealthWindow >= TimeSpan.FromMinutes(1), nameof(FeedOptions.HealthWindow), "must be at least one minute");
        Check(options.CandleGrace >= TimeSpan.Zero && options.CandleGrace < TimeSpan.FromMinutes(1), nameof(FeedOptions.CandleGrace), "must be 0..60 s");
        Check(options.MaxEventTimeSkew >= TimeSpan.FromSeconds(1) && options.MaxEventTimeSkew <= TimeSpan.FromDays(1), nameof(FeedOptions.MaxEventTimeSkew),
            "must be 1 s..1 day");
        Check(options.MaxIdJump is >= 1000 and <= 1_000_000_000_000_000, nameof(FeedOptions.MaxIdJump), "must be 1000..10^15");
        Check(options.IdResyncFrames is >= 2 and <= 100, nameof(FeedOptions.IdResyncFrames), "must be 2..100");
        Check(options.ReceiveBufferSize is >= 1024 and <= 16 * 1024 * 1024, nameof(FeedOptions.ReceiveBufferSize), "must be 1 KiB..16 MiB");
        Check(options.MaxMessageBytes is >= 4 * 1024 and <= 64 * 1024 * 1024 && options.MaxMessageBytes >= options.ReceiveBufferSize,
            nameof(FeedOptions.MaxMessageBytes), "must be 4 KiB..64 MiB and at least ReceiveBufferSize");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Throws <see cref="OptionsValidationException"/> listing every problem.</summary>
    public static void ThrowIfInvalid(FeedOptions options)
    {
        var result = new FeedOptionsValidator().Validate(null, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(FeedOptions.Section, typeof(FeedOptions), result.Failures);
        }
    }

    private static bool IsSymbolName(string s) =>
        s is { Length: > 0 and <= 32 } && s.All(c => c is (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_');
}
