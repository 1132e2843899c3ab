using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Simulator;
using static Tests.Simulator.WsApiClient;

namespace Tests.Simulator;

/// <summary>
/// The WebSocket API's fault switches (drop, down, drop after the next order, answer delay), the existing switches
/// applied to it, the connection lifetime cut, and ping frames answered with their payload.
/// </summary>
public sealed class WsApiFaultTests
{
    private static async Task<bool> ClosedAsync(ClientWebSocket ws, TimeSpan within)
    {
        try
        {
            return await ws.ReceiveJsonAsync(within) is null && ws.State != WebSocketState.Open;
        }
        catch (WebSocketException)
        {
            return true;
        }
    }

    private static (string, System.Text.Json.JsonElement)[] Market(string clientId) =>
        [("symbol", S("BTCUSDT")), ("side", S("BUY")), ("type", S("MARKET")), ("quantity", S("0.010")), ("newClientOrderId", S(clientId))];

    [Fact]
    public async Task Drop_closes_every_connection_and_down_refuses_new_ones_until_up()
    {
        var (host, c) = await SimClient.StartAsync();
        await using (host)
        using (c)
        {
            await using var a = await WsApiClient.ConnectAsync(host);
            await using var b = await WsApiClient.ConnectAsync(host);
            Assert.Equal(200, (await a.CallAsync("session.status")).Status());
            var state = await c.GetAsync("_sim/state");
            Assert.Equal(2, state.Json.GetProperty("wsApiConnections").GetInt32());

            var drop = await c.AdminAsync("ws-api-drop");
            Assert.Equal(2, drop.Json.GetProperty("dropped").GetInt32());
            Assert.True(await ClosedAsync(a.Socket, TimeSpan.FromSeconds(5)));
            Assert.True(await ClosedAsync(b.Socket, TimeSpan.FromSeconds(5)));

            Assert.Equal(HttpStatusCode.OK, (await c.AdminAsync("ws-api-down")).Status);
            var refused = await Assert.ThrowsAsync<WebSocketException>(() => WsApiClient.ConnectAsync(host));
            Assert.Contains("503", refused.Message, StringComparison.Ordinal);

            // REST stays up: the engine's fallback path
            Assert.Equal(HttpStatusCode.OK, (await c.OrderAsync("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010")).Status);

            await c.AdminAsync("ws-api-up");
            await using var again = await WsApiClient.ConnectAsync(host);
            Assert.Equal(200, (await again.CallAsync("session.status")).Status());
        }
    }

    [Fact]
    public async Task Drop_after_order_executes_the_order_and_closes_without_answering()
    {
        var (host, c) = await SimClient.StartAsync();
        await using (host)
        using (c)
        {
            await using var api = await WsApiClient.ConnectAsync(host);
            await c.AdminAsync("ws-api-drop-after-order");
            await api.SendAsync("order.place", "lost-1", api.Params(Market("unknown-outcome-1")));
            Assert.True(await ClosedAsync(api.Socket, TimeSpan.FromSeconds(5)), "no answer, the connection is gone");

            // exactly one order at the venue, found by its client order id
            var found = await c.SignedAsync(HttpMethod.Get, "fapi/v1/order", "symbol=BTCUSDT&origClientOrderId=unknown-outcome-1");
            Assert.Equal(HttpStatusCode.OK, found.Status);
            Assert.Equal("FILLED", found.Str("status"));
            var all = await c.SignedAsync(HttpMethod.Get, "fapi/v1/allOrders", "symbol=BTCUSDT");
            Assert.Single(all.Json.EnumerateArray(), o => o.GetProperty("clientOrderId").GetString() == "unknown-outcome-1");

            // the switch is spent: the next connection answers normally
            await using var next = await WsApiClient.ConnectAsync(host);
            Assert.Equal(200, (await next.OrderAsync(Market("after-1"))).Status());
        }
    }

