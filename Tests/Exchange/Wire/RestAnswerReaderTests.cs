using System.Text;
using Engine.Exchange.Wire;
using Engine.Model;

namespace Tests.Exchange.Wire;

/// <summary>REST order bodies into <see cref="OrderAnswer"/>: exact fixed-point fields, the venue's errors, and what counts as unreadable.</summary>
public sealed class RestAnswerReaderTests
{
    // BINANCE_USDM.md §9.8, with the engine's client order id.
    private const string Limit = """{"orderId":336829446,"symbol":"BTCUSDT","status":"NEW","clientOrderId":"e42","price":"42088.00","avgPrice":"0.00","origQty":"0.100","executedQty":"0.000","cumQty":"0.000","cumQuote":"0.00000","timeInForce":"GTC","type":"LIMIT","reduceOnly":false,"closePosition":false,"side":"BUY","positionSide":"BOTH","stopPrice":"0.00","workingType":"CONTRACT_PRICE","priceProtect":false,"origType":"LIMIT","priceMatch":"NONE","selfTradePreventionMode":"NONE","goodTillDate":0,"updateTime":1705385954229}""";

    private static OrderAnswer Asked(OrderRequestKind kind = OrderRequestKind.Place, long clientOrderId = 42) =>
        new() { Request = kind, ClientOrderId = clientOrderId, Path = WirePath.Rest };

    private static string MessageOf(in OrderAnswer answer)
    {
        ReadOnlySpan<byte> message = answer.Message;
        return Encoding.UTF8.GetString(message[..answer.MessageLength]);
    }

    [Fact]
    public void An_accepted_limit_order_reads_with_exact_fields()
    {
        var answer = Asked();
        Assert.True(RestAnswerReader.TryRead(200, Encoding.ASCII.GetBytes(Limit), ref answer, out var problem), problem);

        Assert.True(answer.IsSuccess);
        Assert.Equal(336829446, answer.OrderId);
        Assert.Equal(OrderStatus.New, answer.OrderStatus);
        Assert.Equal(Quantity.Zero, answer.ExecutedQuantity);
        Assert.Equal(Notional.Zero, answer.CumulativeQuote);
        Assert.Equal(Price.Zero, answer.AveragePrice);
        Assert.Equal(1705385954229, answer.UpdateTimeMs);
        Assert.Equal(0, answer.ErrorCode);
        Assert.Equal(42, answer.ClientOrderId);
    }

    [Fact]
    public void A_filled_market_order_keeps_every_decimal()
    {
        var filled = Limit.Replace("\"NEW\"", "\"FILLED\"", StringComparison.Ordinal).Replace("\"executedQty\":\"0.000\"", "\"executedQty\":\"0.123\"", StringComparison.Ordinal)
            .Replace("\"cumQuote\":\"0.00000\"", "\"cumQuote\":\"5176.94712\"", StringComparison.Ordinal).Replace("\"avgPrice\":\"0.00\"", "\"avgPrice\":\"42089.0010\"", StringComparison.Ordinal);
        var answer = Asked();
        Assert.True(RestAnswerReader.TryRead(200, Encoding.ASCII.GetBytes(filled), ref answer, out _));

        Assert.Equal(OrderStatus.Filled, answer.OrderStatus);
        Assert.Equal(Quantity.Parse("0.123"u8), answer.ExecutedQuantity);
        Assert.Equal(Notional.Parse("5176.94712"u8), answer.CumulativeQuote);
        Assert.Equal(Price.Parse("42089.001"u8), answer.AveragePrice);
    }

    [Fact]
    public void A_venue_error_gives_status_code_and_message()
    {
        var answer = Asked();
        Assert.True(RestAnswerReader.TryRead(400, """{"code":-2019,"msg":"Margin is insufficient."}"""u8, ref answer, out _));

        Assert.False(answer.IsSuccess);
        Assert.Equal(400, answer.Status);
        Assert.Equal(-2019, answer.ErrorCode);
        Assert.Equal("Margin is insufficient.", MessageOf(answer));
        Assert.Equal(0, answer.OrderId);
    }

