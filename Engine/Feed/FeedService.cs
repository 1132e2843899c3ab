using System.Diagnostics;
using Engine.Exchange.Rest;
using Engine.Feed.Gaps;
using Engine.Feed.Parsing;
using Engine.Feed.WebSocket;
using Engine.Model;
using Engine.Ring;
using Microsoft.Extensions.Logging;

namespace Engine.Feed;

/// <summary>One connection's state for health and metrics.</summary>
/// <param name="Name">"market-0", "public-0", ….</param>
/// <param name="Route">Its route.</param>
/// <param name="Streams">Streams it carries.</param>
/// <param name="Symbols">Symbols it carries.</param>
/// <param name="Connected">A subscribed connection is publishing.</param>
/// <param name="Uptime">Since the current connection opened (zero when down).</param>
/// <param name="SinceLastMessage">Since the newest message of any of its symbols (null before the first).</param>
/// <param name="Counters">Its counters.</param>
public readonly record struct FeedConnectionState(
    string Name, StreamRoute Route, int Streams, int Symbols, bool Connected, TimeSpan Uptime, TimeSpan? SinceLastMessage, FeedCounters Counters);

/// <summary>
/// The live market feed: the planned WebSocket connections for the traded symbols, each frame parsed into the ring,
/// candle gaps back-filled from REST. <see cref="StartAsync"/> connects in the background; <see cref="StopAsync"/>
/// returns once nothing more will be published.
/// </summary>
/// <remarks>
/// Composition: symbols (discovered and registered by the caller, see <c>SymbolDiscovery</c>) → <see cref="StreamPlanner"/>
/// (connections under the stream limit, /market and /public routes) → one <c>StreamSession</c> per connection
/// (reconnects, watchdog, make-before-break, duplicates, continuity and hold) → <c>StreamFrameParser</c> → ring.
/// The venue's time (for candle health and the first expected minute) comes from the constructor's <c>venueNowMs</c>,
/// by default the REST client's synchronized clock.
/// </remarks>
public sealed class FeedService : IAsyncDisposable
{
    private readonly FeedOptions _options;
    private readonly RingBuffer<MarketEvent> _ring;
    private readonly SymbolTable _table;
    private readonly BinanceRestClient _rest;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly Func<long> _venueNowMs;
    private readonly FeedStopSignal _stop = new();
    private readonly Lock _gate = new();
    private StreamSession[] _sessions = [];
    private Task[] _running = [];
    private Task _monitor = Task.CompletedTask;
    private CandleBackfiller? _backfiller;
    private int _state; // 0 new, 1 running, 2 stopped

    public FeedService(
        FeedOptions options,
        RingBuffer<MarketEvent> ring,
        SymbolTable symbols,
        BinanceRestClient rest,
        ILoggerFactory loggers,
        Func<long>? venueNowMs = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        FeedOptionsValidator.ThrowIfInvalid(options);
        _options = options;
        _ring = ring ?? throw new ArgumentNullException(nameof(ring));
        _table = symbols ?? throw new ArgumentNullException(nameof(symbols));
        _rest = rest ?? throw new ArgumentNullException(nameof(rest));
        _loggers = loggers ?? throw new ArgumentNullException(nameof(loggers));
        _logger = loggers.CreateLogger<FeedService>();
        _venueNowMs = venueNowMs ?? (() => rest.Clock.NowUnixMs);
        Candles = new CandleBoard(symbols, options.HealthWindow, options.CandleGrace);
        Refusals = new FeedRefusals(symbols);
    }

    /// <summary>Per-symbol candle health (last candle age, missing minutes in the window, back-fills); any thread.</summary>
    public CandleBoard Candles { get; }

    /// <summary>Impossible values refused at the boundary, per reason and per symbol, and id re-syncs; any thread.</summary>
    public FeedRefusals Refusals { get; }

    /// <summary>The name of a symbol of the feed's table.</summary>
    public string SymbolName(SymbolId symbol) => _table.NameOf(symbol);

    /// <summary>The options in force.</summary>
    public FeedOptions Options => _options;

    /// <summary>The connections planned at start.</summary>
    public IReadOnlyList<ConnectionPlan> Plan { get; private set; } = [];

    /// <summary>The first minute whose closed candle the feed delivers for every symbol (venue ms; set at start, warm-up included).</summary>
    public long FirstMinuteMs { get; private set; }

    /// <summary>Whether the feed runs (started and not stopped).</summary>
    public bool IsRunning => Volatile.Read(ref _state) == 1;

    /// <summary>The venue's time now, milliseconds since the epoch (the clock the candle health uses).</summary>
    public long VenueNowMs => _venueNowMs();

