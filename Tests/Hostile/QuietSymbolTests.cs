using System.Globalization;
using System.Text.Json;
using Engine.Brain;
using Engine.Control.V1;
using Engine.Model;
using Engine.Ring;
using Grpc.Net.Client;
using Simulator;
using Tests.Brain;
using Tests.Control;
using Tests.Hosting;
using Tests.Simulator;
using Xunit.Abstractions;

namespace Tests.Hostile;

/// <summary>
/// A symbol that goes quiet: its last minute closed by the exchange's kline, then nothing for minutes, then a trade.
/// The brain closes the quiet minutes empty and goes on; its stage never halts and health stays SERVING — on a ring
/// with the real brain stage, and in the engine process against a simulator whose symbol is starved on purpose.
/// </summary>
public sealed class QuietSymbolTests(ITestOutputHelper output)
{
    [Fact]
    public void A_trade_minutes_after_a_kline_closed_minute_leaves_the_brain_stage_running()
    {
        var brain = new TradingBrain(new BrainOptions { MaxSymbols = 4 }, []);
        var ring = RingBuffer.CreateSingleProducer<MarketEvent>(64, new BlockingWaitStrategy());
        Exception? fault = null;
        var stage = new BatchEventProcessor<MarketEvent, BrainStage<NoStage>>(
            "brain", ring, ring.NewBarrier(), new BrainStage<NoStage>(brain, default), (e, _) =>
            {
                fault = e;
                return FaultAction.Halt;
            });
        ring.AddGatingSequences(stage.Sequence);
        stage.Start();
        try
        {
            var symbol = new SymbolId(1);
            var p = BrainData.P("10");
            void Publish(MarketEvent e)
            {
                var sequence = ring.Next();
                ring[sequence] = e;
                ring.Publish(sequence);
            }

            Publish(BrainData.TradeEvent(symbol, 30_000, p, BrainData.Q("1")));
            Publish(BrainData.KlineEvent(symbol, new Candle(0, p, p, p, p, BrainData.Q("1"), 1)));
            Publish(BrainData.TradeEvent(symbol, (3 * Candle.MinuteMs) + 5_000, BrainData.P("10.5"), BrainData.Q("1"))); // minutes 1 and 2 had nothing
            Publish(BrainData.TradeEvent(symbol, (9 * Candle.MinuteMs) + 5_000, BrainData.P("11"), BrainData.Q("1")));
            var end = ring.Cursor;
            SpinWait.SpinUntil(() => stage.Sequence.Value >= end || !stage.IsRunning, TimeSpan.FromSeconds(10));

            Assert.Null(fault);
            Assert.True(stage.IsRunning);
            Assert.Equal(end, stage.Sequence.Value);

            // Minute 0 (kline), 1 and 2 (empty), then 3 and 4..8 (empty) once minute 9 trades.
            Assert.Equal(9, brain.Counters[BrainCounter.MinutesClosed]);
            Assert.Equal(3, brain.Counters[BrainCounter.TradesProcessed]);
            Assert.Equal(0, brain.Counters[BrainCounter.LateTrades]);
        }
        finally
        {
            stage.Halt();
            stage.Join(TimeSpan.FromSeconds(5));
        }
    }

