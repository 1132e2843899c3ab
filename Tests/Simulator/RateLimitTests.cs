using System.Globalization;
using System.Net;

namespace Tests.Simulator;

/// <summary>Request weight and order counts per window, their headers, 429 with Retry-After, then 418 for clients that keep going.</summary>
public sealed class RateLimitTests
{
    private static int Header(SimResponse r, string name) => int.Parse(r.Headers.GetValues(name).Single(), CultureInfo.InvariantCulture);

    [Fact]
    public async Task Weight_accumulates_per_endpoint_then_429_with_retry_after_then_418_ban()
    {
        var o = SimClient.Options();
        o.WeightLimitPerMinute = 40;
        o.RequestsAfter429BeforeBan = 2;
        o.StartTimeMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 60_000 * 60_000; // a fresh minute window
        var (host, c) = await SimClient.StartAsync(o);
        await using (host)
        using (c)
        {
            var info = await c.GetAsync("fapi/v1/exchangeInfo");
            Assert.Equal(40, info.Json.GetProperty("rateLimits")[0].GetProperty("limit").GetInt32());
            Assert.Equal(1, Header(info, "X-MBX-USED-WEIGHT-1M"));
            Assert.Equal(3, Header(await c.GetAsync("fapi/v1/depth?symbol=BTCUSDT&limit=5"), "X-MBX-USED-WEIGHT-1M"));
            Assert.Equal(13, Header(await c.GetAsync("fapi/v1/depth?symbol=BTCUSDT&limit=500"), "X-MBX-USED-WEIGHT-1M"));
            Assert.Equal(18, Header(await c.GetAsync("fapi/v1/klines?symbol=BTCUSDT&interval=1m"), "X-MBX-USED-WEIGHT-1M"));
            Assert.Equal(38, Header(await c.GetAsync("fapi/v1/depth?symbol=BTCUSDT&limit=1000"), "X-MBX-USED-WEIGHT-1M"));

            Assert.Equal(40, Header(await c.GetAsync("fapi/v1/ticker/bookTicker?symbol=BTCUSDT"), "X-MBX-USED-WEIGHT-1M"));
            var limited = await c.GetAsync("fapi/v1/ping");
            Assert.Equal((HttpStatusCode)429, limited.Status);
            Assert.Equal(-1003, limited.Code);
            Assert.Contains("current limit is 40 requests per minute", limited.Str("msg"), StringComparison.Ordinal);
            var retry = limited.Headers.RetryAfter!.Delta!.Value.TotalSeconds;
            Assert.InRange(retry, 1, 60);

            Assert.Equal((HttpStatusCode)429, (await c.GetAsync("fapi/v1/ping")).Status);
            Assert.Equal((HttpStatusCode)429, (await c.GetAsync("fapi/v1/ping")).Status);
            var banned = await c.GetAsync("fapi/v1/ping");
            Assert.Equal((HttpStatusCode)418, banned.Status);
            Assert.Equal(-1003, banned.Code);
            Assert.Contains("IP banned until", banned.Str("msg"), StringComparison.Ordinal);
            Assert.True(banned.Headers.RetryAfter!.Delta!.Value.TotalSeconds > 60);
            Assert.Equal((HttpStatusCode)418, (await c.GetAsync("fapi/v1/time")).Status);
        }
    }

    [Fact]
    public async Task Order_counts_are_reported_and_limited_per_ten_seconds()
    {
        var o = SimClient.Options();
        o.OrderLimitPer10Seconds = 3;
        o.StartTimeMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 10_000 * 10_000;
        var (host, c) = await SimClient.StartAsync(o);
        await using (host)
        using (c)
        {
            for (var i = 1; i <= 3; i++)
            {
                var r = await c.OrderAsync("symbol=ETHUSDT&side=BUY&type=MARKET&quantity=0.01");
                Assert.Equal(HttpStatusCode.OK, r.Status);
                Assert.Equal(i, Header(r, "X-MBX-ORDER-COUNT-10S"));
                Assert.Equal(i, Header(r, "X-MBX-ORDER-COUNT-1M"));
            }

            var limited = await c.OrderAsync("symbol=ETHUSDT&side=BUY&type=MARKET&quantity=0.01");
            Assert.Equal((HttpStatusCode)429, limited.Status);
            Assert.Equal(-1015, limited.Code);
            Assert.Contains("3 orders per 10 SECOND", limited.Str("msg"), StringComparison.Ordinal);
            Assert.NotNull(limited.Headers.RetryAfter);

            // reads are not orders and still pass
            Assert.Equal(HttpStatusCode.OK, (await c.SignedAsync(HttpMethod.Get, "fapi/v2/balance")).Status);
        }
    }
}
