using System.Text.Json;

namespace Tests.Simulator;

/// <summary>
/// Protocol details a third-party client (ccxt's binanceusdm, see <see cref="CcxtConformanceTests"/>) depends on and
/// that the simulator once got wrong, pinned here with plain sockets so they hold without node.
/// </summary>
public sealed class ClientFidelityTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task First_depth_diff_on_a_venue_nobody_listened_to_chains_to_the_update_before_it()
    {
        var (host, c) = await SimClient.StartAsync(SimClient.Options(symbols: 2));
        await using (host)
        using (c)
        {
            await Task.Delay(300); // the venue moves with no subscriber at all
            using var ws = await c.ConnectAsync("public/ws/ethusdt@depth@100ms");
            var snap = await c.GetAsync("fapi/v1/depth?symbol=ETHUSDT&limit=1000");
            var last = snap.Json.GetProperty("lastUpdateId").GetInt64();
            var first = await ws.WaitForAsync(m => m.E() == "depthUpdate", Wait);
            var u0 = first.GetProperty("U").GetInt64();
            var pu = first.GetProperty("pu").GetInt64();

            // Binance's ids run whether anyone listens: the first event starts right after the previous (unseen) one,
            // and the futures rule for the snapshot taken after subscribing holds (ccxt rejects the book otherwise)
            Assert.True(pu >= 100_000_000, $"pu {pu} is not an update id");
            Assert.Equal(pu + 1, u0);
            var e = first;
            while (e.GetProperty("u").GetInt64() < last)
            {
                e = await ws.WaitForAsync(m => m.E() == "depthUpdate", Wait);
            }

            Assert.True(e.GetProperty("U").GetInt64() <= last || e.GetProperty("pu").GetInt64() == last, $"snapshot {last}, event {e}");
        }
    }

    [Fact]
    public async Task Error_messages_are_written_as_binance_writes_them_without_html_escapes()
    {
        var (host, c) = await SimClient.StartAsync(SimClient.Options(symbols: 2));
        await using (host)
        using (c)
        {
            var r = await c.OrderAsync("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=60000");
            Assert.Equal(-4164, r.Code);
            Assert.Contains("\"msg\":\"Order's notional must be no smaller than", r.Body, StringComparison.Ordinal);
            Assert.DoesNotContain("\\u00", r.Body, StringComparison.Ordinal);
            Assert.Equal(JsonValueKind.Object, r.Json.ValueKind);
        }
    }
}
