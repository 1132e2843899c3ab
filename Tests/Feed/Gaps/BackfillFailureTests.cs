using Engine.Control.Health;
using Engine.Control.Metrics;
using Engine.Feed.Gaps;
using Engine.Model;
using Simulator;
using Tests.Control;
using Tests.Feed.WebSocket;

namespace Tests.Feed.Gaps;

/// <summary>
/// When REST cannot fill a gap, the minutes are given up: the symbol's live candles resume after it, the health check
/// and the metrics say how many are missing and where, and the feed carries on. Plus the health and metrics of a good run.
/// </summary>
public sealed class BackfillFailureTests
{
    private const long Minute = CandleContinuity.MinuteMs;

    [Fact]
    public async Task Unfillable_gap_is_counted_missing_reported_and_the_symbol_goes_on()
    {
        await using var h = await FeedHarness.StartAsync(
            new SimulatorOptions { Symbols = 2, Speed = 60, Seed = 11, BackfillMinutes = 10, MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning },
            o =>
            {
                o.BackfillAttempts = 2;
                o.BackoffMin = TimeSpan.FromMilliseconds(50);
                o.BackoffMax = TimeSpan.FromMilliseconds(100);
                o.CandleGrace = TimeSpan.FromSeconds(30);
            });
        var feedHealth = new FeedHealth(h.Feed);
        var candleHealth = new MissingCandlesHealth(h.Feed);
        var victim = h.Ids[0];
        await FeedHarness.UntilAsync(() => h.Record.ClosedCandles(victim).Count >= 1, TimeSpan.FromSeconds(10), "a first closed minute");
        Assert.True(candleHealth.Check().Serving, candleHealth.Check().Detail);
        Assert.True(feedHealth.Check().Serving, feedHealth.Check().Detail);

        var backfilledBefore = h.Feed.Candles.Of(victim, h.Sim.ServerTimeMs).CandlesBackfilled; // a slow start may have filled a minute
        var faultMinute = CandleContinuity.MinuteOf(h.Sim.ServerTimeMs);
        await h.FaultAsync("fail?count=1000&status=503");
        await h.FaultAsync("stall?seconds=2&stream=" + h.Table.NameOf(victim).ToLowerInvariant() + "@kline_1m");
        await FeedHarness.UntilAsync(() => h.Feed.Candles.Of(victim, h.Sim.ServerTimeMs).MinutesGivenUp > 0, TimeSpan.FromSeconds(15), "the gap to be given up");
        var givenUp = h.Feed.Candles.Of(victim, h.Sim.ServerTimeMs).MinutesGivenUp;
        var lastGivenUp = h.Record.ClosedCandles(victim)[^1].Candle.OpenTimeMs;
        await FeedHarness.UntilAsync(() => h.Record.ClosedCandles(victim)[^1].Candle.OpenTimeMs > lastGivenUp + Minute, TimeSpan.FromSeconds(10), "live minutes after the gap");

        var check = candleHealth.Check();
        Assert.False(check.Serving);
        Assert.Contains(h.Table.NameOf(victim) + " " + givenUp, check.Detail, StringComparison.Ordinal);
        Assert.True(feedHealth.Check().Serving, "the connections are fine; only candles are missing");

        var writer = new PrometheusWriter();
        new FeedMetrics(h.Feed).Collect(writer);
        var families = PrometheusText.Parse(writer.ToString());
        var name = h.Table.NameOf(victim);
        // At ×60 a loaded machine may deliver another minute's kline late, so "at least" the given-up ones.
        var victimMissing = PrometheusText.Value(families, "engine_feed_missing_candles", ("symbol", name));
        Assert.True(victimMissing >= givenUp, $"{victimMissing} missing, {givenUp} given up");
        Assert.Equal(givenUp, PrometheusText.Value(families, "engine_feed_candles_given_up_total", ("symbol", name)));
        Assert.Equal(backfilledBefore, PrometheusText.Value(families, "engine_feed_candles_backfilled_total", ("symbol", name)));
        Assert.True(PrometheusText.Value(families, "engine_feed_missing_candles", ("symbol", h.Table.NameOf(h.Ids[1]))) < givenUp);
        Assert.True(PrometheusText.Value(families, "engine_feed_frames_total", ("outcome", "event")) > 100);
        Assert.Equal(1, PrometheusText.Value(families, "engine_feed_connection_up", ("stream", "market-0")));
        Assert.True(PrometheusText.Value(families, "engine_feed_received_bytes_total") > 10_000);

        // The victim's closed minutes are in order with exactly the given-up ones absent.
        var closed = h.Record.ClosedCandles(victim);
        var absent = 0L;
        for (var i = 1; i < closed.Count; i++)
        {
            Assert.True(closed[i].Candle.OpenTimeMs > closed[i - 1].Candle.OpenTimeMs);
            absent += ((closed[i].Candle.OpenTimeMs - closed[i - 1].Candle.OpenTimeMs) / Minute) - 1;
        }

        Assert.Equal(givenUp, absent);
        Assert.DoesNotContain(closed, e => e.Candle.IsBackfilled && e.Candle.OpenTimeMs >= faultMinute);
    }

