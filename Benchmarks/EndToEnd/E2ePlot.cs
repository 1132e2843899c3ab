using System.Globalization;
using HdrHistogram;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace Benchmarks.EndToEnd;

/// <summary>The percentile plot: latency (log scale) at p0…max of tick → signed order and tick → socket, for each pipeline.</summary>
public static class E2ePlot
{
    private static readonly double[] s_percentiles = [0, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99];

    public static void Write(string path, IReadOnlyList<PhaseResult> phases, string command)
    {
        ArgumentNullException.ThrowIfNull(phases);
        var plot = new Plot();
        var labels = s_percentiles.Select(p => p == 0 ? "min" : "p" + p.ToString(CultureInfo.InvariantCulture)).Append("max").ToArray();
        var positions = Enumerable.Range(0, labels.Length).Select(i => (double)i).ToArray();
        var colors = new[] { Colors.Blue, Colors.DodgerBlue, Colors.Green, Colors.LimeGreen, Colors.OrangeRed, Colors.Orange };
        var series = 0;
        foreach (var phase in phases)
        {
            foreach (var (hop, name) in new[] { (HopHistograms.TickToSigned, "tick → signed order"), (HopHistograms.TickToSocket, "tick → socket") })
            {
                var h = phase.Hops.Hops[hop];
                if (h.TotalCount == 0)
                {
                    series++;
                    continue;
                }

                var ys = s_percentiles.Select(p => Log(p == 0 ? h.GetValueAtPercentile(0) : h.GetValueAtPercentile(p))).Append(Log(h.GetMaxValue())).ToArray();
                var scatter = plot.Add.Scatter(positions, ys);
                scatter.LegendText = $"{phase.Name}: {name} ({h.TotalCount:N0})";
                scatter.Color = colors[series++ % colors.Length];
                scatter.MarkerSize = 6;
                scatter.LineWidth = 2;
            }
        }

        plot.Axes.Bottom.TickGenerator = new NumericManual(positions, labels);
        var decades = Enumerable.Range(-1, 8).Select(e => (double)e).ToArray();
        plot.Axes.Left.TickGenerator = new NumericManual(decades, [.. decades.Select(e => Math.Pow(10, e).ToString("0.#", CultureInfo.InvariantCulture))]);
        plot.Axes.SetLimitsY(-1, 6);
        plot.Title("Tick-to-order latency by percentile (µs, log scale)");
        plot.XLabel("percentile  —  " + command);
        plot.YLabel("µs");
        plot.ShowLegend(Edge.Bottom);
        plot.SavePng(path, 1100, 800);
    }

    private static double Log(long nanoseconds) => Math.Log10(Math.Max(nanoseconds, 1) / 1000.0);
}
