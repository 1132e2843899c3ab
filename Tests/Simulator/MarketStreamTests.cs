using System.Globalization;
using System.Text.Json;
using Simulator;

namespace Tests.Simulator;

/// <summary>Market streams: raw and combined, routed and legacy paths, live subscriptions, candles closing, book sync.</summary>
public sealed class MarketStreamTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private SimulatorHost _host = null!;
    private SimClient _c = null!;

    public async Task InitializeAsync() => (_host, _c) = await SimClient.StartAsync(SimClient.Options(speed: 30));

    public async Task DisposeAsync()
    {
        _c.Dispose();
        await _host.DisposeAsync();
    }

    private static decimal D(JsonElement e) => decimal.Parse(e.GetString()!, CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("ws/btcusdt@aggTrade")]
    [InlineData("market/ws/btcusdt@aggTrade")]
    [InlineData("public/ws/btcusdt@aggTrade")]
    public async Task Raw_stream_delivers_bare_agg_trades(string path)
    {
        using var ws = await _c.ConnectAsync(path);
        var m = await ws.WaitForAsync(x => x.E() == "aggTrade", Wait);
        Assert.Equal("BTCUSDT", m.GetProperty("s").GetString());
        Assert.Equal(0m, D(m.GetProperty("p")) % 0.1m);
        Assert.True(D(m.GetProperty("q")) > 0);
        var next = await ws.WaitForAsync(x => x.E() == "aggTrade", Wait);
        Assert.True(next.GetProperty("a").GetInt64() > m.GetProperty("a").GetInt64());
    }

    [Fact]
    public async Task Combined_stream_wraps_each_payload_with_its_stream_name()
    {
        using var ws = await _c.ConnectAsync("stream?streams=btcusdt@bookTicker/ethusdt@markPrice@1s");
        var names = new HashSet<string>();
        var deadline = DateTime.UtcNow + Wait;
        while (names.Count < 2 && DateTime.UtcNow < deadline)
        {
            var m = (await ws.ReceiveJsonAsync(Wait))!.Value;
            var stream = m.GetProperty("stream").GetString()!;
            names.Add(stream);
            var data = m.GetProperty("data");
            if (stream == "btcusdt@bookTicker")
            {
                Assert.Equal("bookTicker", data.E());
                Assert.True(D(data.GetProperty("b")) < D(data.GetProperty("a")));
            }
            else
            {
                Assert.Equal("ethusdt@markPrice@1s", stream);
                Assert.Equal("markPriceUpdate", data.E());
            }
        }

        Assert.Equal(2, names.Count);
    }

    [Fact]
    public async Task Subscribe_unsubscribe_list_and_properties_answer_like_the_venue()
    {
        using var ws = await _c.ConnectAsync("public/ws/0");
        await ws.SendTextAsync("{\"method\":\"SUBSCRIBE\",\"params\":[\"ethusdt@aggTrade\",\"ethusdt@kline_1m\"],\"id\":1}");
        var ack = await ws.WaitForAsync(m => m.TryGetProperty("id", out _), Wait);
        Assert.Equal(JsonValueKind.Null, ack.GetProperty("result").ValueKind);
        Assert.Equal(1, ack.GetProperty("id").GetInt32());
        await ws.WaitForAsync(m => m.E() == "aggTrade", Wait);

        await ws.SendTextAsync("{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":3}");
        var list = await ws.WaitForAsync(m => m.TryGetProperty("id", out var id) && id.GetInt32() == 3, Wait);
        Assert.Equal(["ethusdt@aggTrade", "ethusdt@kline_1m"], list.GetProperty("result").EnumerateArray().Select(x => x.GetString()!).Order());

        await ws.SendTextAsync("{\"method\":\"SET_PROPERTY\",\"params\":[\"combined\",true],\"id\":5}");
        await ws.WaitForAsync(m => m.TryGetProperty("id", out var id) && id.GetInt32() == 5, Wait);
        var wrapped = await ws.WaitForAsync(m => m.TryGetProperty("stream", out _), Wait);
        Assert.StartsWith("ethusdt@", wrapped.GetProperty("stream").GetString(), StringComparison.Ordinal);
        await ws.SendTextAsync("{\"method\":\"GET_PROPERTY\",\"params\":[\"combined\"],\"id\":2}");
        var prop = await ws.WaitForAsync(m => m.TryGetProperty("id", out var id) && id.GetInt32() == 2, Wait);
        Assert.True(prop.GetProperty("result").GetBoolean());

        await ws.SendTextAsync("{\"method\":\"UNSUBSCRIBE\",\"params\":[\"ethusdt@aggTrade\",\"ethusdt@kline_1m\"],\"id\":312}");
        await ws.WaitForAsync(m => m.TryGetProperty("id", out var id) && id.GetInt32() == 312, Wait);
        await Task.Delay(600);
        await ws.SendTextAsync("{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":4}");
        var afterUnsubscribe = (await ws.ReceiveJsonAsync(Wait))!.Value;
        Assert.Equal(4, afterUnsubscribe.GetProperty("id").GetInt32());
        Assert.Equal(0, afterUnsubscribe.GetProperty("result").GetArrayLength());

        await ws.SendTextAsync("{\"method\":\"SUBSCRIBE\",\"params\":[\"ethusdt@aggTrade\"]");
        Assert.Equal(3, (await ws.WaitForAsync(m => m.TryGetProperty("code", out _), Wait)).GetProperty("code").GetInt32());
        await ws.SendTextAsync("{\"method\":\"SUBSCRIBE\",\"params\":[\"ethusdt@aggTrade\"],\"id\":-1}");
        Assert.Equal(2, (await ws.WaitForAsync(m => m.TryGetProperty("code", out _), Wait)).GetProperty("code").GetInt32());
        await ws.SendTextAsync("{\"method\":\"SET_PROPERTY\",\"params\":[\"combined\",1],\"id\":9}");
        Assert.Equal(1, (await ws.WaitForAsync(m => m.TryGetProperty("code", out _), Wait)).GetProperty("code").GetInt32());
        await ws.SendTextAsync("{\"method\":\"GET_PROPERTY\",\"params\":[\"colour\"],\"id\":10}");
        Assert.Equal(0, (await ws.WaitForAsync(m => m.TryGetProperty("code", out _), Wait)).GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Kline_stream_closes_each_minute_with_x_true_and_matches_rest()
    {
        // at x30 a minute passes in two seconds
        using var ws = await _c.ConnectAsync("market/ws/btcusdt@kline_1m");
        var closed = await ws.WaitForAsync(m => m.E() == "kline" && m.GetProperty("k").GetProperty("x").GetBoolean(), Wait);
        var k = closed.GetProperty("k");
        Assert.Equal("1m", k.GetProperty("i").GetString());
        Assert.Equal(k.GetProperty("t").GetInt64() + 59_999, k.GetProperty("T").GetInt64());
        var next = await ws.WaitForAsync(m => m.E() == "kline", Wait);
        Assert.False(next.GetProperty("k").GetProperty("x").GetBoolean());
        Assert.Equal(k.GetProperty("t").GetInt64() + 60_000, next.GetProperty("k").GetProperty("t").GetInt64());

        var rest = await _c.GetAsync($"fapi/v1/klines?symbol=BTCUSDT&interval=1m&startTime={k.GetProperty("t").GetInt64()}&limit=1");
        var row = rest.Json[0];
        Assert.Equal(k.GetProperty("o").GetString(), row[1].GetString());
        Assert.Equal(k.GetProperty("h").GetString(), row[2].GetString());
        Assert.Equal(k.GetProperty("l").GetString(), row[3].GetString());
        Assert.Equal(k.GetProperty("c").GetString(), row[4].GetString());
        Assert.Equal(k.GetProperty("v").GetString(), row[5].GetString());
    }

    [Theory]
    [InlineData("ethusdt@depth@100ms")]
    [InlineData("ethusdt@depth")]
    [InlineData("ethusdt@depth@500ms")]
    public async Task Depth_diffs_applied_to_a_rest_snapshot_keep_a_local_book_uncrossed_and_contiguous(string stream)
    {
        using var ws = await _c.ConnectAsync("public/ws/" + stream);
        var buffered = new List<JsonElement> { await ws.WaitForAsync(m => m.E() == "depthUpdate", Wait) };
        var snap = await _c.GetAsync("fapi/v1/depth?symbol=ETHUSDT&limit=1000");
        var last = snap.Json.GetProperty("lastUpdateId").GetInt64();
        var bids = snap.Json.GetProperty("bids").EnumerateArray().ToDictionary(l => D(l[0]), l => D(l[1]));
        var asks = snap.Json.GetProperty("asks").EnumerateArray().ToDictionary(l => D(l[0]), l => D(l[1]));

        long previousU = -1;
        var applied = 0;
        while (applied < 12)
        {
            var e = buffered.Count > 0 ? buffered[0] : (await ws.ReceiveJsonAsync(Wait))!.Value;
            if (buffered.Count > 0)
            {
                buffered.RemoveAt(0);
            }

            var u = e.GetProperty("u").GetInt64();
            if (u < last)
            {
                continue;
            }

            if (previousU < 0)
            {
                Assert.True(e.GetProperty("U").GetInt64() <= last + 1, "first event must straddle the snapshot");
            }
            else
            {
                Assert.Equal(previousU, e.GetProperty("pu").GetInt64());
            }

            previousU = u;
            foreach (var (side, book) in new[] { ("b", bids), ("a", asks) })
            {
                foreach (var l in e.GetProperty(side).EnumerateArray())
                {
                    var q = D(l[1]);
                    if (q == 0)
                    {
                        book.Remove(D(l[0]));
                    }
                    else
                    {
                        book[D(l[0])] = q;
                    }
                }
            }

            applied++;
        }

        // the top of the local book equals the venue's book at that update
        var bestBid = bids.Keys.Max();
        var bestAsk = asks.Keys.Min();
        Assert.True(bestBid < bestAsk, $"crossed local book {bestBid} / {bestAsk}");
        var top = bids.OrderByDescending(kv => kv.Key).Take(5).ToList();
        var diffCheck = await ws.WaitForAsync(m => m.E() == "depthUpdate", Wait);
        Assert.True(diffCheck.GetProperty("pu").GetInt64() == previousU);
        Assert.Equal(5, top.Count);
        Assert.True(top.Zip(top.Skip(1)).All(p => p.First.Key - p.Second.Key == 0.01m), "local bids are contiguous ticks");
        var topAsks = asks.OrderBy(kv => kv.Key).Take(5).ToList();
        Assert.True(topAsks.Zip(topAsks.Skip(1)).All(p => p.Second.Key - p.First.Key == 0.01m), "local asks are contiguous ticks");
        Assert.Equal(0.01m, bestAsk - bestBid);
    }

    [Fact]
    public async Task Partial_depth_and_mark_price_streams_have_the_venue_shapes()
    {
        using var ws = await _c.ConnectAsync("stream?streams=btcusdt@depth5@100ms/btcusdt@markPrice/btcusdt@trade");
        var depth = await ws.WaitForAsync(m => m.GetProperty("stream").GetString() == "btcusdt@depth5@100ms", Wait);
        Assert.Equal(5, depth.GetProperty("data").GetProperty("b").GetArrayLength());
        Assert.Equal(5, depth.GetProperty("data").GetProperty("a").GetArrayLength());
        var mark = await ws.WaitForAsync(m => m.GetProperty("stream").GetString() == "btcusdt@markPrice", Wait);
        Assert.Equal(0, mark.GetProperty("data").GetProperty("T").GetInt64() % 28_800_000);
        var trade = await ws.WaitForAsync(m => m.GetProperty("stream").GetString() == "btcusdt@trade", Wait);
        Assert.Equal("MARKET", trade.GetProperty("data").GetProperty("X").GetString());
    }
}
