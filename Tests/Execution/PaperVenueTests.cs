using Engine.Model;

namespace Tests.Execution;

/// <summary>The paper venue: fills at the touch with fees, limit orders when the book crosses them, reduce-only capping; the stage allocates nothing.</summary>
public sealed class PaperVenueTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Market_orders_fill_at_ask_and_bid_with_taker_fee_and_realized_pnl()
    {
        await using var h = ExecutionHarness.StartPaper(o => o.PaperInitialWallet = 1000m);
        h.Service.Start();
        h.Quote("BTCUSDT", 60000m, 60000.5m);
        h.Submit("BTCUSDT", Side.Buy, 0.01m);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(1)).Count > 0, s_wait, "the paper buy");
        var buy = h.UpdatesOf(h.IdOf(1)).Single();
        Assert.Equal(OrderStatus.Filled, buy.Status);
        Assert.Equal(Price.Parse("60000.5"u8), buy.LastFillPrice);
        Assert.Equal(Quantity.Parse("0.01"u8), buy.LastFillQuantity);

        h.Quote("BTCUSDT", 60100m, 60100.5m);
        h.Submit("BTCUSDT", Side.Sell, 0.01m, reduceOnly: true);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(2)).Count > 0, s_wait, "the paper sell");
        Assert.Equal(Price.Parse("60100"u8), h.UpdatesOf(h.IdOf(2)).Single().LastFillPrice);

        // Wallet: 1000 − 600.005 × 0.0005 + (60100 − 60000.5) × 0.01 − 601 × 0.0005 = 1000 − 0.3000025 + 0.995 − 0.3005
        var accounts = h.Events.Where(e => e.Kind == MarketEventKind.Account).Select(e => e.Account).ToList();
        Assert.Equal(2, accounts.Count);
        Assert.Equal(Notional.Parse("999.6999975"u8), accounts[0].WalletBalance);
        Assert.Equal(Notional.Parse("1000.3944975"u8), accounts[1].WalletBalance);
        Assert.Equal(accounts[1].WalletBalance, accounts[1].Equity);
        Assert.Equal(2, h.Service.Counters.PaperFills);
    }

    [Fact]
    public async Task Limit_orders_rest_until_the_book_crosses_them_and_fill_at_their_price_with_maker_fee()
    {
        await using var h = ExecutionHarness.StartPaper(o => o.OrderKind = OrderKind.Limit);
        h.Service.Start();
        h.Quote("ETHUSDT", 3400m, 3400.1m);
        h.Submit("ETHUSDT", Side.Buy, 1m, 3399.5m);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(1)).Count == 1, s_wait, "NEW");
        Assert.Equal(OrderStatus.New, h.UpdatesOf(h.IdOf(1))[0].Status);
        h.Quote("ETHUSDT", 3399.3m, 3399.4m);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(1)).Count == 2, s_wait, "the fill");
        var fill = h.UpdatesOf(h.IdOf(1))[1];
        Assert.Equal((OrderStatus.Filled, Price.Parse("3399.5"u8)), (fill.Status, fill.LastFillPrice));
        Assert.Equal(Notional.Parse("9999.3201"u8), h.Events.Last(e => e.Kind == MarketEventKind.Account).Account.WalletBalance);

        // A reduce-only order with nothing to reduce expires; with no quote yet it is rejected.
        h.Submit("ETHUSDT", Side.Buy, 1m, 3500m, reduceOnly: true);
        h.Submit("BTCUSDT", Side.Buy, 1m, 60000m);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(3)).Count == 1, s_wait, "the BTC rejection");
        Assert.Equal(OrderStatus.Expired, h.UpdatesOf(h.IdOf(2)).Single().Status);
        Assert.Equal(OrderStatus.Rejected, h.UpdatesOf(h.IdOf(3)).Single().Status);
    }

    [Fact]
    public async Task Keeping_the_signing_path_warm_sends_nothing_takes_no_id_and_allocates_nothing()
    {
        await using var h = ExecutionHarness.StartPaper();
        h.Service.Start();
        h.Quote("BTCUSDT", 60000m, 60000.5m);
        var gateway = h.Service.Gateway;

        // Warm the measured method itself (first calls are compiled on this thread).
        for (var i = 0; i < 100; i++)
        {
            gateway.KeepWarm();
        }

        var rounds = 0;
        Assert.Equal(0, AllocationMeter.OnThisThread(() =>
        {
            rounds++;
            for (var i = 0; i < 10_000; i++)
            {
                gateway.KeepWarm();
            }
        }));
        Assert.Equal(100 + (rounds * 10_000), gateway.WarmUps);
        Assert.Equal(0, gateway.Built);
        await Task.Delay(200);
        Assert.Empty(h.Updates());
        Assert.Equal(0, h.Service.Counters.Sent);

        // The first real order still gets the run's first id, and is the only one the venue sees.
        h.Submit("BTCUSDT", Side.Buy, 0.001m);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(1)).Count > 0, s_wait, "the paper buy");
        Assert.All(h.Updates(), u => Assert.Equal(h.IdOf(1), u.ClientOrderId));
    }

    [Fact]
    public async Task The_stage_allocates_nothing_per_order()
    {
        await using var h = ExecutionHarness.StartPaper(o => o.QueueCapacity = 1 << 16);
        h.Quote("BTCUSDT", 60000m, 60000.5m);
        for (var i = 0; i < 200; i++)
        {
            h.Submit("BTCUSDT", Side.Buy, 0.001m);
        }

        var evt = default(MarketEvent);
        evt.Begin(MarketEventKind.Trade, h.Id("BTCUSDT"), 0, 0);
        evt.IntentCount = 2;
        evt.Intents[0].Symbol = evt.Intents[1].Symbol = h.Id("BTCUSDT");
        evt.Intents[0].Side = Side.Buy;
        evt.Intents[1].Side = Side.Sell;
        evt.Intents[0].Quantity = evt.Intents[1].Quantity = Quantity.Parse("0.001"u8);
        var gateway = h.Service.Gateway;

        // Warm the measured method itself: its first calls are JIT-compiled (and may be recompiled by tiering) on this thread.
        for (var i = 0; i < 100; i++)
        {
            gateway.OnEvent(ref evt);
        }

        var rounds = 0;
        Assert.Equal(0, AllocationMeter.OnThisThread(() =>
        {
            rounds++;
            for (var i = 0; i < 10_000; i++)
            {
                gateway.OnEvent(ref evt);
            }
        }, rounds: 3)); // the queue holds 65,536: three rounds of 20,000 fit
        Assert.Equal(400 + (rounds * 20_000), gateway.Built);
        Assert.Equal(0, gateway.QueueFull);
    }
}

