using Engine.Control.Health;
using Engine.Control.Metrics;
using Engine.Model;
using Tests.Control;

namespace Tests.State;

/// <summary>Health and metrics of positions, the user-data stream and reconciliation, read from the real parts at work.</summary>
public sealed class StateObservabilityTests
{
    [Fact]
    public async Task Health_and_metrics_follow_the_stream_and_the_reconciler()
    {
        await using var h = await StateHarness.StartAsync();
        var stream = h.Stream();
        var reconciler = h.Reconciler(o => o.Interval = TimeSpan.FromSeconds(30));
        var streamHealth = new UserStreamHealth(stream.Counters);
        var reconcilerHealth = new ReconcilerHealth(reconciler.Counters, reconciler.Options.Interval);
        Assert.False(streamHealth.Check().Serving);
        Assert.Equal("no reconciliation has completed yet", reconcilerHealth.Check().Detail);

        await stream.StartAsync(CancellationToken.None);
        await StateHarness.WaitUntilAsync(() => streamHealth.Check().Serving, "user_stream serving");
        await h.PlaceAsync("BTCUSDT", Side.Buy, OrderKind.Market, "0.02");
        await h.Direct.OrderAsync("symbol=ETHUSDT&side=BUY&type=MARKET&quantity=0.4&newClientOrderId=manual-9");
        await StateHarness.WaitUntilAsync(() => h.Ledger.AllTerminal() && h.Ledger.ForeignUpdates >= 2, "the orders on the stream");
        var report = await reconciler.ReconcileAsync(dryRun: false, CancellationToken.None);
        Assert.Single(report.Positions);

        var check = reconcilerHealth.Check();
        Assert.True(check.Serving, check.Detail);
        Assert.Contains("1 mismatches in the last run", check.Detail, StringComparison.Ordinal);

        var writer = new PrometheusWriter();
        new StateMetrics(h.Book, h.Symbols, reconciler.Counters, stream.Counters, h.StageCounters).Collect(writer);
        var families = PrometheusText.Parse(writer.ToString());
        Assert.Equal(2, families["engine_positions_open"].Samples.Single().Value);
        Assert.Equal(["BTCUSDT", "ETHUSDT"], families["engine_exposure_notional"].Samples.Select(s => s.Labels["symbol"]).Order(StringComparer.Ordinal));
        Assert.True(families["engine_exposure_notional"].Samples.All(s => s.Value > 0));
        Assert.Equal(1, families["engine_reconciliation_mismatches_total"].Samples.Single().Value);
        Assert.Equal(1, families["engine_reconciliation_runs_total"].Samples.Single(s => s.Labels["outcome"] == "completed").Value);
        Assert.Equal(reconciler.Counters.LastSuccessUnixMs / 1000.0, families["engine_reconciliation_last_success_timestamp_seconds"].Samples.Single().Value, 3);
        Assert.Equal(1, families["engine_user_stream_connected"].Samples.Single().Value);
        AssertFills(families);
        Assert.True(families["engine_user_stream_events_total"].Samples.Single(s => s.Labels["type"] == "order_update").Value >= 4);

        // The venue goes away for the stream: health says so at once.
        await h.Direct.AdminAsync("fail?count=1000&status=500");
        await h.Direct.AdminAsync("drop-websockets");
        await StateHarness.WaitUntilAsync(() => !streamHealth.Check().Serving, "user_stream down");
        Assert.StartsWith("disconnected", streamHealth.Check().Detail, StringComparison.Ordinal);
        var failed = await reconciler.ReconcileAsync(dryRun: false, CancellationToken.None);
        Assert.False(failed.Succeeded);
        Assert.StartsWith("the last run failed", reconcilerHealth.Check().Detail, StringComparison.Ordinal);
        await h.Direct.AdminAsync("reset");
        await StateHarness.WaitUntilAsync(() => streamHealth.Check().Serving, "user_stream back", 30);
    }

    /// <summary>engine_fills_total counts what the tail applied: every series sums to the book's fills, one per applied symbol and side.</summary>
    private static void AssertFills(Dictionary<string, PrometheusText.Family> families)
    {
        var fills = families["engine_fills_total"].Samples;
        Assert.Equal("counter", families["engine_fills_total"].Type);
        Assert.All(fills, s => Assert.Contains(s.Labels["side"], (string[])["buy", "sell"]));
        Assert.True(fills.Single(s => s.Labels["symbol"] == "BTCUSDT" && s.Labels["side"] == "buy").Value >= 1);
        Assert.Equal(0, fills.Single(s => s.Labels["symbol"] == "BTCUSDT" && s.Labels["side"] == "sell").Value);

        // ETHUSDT's position came from reconciliation (a set, not a fill): no series for it.
        Assert.DoesNotContain(fills, s => s.Labels["symbol"] == "ETHUSDT");
    }
}
