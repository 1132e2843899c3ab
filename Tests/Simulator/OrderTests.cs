using System.Globalization;
using System.Net;
using System.Text.Json;
using Simulator;

namespace Tests.Simulator;

/// <summary>Orders over HTTP: filters and their codes in §8's order, matching against the book, accounts kept consistent.</summary>
public sealed class OrderTests : IAsyncLifetime
{
    private SimulatorHost _host = null!;
    private SimClient _c = null!;

    public async Task InitializeAsync() => (_host, _c) = await SimClient.StartAsync(SimClient.Options(symbols: 5));

    public async Task DisposeAsync()
    {
        _c.Dispose();
        await _host.DisposeAsync();
    }

    private static decimal D(JsonElement e, string name) => decimal.Parse(e.GetProperty(name).GetString()!, CultureInfo.InvariantCulture);

    private static string P(decimal v) => v.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task Market_order_fills_against_the_book_with_depth_slippage_and_moves_the_position()
    {
        var (_, ask) = await _c.BookAsync("BTCUSDT");
        var r = await _c.OrderAsync("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=2&newOrderRespType=RESULT");
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.Equal("FILLED", r.Str("status"));
        Assert.Equal("2.000", r.Str("executedQty"));
        Assert.Equal("0", r.Str("price"));
        var avg = r.Dec("avgPrice");
        Assert.True(avg > ask - 50 && avg < ask + 50, $"avg {avg} ask {ask}");
        Assert.True(r.Headers.Contains("X-MBX-ORDER-COUNT-10S"));

        var trades = await _c.SignedAsync(HttpMethod.Get, "fapi/v1/userTrades", "symbol=BTCUSDT&orderId=" + r.Json.GetProperty("orderId").GetInt64());
        var fills = trades.Json.EnumerateArray().ToList();
        Assert.True(fills.Count > 1, "a 2 BTC order walks more than one level");
        Assert.True(fills.Select(f => D(f, "price")).Distinct().Count() > 1);
        Assert.All(fills, f => Assert.False(f.GetProperty("maker").GetBoolean()));
        Assert.Equal(2m, fills.Sum(f => D(f, "qty")));
        var cumQuote = fills.Sum(f => D(f, "price") * D(f, "qty"));
        Assert.Equal(Math.Round(cumQuote, 5), r.Dec("cumQuote"));
        Assert.All(fills, f => Assert.Equal(Math.Round(D(f, "price") * D(f, "qty") * 0.0005m, 8), D(f, "commission")));

        var pos = await _c.PositionAsync("BTCUSDT");
        Assert.Equal("2.000", pos.GetProperty("positionAmt").GetString());
        Assert.Equal(Math.Round(cumQuote / 2m, 8), Math.Round(D(pos, "entryPrice"), 8));
    }

