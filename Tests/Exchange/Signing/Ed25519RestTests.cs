using System.Text;
using Engine.Exchange;
using Engine.Exchange.Rest;
using Engine.Model;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NSec.Cryptography;
using Tests.Exchange.Rest;

namespace Tests.Exchange.Signing;

/// <summary>The REST client with an Ed25519 key, at a real loopback HTTP server that records each request byte for byte.</summary>
public sealed class Ed25519RestTests : IAsyncLifetime
{
    private LoopbackVenue _venue = null!;

    public async Task InitializeAsync() => _venue = await LoopbackVenue.StartAsync();

    public async Task DisposeAsync() => await _venue.DisposeAsync();

    [Fact]
    public async Task Signed_calls_carry_a_percent_encoded_Ed25519_signature_over_the_exact_bytes_sent()
    {
        var credentials = ApiCredentials.WithEd25519Key(RestHarness.ApiKey, Ed25519TestKeys.RandomPem());
        var publicKey = PublicKey.Import(SignatureAlgorithm.Ed25519, Encoding.ASCII.GetBytes(credentials.Ed25519PublicKeyPem!), KeyBlobFormat.PkixPublicKeyText);
        _venue.Route("POST /fapi/v1/order", _ => VenueReply.Json(RestRequestTests.OrderJson));
        _venue.Route("GET /fapi/v1/order", _ => VenueReply.Json(RestRequestTests.OrderJson));
        using var client = new BinanceRestClient(
            Options.Create(new BinanceRestOptions { BaseAddress = _venue.BaseAddress, RequestTimeout = TimeSpan.FromSeconds(5), ClockSamples = 3 }),
            NullLogger<BinanceRestClient>.Instance, new ServerClock(), new RateLimitTracker(), credentials);

        var placed = await client.PlaceOrderAsync(new NewOrderRequest
        {
            Symbol = "BTCUSDT",
            Side = Side.Buy,
            Type = OrderKind.Limit,
            Quantity = Quantity.FromInteger(1),
            Price = Price.FromInteger(9000),
            TimeInForce = TimeInForce.Gtc,
            NewClientOrderId = "ed25519/rest:1",
        });
        var queried = await client.QueryOrderAsync(OrderReference.ByClientOrderId("BTCUSDT", "ed25519/rest:1"));

        Assert.True(placed.IsSuccess, placed.ToString());
        Assert.True(queried.IsSuccess, queried.ToString());
        var post = Assert.Single(_venue.RequestsTo("POST /fapi/v1/order"));
        var get = Assert.Single(_venue.RequestsTo("GET /fapi/v1/order"));
        foreach (var request in new[] { post, get })
        {
            Assert.Equal(RestHarness.ApiKey, request.Header("X-MBX-APIKEY"));
            var total = request.TotalParams;
            var at = total.LastIndexOf("&signature=", StringComparison.Ordinal);
            var sent = total[(at + "&signature=".Length)..];
            Assert.Matches("^[A-Za-z0-9%]+%3D%3D$", sent);
            var signature = Convert.FromBase64String(Uri.UnescapeDataString(sent));
            Assert.True(SignatureAlgorithm.Ed25519.Verify(publicKey, Encoding.ASCII.GetBytes(total[..at]), signature), total);
            Assert.False(RestHarness.SignatureValid(request));
        }

        Assert.Contains("newClientOrderId=ed25519%2Frest%3A1", post.BodyText, StringComparison.Ordinal);
    }
}
