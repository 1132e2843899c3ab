using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Tests.Control;

/// <summary>
/// A strict reader of the Prometheus text exposition format (0.0.4), failing on what promtool's parser and its
/// lint would reject: samples before their family's HELP/TYPE, a family declared twice, bad names or values,
/// duplicate series, counters without <c>_total</c>, histograms whose buckets are not cumulative or do not end in
/// <c>+Inf</c> equal to <c>_count</c>. When promtool is installed the same text is also given to
/// <c>promtool check metrics</c>.
/// </summary>
internal static partial class PrometheusText
{
    private static readonly string[] s_types = ["counter", "gauge", "histogram", "summary", "untyped"];

    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public sealed record Family(string Name, string Type, string Help, List<Sample> Samples);

    public static Dictionary<string, Family> Parse(string text)
    {
        var families = new Dictionary<string, Family>(StringComparer.Ordinal);
        var series = new HashSet<string>(StringComparer.Ordinal);
        Family? current = null;
        string? pendingHelp = null;
        string? pendingHelpName = null;
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        foreach (var line in text.Split('\n')[..^1])
        {
            Assert.False(string.IsNullOrWhiteSpace(line), "blank line in exposition");
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                var rest = line[7..];
                var space = rest.IndexOf(' ', StringComparison.Ordinal);
                pendingHelpName = rest[..space];
                pendingHelp = rest[(space + 1)..];
                Assert.Matches(MetricName(), pendingHelpName);
                Assert.False(families.ContainsKey(pendingHelpName), $"family {pendingHelpName} declared twice");
                continue;
            }

            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line[7..].Split(' ');
                Assert.Equal(2, parts.Length);
                Assert.Equal(pendingHelpName, parts[0]);
                Assert.Contains(parts[1], s_types);
                if (parts[1] == "counter")
                {
                    Assert.EndsWith("_total", parts[0], StringComparison.Ordinal);
                }

                Assert.StartsWith("engine_", parts[0], StringComparison.Ordinal);
                current = new Family(parts[0], parts[1], pendingHelp!, []);
                families.Add(current.Name, current);
                continue;
            }

            Assert.False(line.StartsWith('#'), $"unexpected comment: {line}");
            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"not a sample line: '{line}'");
            Assert.NotNull(current);
            var name = match.Groups["name"].Value;
            var allowed = current.Type == "histogram"
                ? new[] { current.Name + "_bucket", current.Name + "_sum", current.Name + "_count" }
                : [current.Name];
            Assert.Contains(name, allowed);
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match label in Label().Matches(match.Groups["labels"].Value))
            {
                Assert.True(labels.TryAdd(label.Groups["key"].Value, label.Groups["value"].Value), $"label repeated: {line}");
            }

            Assert.True(series.Add(name + "{" + string.Join(",", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value)) + "}"), $"duplicate series: {line}");
            var valueText = match.Groups["value"].Value;
            var value = valueText switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                _ => double.Parse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            current.Samples.Add(new Sample(name, labels, value));
        }

        foreach (var family in families.Values.Where(f => f.Type == "histogram"))
        {
            CheckHistogram(family);
        }

        PromtoolIfPresent(text);
        return families;
    }

    public static double Value(Dictionary<string, Family> families, string name, params (string Key, string Value)[] labels)
    {
        var family = families.TryGetValue(name, out var exact)
            ? exact
            : families[name[..name.LastIndexOf('_')]];
        var sample = family.Samples.Single(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value));
        return sample.Value;
    }

    private static void CheckHistogram(Family family)
    {
        var groups = family.Samples.GroupBy(s => string.Join(",", s.Labels.Where(l => l.Key != "le").Select(l => l.Key + "=" + l.Value)));
        foreach (var group in groups)
        {
            var buckets = group.Where(s => s.Name.EndsWith("_bucket", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(buckets);
            Assert.Equal("+Inf", buckets[^1].Labels["le"]);
            var bounds = buckets.Select(b => b.Labels["le"] == "+Inf" ? double.PositiveInfinity : double.Parse(b.Labels["le"], CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(bounds.OrderBy(b => b), bounds);
            Assert.Equal(bounds.Count, bounds.Distinct().Count());
            for (var i = 1; i < buckets.Count; i++)
            {
                Assert.True(buckets[i].Value >= buckets[i - 1].Value, $"{family.Name} buckets not cumulative");
            }

            var count = group.Single(s => s.Name.EndsWith("_count", StringComparison.Ordinal)).Value;
            Assert.Equal(count, buckets[^1].Value);
            Assert.True(group.Single(s => s.Name.EndsWith("_sum", StringComparison.Ordinal)).Value >= 0);
        }
    }

    private static void PromtoolIfPresent(string text)
    {
        var promtool = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Select(dir => Path.Combine(dir, "promtool")).FirstOrDefault(File.Exists);
        if (promtool is null)
        {
            return;
        }

        using var process = Process.Start(new ProcessStartInfo(promtool, ["check", "metrics"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        process.StandardInput.Write(text);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"promtool check metrics: {output}");
    }

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?|\+Inf|-Inf|NaN)$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""(?<key>[a-zA-Z_][a-zA-Z0-9_]*)="(?<value>(\\.|[^"\\])*)",?""")]
    private static partial Regex Label();
}