    [Theory]
    [InlineData("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.0001&price=60000", -1111)]
    [InlineData("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=60000.001", -1111)]
    [InlineData("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=60000.05", -4014)]
    [InlineData("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0&price=60000", -4003)]
    [InlineData("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1001&price=60000", -4005)]
    [InlineData("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=60000", -4164)]
    [InlineData("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=0", -4001)]
    [InlineData("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=9999999", -4002)]
    [InlineData("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=99000", -4016)]
    [InlineData("symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.01&price=30000", -4024)]
    [InlineData("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=121", -4005)]
    [InlineData("symbol=BTCUSDT&side=BUY&type=STOP_MARKET&quantity=0.01&stopPrice=70000", -4120)]
    [InlineData("symbol=BTCUSDT&side=BUY&type=TAKE_PROFIT_MARKET&quantity=0.01&stopPrice=70000", -4120)]
    [InlineData("symbol=BTCUSDT&side=BUY&type=FOO&quantity=0.01", -1116)]
    [InlineData("symbol=BTCUSDT&side=UP&type=MARKET&quantity=0.01", -1117)]
    [InlineData("symbol=NOPE&side=UP&type=MARKET&quantity=0.01", -1117)]
    [InlineData("symbol=NOPE&side=BUY&type=MARKET&quantity=0.01", -1121)]
    [InlineData("symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=0.01&price=60000", -1102)]
    [InlineData("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=DAY&quantity=0.01&price=60000", -1115)]
    [InlineData("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&price=60000", -1102)]
    [InlineData("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=abc&price=60000", -1102)]
    [InlineData("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01&price=60000", -1106)]
    [InlineData("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01&closePosition=true", -1106)]
    [InlineData("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01&positionSide=LONG", -4061)]
    [InlineData("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01&newClientOrderId=0123456789012345678901234567890123456", -4015)]
    [InlineData("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01&newClientOrderId=bad%20id", -1100)]
    [InlineData("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01&reduceOnly=yes", -1130)]
    [InlineData("symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.01&reduceOnly=true", -2022)]
    [InlineData("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=5", -2019)]
    [InlineData("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01&newOrderRespType=FULL", -1130)]
    public async Task Filter_violations_answer_the_real_codes(string order, int code)
    {
        var r = await _c.OrderAsync(order);
        Assert.Equal(HttpStatusCode.BadRequest, r.Status);
        Assert.Equal(code, r.Code);
        var open = await _c.SignedAsync(HttpMethod.Get, "fapi/v1/openOrders");
        Assert.Equal(0, open.Json.GetArrayLength());
    }

    [Fact]
    public async Task Min_notional_names_the_threshold_and_reduce_only_is_exempt()
    {
        var r = await _c.OrderAsync("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001");
        Assert.Equal("Order's notional must be no smaller than 100 (unless you choose reduce only).", r.Str("msg"));
        Assert.Equal(HttpStatusCode.OK, (await _c.OrderAsync("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.002")).Status);
        var closeSmall = await _c.OrderAsync("symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.001&reduceOnly=true&newOrderRespType=RESULT");
        Assert.Equal("FILLED", closeSmall.Str("status"));
        var tooMuch = await _c.OrderAsync("symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.005&reduceOnly=true&newOrderRespType=RESULT");
        Assert.Equal("0.001", tooMuch.Str("executedQty"));
        Assert.Equal("0.000", (await _c.PositionAsync("BTCUSDT")).GetProperty("positionAmt").GetString());
    }

    [Fact]
    public async Task Limit_order_rests_is_found_by_id_and_client_id_and_cancels_once()
    {
        var (bid, _) = await _c.BookAsync("ETHUSDT");
        var price = P(bid - 30m);
        var r = await _c.OrderAsync($"symbol=ETHUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.5&price={price}&newClientOrderId=my-order_1");
        Assert.Equal("NEW", r.Str("status"));
        Assert.Equal("my-order_1", r.Str("clientOrderId"));
        var id = r.Json.GetProperty("orderId").GetInt64();

        var dup = await _c.OrderAsync($"symbol=ETHUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.5&price={price}&newClientOrderId=my-order_1");
        Assert.Equal(-4116, dup.Code);

        var byId = await _c.SignedAsync(HttpMethod.Get, "fapi/v1/order", $"symbol=ETHUSDT&orderId={id}");
        Assert.Equal("NEW", byId.Str("status"));
        Assert.True(byId.Json.TryGetProperty("time", out _));
        var byClient = await _c.SignedAsync(HttpMethod.Get, "fapi/v1/order", "symbol=ETHUSDT&origClientOrderId=my-order_1");
        Assert.Equal(id, byClient.Json.GetProperty("orderId").GetInt64());
        Assert.Equal(1, (await _c.SignedAsync(HttpMethod.Get, "fapi/v1/openOrders", "symbol=ETHUSDT")).Json.GetArrayLength());
        var v3 = await _c.SignedAsync(HttpMethod.Get, "fapi/v3/positionRisk");
        Assert.Equal("ETHUSDT", v3.Json[0].GetProperty("symbol").GetString());
        Assert.True(D(v3.Json[0], "openOrderInitialMargin") > 0);

        var cancel = await _c.SignedAsync(HttpMethod.Delete, "fapi/v1/order", $"symbol=ETHUSDT&orderId={id}");
        Assert.Equal("CANCELED", cancel.Str("status"));
        Assert.Equal(-2011, (await _c.SignedAsync(HttpMethod.Delete, "fapi/v1/order", $"symbol=ETHUSDT&orderId={id}")).Code);
        Assert.Equal(-2013, (await _c.SignedAsync(HttpMethod.Get, "fapi/v1/order", "symbol=ETHUSDT&orderId=1")).Code);
        Assert.Equal(-1102, (await _c.SignedAsync(HttpMethod.Get, "fapi/v1/order", "symbol=ETHUSDT")).Code);
        Assert.Equal(0, (await _c.SignedAsync(HttpMethod.Get, "fapi/v1/openOrders")).Json.GetArrayLength());

        // the client id is free again once the first order is closed
        var again = await _c.OrderAsync($"symbol=ETHUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.5&price={price}&newClientOrderId=my-order_1");
        Assert.Equal(HttpStatusCode.OK, again.Status);
        var all = await _c.SignedAsync(HttpMethod.Delete, "fapi/v1/allOpenOrders", "symbol=ETHUSDT");
        Assert.Equal(200, all.Code);
        Assert.Equal(0, (await _c.SignedAsync(HttpMethod.Get, "fapi/v1/openOrders")).Json.GetArrayLength());
    }

