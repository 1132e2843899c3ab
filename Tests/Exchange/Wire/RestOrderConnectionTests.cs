using System.Text;
using Engine.Exchange.Wire;
using Engine.Model;
using Microsoft.Extensions.Logging;
using Tests.Exchange.Rest;

namespace Tests.Exchange.Wire;

/// <summary>
/// A REST order connection's life against a scripted Kestrel server on loopback: kept alive across orders, closed by
/// the server after an answer, dropped with a request in flight, sent an answer it cannot read.
/// </summary>
public sealed class RestOrderConnectionTests : IAsyncLifetime
{
    private LoopbackVenue _venue = null!;
    private RestOrderHarness _h = null!;

    public async Task InitializeAsync()
    {
        _venue = await LoopbackVenue.StartAsync();
        _venue.Route("POST /fapi/v1/order", r => VenueReply.Json($$"""{"orderId":{{r.BodyText.Length}},"status":"NEW","executedQty":"0","cumQuote":"0","avgPrice":"0","updateTime":1}"""));
        _h = new RestOrderHarness(RestHarness.ApiKey, RestHarness.Secret);
    }

    public async Task DisposeAsync()
    {
        _h.Dispose();
        await _venue.DisposeAsync();
    }

    private ReadOnlySpan<byte> Order(long id) => _h.Order(id, OrderKind.Market, Side.Buy, "0.010");

    [Fact]
    public async Task One_connection_carries_the_warm_up_and_every_order()
    {
        using var pool = _h.Pool(_venue.BaseAddress + "/");
        await pool.StartAsync();
        for (var i = 0; i < 30; i++)
        {
            RestOrderHarness.Send(pool, OrderRequestKind.Place, 100 + i, Order(100 + i));
            Assert.Equal(100 + i, _h.Sink.Answer(i).ClientOrderId);
        }

        var requests = _venue.Requests;
        Assert.Equal(31, requests.Count);
        Assert.Equal("GET /fapi/v1/time", $"{requests[0].Method} {requests[0].Path}");
        Assert.Single(requests.Select(r => r.ConnectionId).Distinct());
        Assert.All(requests, r => Assert.Equal("HTTP/1.1", r.Protocol));
        Assert.All(requests.Skip(1), r => Assert.True(RestHarness.SignatureValid(r)));
        Assert.Equal(1, pool.ConnectCount);
        Assert.Empty(_h.Sink.Lost);
    }

    [Fact]
    public async Task The_server_closing_after_its_answer_delivers_the_answer_then_the_slot_is_reopened()
    {
        using var pool = _h.Pool(_venue.BaseAddress + "/");
        await pool.StartAsync();
        _venue.Enqueue("POST /fapi/v1/order", new VenueReply(200, """{"orderId":9,"status":"NEW"}""", new Dictionary<string, string> { ["Connection"] = "close" }));

        var first = RestOrderHarness.Send(pool, OrderRequestKind.Place, 201, Order(201));
        Assert.Equal((200, 9L), (_h.Sink.Answer(0).Status, _h.Sink.Answer(0).OrderId));
        Assert.True(RecordingSink.WaitUntil(() => !_h.Sink.Lost.IsEmpty), "the close was not reported");
        var (lostId, reason) = Assert.Single(_h.Sink.Lost);
        Assert.Equal(first, lostId);
        Assert.Contains("Connection: close", reason, StringComparison.Ordinal);
        Assert.Equal(0, pool.LostInFlightCount);

        Assert.True(RecordingSink.WaitUntil(() => _h.Sink.Ready.Count == 2), "the slot was not reopened");
        var second = RestOrderHarness.Send(pool, OrderRequestKind.Place, 202, Order(202));
        Assert.NotEqual(first, second);
        Assert.Equal(202, _h.Sink.Answer(1).ClientOrderId);
        Assert.Equal(2, _venue.Requests.Select(r => r.ConnectionId).Distinct().Count());
    }

    [Theory]
    [InlineData("dropped")]
    [InlineData("dropped mid-body")]
    [InlineData("unreadable")]
    public async Task A_request_whose_answer_is_lost_or_unreadable_is_reported_in_flight_and_never_answered(string failure)
    {
        var logs = new CollectingLoggerProvider();
        using var factory = logs.CreateFactory();
        using var pool = _h.Pool(_venue.BaseAddress + "/", logs: factory);
        await pool.StartAsync();
        _venue.Enqueue("POST /fapi/v1/order", failure switch
        {
            "dropped" => new VenueReply(200, string.Empty) { Abort = true },
            "dropped mid-body" => new VenueReply(200, """{"orderId":9,""") { AbortMidBody = true },
            _ => VenueReply.Json("""{"symbol":"BTCUSDT"}"""),
        });

        var connection = RestOrderHarness.Send(pool, OrderRequestKind.Place, 301, Order(301));

        Assert.True(RecordingSink.WaitUntil(() => !_h.Sink.Lost.IsEmpty), "the loss was not reported");
        Assert.Equal(connection, Assert.Single(_h.Sink.Lost).ConnectionId);
        Assert.Equal(1, pool.LostInFlightCount);
        Assert.Contains(logs.Lines, l => l.Level == LogLevel.Error && l.Text.Contains("Place e301 in flight", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.Text.Contains(RestHarness.ApiKey, StringComparison.Ordinal));

        Assert.True(RecordingSink.WaitUntil(() => _h.Sink.Ready.Count == 2), "the slot was not reopened");
        RestOrderHarness.Send(pool, OrderRequestKind.Place, 302, Order(302));
        var answer = _h.Sink.Answer(0);
        Assert.Equal((302L, 200), (answer.ClientOrderId, answer.Status));
        Assert.Equal(1, _h.Sink.Count);
    }

    [Fact]
    public async Task An_idle_connection_is_kept_warm_on_itself_without_answers_to_the_sink()
    {
        using var pool = _h.Pool(_venue.BaseAddress + "/", configure: o => o.KeepWarmInterval = TimeSpan.FromMilliseconds(150));
        await pool.StartAsync();

        Assert.True(RecordingSink.WaitUntil(() => _venue.RequestsTo("GET /fapi/v1/time").Count >= 3), "no keep-warm request was sent");
        RestOrderHarness.Send(pool, OrderRequestKind.Place, 501, Order(501));

        Assert.Equal(501, _h.Sink.Answer(0).ClientOrderId);
        Assert.Equal(1, _h.Sink.Count);
        Assert.Single(_venue.Requests.Select(r => r.ConnectionId).Distinct());
        Assert.Equal(1, pool.ConnectCount);
    }

    [Fact]
    public async Task A_proxy_error_page_is_an_answer_with_its_status_and_text()
    {
        using var pool = _h.Pool(_venue.BaseAddress + "/");
        await pool.StartAsync();
        _venue.Enqueue("POST /fapi/v1/order", new VenueReply(502, "<html>Bad Gateway</html>") { ContentType = "text/html" });

        RestOrderHarness.Send(pool, OrderRequestKind.Place, 401, Order(401));
        var answer = _h.Sink.Answer(0);

        Assert.Equal((502, 0, 401L), (answer.Status, answer.ErrorCode, answer.ClientOrderId));
        ReadOnlySpan<byte> message = answer.Message;
        Assert.Equal("<html>Bad Gateway</html>", Encoding.UTF8.GetString(message[..answer.MessageLength]));
        Assert.Empty(_h.Sink.Lost);
    }
}
