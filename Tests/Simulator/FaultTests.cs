using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using Simulator;

namespace Tests.Simulator;

/// <summary>Each fault switch under /_sim/ does what it says, then the venue behaves normally again.</summary>
public sealed class FaultTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private SimulatorHost _host = null!;
    private SimClient _c = null!;

    public async Task InitializeAsync() => (_host, _c) = await SimClient.StartAsync(SimClient.Options(speed: 10));

    public async Task DisposeAsync()
    {
        _c.Dispose();
        await _host.DisposeAsync();
    }

    [Theory]
    [InlineData("fail?count=2&status=503&code=-1001", 503, -1001)]
    [InlineData("fail?count=2&status=429", 429, -1003)]
    [InlineData("fail?count=2&status=418", 418, -1003)]
    [InlineData("fail?count=2&status=500&code=-1000", 500, -1000)]
    [InlineData("fail?count=2&status=400&code=-1021", 400, -1021)]
    public async Task Next_k_requests_fail_with_the_given_answer_then_pass(string action, int status, int code)
    {
        Assert.Equal(HttpStatusCode.OK, (await _c.AdminAsync(action)).Status);
        for (var i = 0; i < 2; i++)
        {
            var r = await _c.GetAsync("fapi/v1/time");
            Assert.Equal((HttpStatusCode)status, r.Status);
            Assert.Equal(code, r.Code);
        }

        Assert.Equal(HttpStatusCode.OK, (await _c.GetAsync("fapi/v1/time")).Status);
    }

    [Fact]
    public async Task Reject_orders_rejects_the_next_order_only()
    {
        await _c.AdminAsync("reject-orders?count=1");
        var r = await _c.OrderAsync("symbol=ETHUSDT&side=BUY&type=MARKET&quantity=0.01");
        Assert.Equal(-2010, r.Code);
        Assert.Equal(HttpStatusCode.OK, (await _c.OrderAsync("symbol=ETHUSDT&side=BUY&type=MARKET&quantity=0.01")).Status);
    }

    [Fact]
    public async Task Delay_slows_every_response_until_cleared()
    {
        await _c.AdminAsync("delay?ms=300");
        var sw = Stopwatch.StartNew();
        await _c.GetAsync("fapi/v1/ping");
        Assert.True(sw.ElapsedMilliseconds >= 290, $"{sw.ElapsedMilliseconds} ms");
        await _c.AdminAsync("delay?ms=0");
        sw.Restart();
        await _c.GetAsync("fapi/v1/ping");
        Assert.True(sw.ElapsedMilliseconds < 250, $"{sw.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Skew_moves_server_time_and_makes_signed_requests_fail_with_1021()
    {
        var before = (await _c.GetAsync("fapi/v1/time")).Json.GetProperty("serverTime").GetInt64();
        await _c.AdminAsync("skew?ms=-60000");
        var after = (await _c.GetAsync("fapi/v1/time")).Json.GetProperty("serverTime").GetInt64();
        Assert.InRange(before - after, 50_000, 60_000);

        // a client that stamps requests with the unskewed clock is now ahead of the server
        var q = "timestamp=" + (after + 60_000);
        var r = await _c.RawAsync(HttpMethod.Get, "fapi/v2/balance", q + "&signature=" + SimClient.Sign(_host.ApiSecret, q), null, _host.ApiKey);
        Assert.Equal(-1021, r.Code);
        Assert.Equal(HttpStatusCode.OK, (await _c.SignedAsync(HttpMethod.Get, "fapi/v2/balance")).Status);
        await _c.AdminAsync("skew?ms=0");
    }

    [Fact]
    public async Task Drop_websockets_closes_every_connection()
    {
        using var market = await _c.ConnectAsync("ws/btcusdt@aggTrade");
        var key = (await _c.RawAsync(HttpMethod.Post, "fapi/v1/listenKey", "", "", _host.ApiKey)).Str("listenKey");
        using var user = await _c.ConnectAsync("ws/" + key);
        await market.WaitForAsync(m => m.E() == "aggTrade", Wait);
        var r = await _c.AdminAsync("drop-websockets");
        Assert.Equal(2, r.Json.GetProperty("dropped").GetInt32());
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            while (true)
            {
                if (await market.ReceiveJsonAsync(Wait) is null)
                {
                    throw new WebSocketException("closed");
                }
            }
        });

        // reconnecting works
        using var again = await _c.ConnectAsync("ws/btcusdt@aggTrade");
        await again.WaitForAsync(m => m.E() == "aggTrade", Wait);
    }

    [Fact]
    public async Task Stall_silences_market_streams_for_the_given_seconds_leaving_a_gap()
    {
        using var ws = await _c.ConnectAsync("ws/btcusdt@aggTrade");
        await ws.WaitForAsync(m => m.E() == "aggTrade", Wait);
        await _c.AdminAsync("stall?seconds=1");
        var sw = Stopwatch.StartNew();
        var before = await ws.WaitForAsync(m => m.E() == "aggTrade", Wait); // may be one already queued
        var after = await ws.WaitForAsync(m => m.E() == "aggTrade", Wait);
        Assert.True(sw.ElapsedMilliseconds >= 700, $"resumed after {sw.ElapsedMilliseconds} ms");

        // at x10 one real second is ten market seconds of missing trades
        Assert.True(after.GetProperty("T").GetInt64() - before.GetProperty("T").GetInt64() >= 5_000);
        Assert.True(after.GetProperty("a").GetInt64() - before.GetProperty("a").GetInt64() > 1);
    }

    [Fact]
    public async Task Expire_listen_key_now_pushes_the_event_and_unknown_actions_are_refused()
    {
        var key = (await _c.RawAsync(HttpMethod.Post, "fapi/v1/listenKey", "", "", _host.ApiKey)).Str("listenKey");
        using var ws = await _c.ConnectAsync("private/ws/" + key);
        var r = await _c.AdminAsync("expire-listen-key");
        Assert.True(r.Json.GetProperty("expired").GetBoolean());
        var e = await ws.WaitForAsync(m => m.E() == "listenKeyExpired", Wait);
        Assert.Equal(key, e.GetProperty("listenKey").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await _c.AdminAsync("explode")).Status);
        var state = await _c.GetAsync("_sim/state");
        Assert.Equal(10, state.Json.GetProperty("speed").GetDouble());
    }
}
