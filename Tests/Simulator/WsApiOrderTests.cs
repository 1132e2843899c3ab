using System.Globalization;
using System.Net;
using System.Text.Json;
using Simulator;
using static Tests.Simulator.WsApiClient;

namespace Tests.Simulator;

/// <summary>
/// The WebSocket API on /ws-fapi/v1 over a real socket: orders placed, cancelled and queried through the same
/// matching and validation as REST, errors with REST's codes, malformed requests answered without closing.
/// </summary>
public sealed class WsApiOrderTests : IAsyncLifetime
{
    private SimulatorHost _host = null!;
    private SimClient _c = null!;

    public async Task InitializeAsync() => (_host, _c) = await SimClient.StartAsync(SimClient.Options(symbols: 3));

    public async Task DisposeAsync()
    {
        _c.Dispose();
        await _host.DisposeAsync();
    }

    private static string P(decimal v) => v.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task Market_order_fills_answers_with_its_rate_limits_and_reaches_the_user_stream()
    {
        var listenKey = (await _c.RawAsync(HttpMethod.Post, "fapi/v1/listenKey", "", "", _host.ApiKey)).Str("listenKey");
        using var user = await _c.ConnectAsync("ws/" + listenKey);
        await using var api = await WsApiClient.ConnectAsync(_host);

        var answer = await api.OrderAsync(("symbol", S("BTCUSDT")), ("side", S("BUY")), ("type", S("MARKET")), ("quantity", S("0.010")),
            ("newClientOrderId", S("ws-market-1")), ("newOrderRespType", S("RESULT")));

        Assert.Equal(200, answer.Status());
        var order = answer.Result();
        Assert.Equal("FILLED", order.GetProperty("status").GetString());
        Assert.Equal("ws-market-1", order.GetProperty("clientOrderId").GetString());
        Assert.Equal("0.010", order.GetProperty("executedQty").GetString());
        Assert.Equal(1, answer.RateLimitCount("ORDERS", "SECOND"));
        Assert.Equal(1, answer.RateLimitCount("ORDERS", "MINUTE"));
        Assert.True(answer.RateLimitCount("REQUEST_WEIGHT", "MINUTE") >= 5, "the handshake's 5 weight is counted");

        var update = await user.WaitForAsync(m => m.E() == "ORDER_TRADE_UPDATE" && m.GetProperty("o").GetProperty("X").GetString() == "FILLED", TimeSpan.FromSeconds(10));
        Assert.Equal("ws-market-1", update.GetProperty("o").GetProperty("c").GetString());

        // the same order seen over REST: one venue behind both doors
        var rest = await _c.SignedAsync(HttpMethod.Get, "fapi/v1/order", "symbol=BTCUSDT&origClientOrderId=ws-market-1");
        Assert.Equal(order.GetProperty("orderId").GetInt64(), rest.Json.GetProperty("orderId").GetInt64());
    }

    [Fact]
    public async Task Limit_order_rests_is_queried_then_cancelled()
    {
        await using var api = await WsApiClient.ConnectAsync(_host);
        var (bid, _) = await _c.BookAsync("BTCUSDT");
        var price = Math.Round(bid * 0.99m, 1);

        var placed = await api.OrderAsync(("symbol", S("BTCUSDT")), ("side", S("BUY")), ("type", S("LIMIT")), ("timeInForce", S("GTC")),
            ("quantity", S("0.010")), ("price", S(P(price))));
        Assert.Equal(200, placed.Status());
        Assert.Equal("NEW", placed.Result().GetProperty("status").GetString());
        var orderId = placed.Result().GetProperty("orderId").GetInt64();

        var status = await api.CallAsync("order.status", api.Params([("symbol", S("BTCUSDT")), ("orderId", N(orderId))]));
        Assert.Equal(200, status.Status());
        Assert.Equal("NEW", status.Result().GetProperty("status").GetString());
        Assert.True(status.Result().TryGetProperty("time", out _), "order.status answers the query shape");
        Assert.DoesNotContain(status.GetProperty("rateLimits").EnumerateArray(), r => r.GetProperty("rateLimitType").GetString() == "ORDERS");

        var cancelled = await api.CallAsync("order.cancel", api.Params([("symbol", S("BTCUSDT")), ("orderId", N(orderId))]));
        Assert.Equal(200, cancelled.Status());
        Assert.Equal("CANCELED", cancelled.Result().GetProperty("status").GetString());
        Assert.Empty((await _c.SignedAsync(HttpMethod.Get, "fapi/v1/openOrders", "symbol=BTCUSDT")).Json.EnumerateArray());
    }

