using Microsoft.Extensions.Logging.Abstractions;
using Simulator;

namespace Tests.Simulator;

/// <summary>The matching and account classes without HTTP, stepped by hand so the price path is exactly reproducible.</summary>
public sealed class VenueTests
{
    private const long Start = 1_767_225_600_000;

    private static Venue NewVenue(int seed = 1)
    {
        var o = SimClient.Options(symbols: 2, seed: seed);
        var hub = new StreamHub(new Faults(), NullLogger.Instance);
        var v = new Venue(o, new SimClock(Start, 1, 0), hub, replay: null, backfillMinutes: 0);
        hub.Venue = v;
        return v;
    }

    [Fact]
    public void Resting_limit_fills_when_the_path_reaches_it_partly_by_traded_volume_and_at_its_own_price_as_maker()
    {
        var v = NewVenue();
        var eth = v.BySymbol["ETHUSDT"];
        var price = eth.BestAsk + (eth.Spec.TickSize * 40);
        var placed = v.PlaceOrder(new OrderRequest { Symbol = eth, IsBuy = false, Type = "LIMIT", Price = price, Quantity = 20m, TimeInForce = "GTC" });
        var order = placed.Order;
        Assert.Equal("NEW", order.Status);

        var statuses = new List<string>();
        for (var t = Start + 100; t < Start + 3_600_000 && order.IsOpen; t += 100)
        {
            v.Advance(t);
            statuses.Add(order.Status);
        }

        var fills = v.Trades.Where(x => x.OrderId == order.OrderId).ToList();
        Assert.Equal("FILLED", order.Status);
        Assert.All(fills, f => Assert.Equal(price, f.Price));
        Assert.All(fills, f => Assert.True(f.Maker));
        Assert.All(fills, f => Assert.Equal(Math.Round(f.Price * f.Qty * 0.0002m, 8), f.Commission));
        Assert.Equal(20m, fills.Sum(f => f.Qty));
        Assert.Contains("PARTIALLY_FILLED", statuses);
        Assert.True(fills.Count > 1);
        Assert.Equal(-20m, v.PositionOf(eth).Amount);
        Assert.Empty(v.OpenOrders);
    }

    [Fact]
    public void Resting_reduce_only_order_expires_when_the_position_is_gone_and_other_orders_stay()
    {
        var v = NewVenue();
        var eth = v.BySymbol["ETHUSDT"];
        v.PlaceOrder(new OrderRequest { Symbol = eth, IsBuy = true, Type = "MARKET", Quantity = 1m });
        var reduce = v.PlaceOrder(new OrderRequest
        {
            Symbol = eth, IsBuy = false, Type = "LIMIT", Price = eth.BestAsk + (eth.Spec.TickSize * 10), Quantity = 1m, ReduceOnly = true,
        }).Order;
        var other = v.PlaceOrder(new OrderRequest { Symbol = eth, IsBuy = true, Type = "LIMIT", Price = eth.RoundToTick(eth.BestBid * 0.97m), Quantity = 0.1m }).Order;
        v.PlaceOrder(new OrderRequest { Symbol = eth, IsBuy = false, Type = "MARKET", Quantity = 1m });
        Assert.Equal(0m, v.PositionOf(eth).Amount);

        for (var t = Start + 100; t < Start + 3_600_000 && reduce.IsOpen; t += 100)
        {
            v.Advance(t);
        }

        Assert.Equal("EXPIRED", reduce.Status);
        Assert.Equal(0m, reduce.ExecutedQty);
        Assert.Equal([other], v.OpenOrders);
        Assert.Equal(0m, v.PositionOf(eth).Amount);
    }

    [Fact]
    public void Closed_order_history_is_bounded_and_open_orders_are_never_forgotten()
    {
        var v = NewVenue();
        var eth = v.BySymbol["ETHUSDT"];
        var price = eth.RoundToTick(eth.BestBid * 0.97m);
        var kept = v.PlaceOrder(new OrderRequest { Symbol = eth, IsBuy = true, Type = "LIMIT", Price = price, Quantity = 0.1m }).Order;
        var first = v.PlaceOrder(new OrderRequest { Symbol = eth, IsBuy = true, Type = "LIMIT", Price = price, Quantity = 0.1m }).Order;
        v.CancelOrder(eth, first.OrderId, null);
        for (var i = 0; i < Venue.MaxRemembered; i++)
        {
            var o = v.PlaceOrder(new OrderRequest { Symbol = eth, IsBuy = true, Type = "LIMIT", Price = price, Quantity = 0.1m }).Order;
            v.CancelOrder(eth, o.OrderId, null);
        }

        var count = v.AllOrders(eth).Count();
        Assert.InRange(count, (Venue.MaxRemembered / 2) + 1, Venue.MaxRemembered + 1);
        Assert.Equal(-2013, Assert.Throws<VenueException>(() => v.QueryOrder(eth, first.OrderId, null)).Code);
        Assert.Same(kept, v.QueryOrder(eth, kept.OrderId, null));
    }

