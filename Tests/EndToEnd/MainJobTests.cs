using System.Diagnostics;
using System.Globalization;
using Engine.Control.V1;
using Grpc.Net.Client;
using Tests.Control;
using Tests.Hosting;
using Xunit.Abstractions;

namespace Tests.EndToEnd;

/// <summary>
/// The main job, end to end: the engine process in its default mode (the embedded simulator, 5 symbols, simulated time
/// ×30), watched for a minute against the operators' success criteria — 20+ ticks per minute per symbol, signals every
/// few minutes, orders accepted, never more than 3 positions, reconciliation on schedule with no mismatch, health
/// SERVING — then driven with every enginectl command, the last of which (shutdown) must end it with exit code 0.
/// </summary>
public sealed class MainJobTests(ITestOutputHelper output)
{
    private const double Speed = 30;
    private const int Symbols = 5;
    private const int ReconciliationSeconds = 5;
    private static readonly TimeSpan s_watch = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_engine_meets_the_operators_criteria_against_the_simulator_and_every_enginectl_command_works()
    {
        var started = Stopwatch.StartNew();
        using var engine = new EngineProcess([], [
            ("Engine__Control__Port", "0"),
            ("Engine__Metrics__Port", "0"),
            ("Engine__Simulator__Speed", Speed.ToString(CultureInfo.InvariantCulture)),
            ("Engine__Simulator__Symbols", Symbols.ToString(CultureInfo.InvariantCulture)),
            ("Engine__Feed__MaxSymbols", Symbols.ToString(CultureInfo.InvariantCulture)),
            ("RECONCILIATION_INTERVAL", ReconciliationSeconds.ToString(CultureInfo.InvariantCulture)),
        ]);
        var controlPort = engine.WaitForPort("Control plane", TimeSpan.FromSeconds(90));
        var metricsPort = engine.WaitForPort("Metrics", TimeSpan.FromSeconds(30));
        Assert.True(engine.WaitForOutput("All stages running", TimeSpan.FromSeconds(30)), engine.Output);
        output.WriteLine($"start-up lines complete after {started.Elapsed.TotalSeconds:0.0} s (process start to 'All stages running')");

        var address = $"http://127.0.0.1:{controlPort}";
        using var channel = GrpcChannel.ForAddress(address);
        var control = new EngineControl.EngineControlClient(channel);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}"), Timeout = TimeSpan.FromSeconds(20) };

        Assert.True(
            await EndToEnd.EventuallyAsync(async () => (await control.GetHealthAsync(new GetHealthRequest(), deadline: ControlClient.Deadline)).Overall == HealthState.Serving, TimeSpan.FromSeconds(60)),
            "health never SERVING:\n" + engine.Output);

        // ---- a minute of trading, sampled every half second ----
        var before = await EndToEnd.ScrapeAsync(http);
        var watch = Stopwatch.StartNew();
        var maxPositions = 0;
        var maxPositionsMetric = 0.0;
        var samples = 0;
        var reconciliationAges = new List<double>();
        while (watch.Elapsed < s_watch)
        {
            var positions = await control.ListPositionsAsync(new ListPositionsRequest(), deadline: ControlClient.Deadline);
            maxPositions = Math.Max(maxPositions, positions.Positions.Count);
            var scrape = await EndToEnd.ScrapeAsync(http);
            maxPositionsMetric = Math.Max(maxPositionsMetric, EndToEnd.Sum(scrape, "engine_positions_open"));
            reconciliationAges.Add(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0 - EndToEnd.Sum(scrape, "engine_reconciliation_last_success_timestamp_seconds"));
            samples++;
            await Task.Delay(500);
        }

        var after = await EndToEnd.ScrapeAsync(http);
        var realSeconds = watch.Elapsed.TotalSeconds;
        var simulatedMinutes = realSeconds * Speed / 60;

        var ticksBefore = EndToEnd.ByLabel(before, "engine_ticks_total", "symbol");
        var ticksAfter = EndToEnd.ByLabel(after, "engine_ticks_total", "symbol");
        Assert.Equal(Symbols, ticksAfter.Count);
        var ticksPerMinute = ticksAfter.ToDictionary(t => t.Key, t => (t.Value - ticksBefore.GetValueOrDefault(t.Key)) / simulatedMinutes);
        var signals = EndToEnd.Sum(after, "engine_signals_total") - EndToEnd.Sum(before, "engine_signals_total");
        var accepted = EndToEnd.Sum(after, "engine_orders_total", ("outcome", "accepted")) - EndToEnd.Sum(before, "engine_orders_total", ("outcome", "accepted"));
        var reconciliations = EndToEnd.Sum(after, "engine_reconciliation_runs_total", ("outcome", "completed")) - EndToEnd.Sum(before, "engine_reconciliation_runs_total", ("outcome", "completed"));
        output.WriteLine($"watched {realSeconds:0.0} s real = {simulatedMinutes:0.0} simulated minutes, {samples} samples");
        output.WriteLine("ticks per simulated minute: " + string.Join(", ", ticksPerMinute.OrderBy(t => t.Key).Select(t => $"{t.Key} {t.Value:0}")));
        output.WriteLine($"signals {signals} (one per {simulatedMinutes / Math.Max(signals, 1):0.0} simulated minutes), orders accepted {accepted}, " +
            $"most positions {maxPositions} (metric {maxPositionsMetric}), reconciliations completed {reconciliations} (every {ReconciliationSeconds} s), " +
            $"oldest reconciliation seen {reconciliationAges.Max():0.0} s, mismatches {EndToEnd.Sum(after, "engine_reconciliation_mismatches_total")}");

