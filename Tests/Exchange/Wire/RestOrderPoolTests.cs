using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Engine.Exchange.Signing;
using Engine.Exchange.Wire;
using Engine.Model;
using Simulator;
using Tests.Simulator;

namespace Tests.Exchange.Wire;

/// <summary>The REST order pool against the real simulator: orders accepted and refused, rate limits, a lost answer, allocation.</summary>
public sealed class RestOrderPoolTests : IAsyncLifetime
{
    private SimulatorHost _host = null!;
    private SimClient _sim = null!;
    private RestOrderHarness _h = null!;

    private string BaseAddress => _host.RestBaseUri.ToString();

    public async Task InitializeAsync()
    {
        (_host, _sim) = await SimClient.StartAsync(SimClient.Options(symbols: 3));
        _h = new RestOrderHarness(_host.ApiKey, _host.ApiSecret);
    }

    public async Task DisposeAsync()
    {
        _h.Dispose();
        _sim.Dispose();
        await _host.DisposeAsync();
    }

    private static string MessageOf(in OrderAnswer answer)
    {
        ReadOnlySpan<byte> message = answer.Message;
        return Encoding.UTF8.GetString(message[..answer.MessageLength]);
    }

    /// <summary>A limit price 5 % under the mark: accepted, resting, never filled during a test.</summary>
    private async Task<string> RestingBuyPriceAsync() =>
        Math.Round(await _sim.MarkAsync("BTCUSDT") * 0.95m, 1).ToString("F2", CultureInfo.InvariantCulture);

    /// <summary>The simulator's own view of the order, read with the test client (no engine code).</summary>
    private async Task<JsonElement> VenueOrderAsync(long clientOrderId) =>
        (await _sim.SignedAsync(HttpMethod.Get, "fapi/v1/order", "symbol=BTCUSDT&origClientOrderId=e" + clientOrderId.ToString(CultureInfo.InvariantCulture))).Json;

    [Fact]
    public async Task Start_opens_and_warms_every_connection_before_the_first_order()
    {
        using var pool = _h.Pool(BaseAddress, connections: 2);

        Assert.Equal(2, await pool.StartAsync());

        Assert.Equal(2, pool.ReadyCount);
        Assert.Equal(2, pool.ConnectCount);
        Assert.Equal(2, _h.Sink.Ready.Distinct().Count());
        Assert.Equal(0, _h.Sink.Count);

        // Each warm-up's weight came back in the venue's X-MBX-USED-WEIGHT-1M.
        Assert.Contains(_h.RateLimits.Snapshot(_h.Clock.NowUnixMs), u => u.Rule.Type == Engine.Exchange.Rules.RateLimitType.RequestWeight && u.Used >= 2);
    }