    [Fact]
    public async Task Ack_returns_new_and_result_returns_the_final_state()
    {
        var ack = await _c.OrderAsync("symbol=ETHUSDT&side=BUY&type=MARKET&quantity=0.1");
        Assert.Equal("NEW", ack.Str("status"));
        Assert.Equal("0.000", ack.Str("executedQty"));
        var q = await _c.SignedAsync(HttpMethod.Get, "fapi/v1/order", "symbol=ETHUSDT&orderId=" + ack.Json.GetProperty("orderId").GetInt64());
        Assert.Equal("FILLED", q.Str("status"));
        var result = await _c.OrderAsync("symbol=ETHUSDT&side=SELL&type=MARKET&quantity=0.1&newOrderRespType=RESULT");
        Assert.Equal("FILLED", result.Str("status"));
    }

    [Fact]
    public async Task Post_only_and_fill_or_kill_and_ioc_behave_like_the_venue()
    {
        var (bid, ask) = await _c.BookAsync("ETHUSDT");
        var gtx = await _c.OrderAsync($"symbol=ETHUSDT&side=BUY&type=LIMIT&timeInForce=GTX&quantity=0.1&price={P(ask)}");
        Assert.Equal(-5022, gtx.Code);
        var gtxOk = await _c.OrderAsync($"symbol=ETHUSDT&side=BUY&type=LIMIT&timeInForce=GTX&quantity=0.1&price={P(bid - 5m)}");
        Assert.Equal("NEW", gtxOk.Str("status"));

        var fok = await _c.OrderAsync($"symbol=ETHUSDT&side=BUY&type=LIMIT&timeInForce=FOK&quantity=50&price={P(ask)}");
        Assert.Equal(-5021, fok.Code);

        (_, ask) = await _c.BookAsync("ETHUSDT");
        var ioc = await _c.OrderAsync($"symbol=ETHUSDT&side=BUY&type=LIMIT&timeInForce=IOC&quantity=20&price={P(ask)}&newOrderRespType=RESULT");
        Assert.Equal("EXPIRED", ioc.Str("status"));
        Assert.InRange(ioc.Dec("executedQty"), 0.001m, 19.999m);
        Assert.Equal(1, (await _c.SignedAsync(HttpMethod.Get, "fapi/v1/openOrders")).Json.GetArrayLength());
    }

