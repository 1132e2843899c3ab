using System.Collections.Concurrent;
using Engine.Exchange;
using Engine.Exchange.Rest;
using Engine.Feed;
using Engine.Feed.Discovery;
using Engine.Model;
using Engine.Ring;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Simulator;

namespace Tests.Feed.WebSocket;

/// <summary>The venue's clock as a <see cref="TimeProvider"/>: what a client synchronised with an accelerated simulator sees.</summary>
public sealed class VenueTimeProvider(Func<long> nowMs) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(nowMs());
}

/// <summary>Everything a ring consumer saw, in ring order (the consumer is the ring's only stage).</summary>
public sealed class RingRecord
{
    public ConcurrentQueue<MarketEvent> Events { get; } = new();

    public List<MarketEvent> Of(SymbolId symbol, MarketEventKind kind) =>
        [.. Events.Where(e => e.Symbol == symbol && e.Kind == kind)];

    public List<MarketEvent> ClosedCandles(SymbolId symbol) =>
        [.. Events.Where(e => e.Symbol == symbol && e.Kind == MarketEventKind.Candle && e.Candle.IsClosed)];
}

/// <summary>The ring's consumer: records every event.</summary>
public readonly struct RecordingHandler(RingRecord record) : IEventHandler<MarketEvent>
{
    public void OnEvent(ref MarketEvent data, long sequence, bool endOfBatch) => record.Events.Enqueue(data);
}

/// <summary>
/// A simulator on loopback, the engine's REST client on the venue's clock, symbol discovery, a multi-producer ring
/// with one recording consumer, and a <see cref="FeedService"/> over them. Nothing of ours is replaced.
/// </summary>
public sealed class FeedHarness : IAsyncDisposable
{
    private readonly BatchEventProcessor<MarketEvent, RecordingHandler> _consumer;
    private readonly HttpClient _admin;

    private FeedHarness(SimulatorHost sim, BinanceRestClient rest, SymbolTable table, DiscoveredSymbols discovered,
        IReadOnlyList<SymbolId> ids, RingBuffer<MarketEvent> ring, FeedService feed, RingRecord record,
        BatchEventProcessor<MarketEvent, RecordingHandler> consumer)
    {
        Sim = sim;
        Rest = rest;
        Table = table;
        Discovered = discovered;
        Ids = ids;
        Ring = ring;
        Feed = feed;
        Record = record;
        _consumer = consumer;
        _admin = new HttpClient { BaseAddress = sim.RestBaseUri, Timeout = TimeSpan.FromSeconds(10) };
    }

    public SimulatorHost Sim { get; }

    public BinanceRestClient Rest { get; }

    public SymbolTable Table { get; }

    public DiscoveredSymbols Discovered { get; }

    public IReadOnlyList<SymbolId> Ids { get; }

    public RingBuffer<MarketEvent> Ring { get; }

    public FeedService Feed { get; }

    public RingRecord Record { get; }

    public static FeedOptions Options(SimulatorHost sim, Action<FeedOptions>? configure = null)
    {
        var options = new FeedOptions
        {
            WebSocketBaseAddress = sim.WebSocketBaseUri.ToString(),
            MaxSymbols = sim.Options.Symbols,
            BackoffMin = TimeSpan.FromMilliseconds(100),
            BackoffMax = TimeSpan.FromSeconds(1),
            StaleTimeout = TimeSpan.FromSeconds(2),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            ReconnectHoldTimeout = TimeSpan.FromSeconds(2),
        };
        configure?.Invoke(options);
        return options;
    }

    public static BinanceRestClient RestClient(SimulatorHost sim, ILoggerFactory? logs = null) =>
        new(
            Microsoft.Extensions.Options.Options.Create(new BinanceRestOptions
            {
                BaseAddress = sim.RestBaseUri.ToString().TrimEnd('/'),
                RequestTimeout = TimeSpan.FromSeconds(5),
                ClockSamples = 1,
            }),
            (logs ?? NullLoggerFactory.Instance).CreateLogger<BinanceRestClient>(),
            new ServerClock(new VenueTimeProvider(() => sim.ServerTimeMs)),
            new RateLimitTracker());

    public static async Task<FeedHarness> StartAsync(SimulatorOptions simOptions, Action<FeedOptions>? configure = null, ILoggerFactory? logs = null,
        bool start = true)
    {
        logs ??= NullLoggerFactory.Instance;
        var sim = await SimulatorHost.StartAsync(simOptions);
        var rest = RestClient(sim, logs);
        var options = Options(sim, configure);
        var discovered = await new SymbolDiscovery(rest, options, logs.CreateLogger<SymbolDiscovery>()).DiscoverAsync(CancellationToken.None);
        var table = new SymbolTable(1024);
        var (ids, _) = discovered.Register(table);
        var ring = RingBuffer.CreateMultiProducer<MarketEvent>(1 << 16, new YieldingWaitStrategy());
        var record = new RingRecord();
        var consumer = new BatchEventProcessor<MarketEvent, RecordingHandler>("recorder", ring, ring.NewBarrier(), new RecordingHandler(record));
        ring.AddGatingSequences(consumer.Sequence);
        consumer.Start();
        var feed = new FeedService(options, ring, table, rest, logs, () => sim.ServerTimeMs);
        var harness = new FeedHarness(sim, rest, table, discovered, ids, ring, feed, record, consumer);
        if (start)
        {
            await feed.StartAsync(ids);
            await feed.WaitUntilConnectedAsync(TimeSpan.FromSeconds(20));
        }

        return harness;
    }

    /// <summary>POSTs a fault switch (<c>/_sim/…</c>).</summary>
    public async Task<string> FaultAsync(string actionAndQuery)
    {
        using var response = await _admin.PostAsync("_sim/" + actionAndQuery, null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return body;
    }

    public async Task<string> SimStateAsync() => await _admin.GetStringAsync("_sim/state");

    /// <summary>Waits (real time) until the venue clock reaches <paramref name="venueMs"/>.</summary>
    public async Task UntilVenueTimeAsync(long venueMs, TimeSpan? limit = null)
    {
        var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(60));
        while (Sim.ServerTimeMs < venueMs)
        {
            Assert.True(DateTime.UtcNow < deadline, "the venue clock did not advance");
            await Task.Delay(10);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds.</summary>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan limit, string what)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for " + what);
            await Task.Delay(10);
        }
    }

    /// <summary>Stops the feed and lets the consumer take everything published.</summary>
    public async Task StopFeedAsync()
    {
        await Feed.StopAsync();
        var end = Ring.Cursor;
        await UntilAsync(() => _consumer.Sequence.Value >= end, TimeSpan.FromSeconds(10), "the consumer to drain the ring");
    }

    public async ValueTask DisposeAsync()
    {
        await Feed.DisposeAsync();
        _consumer.Halt();
        _consumer.Join(TimeSpan.FromSeconds(5));
        _admin.Dispose();
        Rest.Dispose();
        await Sim.DisposeAsync();
    }
}
