using System.Text;
using Engine.Exchange;
using Engine.Exchange.Rules;
using Engine.Exchange.Wire;
using Engine.Exchange.WsApi;
using Engine.Model;

namespace Tests.Exchange.WsApi;

/// <summary>The answer parser against the answer texts Binance documents for <c>ws-fapi/v1</c>.</summary>
public sealed class WsApiAnswerParserTests
{
    private const long Now = 1702453200000;

    // Binance's documented order.place answer (USDⓈ-M WebSocket API, "New Order (TRADE)"), id set to an engine request id.
    private const string Placed = """
        {"id":"e1001","status":200,"result":{"orderId":325078477,"symbol":"BTCUSDT","status":"NEW","clientOrderId":"e1001",
        "price":"43187.00","avgPrice":"0.00","origQty":"0.100","executedQty":"0.000","cumQty":"0.000","cumQuote":"0.00000",
        "timeInForce":"GTC","type":"LIMIT","reduceOnly":false,"closePosition":false,"side":"BUY","positionSide":"BOTH",
        "stopPrice":"0.00","workingType":"CONTRACT_PRICE","priceProtect":false,"origType":"LIMIT","priceMatch":"NONE",
        "selfTradePreventionMode":"NONE","goodTillDate":0,"updateTime":1702555534435},
        "rateLimits":[{"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,"limit":300,"count":1},
        {"rateLimitType":"ORDERS","interval":"MINUTE","intervalNum":1,"limit":1200,"count":7},
        {"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":2400,"count":30}]}
        """;

    [Fact]
    public void A_placed_order_is_read_into_the_answer_and_its_rate_limits_are_counted()
    {
        var tracker = new RateLimitTracker();
        var answer = Parse(Placed, tracker, out var kind);
        Assert.Equal(WsApiMessageKind.Order, kind);
        Assert.Equal(OrderRequestKind.Place, answer.Request);
        Assert.Equal(1001, answer.ClientOrderId);
        Assert.Equal(200, answer.Status);
        Assert.True(answer.IsSuccess);
        Assert.Equal(325078477, answer.OrderId);
        Assert.Equal(OrderStatus.New, answer.OrderStatus);
        Assert.Equal(Quantity.Zero, answer.ExecutedQuantity);
        Assert.Equal(1702555534435, answer.UpdateTimeMs);

        var usage = tracker.Snapshot(Now);
        Assert.Equal(30, usage.Single(u => u.Rule.Type == RateLimitType.RequestWeight).Used);
        Assert.Equal(1, usage.Single(u => u.Rule.Type == RateLimitType.Orders && u.Rule.Window == TimeSpan.FromSeconds(10)).Used);
        Assert.Equal(7, usage.Single(u => u.Rule.Type == RateLimitType.Orders && u.Rule.Window == TimeSpan.FromMinutes(1)).Used);
    }

    [Fact]
    public void A_filled_cancel_answer_carries_fills_and_prices_exactly()
    {
        var answer = Parse("""
            {"id":"c:e77","status":200,"result":{"orderId":5,"status":"CANCELED","executedQty":"0.040","cumQuote":"1727.48000",
            "avgPrice":"43187.0","updateTime":1702555534999}}
            """, null, out var kind);
        Assert.Equal(WsApiMessageKind.Order, kind);
        Assert.Equal(OrderRequestKind.Cancel, answer.Request);
        Assert.Equal(77, answer.ClientOrderId);
        Assert.Equal(OrderStatus.Canceled, answer.OrderStatus);
        Assert.Equal(Quantity.Parse("0.04"u8), answer.ExecutedQuantity);
        Assert.Equal(Notional.Parse("1727.48"u8), answer.CumulativeQuote);
        Assert.Equal(Price.Parse("43187"u8), answer.AveragePrice);
    }

    [Theory]
    [InlineData(-1021, "Timestamp for this request is outside of the recvWindow.")]
    [InlineData(-2013, "Order does not exist.")]
    [InlineData(-4164, "Order's notional must be no smaller than 100 (unless you choose reduce only).")]
    public void Errors_keep_their_code_and_message(int code, string message)
    {
        var answer = Parse($$$"""{"id":"s:e9","status":400,"error":{"code":{{{code}}},"msg":"{{{message}}}"}}""", null, out var kind);
        Assert.Equal(WsApiMessageKind.Order, kind);
        Assert.Equal(OrderRequestKind.Status, answer.Request);
        Assert.Equal(400, answer.Status);
        Assert.False(answer.IsSuccess);
        Assert.Equal(code, answer.ErrorCode);
        Assert.Equal(message, Encoding.UTF8.GetString(answer.Message[..answer.MessageLength]));
    }

    [Fact]
    public void A_long_or_escaped_message_is_cut_to_the_inline_buffer()
    {
        var longMessage = new string('x', 300);
        var answer = Parse($$$"""{"id":"e1","status":400,"error":{"code":-1102,"msg":"{{{longMessage}}}"}}""", null, out _);
        Assert.Equal(AnswerMessage.Length, answer.MessageLength);
        answer = Parse("""{"id":"e1","status":400,"error":{"code":-1102,"msg":"a \"quoted\" \u00e9"}}""", null, out _);
        Assert.Equal("a \"quoted\" é", Encoding.UTF8.GetString(answer.Message[..answer.MessageLength]));
    }

