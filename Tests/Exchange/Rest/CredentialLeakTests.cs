using System.Text;
using Engine.Exchange;
using Engine.Exchange.Rest;
using Engine.Model;

namespace Tests.Exchange.Rest;

/// <summary>Runs the client through success and every failure path with all logging on, then looks for the credentials.</summary>
public sealed class CredentialLeakTests : IAsyncLifetime
{
    private LoopbackVenue _venue = null!;

    public async Task InitializeAsync() => _venue = await LoopbackVenue.StartAsync();

    public async Task DisposeAsync() => await _venue.DisposeAsync();

    [Fact]
    public async Task Neither_the_secret_nor_the_full_key_appears_in_any_log_line_or_error()
    {
        var logs = new CollectingLoggerProvider();
        using var factory = logs.CreateFactory();
        var texts = new List<string>();
        _venue.Enqueue("POST /fapi/v1/order", VenueReply.Error(400, -1021, "Timestamp for this request is outside of the recvWindow."));
        _venue.Enqueue("POST /fapi/v1/order", VenueReply.Json(RestRequestTests.OrderJson));
        _venue.Enqueue("POST /fapi/v1/order", VenueReply.Error(401, -2015, "Invalid API-key, IP, or permissions for action, request ip: 127.0.0.1"));
        _venue.Enqueue("POST /fapi/v1/order", VenueReply.Json("{\"orderId\":") with { });
        _venue.Enqueue("POST /fapi/v1/order", new VenueReply(200, string.Empty) { Abort = true });
        _venue.Enqueue("POST /fapi/v1/order", VenueReply.Json(RestRequestTests.OrderJson) with { Delay = TimeSpan.FromSeconds(3) });
        _venue.Enqueue("GET /fapi/v3/account", VenueReply.Error(400, -1022, "Signature for this request is not valid."));
        _venue.Enqueue("POST /fapi/v1/listenKey", VenueReply.Json("""{"listenKey":"abc"}"""));

        using (var client = RestHarness.Client(_venue, factory, o => o.RequestTimeout = TimeSpan.FromMilliseconds(500)))
        {
            texts.Add(client.ToString()!);
            for (var i = 0; i < 6; i++)
            {
                var result = await client.PlaceOrderAsync(new NewOrderRequest
                {
                    Symbol = "BTCUSDT", Side = Side.Buy, Type = OrderKind.Limit, Quantity = Quantity.Parse("0.001"u8),
                    Price = Price.Parse("42000"u8), TimeInForce = TimeInForce.Gtc, NewClientOrderId = $"leak-{i}",
                });
                texts.Add(result.ToString());
                if (!result.IsSuccess)
                {
                    texts.Add(Assert.Throws<VenueException>(() => result.GetValueOrThrow()).ToString());
                }
            }

            texts.Add((await client.GetAccountAsync()).ToString());
            texts.Add((await client.CreateListenKeyAsync()).ToString());
            _venue.Enqueue("GET /fapi/v1/time", new VenueReply(429, """{"code":-1003,"msg":"Too many requests"}""", new Dictionary<string, string> { ["Retry-After"] = "1" }));
            texts.Add((await client.GetServerTimeAsync()).ToString());
            texts.Add((await client.GetServerTimeAsync()).ToString()); // refused locally during the back-off
            texts.Add(new ApiCredentials(RestHarness.ApiKey, RestHarness.Secret).ToString());
        }

        var lines = logs.Lines.Select(l => l.Text).ToList();
        Assert.True(lines.Count >= 10, $"only {lines.Count} log lines were captured");
        Assert.Contains(lines, l => l.Contains("dbef…cc83", StringComparison.Ordinal)); // the masked key is what is shown
        Assert.Contains(lines, l => l.Contains("outcome unknown", StringComparison.Ordinal));
        foreach (var text in lines.Concat(texts))
        {
            Assert.DoesNotContain(RestHarness.Secret, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(RestHarness.ApiKey, text, StringComparison.OrdinalIgnoreCase);

            // Nor a recognisable piece of either (the first 16 characters).
            Assert.DoesNotContain(RestHarness.Secret[..16], text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(RestHarness.ApiKey[..16], text, StringComparison.OrdinalIgnoreCase);
        }

        // The key did travel, in the header and nowhere else in the requests.
        Assert.All(_venue.Requests.Where(r => r.Path != "/fapi/v1/time"), r => Assert.Equal(RestHarness.ApiKey, r.Header("X-MBX-APIKEY")));
        Assert.All(_venue.Requests, r => Assert.DoesNotContain(RestHarness.Secret, r.TotalParams, StringComparison.Ordinal));
        Assert.All(_venue.Requests, r => Assert.DoesNotContain(RestHarness.Secret, Encoding.ASCII.GetString(r.Body), StringComparison.Ordinal));
    }
}
