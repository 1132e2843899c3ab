using System.Security.Cryptography;
using System.Text;
using Engine.Exchange.Signing;
using Engine.Model;

namespace Tests.Exchange.Signing;

public sealed class QueryWriterTests
{
    private static readonly byte[] Secret = Encoding.ASCII.GetBytes("2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9");

    [Fact]
    public void Writes_the_documented_order_and_signs_it()
    {
        using var signer = HmacSha256Signer.Create(Secret);
        var buffer = new byte[512];
        var writer = new QueryWriter(buffer);
        writer.Add("symbol"u8, "BTCUSDT"u8);
        writer.Add("side"u8, "BUY"u8);
        writer.Add("type"u8, "LIMIT"u8);
        writer.Add("quantity"u8, Quantity.FromInteger(1), 0);
        writer.Add("price"u8, Price.FromInteger(9000), 0);
        writer.Add("timeInForce"u8, "GTC"u8);
        writer.Add("recvWindow"u8, 5000);
        writer.Add("timestamp"u8, 1591702613943);
        writer.AppendSignature(signer);
        Assert.True(writer.TryComplete(out var length, out var error), error.ToString());
        Assert.Equal(
            "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943"
            + "&signature=3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9",
            Encoding.ASCII.GetString(buffer, 0, length));
    }

    [Fact]
    public void Fixed_point_values_are_written_at_the_requested_decimals_never_as_floats()
    {
        var text = Write((ref QueryWriter w) =>
        {
            w.Add("quantity"u8, Quantity.Parse("0.010"u8), 3);
            w.Add("price"u8, Price.Parse("64089.2"u8), 2);
            w.Add("tiny"u8, Price.Parse("0.00000001"u8), 8);
        });
        Assert.Equal("quantity=0.010&price=64089.20&tiny=0.00000001", text);
    }

    [Fact]
    public void A_value_finer_than_the_symbol_allows_is_an_error_not_a_silent_rounding()
    {
        var writer = new QueryWriter(new byte[128]);
        writer.Add("quantity"u8, Quantity.Parse("0.0015"u8), 3);
        writer.Add("timestamp"u8, 1);
        Assert.False(writer.TryComplete(out _, out var error));
        Assert.Equal(QueryWriteError.TooManyDecimals, error);
    }

    [Fact]
    public void Values_outside_the_unreserved_set_are_percent_encoded_and_signed_as_sent()
    {
        var text = Write((ref QueryWriter w) =>
        {
            w.Add("newClientOrderId"u8, "e1:run/42"u8);
            w.Add("symbol"u8, Encoding.UTF8.GetBytes("币安人生USDT"));
            w.Add("batchOrders"u8, "[{\"a\":1}]"u8);
            w.Add("ok"u8, "Az09-._~"u8);
        });
        Assert.Equal(
            "newClientOrderId=e1%3Arun%2F42&symbol=%E5%B8%81%E5%AE%89%E4%BA%BA%E7%94%9FUSDT&batchOrders=%5B%7B%22a%22%3A1%7D%5D&ok=Az09-._~",
            text);
    }

    [Fact]
    public void A_buffer_too_small_is_reported_wherever_it_runs_out()
    {
        var full = Write((ref QueryWriter w) =>
        {
            w.Add("symbol"u8, "BTCUSDT"u8);
            w.Add("timestamp"u8, 1591702613943);
        });
        using var signer = HmacSha256Signer.Create(Secret);
        for (var size = 0; size < full.Length + 75; size++)
        {
            var buffer = new byte[size];
            var writer = new QueryWriter(buffer);
            writer.Add("symbol"u8, "BTCUSDT"u8);
            writer.Add("timestamp"u8, 1591702613943);
            writer.AppendSignature(signer);
            Assert.False(writer.TryComplete(out _, out var error));
            Assert.Equal(QueryWriteError.BufferTooSmall, error);
        }
    }

    [Fact]
    public void Signature_covers_exactly_the_bytes_before_it()
    {
        using var signer = HmacSha256Signer.Create(Secret);
        var buffer = new byte[256];
        var writer = new QueryWriter(buffer);
        writer.Add("symbol"u8, "ETHUSDT"u8);
        writer.Add("reduceOnly"u8, true);
        writer.Add("timestamp"u8, 1700000000000);
        writer.AppendSignature(signer);
        Assert.True(writer.TryComplete(out var length, out _));
        var text = Encoding.ASCII.GetString(buffer, 0, length);
        var cut = text.IndexOf("&signature=", StringComparison.Ordinal);
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Secret, Encoding.ASCII.GetBytes(text[..cut])));
        Assert.Equal("symbol=ETHUSDT&reduceOnly=true&timestamp=1700000000000", text[..cut]);
        Assert.Equal(expected, text[(cut + 11)..]);
    }

    private delegate void WriteAction(ref QueryWriter writer);

    private static string Write(WriteAction write)
    {
        var buffer = new byte[1024];
        var writer = new QueryWriter(buffer);
        write(ref writer);
        Assert.True(writer.TryComplete(out var length, out var error), error.ToString());
        return Encoding.ASCII.GetString(buffer, 0, length);
    }
}