    [Fact]
    public async Task Rejections_carry_rest_codes_and_the_connection_stays_open()
    {
        await using var api = await WsApiClient.ConnectAsync(_host);
        (string, JsonElement)[] limit(string qty, string price) =>
            [("symbol", S("BTCUSDT")), ("side", S("BUY")), ("type", S("LIMIT")), ("timeInForce", S("GTC")), ("quantity", S(qty)), ("price", S(price))];

        var forged = api.Params(limit("0.010", "60000"));
        forged["quantity"] = S("0.020"); // changed after signing
        var badSignature = await api.CallAsync("order.place", forged);
        Assert.Equal(400, badSignature.Status());
        Assert.Equal(-1022, badSignature.ErrorCode());

        var stale = await api.CallAsync("order.place", api.Params(limit("0.010", "60000"), timestamp: _host.ServerTimeMs - 60_000));
        Assert.Equal(-1021, stale.ErrorCode());
        var ahead = await api.CallAsync("order.place", api.Params(limit("0.010", "60000"), timestamp: _host.ServerTimeMs + 5_000));
        Assert.Equal(-1021, ahead.ErrorCode());

        Assert.Equal(-4164, (await api.OrderAsync(limit("0.001", "60000"))).ErrorCode());
        Assert.Equal(-4014, (await api.OrderAsync(limit("0.010", "60000.05"))).ErrorCode());
        Assert.Equal(-1111, (await api.OrderAsync(limit("0.0001", "60000"))).ErrorCode());

        var unknown = await api.CallAsync("order.status", api.Params([("symbol", S("BTCUSDT")), ("orderId", N(987654321))]));
        Assert.Equal(400, unknown.Status());
        Assert.Equal(-2013, unknown.ErrorCode());
        Assert.Equal("Order does not exist.", unknown.GetProperty("error").GetProperty("msg").GetString());

        var noKey = await api.CallAsync("order.status", api.Params([("symbol", S("BTCUSDT")), ("orderId", N(1))], signed: false));
        Assert.Equal(401, noKey.Status());
        Assert.Equal(-2015, noKey.ErrorCode());

        var extra = await api.CallAsync("order.status", api.Params([("symbol", S("BTCUSDT")), ("orderId", N(1)), ("colour", S("blue"))]));
        Assert.Equal(-1104, extra.ErrorCode());

        Assert.Equal(200, (await api.CallAsync("session.status")).Status());
    }

    [Fact]
    public async Task Malformed_frames_and_unknown_methods_get_error_answers_on_an_open_connection()
    {
        await using var api = await WsApiClient.ConnectAsync(_host);

        await api.Socket.SendTextAsync("{\"id\":1,\"method\":");
        var invalid = await api.Socket.ReceiveJsonAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(invalid);
        Assert.Equal(JsonValueKind.Null, invalid.Value.GetProperty("id").ValueKind);
        Assert.Equal(400, invalid.Value.Status());
        Assert.Equal(-1135, invalid.Value.ErrorCode());

        await api.Socket.SendTextAsync("{\"id\":7,\"method\":\"order.teleport\",\"params\":{}}");
        var unknown = await api.Socket.ReceiveJsonAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(7, unknown!.Value.GetProperty("id").GetInt32());
        Assert.Equal(-5000, unknown.Value.ErrorCode());
        Assert.Equal("Method order.teleport is invalid", unknown.Value.GetProperty("error").GetProperty("msg").GetString());

        await api.Socket.SendTextAsync("{\"id\":null,\"params\":{}}");
        var noMethod = await api.Socket.ReceiveJsonAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(-1102, noMethod!.Value.ErrorCode());

        await api.Socket.SendTextAsync("{\"id\":8,\"method\":\"order.place\",\"params\":[1,2]}");
        Assert.Equal(-1135, (await api.Socket.ReceiveJsonAsync(TimeSpan.FromSeconds(10)))!.Value.ErrorCode());

        await api.Socket.SendTextAsync("{\"id\":9,\"method\":\"order.status\",\"params\":{\"symbol\":{\"nested\":1}}}");
        var nested = await api.Socket.ReceiveJsonAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(9, nested!.Value.GetProperty("id").GetInt32());
        Assert.Equal(-1130, nested.Value.ErrorCode());

        await api.Socket.SendAsync(new byte[] { 1, 2, 3 }, System.Net.WebSockets.WebSocketMessageType.Binary, true, CancellationToken.None);
        Assert.Equal(-1135, (await api.Socket.ReceiveJsonAsync(TimeSpan.FromSeconds(10)))!.Value.ErrorCode());

        // the version prefix names the same method
        var versioned = await api.CallAsync("v1/session.status");
        Assert.Equal(200, versioned.Status());
        Assert.Equal(JsonValueKind.Null, versioned.Result().GetProperty("apiKey").ValueKind);
    }