    /// <summary>Each connection's state now.</summary>
    public IReadOnlyList<FeedConnectionState> Connections
    {
        get
        {
            var now = Stopwatch.GetTimestamp();
            var sessions = Volatile.Read(ref _sessions);
            var list = new FeedConnectionState[sessions.Length];
            for (var i = 0; i < sessions.Length; i++)
            {
                var s = sessions[i];
                var connected = s.IsConnected;
                var last = s.LastMessageTimestamp;
                list[i] = new FeedConnectionState(
                    s.Plan.Name, s.Plan.Route, s.Plan.Streams.Count, s.Plan.Symbols.Count, connected,
                    connected ? Stopwatch.GetElapsedTime(s.ConnectedSince, now) : TimeSpan.Zero,
                    last == 0 ? null : Stopwatch.GetElapsedTime(last, now),
                    s.Counters);
            }

            return list;
        }
    }

    /// <summary>Starts the connections for <paramref name="symbols"/> (registered in the table, rank order) and returns at once.</summary>
    /// <exception cref="InvalidOperationException">Started before, or no symbols.</exception>
    public Task StartAsync(IReadOnlyList<SymbolId> symbols, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        if (symbols.Count == 0)
        {
            throw new InvalidOperationException("The feed needs at least one symbol.");
        }

        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("The feed was already started; create a new one.");
        }

        Plan = StreamPlanner.Plan(_table, symbols, _options.Streams, _options.MaxStreamsPerConnection);
        var firstMinute = FirstMinuteMs = CandleContinuity.MinuteOf(_venueNowMs()) - ((long)_options.WarmupMinutes * CandleContinuity.MinuteMs);
        var backfiller = _backfiller = new CandleBackfiller(_rest, _options, _loggers.CreateLogger<CandleBackfiller>());
        var sessionLogger = _loggers.CreateLogger<StreamSession>();
        var parserLogger = _loggers.CreateLogger<StreamFrameParser>();
        var sessions = new StreamSession[Plan.Count];
        for (var i = 0; i < sessions.Length; i++)
        {
            var plan = Plan[i];
            // One parser (and its single-writer counters) per connection; the session counts outcomes across connections.
            sessions[i] = new StreamSession(plan, _options, _ring, _table, Candles, backfiller, Refusals,
                () => new StreamFrameParser(_table, new FrameCounters(), parserLogger, new EventTimeWindow(_venueNowMs, _options.MaxEventTimeSkew), Refusals),
                _stop, firstMinute, sessionLogger);
        }

        var streamCount = Plan.Sum(p => p.Streams.Count);
        FeedLog.Starting(_logger, symbols.Count, sessions.Length, streamCount, _options.MaxStreamsPerConnection);
        lock (_gate)
        {
            Volatile.Write(ref _sessions, sessions);
            _running = [.. sessions.Select(s => Task.Run(() => s.RunAsync(_stop.Token), CancellationToken.None))];
            _monitor = Task.Run(MonitorAsync, CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    /// <summary>Waits until every connection is subscribed (tests and start-up reporting).</summary>
    public async Task WaitUntilConnectedAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!Volatile.Read(ref _sessions).All(s => s.IsConnected))
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"Feed connections not all up after {timeout}: "
                    + string.Join(", ", Volatile.Read(ref _sessions).Where(s => !s.IsConnected).Select(s => s.Plan.Name)));
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops every connection and back-fill; once it returns nothing more is published into the ring.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _state, 2) != 1)
        {
            return;
        }

        _stop.Stop();
        var sessions = Volatile.Read(ref _sessions);
        var backfills = new List<Task>();
        foreach (var s in sessions)
        {
            backfills.Add(s.StopAsync()); // under each session's lock: from here on it publishes nothing
        }

        try
        {
            await Task.WhenAll([.. _running, _monitor, .. backfills]).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // the loops end by cancellation; that is the normal way
        }

        if (_logger.IsEnabled(LogLevel.Information))
        {
            var published = sessions.Sum(s => s.Counters.Published);
            var reconnects = sessions.Sum(s => Enum.GetValues<ReconnectReason>().Sum(r => s.Counters.Reconnects(r)));
            FeedLog.Stopped(_logger, published, reconnects, Candles.TotalCandlesBackfilled);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _backfiller?.Dispose();
        _stop.Dispose();
    }

    private async Task MonitorAsync()
    {
        var period = TimeSpan.FromMilliseconds(Math.Clamp(_options.StaleTimeout.TotalMilliseconds / 4, 20, 1000));
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                var now = Stopwatch.GetTimestamp();
                foreach (var s in Volatile.Read(ref _sessions))
                {
                    s.Tick(now);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }
}
