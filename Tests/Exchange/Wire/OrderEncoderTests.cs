using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Engine.Exchange.Signing;
using Engine.Exchange.Wire;
using Engine.Model;

namespace Tests.Exchange.Wire;

public sealed class OrderEncoderTests
{
    // Binance's documented example key pair (USDⓈ-M "SIGNED endpoint examples").
    private const string DocKey = "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83";
    private const string DocSecret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";

    private static OrderDescription Limit(long id = 42) => new()
    {
        Request = OrderRequestKind.Place,
        Symbol = "BTCUSDT"u8,
        ClientOrderId = id,
        Side = Side.Buy,
        Kind = OrderKind.Limit,
        TimeInForce = TimeInForce.Gtc,
        Quantity = Quantity.Parse("1"u8),
        Price = Price.Parse("9000"u8),
        PriceDecimals = 1,
        QuantityDecimals = 3,
        RecvWindowMs = 5000,
        TimestampMs = 1591702613943,
    };

    [Fact]
    public void The_rest_form_is_the_signed_query_the_old_encoder_wrote()
    {
        using var signer = HmacSha256Signer.Create(Encoding.ASCII.GetBytes(DocSecret));
        var buffer = new byte[1024];
        Assert.True(OrderEncoder.TryWriteRest(Limit(), signer, buffer, out var length, out var error), error.ToString());
        var rest = Encoding.ASCII.GetString(buffer, 0, length);

        var query = new OrderQuery
        {
            Symbol = "BTCUSDT"u8, Side = Side.Buy, Kind = OrderKind.Limit, TimeInForce = TimeInForce.Gtc, Quantity = Quantity.Parse("1"u8),
            Price = Price.Parse("9000"u8), ClientOrderId = "e42"u8, PriceDecimals = 1, QuantityDecimals = 3, RecvWindowMs = 5000, TimestampMs = 1591702613943,
        };
        var old = new byte[1024];
        Assert.True(query.TryWriteSigned(old, signer, out var oldLength, out _));

        // The same parameters (the new form adds newOrderRespType=RESULT, as the stage's writer did), each signed over what precedes it.
        Assert.Equal(Params(Encoding.ASCII.GetString(old, 0, oldLength)).With("newOrderRespType", "RESULT").Without("signature"), Params(rest).Without("signature"));
        var unsigned = rest[..rest.IndexOf("&signature=", StringComparison.Ordinal)];
        Assert.Equal(Hmac(unsigned), Params(rest)["signature"]);
        Assert.Equal(("POST", "/fapi/v1/order"), OrderEncoder.RestRoute(OrderRequestKind.Place));
    }

    [Fact]
    public void The_rest_form_signed_later_is_byte_for_byte_the_one_signed_at_once_and_a_short_buffer_is_refused_up_front()
    {
        using var signer = HmacSha256Signer.Create(Encoding.ASCII.GetBytes(DocSecret));
        var atOnce = new byte[1024];
        Assert.True(OrderEncoder.TryWriteRest(Limit(), signer, atOnce, out var signedLength, out _));

        var later = new byte[1024];
        Assert.True(OrderEncoder.TryWriteRestUnsigned(Limit(), signer, later, out var unsignedLength, out _));
        Assert.False(later.AsSpan(0, unsignedLength).IndexOf("signature="u8) >= 0, "nothing signed yet");
        var length = OrderEncoder.SignRest(later, unsignedLength, signer);
        Assert.Equal(Encoding.ASCII.GetString(atOnce, 0, signedLength), Encoding.ASCII.GetString(later, 0, length));

        // Room for the signature is kept when the query is written, so signing later cannot run out of buffer.
        var tight = new byte[signedLength - 1];
        Assert.False(OrderEncoder.TryWriteRestUnsigned(Limit(), signer, tight, out _, out var error));
        Assert.Equal(OrderEncodeError.BufferTooSmall, error);
    }