/// <summary>Execution's metrics and health, through the strict exposition parser.</summary>
public sealed class ExecutionObservabilityTests
{
    [Fact]
    public async Task Metrics_count_outcomes_and_health_tells_a_configured_paper_venue_from_a_switched_one()
    {
        await using var h = ExecutionHarness.StartPaper();
        h.Service.Start();
        h.Quote("BTCUSDT", 60000m, 60000.5m);
        h.Submit("BTCUSDT", Side.Buy, 0.01m);
        h.Submit("ETHUSDT", Side.Buy, 0.01m);
        await ExecutionHarness.WaitUntil(() => h.Updates().Count == 2, TimeSpan.FromSeconds(10), "both orders");

        var writer = new Engine.Control.Metrics.PrometheusWriter();
        new Engine.Control.Metrics.ExecutionMetrics(h.Service).Collect(writer);
        var families = Tests.Control.PrometheusText.Parse(writer.ToString());
        Assert.Equal(1, Tests.Control.PrometheusText.Value(families, "engine_orders_total", ("outcome", "rejected")));
        Assert.Equal(1, Tests.Control.PrometheusText.Value(families, "engine_execution_events_total", ("event", "paper_fills")));
        Assert.Equal(1, Tests.Control.PrometheusText.Value(families, "engine_execution_venue", ("venue", "paper")));
        Assert.True(Tests.Control.PrometheusText.Value(families, "engine_journal_records_total") >= 4);

        Assert.True(new Engine.Control.Health.ExecutionHealth(h.Service, Engine.Execution.VenueMode.Paper).Check().Serving);
        Assert.False(new Engine.Control.Health.ExecutionHealth(h.Service, Engine.Execution.VenueMode.Live).Check().Serving);
    }
}

