using System.Globalization;
using System.Text;

namespace Engine.Control.Metrics;

/// <summary>
/// Writes the Prometheus text exposition format (version 0.0.4): one <c># HELP</c> and <c># TYPE</c> per family,
/// then its samples. Runs on the scrape's thread, never on a stage's.
/// </summary>
public sealed class PrometheusWriter
{
    /// <summary>Histogram bounds in seconds: 100 ns to 10 ms, the range a tick's trip through the engine lives in.</summary>
    public static readonly double[] LatencyBucketsSeconds =
    [
        100e-9, 250e-9, 500e-9, 1e-6, 2.5e-6, 5e-6, 10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3,
    ];

    private readonly StringBuilder _text = new(16 * 1024);
    private readonly HashSet<string> _families = new(StringComparer.Ordinal);

    public override string ToString() => _text.ToString();

    /// <summary>Starts a family; each name once per scrape.</summary>
    public PrometheusWriter Family(string name, string type, string help)
    {
        if (!_families.Add(name))
        {
            throw new InvalidOperationException($"metric family '{name}' written twice");
        }

        _text.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(help)).Append('\n');
        _text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        return this;
    }

    public PrometheusWriter Sample(string name, double value, params ReadOnlySpan<(string Name, string Value)> labels)
    {
        _text.Append(name);
        if (labels.Length > 0)
        {
            _text.Append('{');
            for (var i = 0; i < labels.Length; i++)
            {
                if (i > 0)
                {
                    _text.Append(',');
                }

                _text.Append(labels[i].Name).Append("=\"").Append(EscapeLabel(labels[i].Value)).Append('"');
            }

            _text.Append('}');
        }

        _text.Append(' ').Append(Format(value)).Append('\n');
        return this;
    }

    /// <summary>
    /// Writes one histogram series from nanosecond bucket counts of a <see cref="Telemetry.LatencyHistogram"/>: an
    /// observation counts under a bound only when its whole bucket lies at or below it, so no latency is reported
    /// lower than it was (at most 6.25 % higher).
    /// </summary>
    public PrometheusWriter LatencyHistogram(string name, ReadOnlySpan<long> nanosecondCounts, double sumSeconds, string? labelName = null, string? labelValue = null)
    {
        long total = 0;
        foreach (var count in nanosecondCounts)
        {
            total += count;
        }

        var bucket = 0;
        long cumulative = 0;
        foreach (var bound in LatencyBucketsSeconds)
        {
            var boundNs = (long)Math.Round(bound * 1e9);
            while (bucket < nanosecondCounts.Length && Telemetry.LatencyHistogram.UpperBoundOf(bucket) <= boundNs)
            {
                cumulative += nanosecondCounts[bucket++];
            }

            WriteBucket(name, Format(bound), cumulative, labelName, labelValue);
        }

        WriteBucket(name, "+Inf", total, labelName, labelValue);
        if (labelName is null)
        {
            Sample(name + "_sum", sumSeconds);
            Sample(name + "_count", total);
        }
        else
        {
            Sample(name + "_sum", sumSeconds, (labelName, labelValue!));
            Sample(name + "_count", total, (labelName, labelValue!));
        }

        return this;
    }

    private void WriteBucket(string name, string le, long count, string? labelName, string? labelValue)
    {
        if (labelName is null)
        {
            Sample(name + "_bucket", count, ("le", le));
        }
        else
        {
            Sample(name + "_bucket", count, (labelName, labelValue!), ("le", le));
        }
    }

    internal static string Format(double value)
    {
        if (double.IsPositiveInfinity(value))
        {
            return "+Inf";
        }

        if (double.IsNegativeInfinity(value))
        {
            return "-Inf";
        }

        return double.IsNaN(value) ? "NaN" : value.ToString("R", CultureInfo.InvariantCulture);
    }

    private static string EscapeLabel(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string EscapeHelp(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}

/// <summary>
/// Something that exports metrics. Register one per part in DI (<c>services.AddSingleton&lt;IMetricsSource, …&gt;()</c>);
/// the scrape calls <see cref="Collect"/> on its own thread, which reads counters the part's stage writes with plain
/// stores. Family names are a public contract: add them to docs/METRICS.md.
/// </summary>
public interface IMetricsSource
{
    void Collect(PrometheusWriter writer);
}