    [Fact]
    public async Task Delay_holds_answers_and_existing_switches_answer_on_the_websocket_api()
    {
        var (host, c) = await SimClient.StartAsync();
        await using (host)
        using (c)
        {
            await using var api = await WsApiClient.ConnectAsync(host);
            await c.AdminAsync("ws-api-delay?ms=400");
            var watch = Stopwatch.StartNew();
            var placed = await api.OrderAsync(Market("delayed-1"));
            Assert.Equal(200, placed.Status());
            Assert.True(watch.ElapsedMilliseconds >= 400, $"answer came after {watch.ElapsedMilliseconds} ms");
            await c.AdminAsync("ws-api-delay?ms=0");

            await c.AdminAsync("fail?count=1&status=503&code=-1001");
            var failed = await api.OrderAsync(Market("failed-1"));
            Assert.Equal(503, failed.Status());
            Assert.Equal(-1001, failed.ErrorCode());
            Assert.Equal(HttpStatusCode.BadRequest, (await c.SignedAsync(HttpMethod.Get, "fapi/v1/order", "symbol=BTCUSDT&origClientOrderId=failed-1")).Status);

            await c.AdminAsync("fail?count=1&status=429");
            Assert.Equal(429, (await api.CallAsync("session.status")).Status());

            await c.AdminAsync("reject-orders?count=1&code=-2010");
            Assert.Equal(-2010, (await api.OrderAsync(Market("rejected-1"))).ErrorCode());

            // a client stamping with the unskewed clock is now ahead of the server
            var unskewed = host.ServerTimeMs;
            await c.AdminAsync("skew?ms=-20000");
            Assert.Equal(-1021, (await api.CallAsync("order.place", api.Params(Market("skewed-1"), timestamp: unskewed))).ErrorCode());
            await c.AdminAsync("reset");
            Assert.Equal(200, (await api.OrderAsync(Market("after-reset-1"))).Status());
        }
    }

    [Fact]
    public async Task Connection_is_cut_after_its_lifetime_with_a_close_frame()
    {
        var o = SimClient.Options();
        o.WsApiConnectionLifetime = TimeSpan.FromSeconds(1);
        var (host, c) = await SimClient.StartAsync(o);
        await using (host)
        using (c)
        {
            await using var api = await WsApiClient.ConnectAsync(host);
            Assert.Equal(200, (await api.CallAsync("session.status")).Status());
            Assert.Null(await api.Socket.ReceiveJsonAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal(WebSocketCloseStatus.NormalClosure, api.Socket.CloseStatus);
            Assert.Equal("connection lifetime reached", api.Socket.CloseStatusDescription);
        }
    }

    [Fact]
    public async Task Ping_frames_are_answered_with_a_pong_echoing_the_payload()
    {
        var (host, c) = await SimClient.StartAsync();
        await using (host)
        using (c)
        {
            // ClientWebSocket cannot send a ping of its own, so this speaks RFC 6455 over a plain socket
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, host.Port);
            var stream = tcp.GetStream();
            var handshake = $"GET {WsApi.Path} HTTP/1.1\r\nHost: 127.0.0.1:{host.Port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(handshake));
            var head = new StringBuilder();
            var one = new byte[1];
            while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
            {
                Assert.Equal(1, await stream.ReadAsync(one));
                head.Append((char)one[0]);
            }

            Assert.StartsWith("HTTP/1.1 101", head.ToString(), StringComparison.Ordinal);

            var payload = Encoding.ASCII.GetBytes("ping-42");
            byte[] mask = [1, 2, 3, 4];
            var frame = new byte[2 + 4 + payload.Length];
            frame[0] = 0x89; // FIN + ping
            frame[1] = (byte)(0x80 | payload.Length);
            mask.CopyTo(frame, 2);
            for (var i = 0; i < payload.Length; i++)
            {
                frame[6 + i] = (byte)(payload[i] ^ mask[i % 4]);
            }

            await stream.WriteAsync(frame);
            var header = new byte[2];
            await stream.ReadExactlyAsync(header);
            Assert.Equal(0x8A, header[0]); // FIN + pong
            Assert.Equal(payload.Length, header[1]);
            var echoed = new byte[payload.Length];
            await stream.ReadExactlyAsync(echoed);
            Assert.Equal("ping-42", Encoding.ASCII.GetString(echoed));
        }
    }
}