/// <summary>A restart on the same journal: positions come back as Position events, paper orders are never sent to an exchange.</summary>
public sealed class ExecutionRestartTests
{
    [Fact]
    public async Task Restart_publishes_journal_positions_and_keeps_a_resting_paper_order()
    {
        var dir = ExecutionHarness.NewJournalDirectory();
        long resting;
        long firstRun;
        await using (var first = ExecutionHarness.StartPaper(o => o.OrderKind = OrderKind.Limit, dir))
        {
            firstRun = first.Service.RunId;
            first.Service.Start();
            first.Quote("ETHUSDT", 3400m, 3400.1m);
            first.Submit("ETHUSDT", Side.Buy, 1m, 3401m);
            first.Submit("ETHUSDT", Side.Buy, 0.5m, 3399.5m);
            resting = first.IdOf(2);
            await ExecutionHarness.WaitUntil(() => first.Updates().Count == 2, TimeSpan.FromSeconds(10), "the fill and the resting NEW");
        }

        await using var second = ExecutionHarness.StartPaper(o => o.OrderKind = OrderKind.Limit, dir);
        Assert.True(second.Service.RunId > firstRun);
        Assert.Equal([resting], second.Service.Recovered.OpenOrders.Keys);
        second.Service.Start();
        await ExecutionHarness.WaitUntil(() => second.Events.Any(e => e.Kind == MarketEventKind.Position), TimeSpan.FromSeconds(10), "the journal's position");
        var position = second.Events.Single(e => e.Kind == MarketEventKind.Position);
        Assert.Equal((PositionSource.Journal, Quantity.Parse("1"u8), Price.Parse("3400.1"u8)), (position.Position.Source, position.Position.Amount, position.Position.EntryPrice));

        second.Quote("ETHUSDT", 3399.3m, 3399.4m);
        await ExecutionHarness.WaitUntil(() => second.UpdatesOf(resting).Count == 1, TimeSpan.FromSeconds(10), "the resting order's fill");
        Assert.Equal((OrderStatus.Filled, Price.Parse("3399.5"u8)), (second.UpdatesOf(resting)[0].Status, second.UpdatesOf(resting)[0].LastFillPrice));
        second.Service.Stop(TimeSpan.FromSeconds(5));
        Assert.Equal(Quantity.Parse("1.5"u8), second.Service.PositionsSnapshot().Single().Amount);
        second.Service.Dispose();
        Directory.Delete(dir, recursive: true);
    }
}

/// <summary>A full queue to the I/O loop fails the intent cleanly instead of blocking the stage.</summary>
public sealed class ExecutionQueueTests
{
    [Fact]
    public async Task A_full_queue_rejects_the_intent_and_the_stage_goes_on()
    {
        await using var h = ExecutionHarness.StartPaper(o => o.QueueCapacity = 2);
        h.Quote("BTCUSDT", 60000m, 60000.5m);
        h.Submit("BTCUSDT", Side.Buy, 0.001m);

        // The I/O loop is not running yet: the two slots hold the first two orders, the third intent has no room.
        h.Submit("BTCUSDT", Side.Buy, 0.001m);
        h.Submit("BTCUSDT", Side.Buy, 0.001m);
        Assert.Equal(1, h.Service.Gateway.QueueFull);

        h.Service.Start();
        await ExecutionHarness.WaitUntil(() => h.Updates().Count == 3, TimeSpan.FromSeconds(10), "three outcomes");
        Assert.Equal(OrderStatus.Filled, h.UpdatesOf(h.IdOf(1)).Single().Status);
        Assert.Equal(OrderStatus.Filled, h.UpdatesOf(h.IdOf(2)).Single().Status);
        Assert.Equal(OrderStatus.Rejected, h.UpdatesOf(h.IdOf(3)).Single().Status);
    }
}
