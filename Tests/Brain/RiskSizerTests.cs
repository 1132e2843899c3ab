using Engine.Brain;
using Engine.Model;
using static Tests.Brain.BrainData;

namespace Tests.Brain;

/// <summary>Risk sizing with USD-M BTCUSDT's real filters; every expected figure is worked out in the comment beside it.</summary>
public sealed class RiskSizerTests
{
    private static readonly Notional s_equity = Notional.Parse("10000"u8);
    private static readonly Price s_price = P("7200.00");

    [Fact]
    public void Risks_two_percent_over_an_atr_stop_rounded_down_to_the_step()
    {
        var sizer = new RiskSizer(new BrainOptions());
        // stop = 2 × 15.123 = 30.246 → up to the tick: 30.25; risk 200 / 30.25 = 6.6115702... → step 0.001: 6.611.
        Assert.Equal(RefusalReason.None, sizer.Size(s_equity, 15.123, s_price, BtcUsdtRules, out var quantity, out var stop));
        Assert.Equal(P("30.25"), stop);
        Assert.Equal(Q("6.611"), quantity);
    }

    [Fact]
    public void Is_capped_by_leverage()
    {
        var sizer = new RiskSizer(new BrainOptions { Leverage = 2 });
        // cap 10000 × 2 = 20000 / 7200 = 2.7777... → 2.777 (risk alone would buy 6.611).
        Assert.Equal(RefusalReason.None, sizer.Size(s_equity, 15.123, s_price, BtcUsdtRules, out var quantity, out _));
        Assert.Equal(Q("2.777"), quantity);
    }

    [Fact]
    public void Is_capped_by_the_max_notional_option()
    {
        var sizer = new RiskSizer(new BrainOptions { MaxNotionalPerPosition = 10_000m });
        // 10000 / 7200 = 1.3888... → 1.388.
        Assert.Equal(RefusalReason.None, sizer.Size(s_equity, 15.123, s_price, BtcUsdtRules, out var quantity, out _));
        Assert.Equal(Q("1.388"), quantity);
    }

    [Fact]
    public void Is_capped_by_the_symbols_max_quantity()
    {
        var rules = BtcUsdtRules with { MarketMaxQuantity = Q("0.5") };
        Assert.Equal(RefusalReason.None, new RiskSizer(new BrainOptions()).Size(s_equity, 15.123, s_price, rules, out var quantity, out _));
        Assert.Equal(Q("0.5"), quantity);
    }

    [Fact]
    public void Refuses_below_min_quantity_and_min_notional_with_the_reason()
    {
        var sizer = new RiskSizer(new BrainOptions());
        // equity 1: risk 0.02 / 30.25 = 0.00066 → step: 0 → below min quantity 0.001.
        Assert.Equal(RefusalReason.BelowMinQuantity, sizer.Size(Notional.Parse("1"u8), 15.123, s_price, BtcUsdtRules, out var q, out _));
        Assert.True(q.IsZero);
        // equity 10: 0.2 / 30.25 = 0.0066 → 0.006; × 7200 = 43.2 < a min notional of 100.
        var rules = BtcUsdtRules with { MinNotional = Notional.Parse("100"u8) };
        Assert.Equal(RefusalReason.BelowMinNotional, sizer.Size(Notional.Parse("10"u8), 15.123, s_price, rules, out q, out _));
        Assert.True(q.IsZero);
        // The same with the real min notional of 5 is fine.
        Assert.Equal(RefusalReason.None, sizer.Size(Notional.Parse("10"u8), 15.123, s_price, BtcUsdtRules, out q, out _));
        Assert.Equal(Q("0.006"), q);
    }

    [Fact]
    public void Refuses_without_rules_or_without_a_stop()
    {
        var sizer = new RiskSizer(new BrainOptions());
        Assert.Equal(RefusalReason.NoSymbolRules, sizer.Size(s_equity, 15.123, s_price, default, out _, out _));
        Assert.Equal(RefusalReason.NoStopDistance, sizer.Size(s_equity, 0, s_price, BtcUsdtRules, out _, out _));
        Assert.Equal(RefusalReason.NoStopDistance, sizer.Size(s_equity, double.NaN, s_price, BtcUsdtRules, out _, out _));
    }

    [Fact]
    public void Uses_the_limit_lot_size_when_the_venue_sends_no_market_lot_size()
    {
        var rules = BtcUsdtRules with { MarketStepSize = default, MarketMinQuantity = default, MarketMaxQuantity = default, StepSize = Q("0.01") };
        Assert.Equal(RefusalReason.None, new RiskSizer(new BrainOptions()).Size(s_equity, 15.123, s_price, rules, out var quantity, out _));
        Assert.Equal(Q("6.61"), quantity);
    }

    [Fact]
    public void Options_that_cannot_work_are_named()
    {
        var failures = new BrainOptions { RiskPerTrade = 0, MaxPositions = 0, EmaFastPeriod = 30, SignalIntervalMinutes = 7 }.Validate();
        Assert.Contains(failures, f => f.StartsWith("Engine:Brain:RiskPerTrade", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Engine:Brain:MaxPositions", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Engine:Brain:EmaFastPeriod", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Engine:Brain:SignalIntervalMinutes", StringComparison.Ordinal));
        Assert.Empty(new BrainOptions().Validate());
        Assert.Throws<ArgumentException>(() => new TradingBrain(new BrainOptions { MaxPositions = 0 }, []));
    }
}