    [Fact]
    public void Too_many_requests_backs_off_like_rest()
    {
        var tracker = new RateLimitTracker();
        var answer = Parse(
            """{"id":"e5","status":429,"error":{"code":-1003,"msg":"Too much request weight used; current limit is 2400 request weight per 1 MINUTE.","data":{"serverTime":"""
            + Now + ""","retryAfter":""" + (Now + 7000) + "}}}", tracker, out _);
        Assert.Equal(7000, answer.RetryAfterMs);
        Assert.Equal(1, tracker.TooManyRequestsCount);
        Assert.Equal(Now + 7000, tracker.BlockedUntilUnixMs);
        Assert.False(tracker.TryAcquire(1, 1, Now + 1, out var refusal));
        Assert.NotNull(refusal);
    }

    [Fact]
    public void A_ban_is_recorded_until_its_end()
    {
        var tracker = new RateLimitTracker();
        var until = Now + 3_600_000;
        var answer = Parse(
            """{"id":"e6","status":418,"error":{"code":-1003,"msg":"Way too much request weight used; IP banned until """ + until
            + """.","data":{"serverTime":""" + Now + ""","retryAfter":""" + until + "}}}", tracker, out _);
        Assert.Equal(418, answer.Status);
        Assert.Equal(until - Now, answer.RetryAfterMs);
        Assert.True(tracker.IsBanned(Now + 1000));
        Assert.Equal(until, tracker.BannedUntilUnixMs);
    }

    [Fact]
    public void Session_answers_and_revoked_keys_are_told_apart_from_orders()
    {
        Span<byte> id = stackalloc byte[WsApiAnswerParser.MaxSessionIdLength];
        var answer = default(OrderAnswer);
        var kind = WsApiAnswerParser.Parse("""{"id":"logon","status":200,"result":{"apiKey":"k","authorizedSince":1,"connectedSince":1,"returnRateLimits":false,"serverTime":1}}"""u8,
            ref answer, id, out var length, null, Now);
        Assert.Equal(WsApiMessageKind.Session, kind);
        Assert.Equal("logon", Encoding.ASCII.GetString(id[..length]));

        kind = WsApiAnswerParser.Parse("""{"id":null,"status":401,"error":{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}}"""u8,
            ref answer, id, out length, null, Now);
        Assert.Equal(WsApiMessageKind.Session, kind);
        Assert.Equal(0, length);
        Assert.Equal(-2015, answer.ErrorCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"id\":\"e1\"}")]
    [InlineData("{\"id\":\"e1\",\"status\":\"200\"}")]
    [InlineData("{\"id\":\"e1\",\"status\":200,\"result\":{\"orderId\":")]
    [InlineData("{\"id\":\"e1\",\"status\":200,\"result\":{\"orderId\":1}}}}")]
    public void Unparseable_messages_are_invalid_and_never_throw(string text)
    {
        Assert.Equal(WsApiMessageKind.Invalid, Kind(text));
    }

    [Fact]
    public void Random_corruptions_of_a_real_answer_never_throw()
    {
        var bytes = Encoding.UTF8.GetBytes(Placed);
        var random = new Random(7);
        var answer = default(OrderAnswer);
        var id = new byte[WsApiAnswerParser.MaxSessionIdLength];
        for (var i = 0; i < 20_000; i++)
        {
            var copy = (byte[])bytes.Clone();
            for (var k = random.Next(1, 4); k > 0; k--)
            {
                copy[random.Next(copy.Length)] = (byte)random.Next(256);
            }

            _ = WsApiAnswerParser.Parse(copy.AsSpan(0, random.Next(copy.Length + 1)), ref answer, id, out _, null, Now);
        }
    }

    [Fact]
    public void Parsing_allocates_nothing()
    {
        var tracker = new RateLimitTracker();
        var placed = Encoding.UTF8.GetBytes(Placed);
        var error = """{"id":"s:e9","status":400,"error":{"code":-2013,"msg":"Order does not exist."},"rateLimits":[]}"""u8.ToArray();
        var id = new byte[WsApiAnswerParser.MaxSessionIdLength];
        void ParseMany()
        {
            var answer = default(OrderAnswer);
            for (var i = 0; i < 1000; i++)
            {
                // Not Assert.Equal: its comparer boxes the enum, which would be counted here.
                Assert.True(WsApiAnswerParser.Parse(placed, ref answer, id, out _, tracker, Now) == WsApiMessageKind.Order);
                Assert.True(WsApiAnswerParser.Parse(error, ref answer, id, out _, tracker, Now) == WsApiMessageKind.Order);
            }
        }

        ParseMany();
        Assert.Equal(0, AllocationMeter.OnThisThread(ParseMany));
    }

    private static WsApiMessageKind Kind(string text)
    {
        Parse(text, null, out var kind);
        return kind;
    }

    private static OrderAnswer Parse(string text, RateLimitTracker? tracker, out WsApiMessageKind kind)
    {
        var answer = default(OrderAnswer);
        var id = new byte[WsApiAnswerParser.MaxSessionIdLength];
        kind = WsApiAnswerParser.Parse(Encoding.UTF8.GetBytes(text), ref answer, id, out _, tracker, Now);
        return answer;
    }
}
