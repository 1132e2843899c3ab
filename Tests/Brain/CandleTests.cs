using Engine.Brain;
using Engine.Model;

namespace Tests.Brain;

public sealed class CandleTests
{
    [Fact]
    public void Trades_rebuild_every_exchange_minute_exactly()
    {
        var trades = BrainData.XrpEthTrades();
        var expected = BrainData.XrpEthKlines();
        Assert.Equal(12_477, trades.Count);
        Assert.Equal(3_560, expected.Count);

        var built = BuildFromTrades(trades);

        // The last minute is still open after the last trade; close it as the next minute's start would.
        Assert.Equal(expected.Count, built.Count);
        var empty = 0;
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i].SameValues(built[i]), $"minute {i} ({expected[i].OpenTimeMs}): exchange {expected[i]}, built {built[i]}");
            empty += built[i].TradeCount == 0 ? 1 : 0;
        }

        Assert.Equal(1_091, empty);
        Assert.Equal(trades.Count, built.Sum(c => c.TradeCount));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(15)]
    [InlineData(60)]
    public void Higher_intervals_roll_up_like_the_exchange_minutes_grouped(int minutes)
    {
        var oneMinute = BuildFromTrades(BrainData.XrpEthTrades());
        var rollup = new CandleRollup(minutes);
        var rolled = new List<Candle>();
        foreach (var c in oneMinute)
        {
            if (rollup.Add(c, out var r))
            {
                rolled.Add(r);
            }
        }

        // Independent: group the exchange's own 1-minute klines by interval and aggregate in decimal.
        var interval = minutes * 60_000L;
        var expected = BrainData.XrpEthKlines()
            .GroupBy(k => k.OpenTimeMs - (k.OpenTimeMs % interval))
            .Where(g => g.Last().OpenTimeMs + 60_000 == g.Key + interval)
            .Select(g => (Open: g.Key, O: g.First().Open, H: g.Max(k => k.High.Mantissa), L: g.Min(k => k.Low.Mantissa),
                C: g.Last().Close, V: g.Sum(k => (decimal)k.Volume.Mantissa)))
            .ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Count, rolled.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            var e = expected[i];
            var r = rolled[i];
            Assert.Equal(e.Open, r.OpenTimeMs);
            Assert.Equal(e.O, r.Open);
            Assert.Equal(e.H, r.High.Mantissa);
            Assert.Equal(e.L, r.Low.Mantissa);
            Assert.Equal(e.C, r.Close);
            Assert.Equal(e.V, r.Volume.Mantissa);
        }
    }

    [Fact]
    public void An_open_minute_closes_with_the_exchange_kline_and_a_disagreement_is_corrected()
    {
        var builder = default(MinuteCandleBuilder);
        Assert.True(builder.AddTrade(60_000, BrainData.P("10"), BrainData.Q("1")));
        Assert.True(builder.AddTrade(60_000, BrainData.P("11"), BrainData.Q("2")));

        var kline = new Candle(60_000, BrainData.P("10"), BrainData.P("12"), BrainData.P("10"), BrainData.P("12"), BrainData.Q("4"), 3);
        Assert.False(builder.TryCloseBefore(60_000, out _));
        Assert.Equal(KlineOutcome.ClosedCorrected, builder.ApplyExchangeKline(kline, out var closed));
        Assert.Equal(kline, closed);
        Assert.False(builder.HasCurrent);

        // A late trade of the closed minute is refused; the same kline again agrees; an older one is stale.
        Assert.False(builder.AddTrade(60_000, BrainData.P("13"), BrainData.Q("1")));
        Assert.Equal(KlineOutcome.AlreadyClosedMatch, builder.ApplyExchangeKline(kline, out _));
        Assert.Equal(KlineOutcome.AlreadyClosedMismatch, builder.ApplyExchangeKline(kline with { Volume = BrainData.Q("5") }, out _));
        Assert.Equal(KlineOutcome.Stale, builder.ApplyExchangeKline(kline with { OpenTimeMs = 0 }, out _));
    }

    [Fact]
    public void A_kline_after_a_gap_closes_the_gap_with_empty_minutes_first()
    {
        var builder = default(MinuteCandleBuilder);
        builder.AddTrade(0, BrainData.P("10"), BrainData.Q("1"));
        var kline = new Candle(180_000, BrainData.P("9"), BrainData.P("9"), BrainData.P("8"), BrainData.P("8"), BrainData.Q("1"), 1);
        var closed = new List<Candle>();
        while (builder.TryCloseBefore(kline.OpenTimeMs, out var c))
        {
            closed.Add(c);
        }

        Assert.Equal(KlineOutcome.Closed, builder.ApplyExchangeKline(kline, out var taken));
        closed.Add(taken);
        Assert.Equal([0L, 60_000, 120_000, 180_000], closed.Select(c => c.OpenTimeMs));
        Assert.Equal(Candle.Empty(60_000, BrainData.P("10")), closed[1]);
        Assert.Equal(Candle.Empty(120_000, BrainData.P("10")), closed[2]);
    }

    [Fact]
    public void A_trade_minutes_after_a_minute_closed_by_its_kline_closes_the_quiet_minutes_empty_first()
    {
        var builder = default(MinuteCandleBuilder);
        builder.AddTrade(0, BrainData.P("10"), BrainData.Q("1"));
        var kline = new Candle(0, BrainData.P("10"), BrainData.P("11"), BrainData.P("9"), BrainData.P("10.5"), BrainData.Q("3"), 3);
        Assert.Equal(KlineOutcome.ClosedCorrected, builder.ApplyExchangeKline(kline, out _));
        Assert.False(builder.HasCurrent);

        var closed = new List<Candle>();
        while (builder.TryCloseBefore(180_000, out var c))
        {
            closed.Add(c);
        }

        Assert.True(builder.AddTrade(180_000, BrainData.P("12"), BrainData.Q("1")));
        Assert.Equal([Candle.Empty(60_000, BrainData.P("10.5")), Candle.Empty(120_000, BrainData.P("10.5"))], closed);
        Assert.Equal(0, builder.SkippedMinutes);
    }

    [Fact]
    public void A_silence_longer_than_a_day_closes_its_last_day_empty_and_counts_the_minutes_before_as_skipped()
    {
        var builder = default(MinuteCandleBuilder);
        builder.AddTrade(0, BrainData.P("10"), BrainData.Q("1"));
        const long days = 30;
        var resume = days * 1440 * Candle.MinuteMs;
        var closed = new List<Candle>();
        while (builder.TryCloseBefore(resume, out var c))
        {
            closed.Add(c);
        }

        Assert.Equal(1 + MinuteCandleBuilder.MaxEmptyMinutes, closed.Count);
        Assert.Equal(0, closed[0].OpenTimeMs);
        Assert.Equal(resume - (MinuteCandleBuilder.MaxEmptyMinutes * Candle.MinuteMs), closed[1].OpenTimeMs);
        Assert.Equal(resume - Candle.MinuteMs, closed[^1].OpenTimeMs);
        Assert.All(closed.Skip(1), c => Assert.Equal(Candle.Empty(c.OpenTimeMs, BrainData.P("10")), c));
        Assert.Equal((days * 1440) - 1 - MinuteCandleBuilder.MaxEmptyMinutes, builder.SkippedMinutes);
        Assert.True(builder.AddTrade(resume, BrainData.P("11"), BrainData.Q("1")));
    }

    [Fact]
    public void A_minute_volume_past_the_fixed_point_range_stays_at_the_largest_value()
    {
        var builder = default(MinuteCandleBuilder);
        builder.AddTrade(0, BrainData.P("10"), Quantity.FromMantissa(long.MaxValue - 5));
        builder.AddTrade(0, BrainData.P("10"), Quantity.FromMantissa(100));
        Assert.True(builder.TryCloseBefore(60_000, out var minute));
        Assert.Equal(long.MaxValue, minute.Volume.Mantissa);
    }

    [Fact]
    public void Adding_a_trade_without_closing_earlier_minutes_is_refused_loudly()
    {
        var builder = default(MinuteCandleBuilder);
        builder.AddTrade(0, BrainData.P("10"), BrainData.Q("1"));
        Assert.Throws<InvalidOperationException>(() => builder.AddTrade(120_000, BrainData.P("10"), BrainData.Q("1")));
    }

    [Fact]
    public void The_brain_counts_a_kline_that_disagrees_with_its_trades()
    {
        var brain = new TradingBrain(new BrainOptions { MaxSymbols = 4 }, []);
        var symbol = new SymbolId(1);
        var trade = BrainData.TradeEvent(symbol, 60_500, BrainData.P("10"), BrainData.Q("1"));
        brain.OnEvent(ref trade);
        var kline = BrainData.KlineEvent(symbol, new Candle(60_000, BrainData.P("10"), BrainData.P("10"), BrainData.P("10"), BrainData.P("10"), BrainData.Q("2"), 2));
        brain.OnEvent(ref kline);
        Assert.True((kline.Notes & BrainNotes.CandleMismatch) != 0);
        Assert.Equal(1, brain.Counters[BrainCounter.CandleMismatches]);
        Assert.Equal(1, brain.Counters[BrainCounter.MinutesClosed]);
    }

    internal static List<Candle> BuildFromTrades(List<BrainData.Trade> trades)
    {
        var builder = default(MinuteCandleBuilder);
        var built = new List<Candle>();
        foreach (var t in trades)
        {
            var minute = MinuteCandleBuilder.MinuteOf(t.TimeMs);
            while (builder.TryCloseBefore(minute, out var closed))
            {
                built.Add(closed);
            }

            Assert.True(builder.AddTrade(minute, t.Price, t.Amount));
        }

        if (builder.HasCurrent && builder.TryCloseBefore(builder.CurrentOpenTimeMs + Candle.MinuteMs, out var last))
        {
            built.Add(last);
        }

        return built;
    }
}

