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
        var first = await ws.WaitForAsync(m => m.E() == "aggTrade", Wait);
        await _c.AdminAsync("stall?seconds=1");
        var sw = Stopwatch.StartNew();

        // messages already queued before the switch may still arrive; the gap follows them
        var previous = first.GetProperty("T").GetInt64();
        long largestGap = 0;
        while (sw.ElapsedMilliseconds < 1300)
        {
            var m = await ws.WaitForAsync(x => x.E() == "aggTrade", Wait);
            var t = m.GetProperty("T").GetInt64();
            largestGap = Math.Max(largestGap, t - previous);
            previous = t;
        }

        // at x10 one real second is ten market seconds without a trade on the stream
        Assert.True(largestGap >= 5_000, $"largest gap {largestGap} ms");
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

/// <summary>Faults given at start, a stall of one stream only, and WebSocket ping/pong.</summary>
public sealed class StartFaultTests
{
    [Fact]
    public async Task Start_options_skew_the_clock_and_delay_responses()
    {
        var o = SimClient.Options();
        o.ClockSkewMs = 30_000;
        o.ResponseDelay = TimeSpan.FromMilliseconds(200);
        var (host, c) = await SimClient.StartAsync(o);
        await using (host)
        using (c)
        {
            var sw = Stopwatch.StartNew();
            var t = (await c.GetAsync("fapi/v1/time")).Json.GetProperty("serverTime").GetInt64();
            Assert.True(sw.ElapsedMilliseconds >= 190);
            Assert.InRange(t - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 25_000, 35_000);
        }
    }

    [Fact]
    public async Task Stalling_one_stream_leaves_the_others_flowing_and_the_candle_close_is_missed()
    {
        var (host, c) = await SimClient.StartAsync(SimClient.Options(speed: 60));
        await using (host)
        using (c)
        {
            using var ws = await c.ConnectAsync("stream?streams=btcusdt@kline_1m/btcusdt@aggTrade");
            await ws.WaitForAsync(m => m.GetProperty("stream").GetString() == "btcusdt@kline_1m", TimeSpan.FromSeconds(10));
            await c.AdminAsync("stall?seconds=2&stream=btcusdt@kline_1m");
            var seen = new List<System.Text.Json.JsonElement>();
            var sw = Stopwatch.StartNew();
            var kline = await ws.WaitForAsync(m => m.GetProperty("stream").GetString() == "btcusdt@kline_1m" && sw.ElapsedMilliseconds > 300, TimeSpan.FromSeconds(10), seen);
            Assert.True(sw.ElapsedMilliseconds >= 1500, $"kline resumed after {sw.ElapsedMilliseconds} ms");
            Assert.True(seen.Count(m => m.GetProperty("stream").GetString() == "btcusdt@aggTrade") > 10);

            // two real seconds at x60 are two market minutes: the candle stream skips at least one whole bar
            var resumedAt = kline.GetProperty("data").GetProperty("k").GetProperty("t").GetInt64();
            var lastBefore = seen.Where(m => m.GetProperty("stream").GetString() == "btcusdt@kline_1m").Select(m => m.GetProperty("data").GetProperty("k").GetProperty("t").GetInt64()).DefaultIfEmpty(0).First();
            Assert.True(lastBefore == 0 || resumedAt - lastBefore >= 60_000);
        }
    }

    [Fact]
    public async Task Server_answers_client_pings_with_pongs()
    {
        var (host, c) = await SimClient.StartAsync();
        await using (host)
        using (c)
        {
            using var ws = new ClientWebSocket();
            ws.Options.KeepAliveInterval = TimeSpan.FromMilliseconds(100);
            ws.Options.KeepAliveTimeout = TimeSpan.FromMilliseconds(500); // the client aborts if a ping goes unanswered
            await ws.ConnectAsync(new Uri(host.WebSocketBaseUri, "ws/0"), CancellationToken.None);

            // pongs are only processed while a read is pending
            var buffer = new byte[4096];
            var pending = ws.ReceiveAsync(buffer, CancellationToken.None);
            await Task.Delay(1500);
            Assert.Equal(WebSocketState.Open, ws.State);
            await ws.SendTextAsync("{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":1}");
            var r = await pending;
            Assert.Contains("\"id\":1", System.Text.Encoding.UTF8.GetString(buffer, 0, r.Count), StringComparison.Ordinal);
        }
    }
}
