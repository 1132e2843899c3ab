using Engine.Execution;
using Engine.Model;

namespace Tests.Execution;

/// <summary>Execution against the simulator over real sockets: fills, rejections, unknown outcomes, the venue switch.</summary>
public sealed class ExecutionVenueTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(20);

    private static bool Final(OrderUpdateData u) => u.Status is OrderStatus.Filled or OrderStatus.Canceled or OrderStatus.Rejected or OrderStatus.Expired;

    [Fact]
    public async Task Market_order_is_published_filled_once_and_positions_equal_the_venues()
    {
        await using var h = await ExecutionHarness.StartAsync();
        h.Service.Start();
        h.Submit("BTCUSDT", Side.Buy, 0.005m);
        h.Submit("ETHUSDT", Side.Sell, 0.05m);
        await ExecutionHarness.WaitUntil(() => h.Updates().Count(Final) == 2, s_wait, "both orders final");

        foreach (var (id, qty) in new[] { (h.IdOf(1), 0.005m), (h.IdOf(2), 0.05m) })
        {
            var updates = h.UpdatesOf(id);
            Assert.Equal(OrderStatus.Filled, updates[^1].Status);
            Assert.Equal((long)(qty * FixedPoint.One), updates.Sum(u => u.LastFillQuantity.Mantissa));
            Assert.All(updates.Where(u => !u.LastFillQuantity.IsZero), u => Assert.True(u.LastFillPrice.Mantissa > 0));
        }

        var risk = await h.SimClient!.SignedAsync(HttpMethod.Get, "fapi/v3/positionRisk");
        var venue = risk.Json.EnumerateArray().ToDictionary(p => p.GetProperty("symbol").GetString()!, p => decimal.Parse(p.GetProperty("positionAmt").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        h.Service.Stop(TimeSpan.FromSeconds(5));
        var local = h.Service.PositionsSnapshot().ToDictionary(p => p.Symbol, p => p.Amount.Mantissa / (decimal)FixedPoint.One);
        Assert.Equal(venue["BTCUSDT"], local["BTCUSDT"]);
        Assert.Equal(venue["ETHUSDT"], local["ETHUSDT"]);
        Assert.Equal(0, h.Service.Counters.Resends);
        Assert.True(ExecutionHarness.Total(h.Service.SentLatency) >= 2);
    }

    [Fact]
    public async Task Venue_rejection_is_published_as_Rejected_and_logged_with_code()
    {
        await using var h = await ExecutionHarness.StartAsync();
        h.Service.Start();
        await h.SimClient!.AdminAsync("reject-orders?count=1&code=-2010");
        h.Submit("BTCUSDT", Side.Buy, 0.005m);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(1)).Any(Final), s_wait, "the rejection");
        var updates = h.UpdatesOf(h.IdOf(1));
        Assert.Single(updates);
        Assert.Equal(OrderStatus.Rejected, updates[0].Status);
        Assert.True(updates[0].LastFillQuantity.IsZero);
        Assert.Equal(1, h.Service.Counters.Rejected);
        Assert.Equal(VenueMode.Live, h.Service.Mode);
        Assert.Equal(0, h.Service.Counters.ConsecutiveFailures);

        // The same symbol trades again at once: a rejection says nothing about the venue's health.
        h.Submit("BTCUSDT", Side.Buy, 0.005m);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(2)).Any(Final), s_wait, "the second order");
        Assert.Equal(OrderStatus.Filled, h.UpdatesOf(h.IdOf(2))[^1].Status);
    }

    [Fact]
    public async Task Lost_answer_is_queried_and_found_without_a_resend()
    {
        // The simulator fills the order and holds its answer 1.5 s; our timeout is 0.8 s: outcome unknown → query by
        // client order id → found, filled. Never sent twice.
        await using var h = await ExecutionHarness.StartAsync(rest: r =>
        {
            r.RequestTimeout = TimeSpan.FromMilliseconds(800);
            r.RecvWindowMs = 5000;
        });
        h.Service.Start();
        await h.SimClient!.AdminAsync("delay?ms=1500");
        h.Submit("BTCUSDT", Side.Buy, 0.005m);
        await Task.Delay(300);
        await h.SimClient.AdminAsync("delay?ms=0");
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(1)).Any(Final), s_wait, "the order's final state");

        Assert.Equal(1, h.Service.Counters.UnknownOutcomes);
        Assert.True(h.Service.Counters.Queries >= 1);
        Assert.Equal(0, h.Service.Counters.Resends);
        var updates = h.UpdatesOf(h.IdOf(1));
        Assert.Equal(OrderStatus.Filled, updates[^1].Status);
        Assert.Equal(500_000, updates.Sum(u => u.LastFillQuantity.Mantissa));
        Assert.Equal(1, await VenueOrdersWith(h, h.IdOf(1)));
    }

    [Fact]
    public async Task Backend_timeout_is_queried_and_the_order_the_venue_never_saw_is_sent_again_exactly_once()
    {
        await using var h = await ExecutionHarness.StartAsync();
        h.Service.Start();

        // The POST answers -1007 ("send status unknown") without reaching the venue's matching: unknown outcome. The query answers -2013 (never seen):
        // after the request's recvWindow (1 s here) has closed, execution sends it again, once.
        await h.SimClient!.AdminAsync("fail?count=1&status=503&code=-1007");
        h.Submit("BTCUSDT", Side.Buy, 0.005m);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(1)).Any(Final), s_wait, "the order's final state");

        Assert.Equal(1, h.Service.Counters.UnknownOutcomes);
        Assert.Equal(1, h.Service.Counters.Resends);
        var updates = h.UpdatesOf(h.IdOf(1));
        Assert.Equal(OrderStatus.Filled, updates[^1].Status);
        Assert.Equal(500_000, updates.Sum(u => u.LastFillQuantity.Mantissa));
        Assert.Equal(1, await VenueOrdersWith(h, h.IdOf(1)));
        Assert.Equal(VenueMode.Live, h.Service.Mode);
    }

    [Fact]
    public async Task One_transient_failure_never_switches_the_venue_but_persistent_failures_do()
    {
        await using var h = await ExecutionHarness.StartAsync(o => o.MaxConsecutiveFailures = 3);
        h.Service.Start();
        await h.SimClient!.AdminAsync("fail?count=1&status=503&msg=Service%20Unavailable.");
        h.Submit("BTCUSDT", Side.Buy, 0.005m);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(1)).Any(Final), s_wait, "the first order");
        Assert.Equal(OrderStatus.Filled, h.UpdatesOf(h.IdOf(1))[^1].Status);
        Assert.Equal(1, h.Service.Counters.Retries);
        Assert.Equal(VenueMode.Live, h.Service.Mode);
        Assert.Equal(0, h.Service.Counters.SwitchesToPaper);

        // Now every request fails: retries and queries pile up failures until the switch.
        await h.SimClient.AdminAsync("fail?count=1000&status=503&msg=Service%20Unavailable.");
        h.Submit("BTCUSDT", Side.Buy, 0.005m);
        await ExecutionHarness.WaitUntil(() => h.Service.Mode == VenueMode.Paper, s_wait, "the switch to paper");
        Assert.Equal(1, h.Service.Counters.SwitchesToPaper);
        await h.SimClient.AdminAsync("reset");

        // Paper from here on, against the book the stage saw; the operator switches back with SetMode (4 = live).
        h.Quote("BTCUSDT", 65000m, 65000.1m);
        h.Submit("BTCUSDT", Side.Buy, 0.005m);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(3)).Any(Final), s_wait, "the paper order");
        Assert.Equal(Price.Parse("65000.1"u8), h.UpdatesOf(h.IdOf(3)).Single(u => !u.LastFillQuantity.IsZero).LastFillPrice);
        Assert.Equal(0, await VenueOrdersWith(h, h.IdOf(3)));
        h.Command(CommandKind.SetMode, 4);
        await ExecutionHarness.WaitUntil(() => h.Service.Mode == VenueMode.Live, s_wait, "back to live");
        h.Submit("BTCUSDT", Side.Buy, 0.005m);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(4)).Any(Final), s_wait, "a live order again");
        Assert.Equal(1, await VenueOrdersWith(h, h.IdOf(4)));
    }

    [Fact]
    public async Task Auth_refusal_switches_to_paper_at_once()
    {
        await using var h = await ExecutionHarness.StartAsync();
        h.Service.Start();
        await h.SimClient!.AdminAsync("fail?count=1&status=401&code=-2015");
        h.Submit("BTCUSDT", Side.Buy, 0.005m);
        await ExecutionHarness.WaitUntil(() => h.Service.Mode == VenueMode.Paper, s_wait, "the switch");

        // The switch comes first, the order's rejection is published right after it.
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(1)).Count > 0, s_wait, "the order's rejection");
        Assert.Equal(OrderStatus.Rejected, h.UpdatesOf(h.IdOf(1))[^1].Status);
    }

    [Fact]
    public async Task Flatten_cancels_open_orders_and_duplicate_or_stale_statements_publish_nothing()
    {
        await using var h = await ExecutionHarness.StartAsync(o => o.OrderKind = OrderKind.Limit);
        h.Service.Start();
        var (bid, _) = await h.SimClient!.BookAsync("ETHUSDT");
        h.Submit("ETHUSDT", Side.Buy, 0.05m, bid - 50m);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(1)).Count == 1, s_wait, "the resting order's NEW");
        Assert.Equal(OrderStatus.New, h.UpdatesOf(h.IdOf(1))[0].Status);
        Assert.Single(h.Service.OpenOrders);

        // A user-data NEW for it (what the stream sends after the REST answer), twice: nothing new to publish.
        var evt = default(MarketEvent);
        evt.Begin(MarketEventKind.OrderUpdate, h.Id("ETHUSDT"), 0, 0);
        evt.OrderUpdate.ClientOrderId = h.IdOf(1);
        evt.OrderUpdate.Status = OrderStatus.New;
        evt.OrderUpdate.Side = Side.Buy;
        h.Service.OnOrderUpdate(in evt);
        h.Service.OnOrderUpdate(in evt);

        h.Command(CommandKind.Flatten);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(1)).Any(Final), s_wait, "the cancel");
        var updates = h.UpdatesOf(h.IdOf(1));
        Assert.Equal([OrderStatus.New, OrderStatus.Canceled], updates.Select(u => u.Status));

        // The stream's CANCELED arriving late, then a stale NEW: both dropped.
        evt.OrderUpdate.Status = OrderStatus.Canceled;
        h.Service.OnOrderUpdate(in evt);
        evt.OrderUpdate.Status = OrderStatus.New;
        h.Service.OnOrderUpdate(in evt);
        await Task.Delay(300);
        Assert.Equal(2, h.UpdatesOf(h.IdOf(1)).Count);
        Assert.Empty(h.Service.OpenOrders);
    }

    private static async Task<int> VenueOrdersWith(ExecutionHarness h, long clientOrderId)
    {
        var wire = "e" + clientOrderId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var all = await h.SimClient!.SignedAsync(HttpMethod.Get, "fapi/v1/allOrders", "symbol=BTCUSDT");
        return all.Json.EnumerateArray().Count(o => o.GetProperty("clientOrderId").GetString() == wire);
    }
}

