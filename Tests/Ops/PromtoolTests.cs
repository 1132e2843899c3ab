using System.Text.RegularExpressions;

namespace Tests.Ops;

/// <summary>
/// ops/prometheus checked by promtool itself (Debian's prometheus package; .ci/run installs it): the scrape config,
/// the rules, and the rules' unit tests, which must cover every alert firing and not firing.
/// </summary>
public sealed partial class PromtoolTests
{
    private static readonly string s_prometheusDir = OpsFiles.PathOf("ops", "prometheus");

    [Fact]
    public void The_scrape_config_is_valid_and_loads_the_rule_file()
    {
        var (exit, output) = OpsFiles.Run(OpsFiles.Promtool(), s_prometheusDir, "check", "config", "prometheus.yml");
        Assert.True(exit == 0, $"promtool check config:\n{output}");
        Assert.Contains("SUCCESS: 1 rule files found", output, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:9464", OpsFiles.Read("ops", "prometheus", "prometheus.yml"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_commented_bearer_token_job_is_valid_config_too()
    {
        // The off-loopback variant is documented as a comment (its token file exists only on the real host); uncomment
        // it here with a real token file and let promtool check it, so the documented lines do not rot.
        var lines = OpsFiles.Read("ops", "prometheus", "prometheus.yml").Split('\n');
        var start = Array.FindIndex(lines, l => l.TrimStart().StartsWith("# - job_name: trading-engine", StringComparison.Ordinal));
        Assert.True(start > 0, "prometheus.yml documents no commented bearer-token job");
        var job = lines.Skip(start).TakeWhile(l => l.StartsWith("  # ", StringComparison.Ordinal) && l.Length > 4).Select(l => "  " + l[4..]).ToList();
        Assert.Contains(job, l => l.Contains("credentials_file:", StringComparison.Ordinal));

        var dir = Directory.CreateTempSubdirectory("ops-prometheus-");
        try
        {
            var token = Path.Combine(dir.FullName, "trading-engine.token");
            File.WriteAllText(token, "0123456789abcdef0123");
            var config = "scrape_configs:\n" + string.Join('\n', job).Replace("/etc/prometheus/trading-engine.token", token, StringComparison.Ordinal) + "\n";
            File.WriteAllText(Path.Combine(dir.FullName, "prometheus.yml"), config);
            var (exit, output) = OpsFiles.Run(OpsFiles.Promtool(), dir.FullName, "check", "config", "prometheus.yml");
            Assert.True(exit == 0, $"promtool check config of the commented job:\n{config}\n{output}");
            Assert.Contains("Bearer", config, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_alert_rules_are_valid()
    {
        var (exit, output) = OpsFiles.Run(OpsFiles.Promtool(), s_prometheusDir, "check", "rules", "alerts.yml");
        Assert.True(exit == 0, $"promtool check rules:\n{output}");
        Assert.Contains($"SUCCESS: {OpsFiles.AlertExpressions().Count} rules found", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_rule_unit_tests_pass()
    {
        var (exit, output) = OpsFiles.Run(OpsFiles.Promtool(), s_prometheusDir, "test", "rules", "alerts_test.yml");
        Assert.True(exit == 0, $"promtool test rules:\n{output}");
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_expectation_fails_the_rule_unit_tests()
    {
        // The unit tests assert labels and annotations exactly: one changed expectation must make promtool fail.
        var dir = Directory.CreateTempSubdirectory("ops-prometheus-");
        try
        {
            File.Copy(Path.Combine(s_prometheusDir, "alerts.yml"), Path.Combine(dir.FullName, "alerts.yml"));
            var tests = OpsFiles.Read("ops", "prometheus", "alerts_test.yml");
            var changed = tests.Replace("summary: \"Engine stage brain is dead on 127.0.0.1:9464\"", "summary: \"Engine stage tail is dead on 127.0.0.1:9464\"", StringComparison.Ordinal);
            Assert.NotEqual(tests, changed);
            File.WriteAllText(Path.Combine(dir.FullName, "alerts_test.yml"), changed);
            var (exit, output) = OpsFiles.Run(OpsFiles.Promtool(), dir.FullName, "test", "rules", "alerts_test.yml");
            Assert.NotEqual(0, exit);
            Assert.Contains("EngineStageDead", output, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Every_alert_is_tested_firing_and_not_firing()
    {
        var tests = OpsFiles.Read("ops", "prometheus", "alerts_test.yml");
        var firing = new HashSet<string>(StringComparer.Ordinal);
        var quiet = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in AlertTest().Matches(tests))
        {
            (m.Groups["none"].Success ? quiet : firing).Add(m.Groups["alert"].Value);
        }

        var alerts = OpsFiles.AlertExpressions().Select(r => r.Alert).ToList();
        Assert.Equal(alerts.Count, alerts.Distinct(StringComparer.Ordinal).Count());
        Assert.All(alerts, a => Assert.True(firing.Contains(a), $"no test where {a} fires"));
        Assert.All(alerts, a => Assert.True(quiet.Contains(a), $"no test where {a} does not fire"));
        Assert.Subset(alerts.ToHashSet(StringComparer.Ordinal), firing.Union(quiet).ToHashSet(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_alert_has_a_severity_a_summary_and_a_runbook_section_in_OPERATIONS()
    {
        var rules = OpsFiles.Read("ops", "prometheus", "alerts.yml");
        var operations = OpsFiles.Read("docs", "OPERATIONS.md");
        var headings = operations.Split('\n').Where(l => l.StartsWith('#')).Select(l => l.TrimStart('#').Trim()).ToHashSet(StringComparer.Ordinal);
        foreach (var block in rules.Split("- alert: ", StringSplitOptions.None).Skip(1))
        {
            var alert = block[..block.IndexOf('\n', StringComparison.Ordinal)].Trim();
            Assert.Matches(@"severity: (critical|warning)\n", block);
            Assert.Contains("summary: ", block, StringComparison.Ordinal);
            Assert.Contains("description: ", block, StringComparison.Ordinal);
            Assert.Contains($"runbook_url: \"docs/OPERATIONS.md#{alert.ToLowerInvariant()}\"", block, StringComparison.Ordinal);
            Assert.True(headings.Contains(alert), $"docs/OPERATIONS.md has no '### {alert}' section (the anchor of its runbook_url)");
            // Every selector is the engine's job, so another target's series never fires an engine alert.
            foreach (var (metric, matchers) in OpsFiles.Selectors(OpsFiles.AlertExpressions().Single(r => r.Alert == alert).Expr))
            {
                Assert.True(matchers.Contains(("job", "=", "trading-engine")), $"{alert}: {metric} does not select job=\"trading-engine\"");
            }
        }
    }

    [GeneratedRegex(@"alertname: (?<alert>\w+)\n\s+exp_alerts:(?<none> \[\])?")]
    private static partial Regex AlertTest();
}