    [Fact]
    public async Task A_symbol_starved_for_minutes_then_trading_again_keeps_the_engine_brain_serving()
    {
        const double speed = 30;
        const int minutes = 3;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var options = SimClient.Options(symbols: 3, speed: speed);
        options.BackfillMinutes = 120;
        options.StartTimeMs = now - (now % 60_000);
        options.ListenKeyLifetime = TimeSpan.FromDays(30);
        await using var sim = await SimulatorHost.StartAsync(options);
        using var admin = new HttpClient { BaseAddress = sim.RestBaseUri, Timeout = TimeSpan.FromSeconds(20) };
        var journal = EndToEnd.EndToEnd.TempDirectory("engine-quiet");
        try
        {
            using var engine = EngineProcess.LiveAgainst(
                sim,
                journal,
                ("Engine__Feed__MaxSymbols", "3"),

                // The starved symbol sends nothing for 6 real seconds: the watchdog must not take that for a dead
                // connection here (what it does then is the feed's business, not this test's).
                ("Engine__Feed__StaleTimeout", "00:01:00"),
                ("Engine__Rest__RecvWindowMs", "60000"),
                ("Engine__Rest__ClockSyncInterval", "00:00:01"));
            var controlPort = engine.WaitForPort("Control plane", TimeSpan.FromSeconds(120));
            var metricsPort = engine.WaitForPort("Metrics", TimeSpan.FromSeconds(30));
            Assert.True(engine.WaitForOutput("All stages running", TimeSpan.FromSeconds(60)), engine.Output);
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{controlPort}");
            var control = new EngineControl.EngineControlClient(channel);
            using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}"), Timeout = TimeSpan.FromSeconds(20) };
            async Task<HealthState> BrainHealth() =>
                (await control.GetHealthAsync(new GetHealthRequest(), deadline: ControlClient.Deadline)).Components.Single(c => c.Name == "brain").State;
            async Task<double> BtcTicks() => EndToEnd.EndToEnd.ByLabel(await EndToEnd.EndToEnd.ScrapeAsync(metrics), "engine_ticks_total", "symbol").GetValueOrDefault("BTCUSDT");

            Assert.True(
                await EndToEnd.EndToEnd.EventuallyAsync(async () => (await control.GetHealthAsync(new GetHealthRequest(), deadline: ControlClient.Deadline)).Overall == HealthState.Serving, TimeSpan.FromSeconds(120)),
                "health never SERVING:\n" + engine.Output);
            Assert.True(await EndToEnd.EndToEnd.EventuallyAsync(async () => await BtcTicks() > 0, TimeSpan.FromSeconds(30)), "no BTCUSDT tick before the starvation");

            using var response = await admin.PostAsync(new Uri($"_sim/starve?symbol=BTCUSDT&minutes={minutes}&events=all", UriKind.Relative), null);
            using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var from = answer.RootElement.GetProperty("fromMs").GetInt64();
            var until = answer.RootElement.GetProperty("untilMs").GetInt64();
            output.WriteLine($"BTCUSDT starved from {from} to {until} (venue clock), {minutes} minutes = {minutes * 60 / speed:0} s real");

            // While it is starved (a margin after its start, before its end) no BTCUSDT tick reaches the tail.
            await UntilVenueTimeAsync(sim, from + 20_000);
            var during = await BtcTicks();
            await UntilVenueTimeAsync(sim, until - 10_000);
            Assert.Equal(during, await BtcTicks());

            // Then it trades again, minutes after its last closed kline: the brain takes it and keeps serving.
            await UntilVenueTimeAsync(sim, until + (2 * 60_000));
            Assert.True(await EndToEnd.EndToEnd.EventuallyAsync(async () => await BtcTicks() > during, TimeSpan.FromSeconds(30)), "BTCUSDT never traded again");
            for (var i = 0; i < 10; i++)
            {
                Assert.Equal(HealthState.Serving, await BrainHealth());
                await Task.Delay(300);
            }

            Assert.DoesNotContain("halted", engine.Output, StringComparison.OrdinalIgnoreCase);
            var brainEvents = EndToEnd.EndToEnd.ByLabel(await EndToEnd.EndToEnd.ScrapeAsync(metrics), "engine_brain_events_total", "event");
            output.WriteLine(string.Join(", ", brainEvents.Where(e => e.Value != 0).Select(e => $"{e.Key} {e.Value.ToString(CultureInfo.InvariantCulture)}")));
            Assert.Equal(0, brainEvents.GetValueOrDefault("impossible_values"));

            EndToEnd.EndToEnd.EnginectlOk($"http://127.0.0.1:{controlPort}", "shutdown");
            Assert.Equal(0, engine.WaitForExit(TimeSpan.FromSeconds(60)));
        }
        finally
        {
            if (Directory.Exists(journal))
            {
                Directory.Delete(journal, recursive: true);
            }
        }
    }

    private static async Task UntilVenueTimeAsync(SimulatorHost sim, long venueMs)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (sim.ServerTimeMs < venueMs)
        {
            Assert.True(DateTime.UtcNow < deadline, "the venue clock did not advance");
            await Task.Delay(20);
        }
    }
}
