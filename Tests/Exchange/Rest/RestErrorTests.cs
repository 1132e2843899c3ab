using System.Net;
using System.Net.Sockets;
using Engine.Exchange;
using Engine.Exchange.Rest;
using Engine.Model;
using Microsoft.Extensions.Logging;

namespace Tests.Exchange.Rest;

/// <summary>Every error category, provoked for real at a loopback server: what the caller is told and what is (not) sent.</summary>
public sealed class RestErrorTests : IAsyncLifetime
{
    private LoopbackVenue _venue = null!;

    public async Task InitializeAsync() => _venue = await LoopbackVenue.StartAsync();

    public async Task DisposeAsync() => await _venue.DisposeAsync();

    private static NewOrderRequest Order(string clientId = "c-1") => new()
    {
        Symbol = "BTCUSDT", Side = Side.Buy, Type = OrderKind.Limit, Quantity = Quantity.Parse("0.001"u8),
        Price = Price.Parse("42000"u8), TimeInForce = TimeInForce.Gtc, NewClientOrderId = clientId,
    };

    [Fact]
    public async Task Http_429_honours_Retry_After_and_refuses_locally_until_then()
    {
        _venue.Enqueue("GET /fapi/v1/time", new VenueReply(429,
            """{"code":-1003,"msg":"Too many requests; current limit is 2400 requests per minute."}""",
            new Dictionary<string, string> { ["Retry-After"] = "3" }));
        using var client = RestHarness.Client(_venue);
        var alerts = new List<VenueAlertEventArgs>();
        client.RateLimits.Alert += (_, alert) => alerts.Add(alert);

        var limited = await client.GetServerTimeAsync();
        var held = await client.PlaceOrderAsync(Order());

        Assert.Equal(VenueErrorCategory.RateLimit, limited.Error!.Category);
        Assert.Equal(-1003, limited.Error.Code);
        Assert.Equal(429, limited.Error.HttpStatus);
        Assert.Equal(TimeSpan.FromSeconds(3), limited.Error.RetryAfter);
        Assert.Equal(VenueErrorCategory.RateLimit, held.Error!.Category);
        Assert.False(held.Error.Sent);
        Assert.InRange(held.Error.RetryAfter!.Value, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3));
        Assert.Single(_venue.Requests);
        var alert = Assert.Single(alerts);
        Assert.Equal(VenueAlertKind.RateLimited, alert.Kind);
    }

    [Fact]
    public async Task Http_418_stops_all_sending_and_raises_a_critical_alert()
    {
        var until = DateTimeOffset.UtcNow.AddMinutes(2).ToUnixTimeMilliseconds();
        _venue.Enqueue("GET /fapi/v1/time", VenueReply.Error(418, -1003, $"Way too many requests; IP banned until {until}. Please use the websocket for live updates to avoid bans."));
        var logs = new CollectingLoggerProvider();
        using var factory = logs.CreateFactory();
        using var client = RestHarness.Client(_venue, factory);
        var alerts = new List<VenueAlertEventArgs>();
        client.RateLimits.Alert += (_, alert) => alerts.Add(alert);

        var banned = await client.GetServerTimeAsync();
        var order = await client.PlaceOrderAsync(Order());
        var listenKey = await client.CreateListenKeyAsync();

        Assert.Equal(VenueErrorCategory.RateLimit, banned.Error!.Category);
        Assert.Equal(418, banned.Error.HttpStatus);
        Assert.True(client.RateLimits.IsBanned(client.Clock.NowUnixMs));
        Assert.Equal(until, client.RateLimits.BannedUntilUnixMs);
        Assert.False(order.Error!.Sent);
        Assert.Contains("banned", order.Error.Message, StringComparison.Ordinal);
        Assert.False(listenKey.Error!.Sent);
        Assert.Single(_venue.Requests);
        var alert = Assert.Single(alerts);
        Assert.Equal(VenueAlertKind.Banned, alert.Kind);
        Assert.Equal(until, alert.Until.ToUnixTimeMilliseconds());
        Assert.Contains(logs.Lines, l => l.Level == LogLevel.Critical && l.Text.Contains("418", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Clock_rejection_resyncs_the_clock_and_retries_once_with_a_corrected_timestamp()
    {
        _venue.ServerOffsetMs = 30_000; // the venue runs 30 s ahead of this machine
        _venue.Enqueue("POST /fapi/v1/order", VenueReply.Error(400, -1021, "Timestamp for this request is outside of the recvWindow."));
        _venue.Route("POST /fapi/v1/order", _ => VenueReply.Json(RestRequestTests.OrderJson));
        using var client = RestHarness.Client(_venue);

        var result = await client.PlaceOrderAsync(Order());

        Assert.True(result.IsSuccess, result.ToString());
        Assert.Equal(
            ["POST /fapi/v1/order", "GET /fapi/v1/time", "GET /fapi/v1/time", "GET /fapi/v1/time", "POST /fapi/v1/order"],
            _venue.Requests.Select(r => $"{r.Method} {r.Path}"));
        var orders = _venue.RequestsTo("POST /fapi/v1/order");
        var first = long.Parse(RestHarness.Param(orders[0].BodyText, "timestamp")!, System.Globalization.CultureInfo.InvariantCulture);
        var second = long.Parse(RestHarness.Param(orders[1].BodyText, "timestamp")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(second - first, 29_000, 31_000);
        Assert.InRange(client.Clock.OffsetMs, 29_000, 31_000);
        Assert.True(RestHarness.SignatureValid(orders[1]));
    }

    [Fact]
    public async Task A_pre_signed_order_refused_for_its_timestamp_is_returned_after_a_resync_not_resent()
    {
        _venue.ServerOffsetMs = -20_000;
        _venue.Enqueue("POST /fapi/v1/order", VenueReply.Error(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time."));
        using var client = RestHarness.Client(_venue);

        var result = await client.SendSignedOrderAsync(OrderCall.New, "symbol=BTCUSDT&timestamp=1&signature=00"u8.ToArray());

        Assert.Equal(VenueErrorCategory.Clock, result.Error!.Category);
        Assert.Equal(-1021, result.Error.Code);
        Assert.Single(_venue.RequestsTo("POST /fapi/v1/order"));
        Assert.Equal(3, _venue.RequestsTo("GET /fapi/v1/time").Count);
        Assert.InRange(client.Clock.OffsetMs, -21_000, -19_000);
    }

    [Fact]
    public async Task Requests_refused_together_for_their_timestamp_share_one_resync()
    {
        for (var i = 0; i < 3; i++)
        {
            _venue.Enqueue("GET /fapi/v1/openOrders", VenueReply.Error(400, -1021, "Timestamp for this request is outside of the recvWindow.") with { Delay = TimeSpan.FromMilliseconds(100) });
        }

        _venue.Route("GET /fapi/v1/openOrders", _ => VenueReply.Json("[]"));
        using var client = RestHarness.Client(_venue);

        var results = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => client.GetOpenOrdersAsync("BTCUSDT")));

        Assert.All(results, r => Assert.True(r.IsSuccess, r.ToString()));
        Assert.Equal(6, _venue.RequestsTo("GET /fapi/v1/openOrders").Count);
        Assert.Equal(3, _venue.RequestsTo("GET /fapi/v1/time").Count); // one measurement of ClockSamples = 3
    }

    [Fact]
    public async Task No_retry_when_the_resync_itself_fails()
    {
        _venue.Enqueue("GET /fapi/v1/openOrders", VenueReply.Error(400, -1021, "Timestamp for this request is outside of the recvWindow."));
        _venue.Enqueue("GET /fapi/v1/time", new VenueReply(503, "Service Unavailable."));
        using var client = RestHarness.Client(_venue);

        var result = await client.GetOpenOrdersAsync("BTCUSDT");

        Assert.Equal(VenueErrorCategory.Clock, result.Error!.Category);
        Assert.Single(_venue.RequestsTo("GET /fapi/v1/openOrders"));
    }

    [Fact]
    public async Task A_second_clock_rejection_is_returned_not_retried_again()
    {
        _venue.Route("GET /fapi/v1/openOrders", _ => VenueReply.Error(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time."));
        using var client = RestHarness.Client(_venue);

        var result = await client.GetOpenOrdersAsync("BTCUSDT");

        Assert.Equal(VenueErrorCategory.Clock, result.Error!.Category);
        Assert.Equal(2, _venue.RequestsTo("GET /fapi/v1/openOrders").Count);
    }

    [Theory]
    [InlineData(503, """{"code":-1000,"msg":"Unknown error, please check your request or try again later."}""", VenueErrorCategory.UnknownOutcome)]
    [InlineData(503, "Unknown error, please check your request or try again later.", VenueErrorCategory.UnknownOutcome)]
    [InlineData(503, "Service Unavailable.", VenueErrorCategory.RetrySafe)]
    [InlineData(503, """{"code":-1001,"msg":"Internal error; unable to process your request. Please try again."}""", VenueErrorCategory.RetrySafe)]
    [InlineData(503, """{"code":-1008,"msg":"Request throttled by system-level protection. Reduce-only/close-position orders are exempt. Please try again."}""", VenueErrorCategory.RetrySafe)]
    [InlineData(500, "", VenueErrorCategory.UnknownOutcome)]
    [InlineData(502, "<html>Bad Gateway</html>", VenueErrorCategory.UnknownOutcome)]
    [InlineData(408, """{"code":-1007,"msg":"Timeout waiting for response from backend server. Send status unknown; execution status unknown."}""", VenueErrorCategory.UnknownOutcome)]
    [InlineData(400, """{"code":-1006,"msg":"An unexpected response was received from the message bus. Execution status unknown."}""", VenueErrorCategory.UnknownOutcome)]
    [InlineData(400, """{"code":-2019,"msg":"Margin is insufficient."}""", VenueErrorCategory.Rejected)]
    [InlineData(400, """{"code":-4164,"msg":"Order's notional must be no smaller than 5 (unless you choose reduce only)."}""", VenueErrorCategory.Rejected)]
    [InlineData(401, """{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action, request ip: 1.2.3.4"}""", VenueErrorCategory.Auth)]
    [InlineData(400, """{"code":-1022,"msg":"Signature for this request is not valid."}""", VenueErrorCategory.Auth)]
    [InlineData(403, "<html>WAF</html>", VenueErrorCategory.Rejected)]
    public async Task Order_errors_map_to_their_category(int status, string body, VenueErrorCategory expected)
    {
        _venue.Enqueue("POST /fapi/v1/order", new VenueReply(status, body) { ContentType = body.StartsWith('{') ? "application/json" : "text/html" });
        using var client = RestHarness.Client(_venue);

        var result = await client.PlaceOrderAsync(Order());

        Assert.Equal(expected, result.Error!.Category);
        Assert.Equal(status, result.Error.HttpStatus);
        Assert.True(result.Error.Sent);
        Assert.Single(_venue.Requests);
        if (body.Length > 0)
        {
            Assert.Contains(body.StartsWith('{') ? body.Split("\"msg\":\"")[1][..10] : body[..5], result.Error.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    public async Task Server_errors_on_reads_are_retry_safe(int status)
    {
        _venue.Enqueue("GET /fapi/v3/positionRisk", new VenueReply(status, "{\"code\":-1000,\"msg\":\"An unknown error occured while processing the request.\"}"));
        using var client = RestHarness.Client(_venue);

        var result = await client.GetPositionRiskAsync();

        Assert.Equal(VenueErrorCategory.RetrySafe, result.Error!.Category);
    }

    [Fact]
    public async Task An_order_timeout_is_an_unknown_outcome_never_a_failure()
    {
        _venue.Enqueue("POST /fapi/v1/order", VenueReply.Json(RestRequestTests.OrderJson) with { Delay = TimeSpan.FromSeconds(5) });
        using var client = RestHarness.Client(_venue, configure: o => o.RequestTimeout = TimeSpan.FromMilliseconds(300));

        var result = await client.PlaceOrderAsync(Order("lost-1"));

        Assert.Equal(VenueErrorCategory.UnknownOutcome, result.Error!.Category);
        Assert.True(result.Error.IsUnknownOutcome);
        Assert.True(result.Error.Sent);
        Assert.Equal(0, result.Error.HttpStatus);
        Assert.Equal("lost-1", RestHarness.Param(Assert.Single(_venue.Requests).BodyText, "newClientOrderId"));
    }

    [Fact]
    public async Task A_cancel_timeout_is_an_unknown_outcome_and_a_read_timeout_is_retry_safe()
    {
        _venue.Enqueue("DELETE /fapi/v1/order", VenueReply.Json(RestRequestTests.OrderJson) with { Delay = TimeSpan.FromSeconds(5) });
        _venue.Enqueue("GET /fapi/v1/order", VenueReply.Json(RestRequestTests.OrderJson) with { Delay = TimeSpan.FromSeconds(5) });
        using var client = RestHarness.Client(_venue, configure: o => o.RequestTimeout = TimeSpan.FromMilliseconds(300));

        var cancel = await client.CancelOrderAsync(OrderReference.ByClientOrderId("BTCUSDT", "c-1"));
        var query = await client.QueryOrderAsync(OrderReference.ByClientOrderId("BTCUSDT", "c-1"));

        Assert.Equal(VenueErrorCategory.UnknownOutcome, cancel.Error!.Category);
        Assert.Equal(VenueErrorCategory.RetrySafe, query.Error!.Category);
    }

    [Fact]
    public async Task A_connection_reset_after_sending_an_order_is_an_unknown_outcome()
    {
        _venue.Enqueue("POST /fapi/v1/order", new VenueReply(200, string.Empty) { Abort = true });
        using var client = RestHarness.Client(_venue);

        var result = await client.PlaceOrderAsync(Order());

        Assert.Equal(VenueErrorCategory.UnknownOutcome, result.Error!.Category);
        Assert.True(result.Error.Sent);
        Assert.Single(_venue.Requests);
    }

    [Fact]
    public async Task A_connection_lost_in_the_middle_of_the_answer_is_an_unknown_outcome_for_orders_and_retry_safe_for_reads()
    {
        _venue.Enqueue("POST /fapi/v1/order", VenueReply.Json(RestRequestTests.OrderJson[..40]) with { AbortMidBody = true });
        _venue.Enqueue("GET /fapi/v1/order", VenueReply.Json(RestRequestTests.OrderJson[..40]) with { AbortMidBody = true });
        using var client = RestHarness.Client(_venue);

        var placed = await client.PlaceOrderAsync(Order());
        var queried = await client.QueryOrderAsync(OrderReference.ByClientOrderId("BTCUSDT", "c-1"));

        Assert.Equal(VenueErrorCategory.UnknownOutcome, placed.Error!.Category);
        Assert.Equal(200, placed.Error.HttpStatus);
        Assert.Equal(VenueErrorCategory.RetrySafe, queried.Error!.Category);
    }

    [Fact]
    public async Task A_connect_timeout_never_sent_the_order_and_is_retry_safe()
    {
        // A listener that never accepts, its backlog filled: the kernel drops further SYNs, so a connect hangs.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var endpoint = (IPEndPoint)listener.LocalEndPoint!;
        var fillers = new List<Socket>();
        for (var i = 0; i < 4; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            fillers.Add(filler);
            _ = filler.ConnectAsync(endpoint).ContinueWith(t => t.Exception, TaskScheduler.Default);
        }

        await Task.Delay(200);
        try
        {
            using var client = new BinanceRestClient(
                Microsoft.Extensions.Options.Options.Create(new BinanceRestOptions
                {
                    BaseAddress = $"http://127.0.0.1:{endpoint.Port}",
                    ConnectTimeout = TimeSpan.FromMilliseconds(300),
                    RequestTimeout = TimeSpan.FromSeconds(20),
                }),
                Microsoft.Extensions.Logging.Abstractions.NullLogger<BinanceRestClient>.Instance,
                new ServerClock(), new RateLimitTracker(), new Engine.Exchange.ApiCredentials(RestHarness.ApiKey, RestHarness.Secret));
            var started = DateTime.UtcNow;

            var result = await client.PlaceOrderAsync(Order());

            Assert.Equal(VenueErrorCategory.RetrySafe, result.Error!.Category);
            Assert.False(result.Error.Sent);
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), "the connect timeout, not the request timeout, ended the call");
        }
        finally
        {
            fillers.ForEach(f => f.Dispose());
        }
    }

    [Fact]
    public async Task A_refused_connection_never_sent_the_order_and_is_retry_safe()
    {
        // A port that was just free: nothing listens there.
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var client = new BinanceRestClient(
            Microsoft.Extensions.Options.Options.Create(new BinanceRestOptions { BaseAddress = $"http://127.0.0.1:{port}" }),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<BinanceRestClient>.Instance,
            new ServerClock(), new RateLimitTracker(), new Engine.Exchange.ApiCredentials(RestHarness.ApiKey, RestHarness.Secret));
        using (client)
        {
            var result = await client.PlaceOrderAsync(Order());

            Assert.Equal(VenueErrorCategory.RetrySafe, result.Error!.Category);
            Assert.False(result.Error.Sent);
        }
    }

    [Fact]
    public async Task Malformed_json_is_a_clear_error_for_reads_and_an_unknown_outcome_for_orders()
    {
        _venue.Enqueue("GET /fapi/v1/ticker/bookTicker", VenueReply.Json("{\"symbol\":\"BTCUSDT\",\"bidPrice\":\"4.0\""));
        _venue.Enqueue("GET /fapi/v1/premiumIndex", VenueReply.Json("""{"symbol":"BTCUSDT","markPrice":"1e5"}"""));
        _venue.Enqueue("POST /fapi/v1/order", VenueReply.Json("""{"orderId":12,"symbol":"BTCUSDT","status":"NEW",""" ));
        using var client = RestHarness.Client(_venue);

        var truncated = await client.GetBookTickerAsync("BTCUSDT");
        var exponent = await client.GetPremiumIndexAsync("BTCUSDT");
        var order = await client.PlaceOrderAsync(Order());

        Assert.Equal(VenueErrorCategory.BadResponse, truncated.Error!.Category);
        Assert.Contains("not the JSON expected", truncated.Error.Message, StringComparison.Ordinal);
        Assert.Contains("\"bidPrice\":\"4.0", truncated.Error.Message, StringComparison.Ordinal);
        Assert.Equal(VenueErrorCategory.BadResponse, exponent.Error!.Category);
        Assert.Contains("'1e5' is not a valid price", exponent.Error.Message, StringComparison.Ordinal);
        Assert.Equal(VenueErrorCategory.UnknownOutcome, order.Error!.Category);
        var thrown = Assert.Throws<VenueException>(() => truncated.GetValueOrThrow());
        Assert.Same(truncated.Error, thrown.Error);
    }

    [Fact]
    public async Task Success_bodies_with_code_200_are_not_errors_and_keyed_calls_without_credentials_are_refused()
    {
        _venue.Enqueue("DELETE /fapi/v1/allOpenOrders", VenueReply.Json("""{"code":200,"msg":"The operation of cancel all open order is done."}"""));
        using var keyed = RestHarness.Client(_venue);
        using var anonymous = RestHarness.Client(_venue, withCredentials: false);

        var done = await keyed.CancelAllOpenOrdersAsync("BTCUSDT");
        var refused = await anonymous.GetAccountAsync();
        var refusedKey = await anonymous.CreateListenKeyAsync();

        Assert.True(done.IsSuccess, done.ToString());
        Assert.Equal(VenueErrorCategory.Auth, refused.Error!.Category);
        Assert.False(refused.Error.Sent);
        Assert.Equal(VenueErrorCategory.Auth, refusedKey.Error!.Category);
        Assert.Single(_venue.Requests);
    }

    [Fact]
    public async Task Weight_headers_from_the_venue_make_the_next_request_refused_locally()
    {
        _venue.Enqueue("GET /fapi/v1/time", new VenueReply(200, "{\"serverTime\":1}", new Dictionary<string, string> { ["X-MBX-USED-WEIGHT-1M"] = "2399" }));
        using var client = RestHarness.Client(_venue, rateLimits: new RateLimitTracker(usablePercent: 100));

        var first = await client.GetServerTimeAsync();
        var second = await client.GetDepthAsync("BTCUSDT", 100); // weight 5: 2399 + 5 > 2400

        Assert.True(first.IsSuccess);
        Assert.Equal(VenueErrorCategory.RateLimit, second.Error!.Category);
        Assert.False(second.Error.Sent);
        Assert.Contains("2400", second.Error.Message, StringComparison.Ordinal);
        Assert.Single(_venue.Requests);
    }

    [Fact]
    public async Task Order_count_limit_is_enforced_before_sending()
    {
        _venue.Route("POST /fapi/v1/order", _ => VenueReply.Json(RestRequestTests.OrderJson));
        var tracker = new RateLimitTracker(usablePercent: 100);
        tracker.SetRules([
            new(Engine.Exchange.Rules.RateLimitType.RequestWeight, TimeSpan.FromMinutes(1), 1, 'M', 2400),
            new(Engine.Exchange.Rules.RateLimitType.Orders, TimeSpan.FromMinutes(1), 1, 'M', 3),
        ]);
        using var client = RestHarness.Client(_venue, rateLimits: tracker);

        // The window is the venue's minute; if it rolls over mid-test, the count starts again (and the refusal comes later).
        var results = new List<RestResult<OrderResponse>>();
        for (var i = 0; i < 4; i++)
        {
            results.Add(await client.PlaceOrderAsync(Order($"c-{i}")));
        }

        var refused = results.Where(r => !r.IsSuccess).ToList();
        if (refused.Count == 0)
        {
            results.Add(await client.PlaceOrderAsync(Order("c-4")));
            refused = [.. results.Where(r => !r.IsSuccess)];
        }

        var refusal = Assert.Single(refused);
        Assert.Equal(VenueErrorCategory.RateLimit, refusal.Error!.Category);
        Assert.False(refusal.Error.Sent);
        Assert.Equal(results.Count - 1, _venue.Requests.Count);
    }
}