    [Fact]
    public async Task A_market_order_fills_and_a_limit_order_rests_with_the_venues_exact_fields()
    {
        using var pool = _h.Pool(BaseAddress, connections: 2);
        await pool.StartAsync();

        var connection = RestOrderHarness.Send(pool, OrderRequestKind.Place, 1001, _h.Order(1001, OrderKind.Market, Side.Buy, "0.010"));
        var market = _h.Sink.Answer(0);
        var venue = await VenueOrderAsync(1001);

        Assert.Equal((200, 0, OrderRequestKind.Place, WirePath.Rest), (market.Status, market.ErrorCode, market.Request, market.Path));
        Assert.Equal((1001L, connection), (market.ClientOrderId, market.ConnectionId));
        Assert.Equal(venue.GetProperty("orderId").GetInt64(), market.OrderId);
        Assert.Equal(OrderStatus.Filled, market.OrderStatus);
        Assert.Equal(Quantity.Parse("0.010"u8), market.ExecutedQuantity);
        Assert.Equal(Notional.Parse(Encoding.ASCII.GetBytes(venue.GetProperty("cumQuote").GetString()!)), market.CumulativeQuote);
        Assert.Equal(Price.Parse(Encoding.ASCII.GetBytes(venue.GetProperty("avgPrice").GetString()!)), market.AveragePrice);
        Assert.True(market.AveragePrice > Price.Zero);
        Assert.Equal(venue.GetProperty("updateTime").GetInt64(), market.UpdateTimeMs);
        Assert.True(market.ReceivedTimestamp > 0);

        var price = await RestingBuyPriceAsync();
        RestOrderHarness.Send(pool, OrderRequestKind.Place, 1002, _h.Order(1002, OrderKind.Limit, Side.Buy, "0.010", price));
        var limit = _h.Sink.Answer(1);
        Assert.Equal((200, OrderStatus.New, 1002L), (limit.Status, limit.OrderStatus, limit.ClientOrderId));
        Assert.Equal((Quantity.Zero, Notional.Zero, Price.Zero), (limit.ExecutedQuantity, limit.CumulativeQuote, limit.AveragePrice));

        RestOrderHarness.Send(pool, OrderRequestKind.Status, 1002, _h.ByClientId(1002));
        var status = _h.Sink.Answer(2);
        Assert.Equal((OrderRequestKind.Status, OrderStatus.New, limit.OrderId), (status.Request, status.OrderStatus, status.OrderId));

        RestOrderHarness.Send(pool, OrderRequestKind.Cancel, 1002, _h.ByClientId(1002));
        var cancel = _h.Sink.Answer(3);
        Assert.Equal((OrderRequestKind.Cancel, 200, OrderStatus.Canceled, limit.OrderId), (cancel.Request, cancel.Status, cancel.OrderStatus, cancel.OrderId));
        Assert.Equal("CANCELED", (await VenueOrderAsync(1002)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Refused_orders_are_answered_with_the_venues_codes_and_messages()
    {
        using var pool = _h.Pool(BaseAddress);
        await pool.StartAsync();
        using var wrongKey = HmacSha256Signer.Create("not-the-simulators-secret"u8);
        var price = await RestingBuyPriceAsync();
        var cases = new (long Id, OrderRequestKind Kind, byte[] Parameters, int Code)[]
        {
            (2001, OrderRequestKind.Place, _h.Order(2001, OrderKind.Market, Side.Buy, "0.010", signer: wrongKey).ToArray(), -1022),
            (2002, OrderRequestKind.Place, _h.Order(2002, OrderKind.Market, Side.Buy, "0.010", timestampMs: _h.Clock.NowUnixMs - 60_000).ToArray(), -1021),
            (2003, OrderRequestKind.Place, _h.Order(2003, OrderKind.Market, Side.Buy, "0.001").ToArray(), -4164),
            (2004, OrderRequestKind.Place, _h.Order(2004, OrderKind.Limit, Side.Buy, "0.010", price[..^1] + "5").ToArray(), -4014),
            (2005, OrderRequestKind.Status, _h.ByClientId(2005).ToArray(), -2013),
        };

        for (var i = 0; i < cases.Length; i++)
        {
            RestOrderHarness.Send(pool, cases[i].Kind, cases[i].Id, cases[i].Parameters);
            var answer = _h.Sink.Answer(i);
            Assert.Equal((400, cases[i].Code, cases[i].Id, cases[i].Kind), (answer.Status, answer.ErrorCode, answer.ClientOrderId, answer.Request));
            Assert.False(answer.IsSuccess);
            Assert.Equal(0, answer.OrderId);
            Assert.NotEmpty(MessageOf(answer));
        }

        Assert.Contains("Signature", MessageOf(_h.Sink.Answer(0)), StringComparison.Ordinal);
        Assert.Equal(1, pool.ConnectCount);
    }

    [Fact]
    public async Task A_429_and_a_418_carry_retry_after_into_the_answer_and_hold_the_stage_path_back()
    {
        using var pool = _h.Pool(BaseAddress);
        await pool.StartAsync();

        await _sim.AdminAsync("fail?count=1&status=429");
        RestOrderHarness.Send(pool, OrderRequestKind.Place, 3001, _h.Order(3001, OrderKind.Market, Side.Buy, "0.010"));
        var limited = _h.Sink.Answer(0);
        var now = _h.Clock.NowUnixMs;

        Assert.Equal((429, -1003, 1000L), (limited.Status, limited.ErrorCode, limited.RetryAfterMs));
        Assert.Equal(1, _h.RateLimits.TooManyRequestsCount);
        Assert.InRange(_h.RateLimits.BlockedUntilUnixMs, now + 500, now + 1000);
        Assert.Equal(WireSendResult.WouldBlock, pool.TrySend(OrderRequestKind.Place, 3002, _h.Order(3002, OrderKind.Market, Side.Buy, "0.010"), out _, out var stamp));
        Assert.Equal(0, stamp);

        Assert.True(RecordingSink.WaitUntil(() => _h.Clock.NowUnixMs >= _h.RateLimits.BlockedUntilUnixMs, 3));
        await _sim.AdminAsync("fail?count=1&status=418");
        RestOrderHarness.Send(pool, OrderRequestKind.Place, 3003, _h.Order(3003, OrderKind.Market, Side.Buy, "0.010"));
        var banned = _h.Sink.Answer(1);
        now = _h.Clock.NowUnixMs;

        Assert.Equal((418, -1003, 1000L), (banned.Status, banned.ErrorCode, banned.RetryAfterMs));
        Assert.Equal(1, _h.RateLimits.BanCount);
        Assert.True(_h.RateLimits.IsBanned(now));
        Assert.Equal(WireSendResult.WouldBlock, pool.TrySend(OrderRequestKind.Place, 3004, _h.Order(3004, OrderKind.Market, Side.Buy, "0.010"), out _, out _));

        Assert.True(RecordingSink.WaitUntil(() => !_h.RateLimits.IsBanned(_h.Clock.NowUnixMs), 3));
        RestOrderHarness.Send(pool, OrderRequestKind.Place, 3005, _h.Order(3005, OrderKind.Market, Side.Buy, "0.010"));
        Assert.Equal((200, OrderStatus.Filled), (_h.Sink.Answer(2).Status, _h.Sink.Answer(2).OrderStatus));
    }

    [Fact]
    public async Task An_answer_that_never_comes_is_an_unknown_outcome_found_by_query_exactly_once()
    {
        // Margins for a loaded machine: the venue must have read the order before the pool gives up on its answer.
        using var pool = _h.Pool(BaseAddress, configure: o => o.RequestTimeout = TimeSpan.FromMilliseconds(1500));
        await pool.StartAsync();
        var first = Assert.Single(_h.Sink.Ready);

        // The venue takes the order and holds its answer back, as one whose reply is lost.
        await _sim.AdminAsync("delay?ms=5000");
        var connection = RestOrderHarness.Send(pool, OrderRequestKind.Place, 4001, _h.Order(4001, OrderKind.Market, Side.Buy, "0.010"));
        Assert.Equal(first, connection);

        Assert.True(RecordingSink.WaitUntil(() => !_h.Sink.Lost.IsEmpty, 8), "the connection was not given up");
        var (lostId, reason) = Assert.Single(_h.Sink.Lost);
        Assert.Equal(connection, lostId);
        Assert.Contains("no answer within 1500 ms", reason, StringComparison.Ordinal);
        Assert.Equal((1L, 1L, 1L), (pool.LostCount, pool.LostInFlightCount, pool.TimedOutCount));
        Assert.Equal(0, _h.Sink.Count);

        await _sim.AdminAsync("delay?ms=0");
        Assert.True(RecordingSink.WaitUntil(() => _h.Sink.Ready.Count == 2, 10), "the connection was not reopened");
        Assert.Equal(1, pool.ReadyCount);
        Assert.NotEqual(first, _h.Sink.Ready.Last());

        // The unknown outcome is resolved by asking, never by sending the order again.
        RestOrderHarness.Send(pool, OrderRequestKind.Status, 4001, _h.ByClientId(4001));
        var status = _h.Sink.Answer(0);
        Assert.True(status.IsSuccess, $"query answered {status.Status} {status.ErrorCode} {MessageOf(status)}");
        Assert.Equal((200, OrderStatus.Filled, 4001L), (status.Status, status.OrderStatus, status.ClientOrderId));
        var all = await _sim.SignedAsync(HttpMethod.Get, "fapi/v1/allOrders", "symbol=BTCUSDT");
        Assert.Single(all.Json.EnumerateArray(), o => o.GetProperty("clientOrderId").GetString() == "e4001");
    }

    [Fact]
    public async Task Every_connection_busy_is_would_block_and_none_connected_is_down()
    {
        using var pool = _h.Pool(BaseAddress);
        await pool.StartAsync();
        await _sim.AdminAsync("delay?ms=500");
        RestOrderHarness.Send(pool, OrderRequestKind.Place, 5001, _h.Order(5001, OrderKind.Market, Side.Buy, "0.010"));

        Assert.Equal(WireSendResult.WouldBlock, pool.TrySend(OrderRequestKind.Place, 5002, _h.Order(5002, OrderKind.Market, Side.Buy, "0.010"), out var connectionId, out _));
        Assert.Equal(0, connectionId);
        Assert.Equal(200, _h.Sink.Answer(0).Status);
        await _sim.AdminAsync("delay?ms=0");

        // A port nothing listens on: the pool starts with no connection and keeps trying in the background.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var nowhere = _h.Pool($"http://127.0.0.1:{port}/", connections: 2);
        Assert.Equal(0, await nowhere.StartAsync());
        Assert.Equal(WireSendResult.Down, nowhere.TrySend(OrderRequestKind.Place, 5003, _h.Order(5003, OrderKind.Market, Side.Buy, "0.010"), out _, out _));
    }

    [Fact]
    public async Task Sending_and_reading_answers_allocate_nothing_after_warm_up()
    {
        using var pool = _h.Pool(BaseAddress);
        await pool.StartAsync();
        var price = await RestingBuyPriceAsync();
        const int warmUp = 20;
        const int measured = 100;
        var orders = Enumerable.Range(0, warmUp + measured).Select(i => _h.Order(6000 + i, OrderKind.Limit, Side.Buy, "0.010", price).ToArray()).ToArray();
        long sendAllocated = 0;
        for (var i = 0; i < orders.Length; i++)
        {
            // Cancels are signed right before they go: their timestamps must be fresh.
            var cancel = _h.ByClientId(6000 + i).ToArray();
            sendAllocated += TimedSend(pool, OrderRequestKind.Place, 6000 + i, orders[i], measure: i >= warmUp);
            _h.Sink.Answer(2 * i);
            sendAllocated += TimedSend(pool, OrderRequestKind.Cancel, 6000 + i, cancel, measure: i >= warmUp);
            _h.Sink.Answer((2 * i) + 1);
        }

        Assert.Equal(0, sendAllocated);
        Assert.Equal(0, _h.Sink.AllocatedBetween(2 * warmUp, (2 * orders.Length) - 1));
        var last = _h.Sink.Answer((2 * orders.Length) - 1);
        Assert.Equal((OrderRequestKind.Cancel, 200, OrderStatus.Canceled), (last.Request, last.Status, last.OrderStatus));
        Assert.Equal(1, pool.ConnectCount);
    }

    private static long TimedSend(RestOrderPool pool, OrderRequestKind kind, long clientOrderId, byte[] parameters, bool measure)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();

        // The answer to the previous request may be delivered a moment before its connection is free again.
        WireSendResult result;
        while ((result = pool.TrySend(kind, clientOrderId, parameters, out _, out _)) == WireSendResult.WouldBlock)
        {
            Thread.SpinWait(100);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(WireSendResult.Sent, result);
        return measure ? allocated : 0;
    }
}