    [Fact]
    public void The_ws_api_form_signs_every_param_sorted_by_name()
    {
        using var signer = HmacSha256Signer.Create(Encoding.ASCII.GetBytes(DocSecret));
        var json = WsJson(Limit(), signer);
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        Assert.Equal("e42", root.GetProperty("id").GetString());
        Assert.Equal("order.place", root.GetProperty("method").GetString());
        var p = root.GetProperty("params");

        // DECIMAL as strings, INT as numbers.
        Assert.Equal("9000.0", p.GetProperty("price").GetString());
        Assert.Equal("1.000", p.GetProperty("quantity").GetString());
        Assert.Equal(JsonValueKind.Number, p.GetProperty("timestamp").ValueKind);
        Assert.Equal(5000, p.GetProperty("recvWindow").GetInt64());
        Assert.Equal(DocKey, p.GetProperty("apiKey").GetString());
        Assert.Equal("e42", p.GetProperty("newClientOrderId").GetString());

        // The payload the venue rebuilds: all params but the signature, sorted by name, k=v&…
        var names = p.EnumerateObject().Select(x => x.Name).Where(n => n != "signature").ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        var payload = string.Join('&', p.EnumerateObject().Where(x => x.Name != "signature").OrderBy(x => x.Name, StringComparer.Ordinal)
            .Select(x => x.Name + "=" + (x.Value.ValueKind == JsonValueKind.String ? x.Value.GetString() : x.Value.GetRawText())));
        Assert.Equal(Hmac(payload), p.GetProperty("signature").GetString());
    }

    [Fact]
    public void Binance_documented_ws_api_vector_signs_the_same()
    {
        // BINANCE_USDM.md §12: the documented request's payload and signature.
        const string Payload = "apiKey=" + DocKey + "&price=9000&quantity=1&recvWindow=5000&side=BUY&symbol=BTCUSDT&timeInForce=GTC&timestamp=1591702613943&type=LIMIT";
        using IRequestSigner signer = HmacSha256Signer.Create(Encoding.ASCII.GetBytes(DocSecret));
        var signature = new byte[signer.MaxJsonSignatureLength];
        var length = signer.SignForJson(Encoding.ASCII.GetBytes(Payload), signature);
        Assert.Equal("5b8fe2b962b8e1b2b82fb40e548d56147c2a8f835b5f1393ae4b4b90c38b527f", Encoding.ASCII.GetString(signature, 0, length));
    }

    [Fact]
    public void A_logged_on_session_sends_neither_api_key_nor_signature()
    {
        var json = WsJson(Limit(), signer: null);
        using var document = JsonDocument.Parse(json);
        var p = document.RootElement.GetProperty("params");
        Assert.False(p.TryGetProperty("apiKey", out _));
        Assert.False(p.TryGetProperty("signature", out _));
        Assert.Equal(1591702613943, p.GetProperty("timestamp").GetInt64());
    }

    [Fact]
    public void Cancel_status_and_algo_requests_carry_their_ids()
    {
        using var signer = HmacSha256Signer.Create(Encoding.ASCII.GetBytes(DocSecret));
        var cancel = Limit() with { Request = OrderRequestKind.Cancel };
        using (var d = JsonDocument.Parse(WsJson(cancel, signer)))
        {
            Assert.Equal("c:e42", d.RootElement.GetProperty("id").GetString());
            Assert.Equal("order.cancel", d.RootElement.GetProperty("method").GetString());
            Assert.Equal("e42", d.RootElement.GetProperty("params").GetProperty("origClientOrderId").GetString());
            Assert.False(d.RootElement.GetProperty("params").TryGetProperty("price", out _));
        }

        var algo = Limit() with { Request = OrderRequestKind.AlgoPlace, Kind = OrderKind.StopMarket, TriggerPrice = Price.Parse("8500"u8), ReduceOnly = true };
        using (var d = JsonDocument.Parse(WsJson(algo, signer)))
        {
            var p = d.RootElement.GetProperty("params");
            Assert.Equal("a:e42", d.RootElement.GetProperty("id").GetString());
            Assert.Equal("CONDITIONAL", p.GetProperty("algoType").GetString());
            Assert.Equal("8500.0", p.GetProperty("triggerPrice").GetString());
            Assert.Equal("STOP_MARKET", p.GetProperty("type").GetString());
            Assert.Equal("e42", p.GetProperty("clientAlgoId").GetString());
            var names = p.EnumerateObject().Select(x => x.Name).Where(n => n != "signature").ToList();
            Assert.Equal(names.Order(StringComparer.Ordinal), names);
        }

        Assert.True(OrderEncoder.TryParseWsApiRequestId("x:e7"u8, out var kind, out var id));
        Assert.Equal((OrderRequestKind.AlgoCancel, 7L), (kind, id));
        Assert.False(OrderEncoder.TryParseWsApiRequestId("logon"u8, out _, out _));
    }

