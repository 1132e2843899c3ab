using Engine.Control.Health;
using Engine.Feed;
using Engine.Feed.Parsing;
using Engine.Model;
using Simulator;
using Tests.Feed.WebSocket;

namespace Tests.Hostile;

/// <summary>
/// One absurd id (an aggregate trade id or a book update id of 9·10^18, the simulator's poison switch over the real
/// WebSocket feed) no longer blinds a symbol: it is refused rather than taken as the last id, the symbol's later true
/// trades and quotes reach the ring, and feed health names the symbol. When the absurd id is the first the feed
/// sees (nothing to judge it by), the true ids that follow agree on their range and the symbol re-syncs to it.
/// </summary>
public sealed class PoisonedIdTests
{
    private const string Absurd = "9000000000000000000";

    private static SimulatorOptions Sim() =>
        new() { Symbols = 3, Speed = 5, Seed = 9, BackfillMinutes = 10, MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning };

    [Fact]
    public async Task An_absurd_trade_id_or_book_update_id_is_refused_and_later_true_ones_reach_the_ring()
    {
        await using var h = await FeedHarness.StartAsync(Sim());
        Assert.True(h.Table.TryGet("BNBUSDT"u8, out var bnb));
        await FeedHarness.UntilAsync(
            () => h.Record.Of(bnb, MarketEventKind.Trade).Count >= 3 && h.Record.Of(bnb, MarketEventKind.Quote).Count >= 3,
            TimeSpan.FromSeconds(20), "BNBUSDT trades and quotes");

        await h.FaultAsync($"poison?stream=bnbusdt@aggTrade&field=a&value={Absurd}");
        await h.FaultAsync($"poison?stream=bnbusdt@bookTicker&field=u&value={Absurd}");
        var refusals = h.Feed.Refusals;
        await FeedHarness.UntilAsync(() => refusals.Of(FrameRefusal.Id) >= 2, TimeSpan.FromSeconds(20), "both absurd ids refused");
        Assert.Equal(2, refusals.Of(bnb));
        Assert.Equal(FrameRefusal.Id, refusals.LastOf(bnb).Reason);
        Assert.Contains("BNBUSDT (2, last id)", new FeedHealth(h.Feed).Check().Detail, StringComparison.Ordinal);

        var trades = h.Record.Of(bnb, MarketEventKind.Trade).Count;
        var quotes = h.Record.Of(bnb, MarketEventKind.Quote).Count;
        await FeedHarness.UntilAsync(
            () => h.Record.Of(bnb, MarketEventKind.Trade).Count >= trades + 5 && h.Record.Of(bnb, MarketEventKind.Quote).Count >= quotes + 5,
            TimeSpan.FromSeconds(20), "true BNBUSDT trades and quotes after the absurd ids");

        // No absurd id in the ring, the true ones in order, and no re-sync was needed: the stream went on where it was.
        var ids = h.Record.Of(bnb, MarketEventKind.Trade).Select(e => e.Trade.TradeId).ToList();
        Assert.All(ids, id => Assert.True(id < 1_000_000_000_000L, $"trade id {id} in the ring"));
        Assert.Equal(ids.Order(), ids);
        Assert.All(h.Record.Of(bnb, MarketEventKind.Quote), e => Assert.True(e.Quote.UpdateId < 1_000_000_000_000L));
        Assert.Equal(0, refusals.Resyncs);
        Assert.False(refusals.IsResyncing(bnb));
    }

    [Fact]
    public async Task An_absurd_first_id_is_outvoted_by_the_true_ones_and_the_symbol_resyncs()
    {
        await using var h = await FeedHarness.StartAsync(Sim(), o => o.Streams = FeedStreams.AggTrade | FeedStreams.MarkPrice1s, start: false);
        Assert.True(h.Table.TryGet("BNBUSDT"u8, out var bnb));

        // The first BNBUSDT trade the feed ever sees carries the absurd id: there is no last id to judge it by.
        await h.FaultAsync($"poison?stream=bnbusdt@aggTrade&field=a&value={Absurd}");
        await h.Feed.StartAsync(h.Ids);
        await h.Feed.WaitUntilConnectedAsync(TimeSpan.FromSeconds(20));

        var refusals = h.Feed.Refusals;
        await FeedHarness.UntilAsync(() => refusals.ResyncsOf(bnb) == 1, TimeSpan.FromSeconds(30), "BNBUSDT re-synced");
        Assert.Equal(h.Feed.Options.IdResyncFrames - 1, refusals.Of(FrameRefusal.Id));
        Assert.False(refusals.IsResyncing(bnb));
        Assert.Contains("1 id re-syncs", new FeedHealth(h.Feed).Check().Detail, StringComparison.Ordinal);

        // From the re-sync on, every true trade reaches the ring, in order.
        var after = h.Record.Of(bnb, MarketEventKind.Trade).Count;
        await FeedHarness.UntilAsync(() => h.Record.Of(bnb, MarketEventKind.Trade).Count >= after + 5, TimeSpan.FromSeconds(20), "BNBUSDT trades after the re-sync");
        var ids = h.Record.Of(bnb, MarketEventKind.Trade).Select(e => e.Trade.TradeId).Skip(1).ToList();
        Assert.All(ids, id => Assert.True(id < 1_000_000_000_000L, $"trade id {id} in the ring"));
        Assert.Equal(ids.Order(), ids);
    }
}
