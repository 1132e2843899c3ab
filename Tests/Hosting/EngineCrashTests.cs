using System.Globalization;
using Engine.Control.V1;
using Engine.State.Journal;
using Grpc.Net.Client;
using Simulator;
using Tests.Control;
using Tests.Simulator;

namespace Tests.Hosting;

/// <summary>
/// The real engine process, in live mode against a simulator that outlives it (Engine:Venue points at it), ended at
/// the exact instants between "journaled" and "acknowledged" (Execution:CrashAfter calls _exit there, as a kill -9
/// would land), then restarted on the same journal. No order may be lost or sent twice, and the positions the restarted
/// engine holds must be the venue's — found by its own recovery, not patched up by reconciliation.
/// </summary>
public sealed class EngineCrashTests
{
    private const int CrashExitCode = 86;

    [Fact]
    public async Task Killed_between_journaled_and_acknowledged_twice_the_engine_restarts_with_every_order_sent_once_and_the_venues_positions()
    {
        // Simulated time starts 20 s before a minute closes, so the brain's first live candle close (its first decision)
        // comes soon after the engine has started and warmed its indicators on 60 back-filled minutes.
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var options = SimClient.Options(symbols: 20);
        options.BackfillMinutes = 120;
        options.StartTimeMs = now - (now % 60_000) + 60_000 - 20_000;
        await using var sim = await SimulatorHost.StartAsync(options);
        using var venue = new SimClient(sim);
        var journal = Path.Combine(Path.GetTempPath(), "engine-crash-" + Guid.NewGuid().ToString("N"));
        try
        {
            // 1. The brain's first order is journaled, then the process dies before any byte of it leaves.
            string[] unsent;
            using (var first = Start(sim, journal, "JournaledBeforeSend"))
            {
                // Exit code 86 is the injected crash; its log line may die with the process, as after a real kill -9.
                Assert.True(first.WaitForExit(TimeSpan.FromSeconds(150)) == CrashExitCode, first.Output);
                // Journaled: in the main journal (the I/O loop's path) or in the stage's intent log (the stage's own sends).
                var intents = IntentLogReader.ReadAll(Path.Combine(journal, IntentLog.FolderName)).Unreleased().Select(r => r.Intent.ClientOrderId);
                unsent = [.. JournalReader.Replay(journal).OpenOrders.Keys.Concat(intents).Distinct().Select(Wire)];
                Assert.NotEmpty(unsent);
                var atVenue = await VenueOrders(venue);
                Assert.All(unsent, id => Assert.DoesNotContain(id, atVenue.Keys));
            }

            // 2. The restart finds them in the journal, asks the venue (never seen), sends them again; the process
            //    dies as the first answer comes back, before it is processed.
            using (var second = Start(sim, journal, "SentBeforeAck"))
            {
                Assert.True(second.WaitForExit(TimeSpan.FromSeconds(90)) == CrashExitCode, second.Output);
                var atVenue = await VenueOrders(venue);
                Assert.Contains(atVenue.Keys, unsent.Contains);
                Assert.All(atVenue, o => Assert.True(o.Value == 1, $"{o.Key} is at the venue {o.Value} times"));
            }

            // 3. The second restart finds the order filled at the venue and sends nothing more.
            using var third = Start(sim, journal, "None");
            var controlPort = third.WaitForPort("Control plane", TimeSpan.FromSeconds(60));
            Assert.True(third.WaitForOutput("All stages running", TimeSpan.FromSeconds(30)), third.Output);
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{controlPort}");
            var control = new EngineControl.EngineControlClient(channel);
            await control.PauseAsync(new PauseRequest { Reason = "crash test: compare with the venue" }, deadline: ControlClient.Deadline);

            var deadline = DateTime.UtcNow.AddSeconds(30);
            ListOrdersResponse open;
            while ((open = await control.ListOrdersAsync(new ListOrdersRequest(), deadline: ControlClient.Deadline)).Orders.Count > 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }

            Assert.True(open.Orders.Count == 0, "still open: " + string.Join(", ", open.Orders.Select(o => $"{o.ClientOrderId} {o.Status}")));
            var orders = await VenueOrders(venue);
            Assert.All(orders, o => Assert.True(o.Value == 1, $"{o.Key} is at the venue {o.Value} times"));
            Assert.All(unsent, id => Assert.True(orders.ContainsKey(id), $"{id} was journaled but never reached the venue"));

            var venuePositions = await venue.OpenPositionsAsync();
            var enginePositions = (await control.ListPositionsAsync(new ListPositionsRequest(), deadline: ControlClient.Deadline)).Positions
                .ToDictionary(p => p.Symbol, p => decimal.Parse(p.Quantity, CultureInfo.InvariantCulture) * (p.Side == "SHORT" ? -1 : 1));
            Assert.NotEmpty(venuePositions);
            Assert.Equal(venuePositions.OrderBy(p => p.Key), enginePositions.Where(p => p.Value != 0).OrderBy(p => p.Key));

            // The restarted engine knew all of this from its journal and its own queries: reconciliation found nothing to fix.
            var reconcile = await control.ReconcileAsync(new ReconcileRequest { DryRun = true }, deadline: ControlClient.Deadline);
            Assert.Empty(reconcile.Mismatches);
            Assert.DoesNotContain("Position mismatches detected", third.Output, StringComparison.Ordinal);

            third.Terminate();
            Assert.Equal(0, third.WaitForExit(TimeSpan.FromSeconds(30)));
            Assert.Empty(JournalReader.Replay(journal).OpenOrders);
        }
        finally
        {
            if (Directory.Exists(journal))
            {
                Directory.Delete(journal, recursive: true);
            }
        }
    }

    private static EngineProcess Start(SimulatorHost sim, string journal, string crashAfter) =>
        EngineProcess.LiveAgainst(sim, journal, ("Engine__Execution__CrashAfter", crashAfter));

    private static string Wire(long clientOrderId) => "e" + clientOrderId.ToString(CultureInfo.InvariantCulture);

    /// <summary>Every order of this account at the venue placed with an engine client id, and how many times each id occurs.</summary>
    private static async Task<Dictionary<string, int>> VenueOrders(SimClient venue)
    {
        var counts = new Dictionary<string, int>();
        var info = await venue.GetAsync("fapi/v1/exchangeInfo");
        foreach (var symbol in info.Json.GetProperty("symbols").EnumerateArray())
        {
            var all = await venue.SignedAsync(HttpMethod.Get, "fapi/v1/allOrders", "symbol=" + symbol.GetProperty("symbol").GetString());
            foreach (var order in all.Json.EnumerateArray())
            {
                var id = order.GetProperty("clientOrderId").GetString()!;
                if (id.StartsWith('e'))
                {
                    counts[id] = counts.GetValueOrDefault(id) + 1;
                }
            }
        }

        return counts;
    }
}
