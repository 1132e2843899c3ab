using System.Globalization;

namespace Tests.Simulator;

/// <summary>Replay end to end: the venue clock starts at the file, and REST candles and streams carry the file's prices.</summary>
public sealed class ReplayHostTests
{
    [Fact]
    public async Task Kline_file_replayed_at_x600_serves_the_files_candles_over_rest()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Data", "BTCUSDT-1m-2020-01-01.csv");
        var o = SimClient.Options(symbols: 2, speed: 600);
        o.ReplayFile = path;
        var (host, c) = await SimClient.StartAsync(o);
        await using (host)
        using (c)
        {
            Assert.InRange(host.ServerTimeMs, 1577836800000, 1577836800000 + 600_000);
            await Task.Delay(1500); // fifteen market minutes
            var rows = File.ReadLines(path).Take(5).Select(l => l.Split(',')).ToList();
            var r = await c.GetAsync("fapi/v1/klines?symbol=BTCUSDT&interval=1m&startTime=1577836800000&limit=5");
            Assert.Equal(5, r.Json.GetArrayLength());
            for (var i = 0; i < 5; i++)
            {
                var bar = r.Json[i];
                Assert.Equal(long.Parse(rows[i][0], CultureInfo.InvariantCulture), bar[0].GetInt64());
                for (var f = 1; f <= 4; f++)
                {
                    var expected = Math.Round(decimal.Parse(rows[i][f], CultureInfo.InvariantCulture) / 0.1m, MidpointRounding.ToEven) * 0.1m;
                    Assert.Equal(expected, decimal.Parse(bar[f].GetString()!, CultureInfo.InvariantCulture));
                }
            }

            // the other symbol keeps its random walk
            var eth = await c.GetAsync("fapi/v1/ticker/price?symbol=ETHUSDT");
            Assert.InRange(eth.Dec("price"), 2000m, 5000m);
        }
    }

    [Fact]
    public async Task Agg_trades_file_with_header_drives_the_named_symbol_and_its_trade_stream()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Data", "BTCUSD_PERP-aggTrades-2026-05-08.csv");
        var o = SimClient.Options(symbols: 1, speed: 5);
        o.ReplayFile = path;
        o.ReplaySymbol = "BTCUSDT";
        var (host, c) = await SimClient.StartAsync(o);
        await using (host)
        using (c)
        {
            using var ws = await c.ConnectAsync("ws/btcusdt@aggTrade");
            var m = await ws.WaitForAsync(x => x.E() == "aggTrade", TimeSpan.FromSeconds(10));
            var t = m.GetProperty("T").GetInt64();
            Assert.InRange(t, 1778198400020, 1778198400020 + 30_000);
            var price = decimal.Parse(m.GetProperty("p").GetString()!, CultureInfo.InvariantCulture);
            Assert.InRange(price, 79_000m, 81_000m);
        }
    }
}
