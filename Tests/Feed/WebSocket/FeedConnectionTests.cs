using System.Diagnostics;
using Engine.Feed;
using Engine.Feed.Gaps;
using Engine.Feed.WebSocket;
using Engine.Model;
using Simulator;

namespace Tests.Feed.WebSocket;

/// <summary>The feed's connections against the simulator: splitting, back-off, the watchdog and make-before-break.</summary>
public sealed class FeedConnectionTests
{
    private static SimulatorOptions Sim(int symbols, double speed) => new()
    {
        Symbols = symbols,
        Speed = speed,
        Seed = 3,
        BackfillMinutes = 10,
        MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning,
    };

    [Fact]
    public async Task Streams_split_across_connections_under_the_limit_and_every_symbol_delivers_every_kind()
    {
        await using var h = await FeedHarness.StartAsync(Sim(5, 10), o => o.MaxStreamsPerConnection = 4);

        // /market carries 3 streams per symbol (1 symbol fits under 4), /public 1 (4 symbols fit): 5 + 2 connections.
        Assert.Equal(7, h.Feed.Plan.Count);
        Assert.Equal(5, h.Feed.Plan.Count(p => p.Route == StreamRoute.Market));
        Assert.All(h.Feed.Plan, p => Assert.True(p.Streams.Count <= 4));
        Assert.Equal(20, h.Feed.Plan.Sum(p => p.Streams.Count));
        Assert.Equal(20, h.Feed.Plan.SelectMany(p => p.Streams).Distinct().Count());
        Assert.Contains("\"connections\":7", await h.SimStateAsync(), StringComparison.Ordinal);

        var kinds = new[] { MarketEventKind.Trade, MarketEventKind.Quote, MarketEventKind.Candle, MarketEventKind.MarkPrice };
        await FeedHarness.UntilAsync(
            () => h.Ids.All(id => kinds.All(k => h.Record.Events.Any(e => e.Symbol == id && e.Kind == k))),
            TimeSpan.FromSeconds(15), "every kind of event from every symbol");
        Assert.All(h.Feed.Connections, c => Assert.True(c.Connected && c.Counters.Published > 0, c.Name));
    }

    [Fact]
    public async Task Reconnects_after_each_drop_with_a_growing_jittered_backoff()
    {
        await using var h = await FeedHarness.StartAsync(Sim(1, 1), o =>
        {
            o.Streams = FeedStreams.AggTrade | FeedStreams.MarkPrice1s;
            o.BackoffMin = TimeSpan.FromMilliseconds(200);
            o.BackoffMax = TimeSpan.FromSeconds(5);
            o.BackoffResetAfter = TimeSpan.FromMinutes(5);
        });
        var downTimes = new List<TimeSpan>();
        for (var drop = 0; drop < 3; drop++)
        {
            await h.FaultAsync("drop-websockets");
            var dropped = Stopwatch.GetTimestamp();
            await FeedHarness.UntilAsync(() => !h.Feed.Connections[0].Connected, TimeSpan.FromSeconds(5), "the drop to be noticed");
            await FeedHarness.UntilAsync(() => h.Feed.Connections[0].Connected, TimeSpan.FromSeconds(10), "the reconnect");
            downTimes.Add(Stopwatch.GetElapsedTime(dropped));
        }

        // Attempt n waits in [min·2ⁿ/2, min·2ⁿ]: at least 100, 200 and 400 ms.
        Assert.True(downTimes[0] >= TimeSpan.FromMilliseconds(100), $"first reconnect after {downTimes[0]}");
        Assert.True(downTimes[1] >= TimeSpan.FromMilliseconds(200), $"second reconnect after {downTimes[1]}");
        Assert.True(downTimes[2] >= TimeSpan.FromMilliseconds(400), $"third reconnect after {downTimes[2]}");
        var counters = h.Feed.Connections[0].Counters;
        Assert.Equal(3, counters.Reconnects(ReconnectReason.Dropped) + counters.Reconnects(ReconnectReason.Closed));
        Assert.Equal(4, counters.Connects);
        var before = counters.Published;
        await FeedHarness.UntilAsync(() => counters.Published > before + 5, TimeSpan.FromSeconds(10), "events after the last reconnect");
    }

