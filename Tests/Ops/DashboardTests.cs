using System.Text.Json;

namespace Tests.Ops;

/// <summary>ops/grafana/engine-dashboard.json: valid JSON, a Prometheus datasource variable, and PromQL that parses.</summary>
public sealed class DashboardTests
{
    [Fact]
    public void The_dashboard_is_json_with_a_prometheus_datasource_variable_used_by_every_panel()
    {
        using var document = JsonDocument.Parse(OpsFiles.Read("ops", "grafana", "engine-dashboard.json"));
        var root = document.RootElement;
        Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("uid").GetString()));

        var variables = root.GetProperty("templating").GetProperty("list").EnumerateArray().ToList();
        var datasource = Assert.Single(variables, v => v.GetProperty("type").GetString() == "datasource");
        Assert.Equal("prometheus", datasource.GetProperty("query").GetString());
        var reference = "${" + datasource.GetProperty("name").GetString() + "}";

        var panels = root.GetProperty("panels").EnumerateArray().Where(p => p.GetProperty("type").GetString() != "row").ToList();
        Assert.True(panels.Count >= 20, $"only {panels.Count} panels");
        var ids = root.GetProperty("panels").EnumerateArray().Select(p => p.GetProperty("id").GetInt32()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        foreach (var panel in panels)
        {
            var title = panel.GetProperty("title").GetString();
            Assert.Equal("prometheus", panel.GetProperty("datasource").GetProperty("type").GetString());
            Assert.Equal(reference, panel.GetProperty("datasource").GetProperty("uid").GetString());
            var grid = panel.GetProperty("gridPos");
            Assert.True(grid.GetProperty("x").GetInt32() + grid.GetProperty("w").GetInt32() <= 24, $"panel '{title}' is wider than the 24-column grid");
            var targets = panel.GetProperty("targets").EnumerateArray().ToList();
            Assert.True(targets.Count > 0, $"panel '{title}' has no query");
            Assert.All(targets, t => Assert.False(string.IsNullOrWhiteSpace(t.GetProperty("expr").GetString()), $"panel '{title}' has an empty query"));
        }
    }

    [Fact]
    public void Every_dashboard_query_parses_as_promql()
    {
        var expressions = OpsFiles.DashboardExpressions();
        Assert.NotEmpty(expressions);
        var dir = Directory.CreateTempSubdirectory("ops-dashboard-");
        try
        {
            // promtool has no "parse this expression" command; a recording rule per query makes check rules parse each.
            File.WriteAllText(Path.Combine(dir.FullName, "dashboard.yml"), OpsFiles.RecordingRules(expressions));
            var (exit, output) = OpsFiles.Run(OpsFiles.Promtool(), dir.FullName, "check", "rules", "dashboard.yml");
            Assert.True(exit == 0, $"promtool check rules of the dashboard's queries:\n{output}");
            Assert.Contains($"SUCCESS: {expressions.Count} rules found", output, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_dashboard_shows_what_the_operators_watch()
    {
        var used = OpsFiles.DashboardExpressions().SelectMany(OpsFiles.MetricNames).ToHashSet(StringComparer.Ordinal);
        string[] required =
        [
            "engine_ticks_total", "engine_signals_total", "engine_orders_total", "engine_execution_events_total",
            "engine_positions_open", "engine_exposure_notional", "engine_pnl_notional", "engine_ring_backlog",
            "engine_stage_latency_seconds_bucket", "engine_order_send_seconds_bucket", "engine_feed_reconnects_total",
            "engine_feed_gaps_backfilled_total", "engine_feed_missing_candles", "engine_reconciliation_runs_total",
            "engine_reconciliation_mismatches_total", "engine_reconciliation_last_success_timestamp_seconds",
            "engine_venue_mode", "engine_execution_venue", "engine_rate_limit_weight_used", "engine_clock_offset_seconds",
            "engine_health_serving", "engine_component_up",
        ];
        Assert.All(required, name => Assert.True(used.Contains(name), $"the dashboard does not show {name}"));
        Assert.Contains(OpsFiles.DashboardExpressions(), e => e.StartsWith("histogram_quantile(", StringComparison.Ordinal) && e.Contains("engine_order_send_seconds_bucket", StringComparison.Ordinal));
    }
}
