using Engine.Brain;
using Engine.Feed.Gaps;
using Engine.Model;

namespace Tests.Feed.Gaps;

/// <summary>Candle continuity, the health board's arithmetic, and the brain taking a back-filled minute into its history.</summary>
public sealed class CandleContinuityTests
{
    private const long M = CandleContinuity.MinuteMs;
    private const long T0 = 1_700_000_040_000; // a minute boundary

    private static CandleData Kline(long open, bool closed) => new() { OpenTimeMs = open, IsClosed = closed, IntervalMinutes = 1 };

    [Fact]
    public void Next_minute_publishes_repeats_are_duplicates_and_skips_are_gaps()
    {
        var c = new CandleContinuity(T0);
        Assert.Equal(CandleVerdict.Publish, c.Check(Kline(T0, closed: false), T0 + 250));
        c.Commit(Kline(T0, closed: false), T0 + 250);
        Assert.Equal(CandleVerdict.Duplicate, c.Check(Kline(T0, closed: false), T0 + 250)); // same update again
        Assert.Equal(CandleVerdict.Publish, c.Check(Kline(T0, closed: false), T0 + 500));
        Assert.Equal(CandleVerdict.Publish, c.Check(Kline(T0, closed: true), T0 + M));
        c.Commit(Kline(T0, closed: true), T0 + M);
        Assert.Equal(T0, c.LastClosedOpenMs);
        Assert.Equal(CandleVerdict.Duplicate, c.Check(Kline(T0, closed: true), T0 + M));
        Assert.Equal(CandleVerdict.Duplicate, c.Check(Kline(T0, closed: false), T0 + M + 5)); // an update of a closed minute

        // An update of minute +3 while +1 and +2 never closed: the venue sends a close before the next minute's updates.
        Assert.Equal(CandleVerdict.Gap, c.Check(Kline(T0 + (3 * M), closed: false), T0 + (3 * M) + 250));
        Assert.Equal((T0 + M, T0 + (2 * M)), (c.GapFromMs, c.GapToMs));
        Assert.Equal(CandleVerdict.Gap, c.Check(Kline(T0 + (2 * M), closed: true), T0 + (3 * M)));
        Assert.Equal((T0 + M, T0 + M), (c.GapFromMs, c.GapToMs));

        c.AdvanceTo(T0 + (2 * M)); // back-filled up to +2
        Assert.Equal(CandleVerdict.Publish, c.Check(Kline(T0 + (3 * M), closed: false), T0 + (3 * M) + 250));
        Assert.Equal(CandleVerdict.Duplicate, c.Check(Kline(T0 + (2 * M), closed: true), T0 + (3 * M)));
    }

    [Fact]
    public void Board_counts_missing_minutes_in_the_window_after_the_grace()
    {
        var table = new SymbolTable(4);
        var btc = table.Add("BTCUSDT");
        var board = new CandleBoard(table, TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(5));
        board.Track(btc, T0);

        // Minute T0 closes at T0+60 s; its kline is due by T0+65 s.
        Assert.Equal(0, board.Of(btc, T0 + M + 4_000).MissingInWindow);
        Assert.Equal(1, board.Of(btc, T0 + M + 5_000).MissingInWindow);
        board.Closed(btc, T0);
        var h = board.Of(btc, T0 + M + 5_000);
        Assert.Equal(0, h.MissingInWindow);
        Assert.Equal(TimeSpan.FromSeconds(5), h.LastCandleAge);

        // Ten minutes later without a candle: only the window's five count.
        Assert.Equal(5, board.Of(btc, T0 + (11 * M) + 5_000).MissingInWindow);

        // Minutes given up count until they leave the window.
        board.GaveUp(btc, T0 + M, T0 + (2 * M));
        board.Closed(btc, T0 + (3 * M));
        Assert.Equal(2, board.Of(btc, T0 + (4 * M) + 5_000).MissingInWindow);
        Assert.Equal(2, board.Of(btc, T0 + (4 * M) + 5_000).MinutesGivenUp);
        board.Closed(btc, T0 + (9 * M));
        Assert.Equal(0, board.Of(btc, T0 + (10 * M) + 5_000).MissingInWindow);
    }

    [Fact]
    public void The_brain_takes_back_filled_minutes_into_its_history_after_a_partial_live_minute()
    {
        var rules = new SymbolRules[2];
        var brain = new TradingBrain(new BrainOptions { MaxSymbols = 1 }, rules);
        var s = new SymbolId(1);
        var e = default(MarketEvent);

        // Live trades of minute 0 before the connection dropped.
        e.Begin(MarketEventKind.Trade, s, T0 + 1_000, 0);
        e.Trade.Price = Price.FromInteger(100);
        e.Trade.Quantity = Quantity.FromInteger(1);
        e.Trade.TradeId = 1;
        brain.OnEvent(ref e);

        // After the reconnect the feed publishes minutes 0..2 from REST (held trades of minute 3 follow them).
        for (var minute = 0; minute < 3; minute++)
        {
            e.Begin(MarketEventKind.Candle, s, T0 + ((minute + 1) * M) - 1, 0);
            e.Candle = new CandleData
            {
                OpenTimeMs = T0 + (minute * M),
                Open = Price.FromInteger(100 + minute),
                High = Price.FromInteger(105 + minute),
                Low = Price.FromInteger(99 + minute),
                Close = Price.FromInteger(102 + minute),
                Volume = Quantity.FromInteger(7),
                IntervalMinutes = 1,
                IsClosed = true,
                IsBackfilled = true,
            };
            brain.OnEvent(ref e);
        }

        e.Begin(MarketEventKind.Trade, s, T0 + (3 * M) + 500, 0);
        e.Trade.Price = Price.FromInteger(106);
        e.Trade.Quantity = Quantity.FromInteger(1);
        e.Trade.TradeId = 2;
        brain.OnEvent(ref e);

        Assert.Equal(3, brain.Counters[BrainCounter.KlinesApplied]);
        Assert.Equal(0, brain.Counters[BrainCounter.KlinesIgnored]);
        Assert.Equal(3, brain.Counters[BrainCounter.MinutesClosed]);
        Assert.Equal(1, brain.Counters[BrainCounter.CandleMismatches]); // minute 0's one live trade, corrected by the venue's kline
        Assert.Equal(0, brain.Counters[BrainCounter.LateTrades]);
    }
}
