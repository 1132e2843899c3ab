using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Tests.Ops;

/// <summary>
/// The repository's ops/ files as the tests read them, the tools that check them (promtool, systemd-analyze) run as
/// real child processes, and the metric names and label matchers their PromQL uses.
/// </summary>
internal static partial class OpsFiles
{
    public static readonly string Root = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public static string Read(params string[] parts) => File.ReadAllText(PathOf(parts));

    /// <summary>promtool's path; fails the test clearly when it is not installed (xunit v2 has no dynamic skip).</summary>
    public static string Promtool()
    {
        var path = OnPath("promtool");
        if (path is not null)
        {
            return path;
        }

        Assert.Fail(Environment.GetEnvironmentVariable("CI") is not null
            ? "promtool is not on the PATH in CI: .ci/run installs Debian's 'prometheus' package when promtool is missing; that install failed (see its 'ci:' line)."
            : "promtool is not on the PATH: install Debian's 'prometheus' package (apt-get install prometheus), which provides it, or run .ci/run, which installs it.");
        return "";
    }

    public static string? OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    /// <summary>Runs <paramref name="file"/> in <paramref name="workingDirectory"/>; returns its exit code and stdout + stderr.</summary>
    public static (int ExitCode, string Output) Run(string file, string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), $"{file} {string.Join(' ', arguments)} did not finish");
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }

    /// <summary>Every <c>expr:</c> of the alert rules (each on one line; a block scalar would be missed, so it fails).</summary>
    public static IReadOnlyList<(string Alert, string Expr)> AlertExpressions()
    {
        var rules = new List<(string, string)>();
        string? alert = null;
        foreach (var line in Read("ops", "prometheus", "alerts.yml").Split('\n'))
        {
            var trimmed = line.Trim();
            if (trimmed.StartsWith("- alert: ", StringComparison.Ordinal))
            {
                alert = trimmed["- alert: ".Length..];
            }
            else if (trimmed.StartsWith("expr: ", StringComparison.Ordinal))
            {
                var expr = trimmed["expr: ".Length..];
                Assert.False(expr is "|" or ">" or "|-" or ">-", $"alert {alert}: write the expression on one line so the tests can read it");
                Assert.NotNull(alert);
                rules.Add((alert, expr));
                alert = null;
            }
        }

        return rules;
    }

    /// <summary>Every PromQL string of the dashboard: panel targets, variable queries, annotation queries.</summary>
    public static IReadOnlyList<string> DashboardExpressions()
    {
        using var document = JsonDocument.Parse(Read("ops", "grafana", "engine-dashboard.json"));
        var found = new List<string>();
        Collect(document.RootElement, found);
        return found;

        static void Collect(JsonElement element, List<string> found)
        {
            if (element.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in element.EnumerateArray())
                {
                    Collect(item, found);
                }
            }
            else if (element.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name is "expr" or "definition" && property.Value.ValueKind == JsonValueKind.String)
                    {
                        found.Add(property.Value.GetString()!);
                    }
                    else
                    {
                        Collect(property.Value, found);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Grafana's variables replaced by values Prometheus accepts, and its <c>label_values(selector, label)</c> by the
    /// selector, so promtool can parse the expression.
    /// </summary>
    public static string WithoutGrafanaVariables(string expr) =>
        LabelValues().Replace(expr, "${selector}").Replace("$__rate_interval", "1m", StringComparison.Ordinal)
            .Replace("$__interval", "1m", StringComparison.Ordinal)
            .Replace("$instance", ".*", StringComparison.Ordinal);

    /// <summary>Metric names a PromQL expression selects: every identifier directly followed by a label selector or a range/instant use.</summary>
    public static IEnumerable<string> MetricNames(string expr) =>
        EngineName().Matches(expr).Select(m => m.Value).Concat(Selector().Matches(expr).Select(m => m.Groups["name"].Value)).Distinct(StringComparer.Ordinal);

    /// <summary>Each selector: its metric name and label matchers (label, operator, value).</summary>
    public static IEnumerable<(string Metric, IReadOnlyList<(string Label, string Op, string Value)> Matchers)> Selectors(string expr)
    {
        foreach (Match selector in Selector().Matches(expr))
        {
            var matchers = Matcher().Matches(selector.Groups["matchers"].Value)
                .Select(m => (m.Groups["key"].Value, m.Groups["op"].Value, m.Groups["value"].Value)).ToList();
            yield return (selector.Groups["name"].Value, matchers);
        }
    }

    /// <summary>Each selector's label matchers: (metric, label, operator, value).</summary>
    public static IEnumerable<(string Metric, string Label, string Op, string Value)> Matchers(string expr) =>
        Selectors(expr).SelectMany(s => s.Matchers.Select(m => (s.Metric, m.Label, m.Op, m.Value)));

    /// <summary>A rules file with one recording rule per expression, for <c>promtool check rules</c> to parse them.</summary>
    public static string RecordingRules(IEnumerable<string> expressions)
    {
        var yaml = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        var i = 0;
        foreach (var expr in expressions)
        {
            // A JSON string is a YAML double-quoted scalar.
            yaml.Append("      - record: dashboard:expr_").Append(i++).Append('\n')
                .Append("        expr: ").Append(JsonSerializer.Serialize(WithoutGrafanaVariables(expr))).Append('\n');
        }

        return yaml.ToString();
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Engine.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Engine.sln above {AppContext.BaseDirectory}");
    }

    [GeneratedRegex(@"^label_values\((?<selector>.+),\s*[a-zA-Z_][a-zA-Z0-9_]*\)$")]
    private static partial Regex LabelValues();

    [GeneratedRegex(@"\bengine_[a-z0-9_]+\b")]
    private static partial Regex EngineName();

    [GeneratedRegex(@"(?<![a-zA-Z0-9_:""])(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\{(?<matchers>[^}]*)\}")]
    private static partial Regex Selector();

    [GeneratedRegex(@"(?<key>[a-zA-Z_][a-zA-Z0-9_]*)\s*(?<op>=~|!~|!=|=)\s*""(?<value>[^""]*)""")]
    private static partial Regex Matcher();
}
