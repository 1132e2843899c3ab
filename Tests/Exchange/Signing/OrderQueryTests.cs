using System.Security.Cryptography;
using System.Text;
using Engine.Exchange.Signing;
using Engine.Model;

namespace Tests.Exchange.Signing;

public sealed class OrderQueryTests
{
    private static readonly byte[] Secret = Encoding.ASCII.GetBytes("2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9");

    private static OrderQuery Limit(ReadOnlySpan<byte> clientId) => new()
    {
        Symbol = "BTCUSDT"u8,
        Side = Side.Buy,
        Kind = OrderKind.Limit,
        TimeInForce = TimeInForce.Gtc,
        Quantity = Quantity.Parse("0.012"u8),
        Price = Price.Parse("64089.2"u8),
        ClientOrderId = clientId,
        PriceDecimals = 2,
        QuantityDecimals = 3,
        RecvWindowMs = 5000,
        TimestampMs = 1721895408092,
    };

    [Fact]
    public void A_limit_order_is_written_in_the_documented_order_and_signed_over_exactly_its_bytes()
    {
        using var signer = HmacSha256Signer.Create(Secret);
        var buffer = new byte[512];
        Assert.True(Limit("e7f3a-000042"u8).TryWriteSigned(buffer, signer, out var length, out var error), error.ToString());
        var text = Encoding.ASCII.GetString(buffer, 0, length);
        const string payload = "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=0.012&price=64089.20&timeInForce=GTC&newClientOrderId=e7f3a-000042&recvWindow=5000&timestamp=1721895408092";
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Secret, Encoding.ASCII.GetBytes(payload)));
        Assert.Equal($"{payload}&signature={expected}", text);
    }

    [Fact]
    public void A_reduce_only_market_order_carries_no_price_and_no_time_in_force()
    {
        using var signer = HmacSha256Signer.Create(Secret);
        var buffer = new byte[512];
        var order = new OrderQuery
        {
            Symbol = "ETHUSDT"u8, Side = Side.Sell, Kind = OrderKind.Market, Quantity = Quantity.Parse("1.5"u8), ReduceOnly = true,
            ClientOrderId = "x:1/2"u8, PriceDecimals = 2, QuantityDecimals = 3, RecvWindowMs = 5000, TimestampMs = 1,
        };
        Assert.True(order.TryWriteSigned(buffer, signer, out var length, out _));
        var text = Encoding.ASCII.GetString(buffer, 0, length);
        Assert.StartsWith("symbol=ETHUSDT&side=SELL&type=MARKET&quantity=1.500&reduceOnly=true&newClientOrderId=x%3A1%2F2&recvWindow=5000&timestamp=1&signature=", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Conditional_types_and_a_limit_without_time_in_force_are_refused_before_anything_is_written()
    {
        using var signer = HmacSha256Signer.Create(Secret);
        var buffer = new byte[512];
        var stop = Limit("a"u8) with { Kind = OrderKind.StopMarket };
        Assert.False(stop.TryWriteSigned(buffer, signer, out _, out var error));
        Assert.Equal(QueryWriteError.UnsupportedOrder, error);
        var noTif = Limit("a"u8) with { TimeInForce = default };
        Assert.False(noTif.TryWriteSigned(buffer, signer, out _, out error));
        Assert.Equal(QueryWriteError.UnsupportedOrder, error);
    }

    [Fact]
    public void An_unrounded_quantity_is_refused_not_rounded()
    {
        using var signer = HmacSha256Signer.Create(Secret);
        var order = Limit("a"u8) with { Quantity = Quantity.Parse("0.0125"u8) };
        Assert.False(order.TryWriteSigned(new byte[512], signer, out _, out var error));
        Assert.Equal(QueryWriteError.TooManyDecimals, error);
    }

    [Fact]
    public void Building_and_signing_an_order_allocates_nothing()
    {
        using var signer = HmacSha256Signer.Create(Secret);
        var buffer = new byte[512];
        Span<byte> clientId = stackalloc byte[16];
        "e7f3a-000042"u8.CopyTo(clientId);
        for (var i = 0; i < 100; i++)
        {
            Assert.True(Limit(clientId[..12]).TryWriteSigned(buffer, signer, out _, out _));
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var total = 0;
        for (var i = 0; i < 10_000; i++)
        {
            Limit(clientId[..12]).TryWriteSigned(buffer, signer, out var length, out _);
            total += length;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(total > 0);
    }
}
