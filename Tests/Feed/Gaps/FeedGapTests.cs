using System.Globalization;
using Engine.Control.Health;
using Engine.Feed.Gaps;
using Engine.Feed.WebSocket;
using Engine.Model;
using Simulator;
using Tests.Feed.WebSocket;
using Xunit.Abstractions;

namespace Tests.Feed.Gaps;

/// <summary>
/// The feed against the simulator at ×60 (one simulated minute per real second): every WebSocket dropped, one kline
/// stream stalled for three simulated minutes, and the ring's consumer still receives every closed minute of every
/// symbol exactly once, in order, the missed ones back-filled and marked so, each equal to the venue's REST kline.
/// </summary>
public sealed class FeedGapTests(ITestOutputHelper output)
{
    private const long Minute = CandleContinuity.MinuteMs;

    [Fact]
    public async Task Drop_and_stall_leave_every_minute_exactly_once_in_order_with_gaps_backfilled()
    {
        await using var h = await FeedHarness.StartAsync(
            new SimulatorOptions { Symbols = 4, Speed = 60, Seed = 7, BackfillMinutes = 30, MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning },
            o =>
            {
                o.MaxStreamsPerConnection = 6; // 2 symbols per /market connection, so the 4 symbols take 2 + 1 connections
                o.BackoffMin = TimeSpan.FromMilliseconds(2500); // ≥ 75 simulated seconds down: a closed minute is always missed
                o.BackoffMax = TimeSpan.FromMilliseconds(2500);
                o.StaleTimeout = TimeSpan.FromSeconds(5);
                o.CandleGrace = TimeSpan.FromSeconds(30); // half a real second at ×60: the venue's loop steps 1.2 simulated seconds at a time
            });
        Assert.Equal(3, h.Feed.Plan.Count);
        var start = h.Sim.ServerTimeMs;

        // Two simulated minutes of normal running, then every socket dropped.
        await h.UntilVenueTimeAsync(CandleContinuity.MinuteOf(start) + (2 * Minute) + 20_000);
        var dropped = await h.FaultAsync("drop-websockets");
        Assert.Contains("\"dropped\":3", dropped, StringComparison.Ordinal);
        await FeedHarness.UntilAsync(() => h.Feed.Connections.All(c => c.Connected && c.Counters.Reconnects(ReconnectReason.Dropped) + c.Counters.Reconnects(ReconnectReason.Closed) >= 1),
            TimeSpan.FromSeconds(20), "every connection to come back");
        await FeedHarness.UntilAsync(() => h.Ids.All(id => h.Feed.Candles.Of(id, h.Sim.ServerTimeMs).GapsBackfilled >= 1), TimeSpan.FromSeconds(20),
            "the drop's gap to be back-filled on every symbol");

        // One symbol's kline stream stalls for three simulated minutes (3 s at ×60); its trades keep flowing.
        var stalled = h.Ids[0];
        var stalledStream = h.Table.NameOf(stalled).ToLowerInvariant() + "@kline_1m";
        await h.FaultAsync("stall?seconds=3&stream=" + stalledStream);
        var stallStart = h.Sim.ServerTimeMs;
        await h.UntilVenueTimeAsync(stallStart + (5 * Minute));
        await FeedHarness.UntilAsync(() => h.Ids.All(id => !h.Feed.Candles.Of(id, h.Sim.ServerTimeMs).BackfillInFlight), TimeSpan.FromSeconds(10), "back-fills to finish");
        var endVenue = h.Sim.ServerTimeMs;

        // The operators' check holds once the gaps are filled: nothing missing in the last five minutes.
        var health = new MissingCandlesHealth(h.Feed).Check();
        Assert.True(health.Serving, health.Detail);
        await h.StopFeedAsync();

        foreach (var id in h.Ids)
        {
            var closedList = h.Record.ClosedCandles(id);
            output.WriteLine($"{h.Table.NameOf(id)}: {closedList.Count} closed minutes {Time(closedList[0].Candle.OpenTimeMs)}..{Time(closedList[^1].Candle.OpenTimeMs)}, back-filled: "
                + string.Join(" ", closedList.Where(e => e.Candle.IsBackfilled).Select(e => Time(e.Candle.OpenTimeMs)))
                + $"; trades {h.Record.Of(id, MarketEventKind.Trade).Count}, quotes {h.Record.Of(id, MarketEventKind.Quote).Count}, marks {h.Record.Of(id, MarketEventKind.MarkPrice).Count}");
        }

        foreach (var c in h.Feed.Connections)
        {
            output.WriteLine($"{c.Name}: {c.Counters.Published} published, {c.Counters.Duplicates} duplicates, {c.Counters.Held} held, reconnects dropped {c.Counters.Reconnects(ReconnectReason.Dropped)} closed {c.Counters.Reconnects(ReconnectReason.Closed)} stale {c.Counters.Reconnects(ReconnectReason.Stale)}, {c.Counters.Bytes} bytes");
        }

        var firstMinute = h.Feed.FirstMinuteMs;
        Assert.InRange(firstMinute, CandleContinuity.MinuteOf(start) - Minute, CandleContinuity.MinuteOf(start));
        foreach (var id in h.Ids)
        {
            var name = h.Table.NameOf(id);
            var closed = h.Record.ClosedCandles(id);
            Assert.True(closed.Count >= 6, $"{name}: only {closed.Count} closed minutes");
            Assert.Equal(firstMinute, closed[0].Candle.OpenTimeMs);
            for (var i = 1; i < closed.Count; i++)
            {
                Assert.True(closed[i].Candle.OpenTimeMs == closed[i - 1].Candle.OpenTimeMs + Minute,
                    $"{name}: minute {Time(closed[i].Candle.OpenTimeMs)} follows {Time(closed[i - 1].Candle.OpenTimeMs)}");
            }

            Assert.True(closed[^1].Candle.OpenTimeMs >= CandleContinuity.MinuteOf(endVenue) - (2 * Minute), $"{name}: ends at {Time(closed[^1].Candle.OpenTimeMs)}");
            Assert.Contains(closed, e => e.Candle.IsBackfilled); // the drop cost every symbol at least one live minute

            // Each minute, live or back-filled, is the venue's kline for that minute.
            var venue = (await h.Rest.GetKlinesAsync(name, "1m", closed[0].Candle.OpenTimeMs, closed[^1].Candle.OpenTimeMs, 1500)).GetValueOrThrow();
            Assert.Equal(closed.Count, venue.Length);
            for (var i = 0; i < closed.Count; i++)
            {
                var c = closed[i].Candle;
                var k = venue[i];
                Assert.True(k.OpenTime == c.OpenTimeMs && k.Open == c.Open && k.High == c.High && k.Low == c.Low && k.Close == c.Close && k.Volume == c.Volume,
                    $"{name} {Time(c.OpenTimeMs)} (back-filled {c.IsBackfilled}): ring O{c.Open} H{c.High} L{c.Low} C{c.Close} V{c.Volume}, venue O{k.Open} H{k.High} L{k.Low} C{k.Close} V{k.Volume}");
                Assert.Equal(1, c.IntervalMinutes);
            }

            // No trade twice, none out of order.
            var trades = h.Record.Of(id, MarketEventKind.Trade);
            Assert.NotEmpty(trades);
            for (var i = 1; i < trades.Count; i++)
            {
                Assert.True(trades[i].Trade.TradeId > trades[i - 1].Trade.TradeId, $"{name}: trade {trades[i].Trade.TradeId} after {trades[i - 1].Trade.TradeId}");
            }

            var health1 = h.Feed.Candles.Of(id, endVenue);
            Assert.Equal(0, health1.MissingInWindow);
            Assert.True(health1.CandlesBackfilled >= 1);
        }

        // The stalled stream missed at least two whole minutes, all back-filled, after the minute before the stall.
        var stalledCandles = h.Record.ClosedCandles(stalled);
        var inStall = stalledCandles.Where(e => e.Candle.OpenTimeMs >= CandleContinuity.MinuteOf(stallStart) + Minute
            && e.Candle.OpenTimeMs + Minute <= stallStart + (2 * Minute)).ToList();
        Assert.NotEmpty(inStall);
        Assert.All(inStall, e => Assert.True(e.Candle.IsBackfilled, "minute " + Time(e.Candle.OpenTimeMs) + " of the stall came live"));
        Assert.True(h.Feed.Candles.Of(stalled, endVenue).GapsBackfilled >= 2, "the drop and the stall are two gaps");

        // Back-filled minutes of a dropped symbol reached the ring before any trade of a later minute that came after the reconnect.
        foreach (var id in h.Ids.Skip(1))
        {
            var events = h.Record.Events.Where(e => e.Symbol == id).ToList();
            var lastBackfilled = events.FindLastIndex(e => e.Kind == MarketEventKind.Candle && e.Candle.IsBackfilled);
            var backfilledMinute = events[lastBackfilled].Candle.OpenTimeMs;
            var reconnectTrades = events.Take(lastBackfilled).Where(e => e.Kind == MarketEventKind.Trade && CandleContinuity.MinuteOf(e.ExchangeTimeMs) > backfilledMinute);
            Assert.Empty(reconnectTrades);
        }
    }

    private static string Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("HH:mm", CultureInfo.InvariantCulture);
}
