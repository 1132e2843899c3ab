using System.Globalization;
using System.Net;
using System.Text.Json;
using Simulator;

namespace Tests.Simulator;

/// <summary>Public REST endpoints: shapes, filters, ordering, and prices that follow the seeded path.</summary>
public sealed class MarketDataTests : IAsyncLifetime
{
    private SimulatorHost _host = null!;
    private SimClient _c = null!;

    public async Task InitializeAsync() => (_host, _c) = await SimClient.StartAsync(SimClient.Options(symbols: 20));

    public async Task DisposeAsync()
    {
        _c.Dispose();
        await _host.DisposeAsync();
    }

    private static decimal D(JsonElement e) => decimal.Parse(e.GetString()!, CultureInfo.InvariantCulture);

    [Fact]
    public async Task ExchangeInfo_lists_twenty_symbols_with_realistic_filters_and_the_three_rate_limits()
    {
        var r = await _c.GetAsync("fapi/v1/exchangeInfo");
        var symbols = r.Json.GetProperty("symbols").EnumerateArray().ToList();
        Assert.Equal(20, symbols.Count);
        Assert.Equal(20, symbols.Select(s => s.GetProperty("symbol").GetString()).Distinct().Count());
        var btc = symbols.Single(s => s.GetProperty("symbol").GetString() == "BTCUSDT");
        var filters = btc.GetProperty("filters").EnumerateArray().ToDictionary(f => f.GetProperty("filterType").GetString()!);
        Assert.Equal("0.1", filters["PRICE_FILTER"].GetProperty("tickSize").GetString());
        Assert.Equal("0.001", filters["LOT_SIZE"].GetProperty("stepSize").GetString());
        Assert.Equal("100", filters["MIN_NOTIONAL"].GetProperty("notional").GetString());
        Assert.Equal(200, filters["MAX_NUM_ORDERS"].GetProperty("limit").GetInt32());
        Assert.Equal("PERPETUAL", btc.GetProperty("contractType").GetString());
        var limits = r.Json.GetProperty("rateLimits").EnumerateArray().Select(l => (l.GetProperty("rateLimitType").GetString(), l.GetProperty("intervalNum").GetInt32(), l.GetProperty("limit").GetInt32())).ToList();
        Assert.Equal([("REQUEST_WEIGHT", 1, 2400), ("ORDERS", 1, 1200), ("ORDERS", 10, 300)], limits);
    }

    [Fact]
    public async Task Depth_is_sorted_on_tick_and_matches_the_book_ticker()
    {
        var d = await _c.GetAsync("fapi/v1/depth?symbol=ETHUSDT&limit=100");
        var bids = d.Json.GetProperty("bids").EnumerateArray().Select(l => (P: D(l[0]), Q: D(l[1]))).ToList();
        var asks = d.Json.GetProperty("asks").EnumerateArray().Select(l => (P: D(l[0]), Q: D(l[1]))).ToList();
        Assert.Equal(100, bids.Count);
        Assert.Equal(100, asks.Count);
        Assert.True(bids.Zip(bids.Skip(1)).All(p => p.First.P > p.Second.P));
        Assert.True(asks.Zip(asks.Skip(1)).All(p => p.First.P < p.Second.P));
        Assert.True(bids[0].P < asks[0].P);
        Assert.All(bids.Concat(asks), l => Assert.Equal(0m, l.P % 0.01m));
        Assert.All(bids.Concat(asks), l => Assert.True(l.Q > 0));
        Assert.True(d.Json.GetProperty("lastUpdateId").GetInt64() > 0);

        var invalid = await _c.GetAsync("fapi/v1/depth?symbol=NOPE");
        Assert.Equal(-1121, invalid.Code);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.Status);
    }

    [Fact]
    public async Task Klines_are_one_minute_bars_with_the_real_row_shape_and_aggregate_to_other_intervals()
    {
        var r = await _c.GetAsync("fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=4");
        var rows = r.Json.EnumerateArray().ToList();
        Assert.Equal(4, rows.Count);
        foreach (var row in rows)
        {
            Assert.Equal(12, row.GetArrayLength());
            var open = row[0].GetInt64();
            Assert.Equal(0, open % 60_000);
            Assert.Equal(open + 59_999, row[6].GetInt64());
            Assert.True(D(row[2]) >= Math.Max(D(row[1]), D(row[4])));
            Assert.True(D(row[3]) <= Math.Min(D(row[1]), D(row[4])));
            Assert.Equal(JsonValueKind.Number, row[8].ValueKind);
        }

        Assert.True(rows.Zip(rows.Skip(1)).All(p => p.Second[0].GetInt64() - p.First[0].GetInt64() == 60_000));
        var five = await _c.GetAsync("fapi/v1/klines?symbol=BTCUSDT&interval=5m&limit=2");
        Assert.All(five.Json.EnumerateArray(), row => Assert.Equal(0, row[0].GetInt64() % 300_000));
        Assert.Equal(-1120, (await _c.GetAsync("fapi/v1/klines?symbol=BTCUSDT&interval=7m")).Code);
        Assert.Equal(-1102, (await _c.GetAsync("fapi/v1/klines?symbol=BTCUSDT")).Code);
    }

    [Fact]
    public async Task Tickers_and_premium_index_cover_one_or_all_symbols()
    {
        var all = await _c.GetAsync("fapi/v1/ticker/bookTicker");
        Assert.Equal(20, all.Json.GetArrayLength());
        var one = await _c.GetAsync("fapi/v1/ticker/bookTicker?symbol=DOGEUSDT");
        Assert.True(one.Dec("bidPrice") < one.Dec("askPrice"));
        Assert.Equal(6, one.Str("bidPrice").Split('.')[1].Length);

        var t = await _c.GetAsync("fapi/v1/ticker/24hr?symbol=BTCUSDT");
        Assert.True(t.Dec("highPrice") >= t.Dec("lowPrice"));
        Assert.True(t.Dec("volume") > 0);
        Assert.Equal(20, (await _c.GetAsync("fapi/v1/ticker/24hr")).Json.GetArrayLength());

        var p = await _c.GetAsync("fapi/v1/premiumIndex?symbol=BTCUSDT");
        var mark = p.Dec("markPrice");
        var (bid, ask) = await _c.BookAsync("BTCUSDT");
        Assert.InRange(mark, bid * 0.99m, ask * 1.01m);
        Assert.Equal(0, p.Json.GetProperty("nextFundingTime").GetInt64() % 28_800_000);
        Assert.Equal(20, (await _c.GetAsync("fapi/v1/premiumIndex")).Json.GetArrayLength());
    }

    [Fact]
    public async Task Time_follows_the_venue_clock()
    {
        var t = (await _c.GetAsync("fapi/v1/time")).Json.GetProperty("serverTime").GetInt64();
        Assert.InRange(t, _host.ServerTimeMs - 5_000, _host.ServerTimeMs);
        Assert.InRange(t, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 5_000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 5_000);
    }
}
