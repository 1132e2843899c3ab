using System.Globalization;
using Engine.Control.V1;
using Grpc.Net.Client;
using Tests.Control;
using Tests.Hosting;

namespace Tests.EndToEnd;

/// <summary>
/// The engine process in replay mode over real Binance data (BTCUSDT 1m klines, 2020-01-01 00:00–08:00), twice: both
/// runs must place the same orders (symbol, side, type, quantity, price, reduce-only, order of placement) and they must
/// place some — entries and their reduce-only exits, filled on paper at the replayed prices.
/// </summary>
public sealed class ReplayDeterminismTests
{
    [Fact]
    public async Task Two_replays_of_the_same_file_place_the_same_orders()
    {
        var first = await ReplayAsync();
        var second = await ReplayAsync();

        Assert.True(first.Count >= 4, "the replay placed only:\n" + string.Join('\n', first));
        Assert.Contains(first, o => o.EndsWith("reduce-only=False", StringComparison.Ordinal));
        Assert.Contains(first, o => o.EndsWith("reduce-only=True", StringComparison.Ordinal));
        Assert.Equal(first, second);
    }

    /// <summary>One replay to its end; the orders its journal holds, each as one comparable line.</summary>
    private static async Task<List<string>> ReplayAsync()
    {
        var journal = EndToEnd.TempDirectory("engine-replay");
        try
        {
            // Paced at 1200× (a minute every 50 ms) so each paper fill comes back before the next candle, as it would
            // live: as fast as the ring takes it, every order would still be pending at the next minute. The brain waits
            // up to 5 replayed minutes for a fill (not 30 s), so a first, not yet compiled paper fill on a loaded machine
            // cannot time out at the next candle either.
            using var engine = new EngineProcess(
                ["--mode", "replay", "--file", EndToEnd.DataFile("BTCUSDT-1m-2020-01-01-first8h.csv")],
                [
                    ("Engine__Replay__ExchangeInfo", EndToEnd.DataFile("fapi_v1_exchangeInfo_2021-07-21.json")),
                    ("Engine__Replay__Speed", "1200"),
                    ("Engine__Brain__PendingTimeout", "00:05:00"),
                    ("Engine__Journal__Directory", journal),
                    ("Engine__Control__Port", "0"),
                    ("Engine__Metrics__Port", "0"),
                ]);
            var controlPort = engine.WaitForPort("Control plane", TimeSpan.FromSeconds(60));
            Assert.True(engine.WaitForOutput("Replay ended after 480 events", TimeSpan.FromSeconds(120)), engine.Output);

            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{controlPort}");
            var control = new EngineControl.EngineControlClient(channel);
            Assert.True(
                await EndToEnd.EventuallyAsync(async () => (await control.ListOrdersAsync(new ListOrdersRequest(), deadline: ControlClient.Deadline)).Orders.Count == 0, TimeSpan.FromSeconds(30)),
                "orders still open after the replay ended");
            Assert.DoesNotContain("refuses every entry", engine.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("no quote for the symbol", engine.Output, StringComparison.Ordinal);

            engine.Terminate();
            Assert.Equal(0, engine.WaitForExit(TimeSpan.FromSeconds(30)));
            return [.. EndToEnd.JournalIntents(journal).Select(o => string.Create(
                CultureInfo.InvariantCulture,
                $"#{o.ClientOrderId & 0xFFFF_FFFF} {o.Symbol} {o.Side} {o.Kind} {o.TimeInForce} qty={o.Quantity} price={o.Price} paper={o.Paper} reduce-only={o.ReduceOnly}"))];
        }
        finally
        {
            if (Directory.Exists(journal))
            {
                Directory.Delete(journal, recursive: true);
            }
        }
    }
}