    [Fact]
    public void Good_till_date_orders_expire_at_their_date()
    {
        var v = NewVenue();
        var eth = v.BySymbol["ETHUSDT"];
        var order = v.PlaceOrder(new OrderRequest
        {
            Symbol = eth, IsBuy = false, Type = "LIMIT", Price = eth.RoundToTick(eth.BestAsk * 1.04m), Quantity = 1m, TimeInForce = "GTD", GoodTillDate = Start + 700_000,
        }).Order;
        v.Advance(Start + 650_000);
        Assert.Equal("NEW", order.Status);
        v.Advance(Start + 750_000);
        Assert.Equal("EXPIRED", order.Status);
        Assert.Empty(v.OpenOrders);
    }

    [Fact]
    public void Flipping_a_position_realizes_pnl_on_the_closed_part_and_reopens_at_the_fill_price()
    {
        var v = NewVenue();
        var btc = v.BySymbol["BTCUSDT"];
        v.PlaceOrder(new OrderRequest { Symbol = btc, IsBuy = true, Type = "MARKET", Quantity = 0.5m });
        var entry = v.PositionOf(btc).EntryPrice;
        for (var t = Start + 100; t < Start + 600_000; t += 100)
        {
            v.Advance(t);
        }

        var sell = v.PlaceOrder(new OrderRequest { Symbol = btc, IsBuy = false, Type = "MARKET", Quantity = 0.8m }).Order;
        var pos = v.PositionOf(btc);
        Assert.Equal(-0.3m, pos.Amount);
        var sellFills = v.Trades.Where(t => t.OrderId == sell.OrderId).ToList();
        var closing = 0.5m;
        var expected = 0m;
        foreach (var f in sellFills)
        {
            var q = Math.Min(closing, f.Qty);
            expected += Math.Round(q * (f.Price - entry), 8);
            closing -= q;
        }

        Assert.Equal(expected, sellFills.Sum(f => f.RealizedPnl));
        Assert.InRange(pos.EntryPrice, sellFills.Min(f => f.Price), sellFills.Max(f => f.Price));
        Assert.Equal(10000m + v.Trades.Sum(t => t.RealizedPnl - t.Commission), v.Wallet);
    }

    [Fact]
    public void Replay_of_klines_drives_the_price_through_each_bar_open_extremes_and_close()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Data", "BTCUSDT-1m-2020-01-01.csv");
        var replay = ReplaySource.Open(path);
        Assert.Equal(1440 * 4, replay.Count);
        Assert.Equal("BTCUSDT", ReplaySource.SymbolFromFileName(path));
        var o = SimClient.Options(symbols: 1);
        o.ReplayFile = path;
        var hub = new StreamHub(new Faults(), NullLogger.Instance);
        var v = new Venue(o, new SimClock(replay.FirstTime, 1, 0), hub, replay, backfillMinutes: 0);
        var btc = v.BySymbol["BTCUSDT"];
        for (var m = 1; m <= 10; m++)
        {
            v.Advance(replay.FirstTime + (m * 60_000));
        }

        var rows = File.ReadLines(path).Take(10).Select(l => l.Split(',')).ToList();
        for (var i = 0; i < 10; i++)
        {
            var bar = btc.Bars[i];
            var expected = string.Join(',', rows[i][1..5].Select(x => btc.RoundToTick(decimal.Parse(x, System.Globalization.CultureInfo.InvariantCulture))));
            Assert.Equal($"{i}:{expected}", $"{i}:{bar.Open},{bar.High},{bar.Low},{bar.Close}");
            Assert.Equal(long.Parse(rows[i][0], System.Globalization.CultureInfo.InvariantCulture), bar.OpenTime);
            Assert.Equal(btc.RoundToTick(decimal.Parse(rows[i][1], System.Globalization.CultureInfo.InvariantCulture)), bar.Open);
            Assert.Equal(btc.RoundToTick(decimal.Parse(rows[i][2], System.Globalization.CultureInfo.InvariantCulture)), bar.High);
            Assert.Equal(btc.RoundToTick(decimal.Parse(rows[i][3], System.Globalization.CultureInfo.InvariantCulture)), bar.Low);
            Assert.Equal(btc.RoundToTick(decimal.Parse(rows[i][4], System.Globalization.CultureInfo.InvariantCulture)), bar.Close);
        }
    }

    [Fact]
    public void Replay_reads_aggtrades_with_a_header_and_rejects_a_bad_row_with_its_line()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Data", "BTCUSD_PERP-aggTrades-2026-05-08.csv");
        var replay = ReplaySource.Open(path);
        Assert.Equal(105_280, replay.Count);
        Assert.True(replay.TryPeek(out var first));
        Assert.Equal(1778198400020, first.Time);
        Assert.Equal(79972.8m, first.Price);
        Assert.False(first.BuyerMaker);

        var bad = Path.Combine(Path.GetTempPath(), $"sim-bad-{Guid.NewGuid():N}.csv");
        File.WriteAllLines(bad, ["1,100.0,1.0,1,1,1000,false", "2,abc,1.0,2,2,1001,true"]);
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => ReplaySource.Open(bad));
            Assert.Contains(":2:", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(bad);
        }
    }
}
