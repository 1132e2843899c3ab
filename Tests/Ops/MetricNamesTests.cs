using System.Diagnostics;
using System.Text.RegularExpressions;
using Tests.Control;
using Tests.Hosting;

namespace Tests.Ops;

/// <summary>
/// The alert rules and the dashboard select only what a real engine exports: every metric name they use is a family
/// in a real engine's scrape (sim mode, the default, which runs every part that has metrics), every label value they
/// match on is in a real series, and every name is in docs/METRICS.md's exported tables (the contract), not
/// "Reserved".
/// </summary>
public sealed partial class MetricNamesTests
{
    [Fact]
    public async Task Every_metric_and_label_value_the_alerts_and_the_dashboard_use_is_in_a_real_engines_scrape()
    {
        var alerts = OpsFiles.AlertExpressions().Select(r => r.Expr).ToList();
        var dashboard = OpsFiles.DashboardExpressions();
        Assert.NotEmpty(alerts);
        Assert.NotEmpty(dashboard);

        // Names outside the engine's: only Prometheus's own `up`, and only in the alerts.
        var foreign = alerts.SelectMany(OpsFiles.MetricNames).Where(n => !n.StartsWith("engine_", StringComparison.Ordinal)).Distinct().ToList();
        Assert.Equal("up", Assert.Single(foreign));
        Assert.All(dashboard.SelectMany(OpsFiles.MetricNames), n => Assert.StartsWith("engine_", n, StringComparison.Ordinal));

        var expressions = alerts.Concat(dashboard).ToList();
        var names = expressions.SelectMany(OpsFiles.MetricNames).Where(n => n != "up").ToHashSet(StringComparer.Ordinal);
        var matchers = expressions.SelectMany(OpsFiles.Matchers)
            .Where(m => m.Metric != "up" && m.Label is not ("job" or "instance"))
            .Distinct().ToList();

        using var engine = new EngineProcess([], [("Engine__Control__Port", "0"), ("Engine__Metrics__Port", "0"), ("Engine__Feed__MaxSymbols", "5")]);
        var port = engine.WaitForPort("Metrics", TimeSpan.FromSeconds(60));
        Assert.True(engine.WaitForOutput("All stages running", TimeSpan.FromSeconds(60)), engine.Output);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        // Every family is declared from the first scrape on; label values of per-event series (a symbol's first
        // signal, an open position) are not matched on by any rule or panel. Scrape until everything is there (or
        // a generous deadline on a loaded machine) and report what is missing.
        List<string> missing = [];
        var deadline = Stopwatch.GetTimestamp() + (90 * Stopwatch.Frequency);
        do
        {
            var families = PrometheusText.Parse(await http.GetStringAsync(new Uri("/metrics", UriKind.Relative)));
            missing = [.. names.Where(n => !Declared(families, n)).Select(n => $"metric {n}"),
                .. matchers.Where(m => !Matches(families, m)).Select(m => $"{m.Metric}{{{m.Label}{m.Op}\"{m.Value}\"}}")];
            if (missing.Count == 0)
            {
                break;
            }

            await Task.Delay(1000);
        }
        while (Stopwatch.GetTimestamp() < deadline);

        Assert.True(missing.Count == 0, $"not in the engine's scrape: {string.Join(", ", missing)}");
        engine.Terminate();
        Assert.Equal(0, engine.WaitForExit(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void Every_metric_the_alerts_and_the_dashboard_use_is_exported_by_the_contract_in_METRICS()
    {
        var metrics = OpsFiles.Read("docs", "METRICS.md");
        var reserved = metrics.IndexOf("## Reserved", StringComparison.Ordinal);
        Assert.True(reserved > 0, "docs/METRICS.md has no 'Reserved' section");
        var exported = BacktickedName().Matches(metrics[..reserved]).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);
        var names = OpsFiles.AlertExpressions().Select(r => r.Expr).Concat(OpsFiles.DashboardExpressions())
            .SelectMany(OpsFiles.MetricNames).Where(n => n != "up").Distinct();
        Assert.All(names, n => Assert.True(exported.Contains(n) || exported.Contains(Family(n)), $"{n} is not in docs/METRICS.md's exported tables"));
    }

    /// <summary>The histogram family a <c>_bucket</c>/<c>_sum</c>/<c>_count</c> series belongs to, else the name itself.</summary>
    private static string Family(string name)
    {
        foreach (var suffix in (string[])["_bucket", "_sum", "_count"])
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal))
            {
                return name[..^suffix.Length];
            }
        }

        return name;
    }

    private static bool Declared(Dictionary<string, PrometheusText.Family> families, string name) =>
        families.ContainsKey(name) || (families.TryGetValue(Family(name), out var family) && family.Type == "histogram");

    private static bool Matches(Dictionary<string, PrometheusText.Family> families, (string Metric, string Label, string Op, string Value) matcher)
    {
        if (!families.TryGetValue(matcher.Metric, out var family) && !families.TryGetValue(Family(matcher.Metric), out family))
        {
            return false;
        }

        var samples = family.Samples.Where(s => s.Name == matcher.Metric).ToList();
        return matcher.Op switch
        {
            "=" => samples.Any(s => s.Labels.TryGetValue(matcher.Label, out var v) && v == matcher.Value),
            // A literal alternation (a|b|c): each alternative is a real value. Other patterns: the label exists.
            "=~" when LiteralAlternation().IsMatch(matcher.Value) =>
                matcher.Value.Split('|').All(value => samples.Any(s => s.Labels.TryGetValue(matcher.Label, out var v) && v == value)),
            _ => samples.Any(s => s.Labels.ContainsKey(matcher.Label)),
        };
    }

    [GeneratedRegex("`(?<name>engine_[a-z0-9_]+)`")]
    private static partial Regex BacktickedName();

    [GeneratedRegex("^[a-z0-9_]+(\\|[a-z0-9_]+)*$")]
    private static partial Regex LiteralAlternation();
}