    [Fact]
    public async Task Return_rate_limits_false_hides_them_unless_a_request_asks()
    {
        await using var api = await WsApiClient.ConnectAsync(_host, "?returnRateLimits=false");
        var hidden = await api.CallAsync("session.status");
        Assert.False(hidden.TryGetProperty("rateLimits", out _));
        Assert.False(hidden.Result().GetProperty("returnRateLimits").GetBoolean());

        var shown = await api.CallAsync("order.status", api.Params([("symbol", S("BTCUSDT")), ("orderId", N(1)), ("returnRateLimits", JsonSerializer.SerializeToElement(true))]));
        Assert.Equal(-2013, shown.ErrorCode());
        Assert.True(shown.RateLimitCount("REQUEST_WEIGHT", "MINUTE") > 0);
    }

    [Fact]
    public async Task Weight_is_shared_with_rest_then_429_then_the_418_ban()
    {
        await _host.DisposeAsync();
        _c.Dispose();
        var o = SimClient.Options();
        o.WeightLimitPerMinute = 20;
        o.RequestsAfter429BeforeBan = 1;
        o.StartTimeMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 60_000 * 60_000;
        (_host, _c) = await SimClient.StartAsync(o);

        await using var api = await WsApiClient.ConnectAsync(_host); // 5
        var status = await api.CallAsync("session.status"); // 2
        Assert.Equal(7, status.RateLimitCount("REQUEST_WEIGHT", "MINUTE"));
        Assert.Equal(HttpStatusCode.OK, (await _c.GetAsync("fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=10")).Status); // 1 → 8
        Assert.Equal(10, (await api.CallAsync("session.status")).RateLimitCount("REQUEST_WEIGHT", "MINUTE"));
        Assert.Equal((HttpStatusCode)429, (await _c.GetAsync("fapi/v1/depth?symbol=BTCUSDT&limit=1000")).Status); // 20 → 30: over the limit
        var limited = await api.CallAsync("order.status", api.Params([("symbol", S("BTCUSDT")), ("orderId", N(1))]));
        Assert.Equal(429, limited.Status());
        Assert.Equal(-1003, limited.ErrorCode());
        Assert.Contains("current limit is 20 requests per minute", limited.GetProperty("error").GetProperty("msg").GetString(), StringComparison.Ordinal);

        var banned = await api.CallAsync("session.status");
        while (banned.Status() == 429)
        {
            banned = await api.CallAsync("session.status");
        }

        Assert.Equal(418, banned.Status());
        Assert.Equal(-1003, banned.ErrorCode());
        Assert.Equal((HttpStatusCode)418, (await _c.GetAsync("fapi/v1/time")).Status);

        // a banned IP cannot open a new connection either: the handshake's weight is refused with the ban
        var refused = await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => WsApiClient.ConnectAsync(_host));
        Assert.Contains("418", refused.Message, StringComparison.Ordinal);
    }
}
