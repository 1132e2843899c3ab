using System.Globalization;
using Engine.Control.V1;
using Engine.State.Journal;
using Grpc.Net.Client;
using Simulator;
using Tests.Control;
using Tests.Hosting;
using Tests.Simulator;

namespace Tests.Hostile;

/// <summary>
/// A ring stage halts on a fault (a bug; injected here with the test-only Engine:Testing:FaultStage) while the engine
/// holds a position: the brain's halt stops execution and the tail behind it and the ring fills, yet the position is
/// closed at the venue with a reduce-only market order, health says which stage halted and why, and it is logged
/// CRITICAL. A real engine process in live mode against the simulator.
/// </summary>
public sealed class StageHaltTests
{
    [Fact]
    public async Task When_the_brain_halts_on_a_fault_the_engine_goes_reduce_only_and_closes_the_position_it_holds()
    {
        await using var sim = await SimulatorHost.StartAsync(SimClient.Options(symbols: 3));
        using var venue = new SimClient(sim);
        var journal = Path.Combine(Path.GetTempPath(), "stage-halt-" + Guid.NewGuid().ToString("N"));
        try
        {
            // The engine holds 0.02 BTCUSDT long: at the venue, and in the journal it starts from.
            var opened = await venue.OrderAsync("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.02");
            Assert.True(opened.Status == System.Net.HttpStatusCode.OK, opened.Body);
            Assert.Equal(0.02m, (await venue.OpenPositionsAsync()).GetValueOrDefault("BTCUSDT"));
            SeedJournal(journal, "BTCUSDT", 0.02m, opened.Json.GetProperty("avgPrice").GetString()!);

            using var engine = EngineProcess.LiveAgainst(sim, journal,
                ("Engine__Feed__MaxSymbols", "3"),
                ("Engine__Ring__Size", "1024"),
                ("Engine__Health__CheckInterval", "00:00:00.200"),
                ("Engine__Ring__FuseBrainAndExecution", "false"),
                ("Engine__Testing__FaultStage", "brain"),
                ("Engine__Testing__FaultAfterEvents", "300"));
            var controlPort = engine.WaitForPort("Control plane", TimeSpan.FromSeconds(90));
            Assert.True(engine.WaitForOutput("Stage brain halted on a fault", TimeSpan.FromSeconds(90)), engine.Output);

            // The position is closed at the venue by the engine's own reduce-only market order.
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while ((await venue.OpenPositionsAsync()).GetValueOrDefault("BTCUSDT") != 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }

            Assert.True((await venue.OpenPositionsAsync()).GetValueOrDefault("BTCUSDT") == 0, engine.Output);
            var closes = await VenueOrders(venue, "BTCUSDT");
            Assert.Contains(closes, o => o.ReduceOnly && o.Side == "SELL" && o.Type == "MARKET" && o.Quantity == 0.02m && o.Status == "FILLED");
            Assert.Contains("Protective close", engine.Output, StringComparison.Ordinal);

            // CRITICAL, naming the stage and the fault.
            Assert.Contains("crit: Engine.Hosting.StageFaultGuard", engine.Output, StringComparison.Ordinal);
            Assert.Contains("injected fault in stage brain", engine.Output, StringComparison.Ordinal);

            // Health: the brain is down with the exception's message, the venue component says reduce-only and why.
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{controlPort}");
            var control = new EngineControl.EngineControlClient(channel);
            // Health is re-checked every CheckInterval: the close can beat the first check after the halt, and one check
            // can see the halted brain before the guard has made execution reduce-only.
            var report = await control.GetHealthAsync(new GetHealthRequest(), deadline: ControlClient.Deadline);
            var healthDeadline = DateTime.UtcNow.AddSeconds(10);
            while (report.Components.Any(c => c.Name is "brain" or "venue" && c.State == HealthState.Serving) && DateTime.UtcNow < healthDeadline)
            {
                await Task.Delay(100);
                report = await control.GetHealthAsync(new GetHealthRequest(), deadline: ControlClient.Deadline);
            }

            var summary = string.Join("; ", report.Components.Select(c => $"{c.Name}: {c.State} {c.Detail}"));
            Assert.True(report.Overall != HealthState.Serving, summary);
            var brain = report.Components.Single(c => c.Name == "brain");
            Assert.True(brain.State != HealthState.Serving, summary);
            Assert.Contains("injected fault in stage brain", brain.Detail, StringComparison.Ordinal);
            var execution = report.Components.Single(c => c.Name == "venue");
            Assert.True(execution.State != HealthState.Serving, summary);
            Assert.Contains("reduce-only: stage brain halted", execution.Detail, StringComparison.Ordinal);
            Assert.False(engine.HasExited, engine.Output);

            // The journal knows the close: the next start finds no position and no open order.
            engine.Terminate();
            var code = engine.WaitForExit(TimeSpan.FromSeconds(60));
            Assert.True(code == 0, $"exit {code}\n{engine.Output}");
            var state = JournalReader.Replay(journal);
            Assert.Empty(state.OpenOrders);
            Assert.All(state.Positions.All(), p => Assert.True(p.Amount.IsZero, $"{p.Symbol} {p.Amount}"));
        }
        finally
        {
            if (Directory.Exists(journal))
            {
                Directory.Delete(journal, recursive: true);
            }
        }
    }

    private static void SeedJournal(string directory, string symbol, decimal amount, string price)
    {
        Directory.CreateDirectory(directory);
        using var writer = new JournalWriter(new JournalOptions { Directory = directory, Fsync = FsyncPolicy.EveryRecord }, 0);
        var position = new JournalPosition(
            symbol, Engine.Model.Quantity.Parse(System.Text.Encoding.ASCII.GetBytes(amount.ToString(CultureInfo.InvariantCulture))),
            Engine.Model.Price.Parse(System.Text.Encoding.ASCII.GetBytes(price)), Engine.Model.Notional.Zero);
        writer.RotateWithSnapshot(JournalCodec.WriteSnapshot(1, [], [position]));
    }

    private static async Task<List<(string Side, string Type, decimal Quantity, bool ReduceOnly, string Status)>> VenueOrders(SimClient venue, string symbol)
    {
        var all = await venue.SignedAsync(HttpMethod.Get, "fapi/v1/allOrders", "symbol=" + symbol);
        return [.. all.Json.EnumerateArray().Select(o => (
            o.GetProperty("side").GetString()!, o.GetProperty("type").GetString()!,
            decimal.Parse(o.GetProperty("origQty").GetString()!, CultureInfo.InvariantCulture), o.GetProperty("reduceOnly").GetBoolean(),
            o.GetProperty("status").GetString()!))];
    }
}