    [Fact]
    public async Task Batch_orders_answer_in_request_order_with_errors_in_place()
    {
        var (bid, _) = await _c.BookAsync("ETHUSDT");
        var batch = $"[{{\"symbol\":\"ETHUSDT\",\"side\":\"BUY\",\"type\":\"LIMIT\",\"timeInForce\":\"GTC\",\"quantity\":\"0.1\",\"price\":\"{P(bid - 20m)}\"}}," +
            "{\"symbol\":\"ETHUSDT\",\"side\":\"SELL\",\"type\":\"MARKET\",\"quantity\":\"0.1\",\"reduceOnly\":\"true\"}," +
            "{\"symbol\":\"ETHUSDT\",\"side\":\"BUY\",\"type\":\"MARKET\",\"quantity\":0.02}]";
        var encoded = await _c.SignedAsync(HttpMethod.Post, "fapi/v1/batchOrders", "batchOrders=" + Uri.EscapeDataString(batch), inBody: true);
        Assert.Equal(HttpStatusCode.OK, encoded.Status);
        Assert.Equal(3, encoded.Json.GetArrayLength());
        Assert.Equal("NEW", encoded.Json[0].GetProperty("status").GetString());
        Assert.Equal(-2022, encoded.Json[1].GetProperty("code").GetInt32());
        Assert.Equal("ETHUSDT", encoded.Json[2].GetProperty("symbol").GetString());

        // ccxt sends the JSON unencoded in the body and signs it that way
        var raw = await _c.SignedAsync(HttpMethod.Post, "fapi/v1/batchOrders", "batchOrders=" + batch.Replace("0.02", "0.03", StringComparison.Ordinal), inBody: true);
        Assert.Equal(HttpStatusCode.OK, raw.Status);
        Assert.Equal(3, raw.Json.GetArrayLength());
        Assert.Equal("NEW", raw.Json[0].GetProperty("status").GetString());

        var six = "[" + string.Join(',', Enumerable.Repeat("{\"symbol\":\"ETHUSDT\",\"side\":\"BUY\",\"type\":\"MARKET\",\"quantity\":\"0.01\"}", 6)) + "]";
        Assert.Equal(-4082, (await _c.SignedAsync(HttpMethod.Post, "fapi/v1/batchOrders", "batchOrders=" + Uri.EscapeDataString(six), inBody: true)).Code);
        Assert.Equal(-1130, (await _c.SignedAsync(HttpMethod.Post, "fapi/v1/batchOrders", "batchOrders=notjson", inBody: true)).Code);
    }

    [Fact]
    public async Task Fills_and_wallet_stay_consistent_sum_of_fills_is_position_and_wallet_change_is_realized_minus_fees()
    {
        string[] orders =
        [
            "side=BUY&type=MARKET&quantity=0.3",
            "side=BUY&type=MARKET&quantity=0.2",
            "side=SELL&type=MARKET&quantity=0.8",
            "side=BUY&type=MARKET&quantity=0.1&reduceOnly=true",
            "side=SELL&type=MARKET&quantity=0.05",
            "side=BUY&type=MARKET&quantity=0.4",
        ];
        foreach (var o in orders)
        {
            var r = await _c.OrderAsync("symbol=ETHUSDT&newOrderRespType=RESULT&" + o);
            Assert.Equal("FILLED", r.Str("status"));
            await Task.Delay(150); // let the price move between orders
        }

        var trades = (await _c.SignedAsync(HttpMethod.Get, "fapi/v1/userTrades", "symbol=ETHUSDT")).Json.EnumerateArray().ToList();
        var signed = trades.Sum(t => (t.GetProperty("buyer").GetBoolean() ? 1 : -1) * D(t, "qty"));
        var pos = await _c.PositionAsync("ETHUSDT");
        Assert.Equal(0.15m, signed);
        Assert.Equal(signed, D(pos, "positionAmt"));
        Assert.Contains(trades, t => D(t, "realizedPnl") != 0);

        var realized = trades.Sum(t => D(t, "realizedPnl"));
        var fees = trades.Sum(t => D(t, "commission"));
        var account = await _c.SignedAsync(HttpMethod.Get, "fapi/v3/account");
        Assert.Equal(10000m + realized - fees, account.Dec("totalWalletBalance"));
        var balance = await _c.SignedAsync(HttpMethod.Get, "fapi/v2/balance");
        Assert.Equal(account.Dec("totalWalletBalance"), D(balance.Json[0], "balance"));
        Assert.Equal(account.Dec("totalWalletBalance") + account.Dec("totalUnrealizedProfit"), account.Dec("totalMarginBalance"));
        var up = D(pos, "unRealizedProfit");
        Assert.Equal(Math.Round(D(pos, "positionAmt") * (D(pos, "markPrice") - D(pos, "entryPrice")), 6), Math.Round(up, 6));
        Assert.Single(account.Json.GetProperty("positions").EnumerateArray());
        var v2 = await _c.SignedAsync(HttpMethod.Get, "fapi/v2/account");
        Assert.Equal(5, v2.Json.GetProperty("positions").GetArrayLength());
        Assert.True(v2.Json.TryGetProperty("canTrade", out _));
    }

