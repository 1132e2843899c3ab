using System.Net.Sockets;
using System.Text;
using Engine.Exchange;
using Engine.Exchange.Signing;
using Engine.Exchange.Wire;
using Engine.Model;
using Tests.Exchange.Rest;

namespace Tests.Exchange.Wire;

/// <summary>The engine's own HTTP/1.1 order requests: byte for byte, as a real server reads them, refused when unsafe, allocation-free.</summary>
public sealed class HttpRequestWriterTests
{
    private static readonly RestRequestHead Head = new(new Uri("https://fapi.binance.com"), new ApiCredentials(RestHarness.ApiKey, RestHarness.Secret));

    private static string Write(OrderRequestKind kind, string parameters, RestRequestHead? head = null)
    {
        var buffer = new byte[2048];
        var writer = new HttpRequestWriter(buffer);
        writer.WriteOrder(kind, head ?? Head, Encoding.ASCII.GetBytes(parameters));
        Assert.True(writer.TryComplete(out var length));
        return Encoding.ASCII.GetString(buffer, 0, length);
    }

    [Fact]
    public void A_new_order_is_a_form_post_with_the_key_and_its_length()
    {
        const string parameters = "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&newClientOrderId=e1&recvWindow=5000&timestamp=1&signature=ab";
        Assert.Equal(
            "POST /fapi/v1/order HTTP/1.1\r\nHost: fapi.binance.com\r\nX-MBX-APIKEY: " + RestHarness.ApiKey + "\r\nConnection: keep-alive\r\n"
            + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + parameters.Length + "\r\n\r\n" + parameters,
            Write(OrderRequestKind.Place, parameters));
    }

    [Theory]
    [InlineData(OrderRequestKind.Cancel, "DELETE /fapi/v1/order?")]
    [InlineData(OrderRequestKind.Status, "GET /fapi/v1/order?")]
    [InlineData(OrderRequestKind.AlgoCancel, "DELETE /fapi/v1/algoOrder?")]
    public void Cancels_and_queries_carry_the_parameters_in_the_query_and_no_body(OrderRequestKind kind, string start)
    {
        const string parameters = "symbol=BTCUSDT&origClientOrderId=e1&timestamp=1&signature=ab";
        Assert.Equal(
            start + parameters + " HTTP/1.1\r\nHost: fapi.binance.com\r\nX-MBX-APIKEY: " + RestHarness.ApiKey + "\r\nConnection: keep-alive\r\n\r\n",
            Write(kind, parameters));
    }

