using System.Globalization;
using System.Net;
using Simulator;

namespace Tests.Simulator;

/// <summary>The algo-order service: conditional orders rest off-book, trigger on the price path and report ALGO_UPDATE.</summary>
public sealed class AlgoOrderTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private SimulatorHost _host = null!;
    private SimClient _c = null!;

    public async Task InitializeAsync() => (_host, _c) = await SimClient.StartAsync(SimClient.Options(speed: 300));

    public async Task DisposeAsync()
    {
        _c.Dispose();
        await _host.DisposeAsync();
    }

    private static string P(decimal v) => v.ToString(CultureInfo.InvariantCulture);

    private Task<SimResponse> AlgoAsync(string p) => _c.SignedAsync(HttpMethod.Post, "fapi/v1/algoOrder", "algoType=CONDITIONAL&" + p, inBody: true);

    [Fact]
    public async Task Stop_market_rests_is_listed_queried_and_cancelled()
    {
        var (_, ask) = await _c.BookAsync("BTCUSDT");
        var r = await AlgoAsync($"symbol=BTCUSDT&side=BUY&type=STOP_MARKET&quantity=0.01&triggerPrice={P(Math.Round(ask * 1.2m, 1))}&clientAlgoId=stop-1");
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.Equal("NEW", r.Str("algoStatus"));
        Assert.Equal("CONDITIONAL", r.Str("algoType"));
        Assert.Equal("STOP_MARKET", r.Str("orderType"));
        var id = r.Json.GetProperty("algoId").GetInt64();

        var open = await _c.SignedAsync(HttpMethod.Get, "fapi/v1/openAlgoOrders", "symbol=BTCUSDT");
        Assert.Equal(id, open.Json[0].GetProperty("algoId").GetInt64());
        Assert.Equal(0, (await _c.SignedAsync(HttpMethod.Get, "fapi/v1/openOrders")).Json.GetArrayLength());
        var q = await _c.SignedAsync(HttpMethod.Get, "fapi/v1/algoOrder", "clientAlgoId=stop-1");
        Assert.Equal(id, q.Json.GetProperty("algoId").GetInt64());

        var cancel = await _c.SignedAsync(HttpMethod.Delete, "fapi/v1/algoOrder", "algoId=" + id);
        Assert.Equal("CANCELED", cancel.Str("algoStatus"));
        Assert.Equal(-2011, (await _c.SignedAsync(HttpMethod.Delete, "fapi/v1/algoOrder", "algoId=" + id)).Code);
        Assert.Equal(0, (await _c.SignedAsync(HttpMethod.Get, "fapi/v1/openAlgoOrders")).Json.GetArrayLength());
        Assert.Equal(-1102, (await _c.SignedAsync(HttpMethod.Get, "fapi/v1/algoOrder")).Code);
    }

    [Fact]
    public async Task Algo_rules_answer_the_real_codes()
    {
        var (bid, ask) = await _c.BookAsync("BTCUSDT");
        Assert.Equal(-2021, (await AlgoAsync($"symbol=BTCUSDT&side=BUY&type=STOP_MARKET&quantity=0.01&triggerPrice={P(Math.Round(bid * 0.9m, 1))}")).Code);
        Assert.Equal(-2021, (await AlgoAsync($"symbol=BTCUSDT&side=SELL&type=TAKE_PROFIT_MARKET&quantity=0.01&triggerPrice={P(Math.Round(bid * 0.9m, 1))}")).Code);
        Assert.Equal(-4137, (await AlgoAsync($"symbol=BTCUSDT&side=SELL&type=STOP_MARKET&quantity=0.01&closePosition=true&triggerPrice={P(Math.Round(bid * 0.9m, 1))}")).Code);
        Assert.Equal(-1102, (await AlgoAsync("symbol=BTCUSDT&side=SELL&type=STOP_MARKET&quantity=0.01")).Code);
        Assert.Equal(-4014, (await AlgoAsync($"symbol=BTCUSDT&side=BUY&type=STOP_MARKET&quantity=0.01&triggerPrice={P(Math.Round(ask * 1.2m, 1) + 0.05m)}")).Code);
        Assert.Equal(-1116, (await AlgoAsync($"symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=0.01&triggerPrice=1")).Code);
        Assert.Equal(-1130, (await _c.SignedAsync(HttpMethod.Post, "fapi/v1/algoOrder", "algoType=VP&symbol=BTCUSDT&side=BUY&type=STOP_MARKET&quantity=0.01&triggerPrice=1", inBody: true)).Code);
    }

    [Fact]
    public async Task Stop_and_take_profit_trigger_on_the_price_path_and_report_algo_update_then_the_fill()
    {
        var key = (await _c.RawAsync(HttpMethod.Post, "fapi/v1/listenKey", "", "", _host.ApiKey)).Str("listenKey");
        using var ws = await _c.ConnectAsync("ws/" + key);
        var entry = await _c.OrderAsync("symbol=ETHUSDT&side=BUY&type=MARKET&quantity=1&newOrderRespType=RESULT");
        Assert.Equal("FILLED", entry.Str("status"));

        // A bracket 0.25 (25 ticks, under 0.01 % of ETH's price) either side: at x60 the walk leaves it within a
        // simulated minute or two, so one leg fires well inside the wait. A leg the price crossed between reading
        // the book and placing it is refused with -2021 ("would immediately trigger"); the stop is re-placed then.
        var (bid, ask) = await _c.BookAsync("ETHUSDT");
        var stop = await AlgoAsync($"symbol=ETHUSDT&side=SELL&type=STOP_MARKET&closePosition=true&triggerPrice={P(bid - 0.25m)}");
        for (var attempt = 0; attempt < 5 && stop.Code == -2021; attempt++)
        {
            (bid, ask) = await _c.BookAsync("ETHUSDT");
            stop = await AlgoAsync($"symbol=ETHUSDT&side=SELL&type=STOP_MARKET&closePosition=true&triggerPrice={P(bid - 0.25m)}");
        }

        var take = await AlgoAsync($"symbol=ETHUSDT&side=SELL&type=TAKE_PROFIT_MARKET&quantity=1&reduceOnly=true&triggerPrice={P(ask + 0.25m)}");
        Assert.True(stop.Status == HttpStatusCode.OK, stop.Body);
        Assert.True(take.Status == HttpStatusCode.OK || take.Code == -2021, take.Body);

        var seen = new List<System.Text.Json.JsonElement>();
        var triggered = await ws.WaitForAsync(m => m.E() == "ALGO_UPDATE" && m.GetProperty("o").GetProperty("X").GetString() == "TRIGGERED", Wait, seen);
        var o = triggered.GetProperty("o");
        var orderId = long.Parse(o.GetProperty("ai").GetString()!, CultureInfo.InvariantCulture);
        await ws.WaitForAsync(m => m.E() == "ORDER_TRADE_UPDATE" && m.GetProperty("o").GetProperty("i").GetInt64() == orderId && m.GetProperty("o").GetProperty("X").GetString() == "FILLED", Wait, seen);
        var fill = seen.Last(m => m.E() == "ORDER_TRADE_UPDATE").GetProperty("o");
        Assert.Equal(o.GetProperty("o").GetString(), fill.GetProperty("ot").GetString());
        Assert.Equal("MARKET", fill.GetProperty("o").GetString());

        var pos = await _c.PositionAsync("ETHUSDT");
        Assert.Equal("0.000", pos.GetProperty("positionAmt").GetString());
        var fired = await _c.SignedAsync(HttpMethod.Get, "fapi/v1/algoOrder", "algoId=" + o.GetProperty("aid").GetInt64());
        Assert.Equal("FINISHED", fired.Str("algoStatus"));
        Assert.Equal(orderId.ToString(CultureInfo.InvariantCulture), fired.Str("actualOrderId"));

        // the other leg is still open; when it fires there is nothing to reduce and it is rejected, not filled
        var other = await _c.SignedAsync(HttpMethod.Get, "fapi/v1/openAlgoOrders");
        if (other.Json.GetArrayLength() == 1)
        {
            var rejected = await ws.WaitForAsync(m => m.E() == "ALGO_UPDATE" && m.GetProperty("o").GetProperty("X").GetString() == "REJECTED", Wait);
            Assert.Equal("Reduce Only reject", rejected.GetProperty("o").GetProperty("rm").GetString());
        }

        Assert.Equal("0.000", (await _c.PositionAsync("ETHUSDT")).GetProperty("positionAmt").GetString());
        var cancelAll = await _c.SignedAsync(HttpMethod.Delete, "fapi/v1/algoOpenOrders", "symbol=ETHUSDT");
        Assert.Equal(200, cancelAll.Code);
    }
}
