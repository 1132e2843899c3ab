using System.Text;
using Engine.Exchange.Wire;

namespace Tests.Exchange.Wire;

/// <summary>The order connections' HTTP/1.1 response reader: framing, the headers it keeps, what it refuses, and that it allocates nothing.</summary>
public sealed class HttpResponseParserTests
{
    private const string OrderJson = """{"orderId":336829446,"symbol":"BTCUSDT","status":"NEW","clientOrderId":"e42","price":"42088.00","avgPrice":"0.00","origQty":"0.100","executedQty":"0.000","cumQty":"0.000","cumQuote":"0.00000","updateTime":1705385954229}""";

    private static byte[] Bytes(string text) => Encoding.ASCII.GetBytes(text);

    private static string Chunked(params string[] chunks) =>
        string.Concat(chunks.Select(c => $"{Encoding.ASCII.GetByteCount(c):x}\r\n{c}\r\n")) + "0\r\n\r\n";

    [Fact]
    public void A_content_length_response_gives_status_body_counts_and_its_exact_length()
    {
        var response = Bytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-MBX-USED-WEIGHT-1M: 7\r\nx-mbx-order-count-10s: 2\r\nX-MBX-ORDER-COUNT-1M: 3\r\nContent-Length: {OrderJson.Length}\r\n\r\n{OrderJson}");
        var trailing = response.Concat(Bytes("HTTP/1.1 2")).ToArray();
        var parser = new HttpResponseParser();

        Assert.Equal(HttpParseResult.Complete, parser.TryParse(trailing, out var consumed));

        Assert.Equal(response.Length, consumed);
        Assert.Equal(200, parser.StatusCode);
        Assert.Equal(OrderJson, Encoding.ASCII.GetString(parser.Body));
        Assert.False(parser.ConnectionClose);
        Assert.Equal(-1, parser.RetryAfterSeconds);
        Assert.Equal(3, parser.RateLimitHeaderCount);
        Assert.Equal("X-MBX-USED-WEIGHT-1M", Encoding.ASCII.GetString(parser.RateLimitHeaderName(0)));
        Assert.Equal(7, parser.RateLimitHeaderValue(0));
        Assert.Equal("x-mbx-order-count-10s", Encoding.ASCII.GetString(parser.RateLimitHeaderName(1)));
        Assert.Equal(2, parser.RateLimitHeaderValue(1));
        Assert.Equal(3, parser.RateLimitHeaderValue(2));
    }

    [Fact]
    public void A_chunked_body_is_joined_across_chunks_extensions_and_trailers()
    {
        var body = Chunked(OrderJson[..10], OrderJson[10..100], OrderJson[100..]).Replace("\r\n0\r\n\r\n", "\r\n0;last\r\nX-Trailer: 1\r\n\r\n", StringComparison.Ordinal);
        var response = Bytes("HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\nRetry-After: 3\r\n\r\n" + body);
        var parser = new HttpResponseParser();

        Assert.Equal(HttpParseResult.Complete, parser.TryParse(response, out var consumed));

        Assert.Equal(response.Length, consumed);
        Assert.Equal(400, parser.StatusCode);
        Assert.Equal(OrderJson, Encoding.ASCII.GetString(parser.Body));
        Assert.Equal(3, parser.RetryAfterSeconds);
    }