    [Fact]
    public void An_algo_order_posts_to_its_own_endpoint_and_a_port_other_than_the_default_is_in_host()
    {
        var head = new RestRequestHead(new Uri("http://127.0.0.1:5123/"), new ApiCredentials(RestHarness.ApiKey, RestHarness.Secret));
        var request = Write(OrderRequestKind.AlgoPlace, "algoType=CONDITIONAL", head);
        Assert.StartsWith("POST /fapi/v1/algoOrder HTTP/1.1\r\nHost: 127.0.0.1:5123\r\n", request, StringComparison.Ordinal);
        Assert.EndsWith("Content-Length: 20\r\n\r\nalgoType=CONDITIONAL", request, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(OrderRequestKind.Cancel, "symbol=BTCUSDT HTTP/1.1\r\nX-Evil: 1")]
    [InlineData(OrderRequestKind.Status, "symbol=BTC\nUSDT")]
    [InlineData(OrderRequestKind.None, "symbol=BTCUSDT")]
    public void Parameters_that_would_break_the_request_line_and_unknown_kinds_are_refused(OrderRequestKind kind, string parameters)
    {
        var buffer = new byte[2048];
        var writer = new HttpRequestWriter(buffer);
        writer.WriteOrder(kind, Head, Encoding.ASCII.GetBytes(parameters));
        Assert.False(writer.TryComplete(out var length));
        Assert.Equal(0, length);
    }

    [Fact]
    public void A_buffer_too_small_is_refused_at_every_size()
    {
        var full = Write(OrderRequestKind.Place, "symbol=BTCUSDT&signature=ab");
        for (var size = 0; size < full.Length; size++)
        {
            var writer = new HttpRequestWriter(new byte[size]);
            writer.WriteOrder(OrderRequestKind.Place, Head, "symbol=BTCUSDT&signature=ab"u8);
            Assert.False(writer.TryComplete(out _));
        }

        Assert.True(HttpRequestWriter.MaxLength(Head, 28) >= full.Length);
    }

    [Fact]
    public void The_key_is_masked_wherever_the_head_is_shown()
    {
        Assert.DoesNotContain(RestHarness.ApiKey, Head.ToString(), StringComparison.Ordinal);
        Assert.Contains("dbef…cc83", Head.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_real_server_reads_the_signed_order_exactly_as_written_on_a_kept_alive_connection()
    {
        await using var venue = await LoopbackVenue.StartAsync();
        venue.Route("POST /fapi/v1/order", _ => VenueReply.Json("""{"orderId":7,"status":"NEW","clientOrderId":"e1"}"""));
        venue.Route("DELETE /fapi/v1/order", _ => VenueReply.Json("""{"orderId":7,"status":"CANCELED","clientOrderId":"e1"}"""));
        var head = new RestRequestHead(new Uri(venue.BaseAddress), new ApiCredentials(RestHarness.ApiKey, RestHarness.Secret));
        using var signer = HmacSha256Signer.Create(Encoding.ASCII.GetBytes(RestHarness.Secret));
        var parameters = new byte[512];
        var order = new OrderQuery
        {
            Symbol = "BTCUSDT"u8, Side = Side.Buy, Kind = OrderKind.Limit, TimeInForce = TimeInForce.Gtc, Quantity = Quantity.Parse("0.001"u8),
            Price = Price.Parse("42000"u8), ClientOrderId = "e1"u8, PriceDecimals = 2, QuantityDecimals = 3, RecvWindowMs = 5000, TimestampMs = 1700000000000,
        };
        Assert.True(order.TryWriteSigned(parameters, signer, out var parametersLength, out _));
        var cancel = "symbol=BTCUSDT&origClientOrderId=e1&timestamp=1700000000001"u8.ToArray();

        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var uri = new Uri(venue.BaseAddress);
        await socket.ConnectAsync(uri.Host, uri.Port);
        var request = new byte[4096];
        var parser = new HttpResponseParser();
        foreach (var (kind, signed) in new[] { (OrderRequestKind.Place, parameters[..parametersLength]), (OrderRequestKind.Cancel, cancel) })
        {
            var writer = new HttpRequestWriter(request);
            writer.WriteOrder(kind, head, signed);
            Assert.True(writer.TryComplete(out var length));
            await socket.SendAsync(request.AsMemory(0, length));
            Assert.Equal(200, await ReadStatusAsync(socket, parser));
        }

        var requests = venue.Requests;
        Assert.Equal(2, requests.Count);
        var place = requests[0];
        Assert.Equal(("POST", "/fapi/v1/order", "HTTP/1.1"), (place.Method, place.Path, place.Protocol));
        Assert.Equal(Encoding.ASCII.GetString(parameters, 0, parametersLength), place.BodyText);
        Assert.Equal(RestHarness.ApiKey, place.Header("X-MBX-APIKEY"));
        Assert.Equal("application/x-www-form-urlencoded", place.Header("Content-Type"));
        Assert.True(RestHarness.SignatureValid(place));
        var cancelled = requests[1];
        Assert.Equal(("DELETE", "/fapi/v1/order"), (cancelled.Method, cancelled.Path));
        Assert.Equal(Encoding.ASCII.GetString(cancel), cancelled.RawQuery);
        Assert.Empty(cancelled.Body);
        Assert.Equal(place.ConnectionId, cancelled.ConnectionId);
    }

    [Fact]
    public void Writing_allocates_nothing()
    {
        var buffer = new byte[2048];
        var parameters = "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&newClientOrderId=e1&recvWindow=5000&timestamp=1&signature=ab"u8.ToArray();
        var writer = new HttpRequestWriter(buffer);
        writer.WriteOrder(OrderRequestKind.Place, Head, parameters);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var total = 0;
        for (var i = 0; i < 1000; i++)
        {
            writer = new HttpRequestWriter(buffer);
            writer.WriteOrder((OrderRequestKind)(1 + (i % 5)), Head, parameters);
            writer.TryComplete(out var length);
            total += length;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(total > 0);
    }

    private static async Task<int> ReadStatusAsync(Socket socket, HttpResponseParser parser)
    {
        var buffer = new byte[16 * 1024];
        var filled = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(filled), timeout.Token);
            Assert.True(read > 0, "the server closed the connection");
            filled += read;
            var result = parser.TryParse(buffer.AsSpan(0, filled), out var consumed);
            Assert.NotEqual(HttpParseResult.Invalid, result);
            if (result == HttpParseResult.Complete)
            {
                Assert.Equal(filled, consumed);
                return parser.StatusCode;
            }
        }
    }
}