/// <summary>Recovery after a user-data stream gap and query answers handed over as events.</summary>
public sealed class ExecutionRecoveryTests
{
    [Fact]
    public async Task Stream_gap_queries_open_orders_and_a_fill_missed_meanwhile_is_published_once()
    {
        await using var h = await ExecutionHarness.StartAsync(o => o.OrderKind = OrderKind.Limit);
        h.Service.Start();
        var (bid, _) = await h.SimClient!.BookAsync("ETHUSDT");
        h.Submit("ETHUSDT", Side.Buy, 0.05m, bid - 30m);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(1)).Count == 1, TimeSpan.FromSeconds(20), "NEW");

        // While "the stream is down" nothing tells execution about the order; a recovered stream makes it ask.
        h.Service.OnStreamDown();
        var queries = h.Service.Counters.Queries;
        h.Service.OnStreamUp(recovered: true);
        await ExecutionHarness.WaitUntil(() => h.Service.Counters.Queries > queries, TimeSpan.FromSeconds(20), "the recovery query");
        await Task.Delay(200);
        Assert.Single(h.UpdatesOf(h.IdOf(1)));

        // A query answer handed over as an event (state's OrderRecovery: executed and avgPrice, no single fill), twice.
        var evt = default(MarketEvent);
        evt.Begin(MarketEventKind.OrderUpdate, h.Id("ETHUSDT"), 0, 0);
        evt.OrderUpdate.ClientOrderId = h.IdOf(1);
        evt.OrderUpdate.Status = OrderStatus.PartiallyFilled;
        evt.OrderUpdate.Side = Side.Buy;
        evt.OrderUpdate.FilledQuantity = Quantity.Parse("0.02"u8);
        evt.OrderUpdate.LastFillPrice = Price.FromMantissa((long)((bid - 30m) * FixedPoint.One));
        h.Service.OnOrderUpdate(in evt);
        h.Service.OnOrderUpdate(in evt);
        await ExecutionHarness.WaitUntil(() => h.UpdatesOf(h.IdOf(1)).Count == 2, TimeSpan.FromSeconds(10), "the missed fill");
        await Task.Delay(200);
        var updates = h.UpdatesOf(h.IdOf(1));
        Assert.Equal(2, updates.Count);
        Assert.Equal((OrderStatus.PartiallyFilled, Quantity.Parse("0.02"u8), evt.OrderUpdate.LastFillPrice), (updates[1].Status, updates[1].LastFillQuantity, updates[1].LastFillPrice));
        Assert.Equal(1, h.Service.StreamDowns);
    }
}