    [Fact]
    public void Bad_orders_are_refused_with_the_reason()
    {
        using var signer = HmacSha256Signer.Create(Encoding.ASCII.GetBytes(DocSecret));
        var buffer = new byte[1024];
        Assert.False(OrderEncoder.TryWriteWsApi(Limit() with { Price = Price.Parse("9000.05"u8) }, Encoding.ASCII.GetBytes(DocKey), signer, buffer, out _, out var error));
        Assert.Equal(OrderEncodeError.TooManyDecimals, error);
        Assert.False(OrderEncoder.TryWriteWsApi(Limit() with { Symbol = "BTC\"USDT"u8 }, Encoding.ASCII.GetBytes(DocKey), signer, buffer, out _, out error));
        Assert.Equal(OrderEncodeError.UnsafeText, error);
        Assert.False(OrderEncoder.TryWriteWsApi(Limit() with { Kind = OrderKind.StopMarket }, Encoding.ASCII.GetBytes(DocKey), signer, buffer, out _, out error));
        Assert.Equal(OrderEncodeError.UnsupportedOrder, error);
        Assert.False(OrderEncoder.TryWriteWsApi(Limit(), Encoding.ASCII.GetBytes(DocKey), signer, new byte[100], out _, out error));
        Assert.Equal(OrderEncodeError.BufferTooSmall, error);
        Assert.False(OrderEncoder.TryWriteRest(Limit() with { TimeInForce = default }, signer, buffer, out _, out error));
        Assert.Equal(OrderEncodeError.UnsupportedOrder, error);
    }

    [Fact]
    public void Encoding_allocates_nothing()
    {
        using var signer = HmacSha256Signer.Create(Encoding.ASCII.GetBytes(DocSecret));
        var buffer = new byte[1024];
        var key = Encoding.ASCII.GetBytes(DocKey);
        void Encode()
        {
            for (var i = 1; i <= 1000; i++)
            {
                var order = Limit(i);
                Assert.True(OrderEncoder.TryWriteWsApi(order, key, signer, buffer, out _, out _));
                Assert.True(OrderEncoder.TryWriteRest(order, signer, buffer, out _, out _));
            }
        }

        Encode();
        Assert.Equal(0, AllocationMeter.OnThisThread(Encode));
    }

    private static string WsJson(in OrderDescription order, IRequestSigner? signer)
    {
        var buffer = new byte[1024];
        Assert.True(OrderEncoder.TryWriteWsApi(order, Encoding.ASCII.GetBytes(DocKey), signer, buffer, out var length, out var error), error.ToString());
        return Encoding.ASCII.GetString(buffer, OrderEncoder.FrameHeadroom, length);
    }

    private static Dictionary<string, string> Params(string query) =>
        query.Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);

    private static string Hmac(string payload) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.ASCII.GetBytes(DocSecret), Encoding.ASCII.GetBytes(payload)));
}

internal static class DictionaryExtensions
{
    public static Dictionary<string, string> With(this Dictionary<string, string> d, string k, string v)
    {
        d[k] = v;
        return d;
    }

    public static Dictionary<string, string> Without(this Dictionary<string, string> d, string k)
    {
        d.Remove(k);
        return d;
    }
}