    [Fact]
    public void Backoff_doubles_up_to_its_ceiling_and_jitters_in_the_upper_half()
    {
        var min = TimeSpan.FromMilliseconds(100);
        var max = TimeSpan.FromSeconds(3);
        Assert.Equal(TimeSpan.FromMilliseconds(100), Backoff.Ceiling(0, min, max));
        Assert.Equal(TimeSpan.FromMilliseconds(800), Backoff.Ceiling(3, min, max));
        Assert.Equal(max, Backoff.Ceiling(5, min, max));
        Assert.Equal(max, Backoff.Ceiling(500, min, max));
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var ceiling = Backoff.Ceiling(attempt, min, max);
            var delays = Enumerable.Range(0, 200).Select(_ => Backoff.Delay(attempt, min, max)).ToList();
            Assert.All(delays, d => Assert.InRange(d, ceiling / 2, ceiling));
            Assert.True(delays.Distinct().Count() > 100, "jitter spreads the delays");
        }
    }

    [Fact]
    public async Task Watchdog_reconnects_when_live_symbols_go_quiet()
    {
        await using var h = await FeedHarness.StartAsync(Sim(2, 5), o =>
        {
            o.StaleTimeout = TimeSpan.FromMilliseconds(600);
            o.BackoffMin = TimeSpan.FromMilliseconds(100);
            o.BackoffMax = TimeSpan.FromMilliseconds(200);
        });
        await FeedHarness.UntilAsync(() => h.Feed.Connections.All(c => c.Counters.Published > 0), TimeSpan.FromSeconds(10), "data on every connection");
        Assert.All(h.Feed.Connections, c => Assert.Equal(0, c.Counters.Reconnects(ReconnectReason.Stale)));

        await h.FaultAsync("stall?seconds=2"); // every market stream silent for 2 s; the sockets stay open
        await Task.Delay(2500);
        await h.Feed.WaitUntilConnectedAsync(TimeSpan.FromSeconds(10));
        Assert.All(h.Feed.Connections, c => Assert.True(c.Counters.Reconnects(ReconnectReason.Stale) >= 1, $"{c.Name}: no stale reconnect"));
        Assert.All(h.Feed.Connections, c => Assert.Equal(0, c.Counters.Reconnects(ReconnectReason.Dropped)));
        var published = h.Feed.Connections.Sum(c => c.Counters.Published);
        await FeedHarness.UntilAsync(() => h.Feed.Connections.Sum(c => c.Counters.Published) > published + 10, TimeSpan.FromSeconds(10), "data after the stall");
    }

    [Fact]
    public async Task Replacement_before_the_age_limit_loses_and_repeats_nothing()
    {
        await using var h = await FeedHarness.StartAsync(Sim(2, 20), o =>
        {
            o.MaxConnectionAge = TimeSpan.FromMilliseconds(1500);
            o.StaleTimeout = TimeSpan.FromSeconds(5);
        });
        await FeedHarness.UntilAsync(() => h.Feed.Connections.All(c => c.Counters.Reconnects(ReconnectReason.MaxAge) >= 2), TimeSpan.FromSeconds(20), "two replacements per connection");
        await h.StopFeedAsync();

        Assert.All(h.Feed.Connections, c =>
        {
            Assert.Equal(0, c.Counters.Reconnects(ReconnectReason.Dropped) + c.Counters.Reconnects(ReconnectReason.Stale));
            Assert.True(c.Counters.Duplicates > 0, $"{c.Name}: the overlap delivered nothing twice to drop");
        });
        foreach (var id in h.Ids)
        {
            // Aggregate trade ids are consecutive per symbol at the venue: none may be missing or repeated.
            var trades = h.Record.Of(id, MarketEventKind.Trade);
            Assert.True(trades.Count > 100);
            for (var i = 1; i < trades.Count; i++)
            {
                Assert.Equal(trades[i - 1].Trade.TradeId + 1, trades[i].Trade.TradeId);
            }

            var quotes = h.Record.Of(id, MarketEventKind.Quote);
            for (var i = 1; i < quotes.Count; i++)
            {
                Assert.True(quotes[i].Quote.UpdateId > quotes[i - 1].Quote.UpdateId);
            }

            var closed = h.Record.ClosedCandles(id);
            for (var i = 1; i < closed.Count; i++)
            {
                Assert.Equal(closed[i - 1].Candle.OpenTimeMs + CandleContinuity.MinuteMs, closed[i].Candle.OpenTimeMs);
            }

            // Only the start may back-fill (the first live kline came a minute after the start minute); no handover may.
            Assert.DoesNotContain(closed.SkipWhile(e => e.Candle.IsBackfilled), e => e.Candle.IsBackfilled);
        }
    }

    [Fact]
    public async Task Nothing_is_published_after_stop_returns()
    {
        await using var h = await FeedHarness.StartAsync(Sim(3, 20));
        await FeedHarness.UntilAsync(() => h.Ring.Cursor > 200, TimeSpan.FromSeconds(10), "events");
        await h.Feed.StopAsync();
        var cursor = h.Ring.Cursor;
        await Task.Delay(500);
        Assert.Equal(cursor, h.Ring.Cursor);
        Assert.False(h.Feed.IsRunning);
    }
}
