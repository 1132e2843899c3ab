using Engine.Brain;
using Engine.Control.Health;
using Engine.Feed.Parsing;
using Engine.Model;
using Simulator;
using Tests.Brain;
using Tests.Feed.WebSocket;

namespace Tests.Hostile;

/// <summary>
/// A venue sends prices and quantities of zero and below (the simulator's poison switch, over the real WebSocket
/// feed): none of them reaches the ring, each is counted for its reason, the symbol's true events go on, and a brain
/// holding a long with a stop, fed exactly what the ring carried, keeps it. The same brain sells at a price of 0,
/// which is what the refusal prevents.
/// </summary>
public sealed class ZeroPriceTests
{
    [Fact]
    public async Task Zero_and_negative_values_never_reach_the_ring_and_a_held_long_is_kept()
    {
        await using var h = await FeedHarness.StartAsync(
            new SimulatorOptions { Symbols = 3, Speed = 5, Seed = 5, BackfillMinutes = 10, MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning });
        Assert.True(h.Table.TryGet("BNBUSDT"u8, out var bnb));
        await FeedHarness.UntilAsync(() => h.Record.Of(bnb, MarketEventKind.Trade).Count >= 3, TimeSpan.FromSeconds(20), "BNBUSDT trades");

        // One poison per stream at a time (a new one of the same stream replaces the old).
        var refusals = h.Feed.Refusals;
        (string Stream, string Field, string Value, FrameRefusal Reason)[] poisons =
        [
            ("bnbusdt@aggTrade", "p", "0", FrameRefusal.Price),
            ("bnbusdt@aggTrade", "p", "-0", FrameRefusal.Price),
            ("bnbusdt@aggTrade", "p", "0.00000000", FrameRefusal.Price),
            ("bnbusdt@aggTrade", "q", "0", FrameRefusal.Quantity),
            ("bnbusdt@kline_1m", "c", "0", FrameRefusal.Price),
            ("bnbusdt@kline_1m", "l", "-1", FrameRefusal.Price),
            ("bnbusdt@bookTicker", "b", "0", FrameRefusal.Price),
            ("bnbusdt@bookTicker", "A", "0", FrameRefusal.Quantity),
            ("bnbusdt@markPrice@1s", "p", "0", FrameRefusal.Price),
        ];
        foreach (var (stream, field, value, reason) in poisons)
        {
            var before = refusals.Of(reason);
            await h.FaultAsync($"poison?stream={stream}&field={field}&value={value}");
            await FeedHarness.UntilAsync(() => refusals.Of(reason) > before, TimeSpan.FromSeconds(20), $"{stream} {field}={value} refused");
        }

        Assert.Equal(poisons.Length, refusals.Total);
        Assert.Equal(poisons.Length, refusals.Of(bnb));
        Assert.Contains("BNBUSDT", new FeedHealth(h.Feed).Check().Detail, StringComparison.Ordinal);

        // BNBUSDT goes on: trades after the last poison reach the ring.
        var trades = h.Record.Of(bnb, MarketEventKind.Trade).Count;
        await FeedHarness.UntilAsync(() => h.Record.Of(bnb, MarketEventKind.Trade).Count >= trades + 5, TimeSpan.FromSeconds(20), "BNBUSDT trades after the poison");

        // Not one event in the ring carries an impossible price or quantity.
        foreach (var e in h.Record.Events)
        {
            Assert.True(e.Kind switch
            {
                MarketEventKind.Trade => e.Trade.Price.Mantissa > 0 && e.Trade.Quantity.Mantissa > 0,
                MarketEventKind.Candle => e.Candle.Low.Mantissa > 0 && e.Candle.Open.Mantissa > 0 && e.Candle.Close.Mantissa > 0 && e.Candle.High.Mantissa > 0,
                MarketEventKind.Quote => e.Quote.BidPrice.Mantissa > 0 && e.Quote.AskPrice.Mantissa > 0 && e.Quote.BidQuantity.Mantissa > 0 && e.Quote.AskQuantity.Mantissa > 0,
                MarketEventKind.MarkPrice => e.MarkPrice.MarkPrice.Mantissa > 0,
                _ => true,
            }, $"an impossible {e.Kind} of {h.Table.NameOf(e.Symbol)} reached the ring");
        }

        // A brain holding a long with a stop, fed every BNBUSDT trade the ring carried (re-timed into its minute and
        // scaled to its entry price: zero stays zero, a positive price stays positive), keeps the long.
        var d = new BrainDriver(BrainDriver.TestOptions(), 1);
        const int warmup = 40;
        d.Warm(0, warmup, 1);
        var entry = Assert.Single(BrainDriver.Intents(d.Kline(1, warmup, 20)));
        d.Fill(entry, BrainDriver.CloseTime(warmup) + 1);
        Assert.Equal(entry.Quantity, d.Brain.PositionOf(BrainDriver.S(1)));
        var ringTrades = h.Record.Of(bnb, MarketEventKind.Trade);
        var reference = ringTrades[0].Trade.Price.Mantissa;
        var t = BrainDriver.CloseTime(warmup) + 10;
        foreach (var trade in ringTrades)
        {
            var scaled = Price.FromMantissa((long)((decimal)entry.ReferencePrice.Mantissa * trade.Trade.Price.Mantissa / reference));
            Assert.Empty(BrainDriver.Intents(d.Trade(1, t++, scaled)));
        }

        Assert.Equal(entry.Quantity, d.Brain.PositionOf(BrainDriver.S(1)));

        // Behind the parser, the brain refuses such a trade too (counted, never taken as the last price): one trade at 0
        // once sold a held long at market through the engine-watched stop.
        var refusedBefore = d.Brain.Counters[BrainCounter.ImpossibleValues];
        Assert.Empty(BrainDriver.Intents(d.Trade(1, t, Price.Zero)));
        Assert.Equal(refusedBefore + 1, d.Brain.Counters[BrainCounter.ImpossibleValues]);
        Assert.Equal(entry.Quantity, d.Brain.PositionOf(BrainDriver.S(1)));
    }
}