    [Fact]
    public async Task Leverage_and_margin_type_follow_the_venue_rules()
    {
        Assert.Equal(-4028, (await _c.SignedAsync(HttpMethod.Post, "fapi/v1/leverage", "symbol=ETHUSDT&leverage=126", inBody: true)).Code);
        Assert.Equal(-4028, (await _c.SignedAsync(HttpMethod.Post, "fapi/v1/leverage", "symbol=ETHUSDT&leverage=x", inBody: true)).Code);
        var lev = await _c.SignedAsync(HttpMethod.Post, "fapi/v1/leverage", "symbol=ETHUSDT&leverage=1", inBody: true);
        Assert.Equal(1, lev.Json.GetProperty("leverage").GetInt32());
        Assert.Equal("1", (await _c.PositionAsync("ETHUSDT")).GetProperty("leverage").GetString());

        // 4 ETH is about 13,600 USDT: fine at 20x, too much at 1x on a 10,000 wallet
        Assert.Equal(-2019, (await _c.OrderAsync("symbol=ETHUSDT&side=BUY&type=MARKET&quantity=4")).Code);
        await _c.SignedAsync(HttpMethod.Post, "fapi/v1/leverage", "symbol=ETHUSDT&leverage=20", inBody: true);
        Assert.Equal(HttpStatusCode.OK, (await _c.OrderAsync("symbol=ETHUSDT&side=BUY&type=MARKET&quantity=4")).Status);

        Assert.Equal(-4046, (await _c.SignedAsync(HttpMethod.Post, "fapi/v1/marginType", "symbol=ETHUSDT&marginType=CROSSED", inBody: true)).Code);
        Assert.Equal(-4048, (await _c.SignedAsync(HttpMethod.Post, "fapi/v1/marginType", "symbol=ETHUSDT&marginType=ISOLATED", inBody: true)).Code);
        var ok = await _c.SignedAsync(HttpMethod.Post, "fapi/v1/marginType", "symbol=BTCUSDT&marginType=ISOLATED", inBody: true);
        Assert.Equal(200, ok.Code);
        Assert.Equal("isolated", (await _c.PositionAsync("BTCUSDT")).GetProperty("marginType").GetString());
        Assert.Equal(-1130, (await _c.SignedAsync(HttpMethod.Post, "fapi/v1/marginType", "symbol=BTCUSDT&marginType=BOTH", inBody: true)).Code);
    }

    [Fact]
    public async Task Check_order_puts_enums_before_precision_before_filters()
    {
        // bad precision and below min notional: -1111 first
        Assert.Equal(-1111, (await _c.OrderAsync("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.0001&price=1.05")).Code);
        // off-tick and above the percent-price cap: PRICE_FILTER first
        Assert.Equal(-4014, (await _c.OrderAsync("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=99000.05")).Code);
        // lot size before percent price
        Assert.Equal(-4003, (await _c.OrderAsync("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0&price=99000")).Code);
        // percent price before min notional
        Assert.Equal(-4016, (await _c.OrderAsync("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=99000")).Code);
        // min notional before margin
        Assert.Equal(-4164, (await _c.OrderAsync("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001")).Code);
        // margin before reduce-only
        Assert.Equal(-2019, (await _c.OrderAsync("symbol=ETHUSDT&side=BUY&type=MARKET&quantity=100&reduceOnly=false")).Code);
    }
}