public sealed class SignalIntervalTests
{
    [Theory]
    [InlineData(1, 4_320)]
    [InlineData(5, 864)]
    [InlineData(15, 288)]
    public void The_strategy_reads_each_completed_candle_of_the_signal_interval(int minutes, int candles)
    {
        var brain = new TradingBrain(new BrainOptions { MaxSymbols = 1, SignalIntervalMinutes = minutes }, []);
        foreach (var c in BrainData.BtcUsdtKlines())
        {
            var e = BrainData.KlineEvent(new SymbolId(1), c);
            brain.OnEvent(ref e);
        }

        // The first 33 candles of the interval build the indicators' history (MACD 26 + signal 9 − 2).
        Assert.Equal(4_320, brain.Counters[BrainCounter.MinutesClosed]);
        Assert.Equal(candles - 33, brain.Counters[BrainCounter.Evaluations]);
        Assert.Equal(4_320, brain.Counters[BrainCounter.KlinesApplied]);
        Assert.Equal(0, brain.Counters[BrainCounter.CandleMismatches]);
    }
}

public sealed class KlineReconciliationTests
{
    [Theory]
    [InlineData(-1, 0)]
    [InlineData(1_234, 1)]
    public void Real_trades_and_klines_together_agree_minute_for_minute(int alteredMinute, int mismatches)
    {
        var trades = BrainData.XrpEthTrades();
        var klines = BrainData.XrpEthKlines();
        if (alteredMinute >= 0)
        {
            // A minute with trades: an empty one has nothing built here to disagree with.
            while (klines[alteredMinute].Volume.IsZero)
            {
                alteredMinute++;
            }

            klines[alteredMinute] = klines[alteredMinute] with { Volume = klines[alteredMinute].Volume + BrainData.Q("1") };
        }

        var brain = new TradingBrain(new BrainOptions { MaxSymbols = 1 }, []);
        var symbol = new SymbolId(1);
        var k = 0;
        var notes = BrainNotes.None;
        foreach (var t in trades)
        {
            // Each kline arrives when its minute ends, before any later trade (as the exchange's stream does).
            while (k < klines.Count && klines[k].OpenTimeMs + Candle.MinuteMs <= t.TimeMs)
            {
                var ke = BrainData.KlineEvent(symbol, klines[k++]);
                brain.OnEvent(ref ke);
                notes |= ke.Notes;
            }

            var te = BrainData.TradeEvent(symbol, t.TimeMs, t.Price, t.Amount);
            brain.OnEvent(ref te);
        }

        while (k < klines.Count)
        {
            var ke = BrainData.KlineEvent(symbol, klines[k++]);
            brain.OnEvent(ref ke);
            notes |= ke.Notes;
        }

        Assert.Equal(3_560, brain.Counters[BrainCounter.MinutesClosed]);
        Assert.Equal(3_560, brain.Counters[BrainCounter.KlinesApplied]);
        Assert.Equal(0, brain.Counters[BrainCounter.KlinesIgnored]);
        Assert.Equal(0, brain.Counters[BrainCounter.LateTrades]);
        Assert.Equal(mismatches, brain.Counters[BrainCounter.CandleMismatches]);
        Assert.Equal(mismatches > 0, (notes & BrainNotes.CandleMismatch) != 0);
    }
}
