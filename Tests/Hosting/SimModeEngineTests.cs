using Engine.Control.V1;
using Grpc.Net.Client;
using Tests.Control;

namespace Tests.Hosting;

/// <summary>
/// The default run: a real engine process in sim mode against its embedded simulator, over the real protocol —
/// discovery, streams, user-data stream, reconciliation — driven over gRPC and HTTP, then stopped by SIGTERM.
/// </summary>
public sealed class SimModeEngineTests
{
    [Fact]
    public async Task The_default_mode_connects_to_the_embedded_simulator_reconciles_answers_every_read_and_exits_0_with_the_journal_flushed()
    {
        using var engine = new EngineProcess([], [("Engine__Control__Port", "0"), ("Engine__Metrics__Port", "0"), ("Engine__Feed__MaxSymbols", "5")]);
        var controlPort = engine.WaitForPort("Control plane", TimeSpan.FromSeconds(60));
        var metricsPort = engine.WaitForPort("Metrics", TimeSpan.FromSeconds(10));
        Assert.True(engine.WaitForOutput("All stages running", TimeSpan.FromSeconds(30)), engine.Output);
        var output = engine.Output;
        Assert.Contains("Venue: embedded simulator on http://127.0.0.1:", output, StringComparison.Ordinal);
        Assert.Contains("Symbols: 5 from exchangeInfo and ticker/24hr", output, StringComparison.Ordinal);
        Assert.Contains("Venue connected: 2 market-stream connections for 5 symbols; user-data stream started; execution live", output, StringComparison.Ordinal);
        Assert.True(output.IndexOf("Ring buffer ready", StringComparison.Ordinal) < output.IndexOf("Venue connected", StringComparison.Ordinal));
        Assert.True(output.IndexOf("Venue connected", StringComparison.Ordinal) < output.IndexOf("All stages running", StringComparison.Ordinal));

        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{controlPort}");
        var control = new EngineControl.EngineControlClient(channel);

        // Every component, the reconciler included (it runs at start), serves within a few seconds.
        HealthReport health;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            await Task.Delay(250);
            health = await control.GetHealthAsync(new GetHealthRequest(), deadline: ControlClient.Deadline);
        }
        while (health.Overall != HealthState.Serving && DateTime.UtcNow < deadline);

        Assert.True(health.Overall == HealthState.Serving, string.Join("; ", health.Components.Select(c => $"{c.Name}: {c.State} {c.Detail}")));
        Assert.Equal(Mode.Sim, health.Mode);
        foreach (var name in (string[])["brain", "execution", "tail", "feed", "missing_candles", "venue", "user_stream", "reconciler", "cooldowns"])
        {
            Assert.Contains(health.Components, c => c.Name == name && c.State == HealthState.Serving);
        }

        // Reads answer from the parts; a dry-run reconciliation against the venue finds nothing to fix on a fresh account.
        await control.ListPositionsAsync(new ListPositionsRequest(), deadline: ControlClient.Deadline);
        await control.ListOrdersAsync(new ListOrdersRequest(), deadline: ControlClient.Deadline);
        var reconcile = await control.ReconcileAsync(new ReconcileRequest { DryRun = true }, deadline: ControlClient.Deadline);
        Assert.True(reconcile.DryRun);

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}") };
        var metrics = PrometheusText.Parse(await http.GetStringAsync(new Uri("/metrics", UriKind.Relative)));
        Assert.Equal(1, PrometheusText.Value(metrics, "engine_venue_mode", ("mode", "sim")));
        Assert.True(PrometheusText.Value(metrics, "engine_reconciliation_last_success_timestamp_seconds") > 0);
        Assert.True(PrometheusText.Value(metrics, "engine_feed_events_published_total", ("source", "websocket")) > 0);

        engine.Terminate();
        Assert.Equal(0, engine.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains("Execution stopped: journal flushed", engine.Output, StringComparison.Ordinal);
    }
}
