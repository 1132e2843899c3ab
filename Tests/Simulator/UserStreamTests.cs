using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Simulator;

namespace Tests.Simulator;

/// <summary>listenKey lifecycle and the user-data stream's events for fills, cancels and expiry.</summary>
public sealed class UserStreamTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private SimulatorHost _host = null!;
    private SimClient _c = null!;

    public async Task InitializeAsync()
    {
        var o = SimClient.Options();
        o.ListenKeyLifetime = TimeSpan.FromSeconds(3);
        (_host, _c) = await SimClient.StartAsync(o);
    }

    public async Task DisposeAsync()
    {
        _c.Dispose();
        await _host.DisposeAsync();
    }

    private async Task<string> ListenKeyAsync()
    {
        var r = await _c.RawAsync(HttpMethod.Post, "fapi/v1/listenKey", "", "", _host.ApiKey);
        return r.Str("listenKey");
    }

    [Fact]
    public async Task ListenKey_post_returns_the_active_key_put_extends_delete_removes()
    {
        var a = await ListenKeyAsync();
        var b = await ListenKeyAsync();
        Assert.Equal(a, b);
        Assert.Matches("^[A-Za-z0-9]{64}$", a);
        var put = await _c.RawAsync(HttpMethod.Put, "fapi/v1/listenKey", "", "", _host.ApiKey);
        Assert.Equal(a, put.Str("listenKey"));
        var del = await _c.RawAsync(HttpMethod.Delete, "fapi/v1/listenKey", "", "", _host.ApiKey);
        Assert.Equal("{}", del.Body);
        var gone = await _c.RawAsync(HttpMethod.Put, "fapi/v1/listenKey", "", "", _host.ApiKey);
        Assert.Equal(-1125, gone.Code);
        Assert.NotEqual(a, await ListenKeyAsync());
    }

    [Theory]
    [InlineData("ws/{0}")]
    [InlineData("private/ws/{0}")]
    [InlineData("private/ws?listenKey={0}")]
    public async Task A_market_order_streams_new_trade_lite_trade_and_account_update(string path)
    {
        var key = await ListenKeyAsync();
        using var ws = await _c.ConnectAsync(string.Format(CultureInfo.InvariantCulture, path, key));
        var r = await _c.OrderAsync("symbol=ETHUSDT&side=BUY&type=MARKET&quantity=0.2&newClientOrderId=stream-test&newOrderRespType=RESULT");
        var id = r.Json.GetProperty("orderId").GetInt64();
        var seen = new List<JsonElement>();
        await ws.WaitForAsync(m => m.E() == "ORDER_TRADE_UPDATE" && m.GetProperty("o").GetProperty("X").GetString() == "FILLED", Wait, seen);
        await ws.WaitForAsync(m => m.E() == "ACCOUNT_UPDATE", Wait, seen);

        var updates = seen.Where(m => m.E() == "ORDER_TRADE_UPDATE").Select(m => m.GetProperty("o")).ToList();
        Assert.Equal("NEW", updates[0].GetProperty("x").GetString());
        Assert.All(updates, o => Assert.Equal(id, o.GetProperty("i").GetInt64()));
        Assert.All(updates, o => Assert.Equal("stream-test", o.GetProperty("c").GetString()));
        var tradeUpdates = updates.Where(o => o.GetProperty("x").GetString() == "TRADE").ToList();
        Assert.NotEmpty(tradeUpdates);
        Assert.Equal("0.200", tradeUpdates[^1].GetProperty("z").GetString());
        Assert.Contains(seen, m => m.E() == "TRADE_LITE" && m.GetProperty("i").GetInt64() == id);
        var acc = seen.Last(m => m.E() == "ACCOUNT_UPDATE").GetProperty("a");
        Assert.Equal("ORDER", acc.GetProperty("m").GetString());
        var p = acc.GetProperty("P")[0];
        Assert.Equal("ETHUSDT", p.GetProperty("s").GetString());
        var wallet = await _c.SignedAsync(HttpMethod.Get, "fapi/v2/balance");
        Assert.Equal(wallet.Json[0].GetProperty("balance").GetString(), acc.GetProperty("B")[0].GetProperty("wb").GetString());
        var events = seen.Select(m => m.GetProperty("E").GetInt64()).ToList();
        Assert.Equal(events.Order(), events);
    }

    [Fact]
    public async Task Cancel_streams_canceled_and_events_filter_limits_the_types()
    {
        var key = await ListenKeyAsync();
        using var all = await _c.ConnectAsync("ws/" + key);
        using var onlyAccount = await _c.ConnectAsync($"private/ws?listenKey={key}&events=ACCOUNT_UPDATE");
        var (bid, _) = await _c.BookAsync("ETHUSDT");
        var r = await _c.OrderAsync($"symbol=ETHUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.1&price={(bid - 20m).ToString(CultureInfo.InvariantCulture)}");
        await _c.SignedAsync(HttpMethod.Delete, "fapi/v1/order", "symbol=ETHUSDT&orderId=" + r.Json.GetProperty("orderId").GetInt64());
        var cancel = await all.WaitForAsync(m => m.E() == "ORDER_TRADE_UPDATE" && m.GetProperty("o").GetProperty("x").GetString() == "CANCELED", Wait);
        Assert.Equal("CANCELED", cancel.GetProperty("o").GetProperty("X").GetString());

        await _c.OrderAsync("symbol=ETHUSDT&side=BUY&type=MARKET&quantity=0.1");
        var first = await onlyAccount.ReceiveJsonAsync(Wait);
        Assert.Equal("ACCOUNT_UPDATE", first!.Value.E());
    }

    [Fact]
    public async Task Key_expires_after_its_lifetime_without_keepalive_and_the_socket_is_told()
    {
        var key = await ListenKeyAsync();
        using var ws = await _c.ConnectAsync("ws/" + key);
        var expired = await ws.WaitForAsync(m => m.E() == "listenKeyExpired", Wait);
        Assert.Equal(key, expired.GetProperty("listenKey").GetString());
        Assert.Equal(-1125, (await _c.RawAsync(HttpMethod.Put, "fapi/v1/listenKey", "", "", _host.ApiKey)).Code);

        // nothing more is delivered on an expired key
        await _c.OrderAsync("symbol=ETHUSDT&side=BUY&type=MARKET&quantity=0.1");
        Assert.Null(await ws.ReceiveJsonAsync(TimeSpan.FromMilliseconds(500)));

        var ex = await Assert.ThrowsAsync<WebSocketException>(() => _c.ConnectAsync("ws/" + key));
        Assert.NotNull(ex);
    }

    [Fact]
    public async Task Keepalive_pushes_the_expiry_out()
    {
        var key = await ListenKeyAsync();
        for (var i = 0; i < 5; i++)
        {
            await Task.Delay(1000);
            var put = await _c.RawAsync(HttpMethod.Put, "fapi/v1/listenKey", "", "", _host.ApiKey);
            Assert.Equal(HttpStatusCode.OK, put.Status);
        }

        Assert.Equal(key, (await ListenKeyAsync()).ToString());
    }
}