    [Fact]
    public async Task Health_and_metrics_of_a_clean_run()
    {
        await using var h = await FeedHarness.StartAsync(
            new SimulatorOptions { Symbols = 3, Speed = 30, Seed = 2, BackfillMinutes = 10, MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning },
            o => o.WarmupMinutes = 5);

        // Warm-up: five minutes of history back-filled before the first live minute, marked so.
        await FeedHarness.UntilAsync(() => h.Ids.All(id => h.Record.ClosedCandles(id).Any(e => !e.Candle.IsBackfilled)), TimeSpan.FromSeconds(10), "a live minute per symbol");
        foreach (var id in h.Ids)
        {
            // Five minutes of warm-up, plus the start minute when the first live kline came after it ended (a slow start).
            var closed = h.Record.ClosedCandles(id);
            Assert.Equal(h.Feed.FirstMinuteMs, closed[0].Candle.OpenTimeMs);
            var warm = closed.TakeWhile(e => e.Candle.IsBackfilled).Count();
            Assert.InRange(warm, 5, 6);
            Assert.Equal(warm, h.Feed.Candles.Of(id, h.Sim.ServerTimeMs).CandlesBackfilled);
            Assert.DoesNotContain(closed.SkipWhile(e => e.Candle.IsBackfilled), e => e.Candle.IsBackfilled);
            for (var i = 1; i < closed.Count; i++)
            {
                Assert.Equal(closed[i - 1].Candle.OpenTimeMs + Minute, closed[i].Candle.OpenTimeMs);
            }

            // No trade reached the ring before the warm-up minutes.
            var events = h.Record.Events.Where(e => e.Symbol == id).ToList();
            var firstTrade = events.FindIndex(e => e.Kind == MarketEventKind.Trade);
            var lastWarmup = events.FindLastIndex(e => e.Kind == MarketEventKind.Candle && e.Candle.IsBackfilled);
            Assert.True(firstTrade < 0 || firstTrade > lastWarmup);
        }

        var feed = new FeedHealth(h.Feed).Check();
        Assert.True(feed.Serving, feed.Detail);
        Assert.Contains("2 connections up", feed.Detail, StringComparison.Ordinal);
        var candles = new MissingCandlesHealth(h.Feed).Check();
        Assert.True(candles.Serving, candles.Detail);
        Assert.StartsWith("0 missing", candles.Detail, StringComparison.Ordinal);

        // On a busy machine the live minute can close before a hundred frames have been timed into the ring.
        await FeedHarness.UntilAsync(() => ReceiveToRingCount(h) > 100, TimeSpan.FromSeconds(20), "over 100 frames timed from receive to ring");
        var writer = new PrometheusWriter();
        new FeedMetrics(h.Feed).Collect(writer);
        var families = PrometheusText.Parse(writer.ToString());
        foreach (var id in h.Ids)
        {
            var name = h.Table.NameOf(id);
            Assert.Equal(0, PrometheusText.Value(families, "engine_feed_missing_candles", ("symbol", name)));
            Assert.Equal(h.Feed.Candles.Of(id, h.Sim.ServerTimeMs).CandlesBackfilled, PrometheusText.Value(families, "engine_feed_candles_backfilled_total", ("symbol", name)));
            Assert.Equal(1, PrometheusText.Value(families, "engine_feed_gaps_backfilled_total", ("symbol", name)));
            Assert.InRange(PrometheusText.Value(families, "engine_feed_last_candle_age_seconds", ("symbol", name)), 0, 120);
        }

        Assert.Equal(0, PrometheusText.Value(families, "engine_feed_reconnects_total", ("stream", "market-0"), ("reason", "dropped")));
        Assert.True(PrometheusText.Value(families, "engine_feed_receive_to_ring_seconds_count") > 100);

        await h.Feed.StopAsync();
        Assert.False(new FeedHealth(h.Feed).Check().Serving);
    }

    private static double ReceiveToRingCount(FeedHarness h)
    {
        var writer = new PrometheusWriter();
        new FeedMetrics(h.Feed).Collect(writer);
        return PrometheusText.Value(PrometheusText.Parse(writer.ToString()), "engine_feed_receive_to_ring_seconds_count");
    }
}
