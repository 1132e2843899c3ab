using System.Net;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Engine.Exchange;
using Engine.Exchange.Rest;
using Engine.Exchange.Rules;
using Engine.Exchange.Signing;
using Engine.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Benchmarks.Exchange;

/// <summary>
/// The REST client's own costs: parsing an order answer into fixed-point, and a full order round trip (pre-signed
/// bytes, or built and signed by the client) to a Kestrel server on loopback in the same process. The round trip
/// includes the server's work and shares this machine's two cores with it: indicative only.
/// </summary>
[MemoryDiagnoser]
public class RestClientBenchmarks
{
    private const string OrderJson = """
        {"orderId":336829446,"symbol":"BTCUSDT","status":"NEW","clientOrderId":"FqEw6cn0vDhrkmfiwLYPeo",
         "price":"42088.00","avgPrice":"0.00","origQty":"0.100","executedQty":"0.000","cumQty":"0.000",
         "cumQuote":"0.00000","timeInForce":"GTC","type":"LIMIT","reduceOnly":false,"closePosition":false,
         "side":"BUY","positionSide":"BOTH","stopPrice":"0.00","workingType":"CONTRACT_PRICE","priceProtect":false,
         "origType":"LIMIT","priceMatch":"NONE","selfTradePreventionMode":"NONE","goodTillDate":0,
         "updateTime":1705385954229}
        """;

    private readonly byte[] _orderBytes = System.Text.Encoding.UTF8.GetBytes(OrderJson);
    private readonly byte[] _signed = new byte[512];
    private int _signedLength;
    private WebApplication _server = null!;
    private BinanceRestClient _client = null!;
    private HmacSha256Signer _signer = null!;

    [GlobalSetup]
    public void Setup()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        _server = builder.Build();
        _server.Run(async context =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null);
            context.Response.ContentType = "application/json";
            context.Response.Headers["X-MBX-USED-WEIGHT-1M"] = "1";
            await context.Response.Body.WriteAsync(_orderBytes);
        });
        _server.StartAsync().GetAwaiter().GetResult();

        var limits = new RateLimitTracker();
        limits.SetRules([
            new(RateLimitType.RequestWeight, TimeSpan.FromMinutes(1), 1, 'M', int.MaxValue),
            new(RateLimitType.Orders, TimeSpan.FromSeconds(10), 10, 'S', int.MaxValue),
        ]);
        const string secret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";
        _client = new BinanceRestClient(
            Options.Create(new BinanceRestOptions { BaseAddress = _server.Urls.Single().TrimEnd('/') }),
            NullLogger<BinanceRestClient>.Instance, new ServerClock(), limits,
            new ApiCredentials("dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83", secret));
        _signer = HmacSha256Signer.Create(System.Text.Encoding.UTF8.GetBytes(secret));
        var query = new OrderQuery
        {
            Symbol = "BTCUSDT"u8, Side = Side.Buy, Kind = OrderKind.Limit, TimeInForce = TimeInForce.Gtc,
            Quantity = Quantity.Parse("0.100"u8), Price = Price.Parse("42088"u8), ClientOrderId = "bench-1"u8,
            PriceDecimals = 2, QuantityDecimals = 3, RecvWindowMs = 5000, TimestampMs = _client.Clock.NowUnixMs,
        };
        if (!query.TryWriteSigned(_signed, _signer, out _signedLength, out var error))
        {
            throw new InvalidOperationException(error.ToString());
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _signer.Dispose();
        _server.StopAsync().GetAwaiter().GetResult();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Description = "parse order answer (source-generated JSON → fixed-point)")]
    public long ParseOrderAnswer() => JsonSerializer.Deserialize(_orderBytes, RestJsonContext.Default.OrderResponse)!.OrderId;

    [Benchmark(Description = "pre-signed order → loopback → parsed answer")]
    public async Task<long> SendPreSignedOrder() =>
        (await _client.SendSignedOrderAsync(OrderCall.New, _signed.AsMemory(0, _signedLength))).Value!.OrderId;

    [Benchmark(Description = "PlaceOrderAsync (build + sign + send + parse)")]
    public async Task<long> PlaceOrder() =>
        (await _client.PlaceOrderAsync(new NewOrderRequest
        {
            Symbol = "BTCUSDT", Side = Side.Buy, Type = OrderKind.Limit, Quantity = Quantity.Parse("0.1"u8),
            Price = Price.Parse("42088"u8), TimeInForce = TimeInForce.Gtc, NewClientOrderId = "bench-2",
        })).Value!.OrderId;
}