/// <summary>Deleting the key closes its user-data connections.</summary>
public sealed class ListenKeyDeleteTests
{
    [Fact]
    public async Task Delete_closes_the_user_stream()
    {
        var (host, c) = await SimClient.StartAsync();
        await using (host)
        using (c)
        {
            var key = (await c.RawAsync(HttpMethod.Post, "fapi/v1/listenKey", "", "", host.ApiKey)).Str("listenKey");
            using var ws = await c.ConnectAsync("private/ws/" + key);
            await c.RawAsync(HttpMethod.Delete, "fapi/v1/listenKey", "", "", host.ApiKey);
            var end = await ws.ReceiveJsonAsync(TimeSpan.FromSeconds(5));
            Assert.Null(end);
            Assert.NotEqual(WebSocketState.Open, ws.State);
        }
    }
}

/// <summary>The combined form of the user-data stream.</summary>
public sealed class CombinedUserStreamTests
{
    [Fact]
    public async Task Private_stream_with_listen_key_wraps_events_with_the_key()
    {
        var (host, c) = await SimClient.StartAsync();
        await using (host)
        using (c)
        {
            var key = (await c.RawAsync(HttpMethod.Post, "fapi/v1/listenKey", "", "", host.ApiKey)).Str("listenKey");
            using var ws = await c.ConnectAsync($"private/stream?listenKey={key}&events=ORDER_TRADE_UPDATE");
            await c.OrderAsync("symbol=ETHUSDT&side=BUY&type=MARKET&quantity=0.1");
            var m = await ws.WaitForAsync(x => x.TryGetProperty("stream", out _), TimeSpan.FromSeconds(10));
            Assert.Equal(key, m.GetProperty("stream").GetString());
            Assert.Equal("ORDER_TRADE_UPDATE", m.GetProperty("data").E());
        }
    }
}