    [Fact]
    public void An_escaped_message_is_unescaped_and_a_long_one_is_cut_on_a_character_boundary()
    {
        var answer = Asked();
        Assert.True(RestAnswerReader.TryRead(400, """{"msg":"Filter failure: \"PRICE_FILTER\" \u00e9","code":"-1013"}"""u8, ref answer, out _));
        Assert.Equal(-1013, answer.ErrorCode);
        Assert.Equal("Filter failure: \"PRICE_FILTER\" é", MessageOf(answer));

        var text = new string('a', AnswerMessage.Length - 1) + "é and more";
        var longOne = Asked();
        Assert.True(RestAnswerReader.TryRead(400, Encoding.UTF8.GetBytes($$"""{"code":-1000,"msg":"{{text}}"}"""), ref longOne, out _));
        Assert.Equal(AnswerMessage.Length - 1, longOne.MessageLength);
        Assert.Equal(new string('a', AnswerMessage.Length - 1), MessageOf(longOne));
    }

    [Fact]
    public void An_error_body_that_is_not_the_venues_json_becomes_the_message_with_the_local_code()
    {
        var answer = Asked();
        Assert.True(RestAnswerReader.TryRead(405, "<html><body><h2>405 Method Not Allowed</h2></body></html>"u8, ref answer, out _));
        Assert.Equal(405, answer.Status);
        Assert.Equal(0, answer.ErrorCode);
        Assert.StartsWith("<html><body><h2>405", MessageOf(answer), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json", "JSON")]
    [InlineData("[1,2]", "not a JSON object")]
    [InlineData("""{"orderId":1,"executedQty":"1e5"}""", "executedQty")]
    [InlineData("""{"orderId":"x"}""", "order id")]
    [InlineData("""{"symbol":"BTCUSDT","status":"NEW"}""", "no orderId")]
    [InlineData("""{"code":-1000,"msg":"An unknown error occurred"}""", "error code")]
    [InlineData("""{"orderId":1,"clientOrderId":"e43"}""", "another client order id")]
    [InlineData("""{"orderId":1,"status":"NEW" """, "well-formed")]
    public void A_success_status_without_the_order_it_should_carry_is_unreadable(string body, string reason)
    {
        var answer = Asked();
        Assert.False(RestAnswerReader.TryRead(200, Encoding.ASCII.GetBytes(body), ref answer, out var problem));
        Assert.Contains(reason, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_order_placed_by_hand_with_a_foreign_client_id_still_reads()
    {
        var answer = Asked(OrderRequestKind.Status);
        Assert.True(RestAnswerReader.TryRead(200, Encoding.ASCII.GetBytes(Limit.Replace("\"e42\"", "\"web_abc\"", StringComparison.Ordinal)), ref answer, out _));
        Assert.Equal(336829446, answer.OrderId);
    }

    [Fact]
    public void An_algo_order_answer_reads_its_algo_id()
    {
        var answer = Asked(OrderRequestKind.AlgoCancel);
        Assert.True(RestAnswerReader.TryRead(200, """{"algoId":2146760,"clientAlgoId":"e42","code":"200","msg":"success"}"""u8, ref answer, out var problem), problem);
        Assert.Equal(2146760, answer.OrderId);
        Assert.Equal(0, answer.ErrorCode);
    }

    [Fact]
    public void Reading_allocates_nothing_after_warm_up()
    {
        var order = Encoding.ASCII.GetBytes(Limit);
        var error = """{"code":-1022,"msg":"Signature for this request is not valid \u0021"}"""u8.ToArray();
        var answer = Asked();
        RestAnswerReader.TryRead(200, order, ref answer, out _);
        RestAnswerReader.TryRead(400, error, ref answer, out _);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            answer = Asked();
            RestAnswerReader.TryRead(200, order, ref answer, out _);
            answer = Asked();
            RestAnswerReader.TryRead(400, error, ref answer, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(-1022, answer.ErrorCode);
    }
}