        // Per simulated minute (the stricter unit at ×30: per real minute there are 30 times as many).
        Assert.All(ticksPerMinute, t => Assert.True(t.Value >= 20, $"{t.Key}: {t.Value:0.0} ticks per minute"));
        Assert.True(signals >= simulatedMinutes / 5, $"{signals} signals in {simulatedMinutes:0} simulated minutes");
        Assert.True(accepted > 0, "no order accepted");
        Assert.InRange(maxPositions, 0, 3);
        Assert.InRange(maxPositionsMetric, 0, 3);
        Assert.True(reconciliations >= realSeconds / ReconciliationSeconds / 2, $"{reconciliations} reconciliations in {realSeconds:0} s");
        Assert.True(reconciliationAges.Max() < 4 * ReconciliationSeconds, $"a reconciliation {reconciliationAges.Max():0.0} s old");
        Assert.Equal(0, EndToEnd.Sum(after, "engine_reconciliation_mismatches_total"));
        Assert.Equal(0, EndToEnd.Sum(after, "engine_reconciliation_runs_total", ("outcome", "failed")));
        Assert.DoesNotContain("Position mismatches detected", engine.Output, StringComparison.Ordinal);

        // ---- every enginectl command, as an operator runs it ----
        Assert.StartsWith("overall: SERVING   mode: sim", EndToEnd.EnginectlOk(address, "health"), StringComparison.Ordinal);
        Assert.Contains("mode: sim", EndToEnd.EnginectlOk(address, "status"), StringComparison.Ordinal);
        EndToEnd.EnginectlOk(address, "positions");
        EndToEnd.EnginectlOk(address, "orders");
        EndToEnd.EnginectlOk(address, "reconcile", "--dry-run");
        EndToEnd.EnginectlOk(address, "reconcile");
        EndToEnd.EnginectlOk(address, "pause");
        Assert.Equal(1, EndToEnd.Sum(await EndToEnd.ScrapeAsync(http), "engine_entries_paused"));
        EndToEnd.EnginectlOk(address, "resume");
        Assert.Equal(0, EndToEnd.Sum(await EndToEnd.ScrapeAsync(http), "engine_entries_paused"));
        EndToEnd.EnginectlOk(address, "mode", "paper");
        Assert.Equal(1, EndToEnd.Sum(await EndToEnd.ScrapeAsync(http), "engine_execution_venue", ("venue", "paper")));
        EndToEnd.EnginectlOk(address, "mode", "live");
        Assert.True(
            await EndToEnd.EventuallyAsync(async () => EndToEnd.Sum(await EndToEnd.ScrapeAsync(http), "engine_execution_venue", ("venue", "live")) == 1, TimeSpan.FromSeconds(30)),
            "the venue did not switch back to live");
        EndToEnd.EnginectlOk(address, "flatten");
        Assert.True(
            await EndToEnd.EventuallyAsync(async () => (await control.ListPositionsAsync(new ListPositionsRequest(), deadline: ControlClient.Deadline)).Positions.Count == 0, TimeSpan.FromSeconds(60)),
            "positions left after flatten");
        Watch(address);

        var shutdown = EndToEnd.EnginectlOk(address, "shutdown");
        output.WriteLine("shutdown: " + shutdown.Trim());
        Assert.Equal(0, engine.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains("Execution stopped: journal flushed", engine.Output, StringComparison.Ordinal);
    }

    /// <summary>enginectl watch streams events until stopped: a few lines of it, then the operator's Ctrl-C.</summary>
    private static void Watch(string address)
    {
        using var process = Process.Start(new ProcessStartInfo("dotnet", ["exec", EndToEnd.CliPath, "watch", "--type", "health", "--address", address])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            var lines = new List<string>();
            while (lines.Count < 3 && process.StandardOutput.ReadLine() is { } line)
            {
                lines.Add(line);
            }

            Assert.Equal(3, lines.Count);
            Assert.All(lines, line => Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ health ", line));
        }
        finally
        {
            process.Kill();
        }
    }
}