    [Fact]
    public void Every_split_of_a_response_is_incomplete_until_its_last_byte_arrives()
    {
        var response = Bytes("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-MBX-USED-WEIGHT-1M: 1\r\n\r\n" + Chunked(OrderJson[..50], OrderJson[50..]));
        var parser = new HttpResponseParser();
        for (var cut = 0; cut < response.Length; cut++)
        {
            Assert.Equal(HttpParseResult.Incomplete, parser.TryParse(response.AsSpan(0, cut), out var none));
            Assert.Equal(0, none);
        }

        Assert.Equal(HttpParseResult.Complete, parser.TryParse(response, out var consumed));
        Assert.Equal(response.Length, consumed);
        Assert.Equal(200, parser.StatusCode);
        Assert.Equal(OrderJson, Encoding.ASCII.GetString(parser.Body));
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}", true)]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: Keep-Alive, Close\r\nContent-Length: 2\r\n\r\n{}", true)]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}", true)]
    [InlineData("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n{}", false)]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n{}", false)]
    public void The_server_closing_after_the_answer_is_seen(string response, bool closes)
    {
        var parser = new HttpResponseParser();
        Assert.Equal(HttpParseResult.Complete, parser.TryParse(Bytes(response), out _));
        Assert.Equal(closes, parser.ConnectionClose);
    }

    [Fact]
    public void Retry_after_as_a_date_is_kept_in_unix_milliseconds()
    {
        var parser = new HttpResponseParser();
        Assert.Equal(HttpParseResult.Complete, parser.TryParse(Bytes("HTTP/1.1 429 Too Many Requests\r\nRetry-After: Wed, 21 Oct 2026 07:28:00 GMT\r\nContent-Length: 0\r\n\r\n"), out _));
        Assert.Equal(429, parser.StatusCode);
        Assert.Equal(-1, parser.RetryAfterSeconds);
        Assert.Equal(new DateTimeOffset(2026, 10, 21, 7, 28, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), parser.RetryAfterDateUnixMs);
    }

    [Fact]
    public void A_no_content_answer_has_no_body_even_without_framing_headers()
    {
        var parser = new HttpResponseParser();
        var response = Bytes("HTTP/1.1 204 No Content\r\n\r\n");
        Assert.Equal(HttpParseResult.Complete, parser.TryParse(response, out var consumed));
        Assert.Equal(response.Length, consumed);
        Assert.True(parser.Body.IsEmpty);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\n\r\n{}", "without Content-Length or chunked")]
    [InlineData("HTTP/2 200\r\nContent-Length: 2\r\n\r\n{}", "status line")]
    [InlineData("HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\n{}", "three digits")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\n{}", "compressed")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", "transfer coding")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", "Content-Length")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\n{}", "Content-Length")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", "hexadecimal")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n", "CRLF")]
    [InlineData("HTTP/1.1 200 OK\r\nBroken header\r\nContent-Length: 2\r\n\r\n{}", "without a name")]
    [InlineData("HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 2\r\n\r\n{}", "folded")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\n\r\n", "switched protocols")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 999999\r\n\r\n{}", "larger than")]
    public void What_is_not_a_readable_response_is_refused_with_the_reason(string response, string reason)
    {
        var parser = new HttpResponseParser();
        Assert.Equal(HttpParseResult.Invalid, parser.TryParse(Bytes(response), out var consumed));
        Assert.Equal(0, consumed);
        Assert.Contains(reason, parser.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_head_that_never_ends_is_refused_once_it_passes_the_limit()
    {
        var parser = new HttpResponseParser();
        var endless = Bytes("HTTP/1.1 200 OK\r\n" + string.Concat(Enumerable.Repeat("X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", 500)));
        Assert.Equal(HttpParseResult.Invalid, parser.TryParse(endless, out _));
        Assert.Contains("16 KiB", parser.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Parsing_allocates_nothing_after_warm_up()
    {
        var chunked = Bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-MBX-USED-WEIGHT-1M: 1\r\nX-MBX-ORDER-COUNT-10S: 1\r\nRetry-After: 2\r\nConnection: keep-alive\r\n\r\n" + Chunked(OrderJson[..60], OrderJson[60..]));
        var sized = Bytes($"HTTP/1.1 400 Bad Request\r\nContent-Length: {OrderJson.Length}\r\nRetry-After: Wed, 21 Oct 2026 07:28:00 GMT\r\n\r\n{OrderJson}");
        var parser = new HttpResponseParser();
        parser.TryParse(chunked, out _);
        parser.TryParse(sized, out _);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            parser.TryParse(chunked, out _);
            parser.TryParse(chunked.AsSpan(0, chunked.Length / 2), out _);
            parser.TryParse(sized, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(400, parser.StatusCode);
    }
}
