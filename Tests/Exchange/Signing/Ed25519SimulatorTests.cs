using Engine.Exchange;
using Engine.Exchange.Rest;
using Engine.Exchange.Signing;
using Engine.Model;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Simulator;

namespace Tests.Exchange.Signing;

/// <summary>
/// The engine's REST client with an Ed25519 key against the real simulator, whose public key is registered with the
/// simulator's own <c>--api-key-ed25519 KEY=PATH</c> switch and which verifies with BouncyCastle, not libsodium.
/// </summary>
public sealed class Ed25519SimulatorTests : IAsyncLifetime
{
    private const string ApiKey = "Ed25519EngineKey0001";
    private readonly string _folder = Directory.CreateTempSubdirectory("ed25519-sim-").FullName;
    private ApiCredentials _credentials = null!;
    private SimulatorHost _sim = null!;

    public async Task InitializeAsync()
    {
        _credentials = ApiCredentials.WithEd25519Key(ApiKey, Ed25519TestKeys.RandomPem());
        var publicKeyFile = Path.Combine(_folder, "engine.pub.pem");
        await File.WriteAllTextAsync(publicKeyFile, _credentials.Ed25519PublicKeyPem);
        var options = SimulatorOptions.FromArgs(["--api-key-ed25519", $"{ApiKey}={publicKeyFile}", "--symbols", "3", "--seed", "1"]);
        options.BackfillMinutes = 5;
        options.MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning;
        _sim = await SimulatorHost.StartAsync(options);
    }

    public async Task DisposeAsync()
    {
        await _sim.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private BinanceRestClient Client(ApiCredentials credentials) => new(
        Options.Create(new BinanceRestOptions { BaseAddress = _sim.RestBaseUri.ToString().TrimEnd('/'), RequestTimeout = TimeSpan.FromSeconds(5), ClockSamples = 2 }),
        NullLogger<BinanceRestClient>.Instance, new ServerClock(), new RateLimitTracker(), credentials);

    [Fact]
    public async Task The_REST_client_places_queries_and_cancels_an_order_signed_with_an_Ed25519_key()
    {
        using var client = Client(_credentials);
        (await client.SyncClockAsync()).GetValueOrThrow();
        var bid = (await client.GetBookTickerAsync("BTCUSDT")).GetValueOrThrow().BidPrice;
        // A whole-dollar price a little under the bid: on the tick grid and resting, so it can be queried and cancelled.
        var price = Price.FromInteger(bid.Mantissa / 100_000_000 * 98 / 100);

        var placed = await client.PlaceOrderAsync(new NewOrderRequest
        {
            Symbol = "BTCUSDT",
            Side = Side.Buy,
            Type = OrderKind.Limit,
            Quantity = Quantity.Parse("0.010"u8),
            Price = price,
            TimeInForce = TimeInForce.Gtc,
            NewClientOrderId = "ed25519-rest-1",
        });
        Assert.True(placed.IsSuccess, placed.ToString());

        var queried = (await client.QueryOrderAsync(OrderReference.ByClientOrderId("BTCUSDT", "ed25519-rest-1"))).GetValueOrThrow();
        Assert.Equal(placed.GetValueOrThrow().OrderId, queried.OrderId);
        Assert.Equal(price, queried.Price);

        var cancelled = await client.CancelOrderAsync(OrderReference.ByClientOrderId("BTCUSDT", "ed25519-rest-1"));
        Assert.True(cancelled.IsSuccess, cancelled.ToString());

        // The execution stage's path: an order written and signed by the factory's signer, sent as pre-signed bytes.
        using var signer = RequestSigners.Create(_credentials);
        var buffer = new byte[512];
        var order = new OrderQuery
        {
            Symbol = "BTCUSDT"u8,
            Side = Side.Buy,
            Kind = OrderKind.Limit,
            TimeInForce = TimeInForce.Gtc,
            Quantity = Quantity.Parse("0.010"u8),
            Price = price,
            ClientOrderId = "ed25519-stage-1"u8,
            PriceDecimals = 2,
            QuantityDecimals = 3,
            RecvWindowMs = client.RecvWindowMs,
            TimestampMs = client.Clock.NowUnixMs,
        };
        Assert.True(order.TryWriteSigned(buffer, signer, out var length, out var error), error.ToString());
        var sent = await client.SendSignedOrderAsync(OrderCall.New, buffer.AsMemory(0, length));
        Assert.True(sent.IsSuccess, sent.ToString());
        Assert.Equal("ed25519-stage-1", (await client.QueryOrderAsync(OrderReference.ByClientOrderId("BTCUSDT", "ed25519-stage-1"))).GetValueOrThrow().ClientOrderId);
    }

    [Fact]
    public async Task A_signature_from_another_Ed25519_key_is_refused_by_the_venue_with_its_code()
    {
        var impostor = ApiCredentials.WithEd25519Key(ApiKey, Ed25519TestKeys.RandomPem());
        using var client = Client(impostor);
        (await client.SyncClockAsync()).GetValueOrThrow();

        var balances = await client.GetBalancesAsync();

        Assert.False(balances.IsSuccess);
        Assert.Equal(-1022, balances.Error!.Code);
    }
}
