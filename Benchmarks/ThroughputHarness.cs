using System.Diagnostics;
using System.Globalization;
using System.Text;
using Benchmarks.Ring;
using Engine.Ring;

namespace Benchmarks;

/// <summary>
/// 1P1C throughput with the ring and the channel baseline measured in alternation, round after round, so that
/// both sides see the same periods of a noisy host (this VM's cross-core latency varies several-fold from one
/// second to the next). Reports per-configuration medians and the median of the per-round ratios.
/// Usage: <c>dotnet run -c Release --project Benchmarks -- throughput [rounds]</c>.
/// </summary>
public static class ThroughputHarness
{
    private const int EventsPerCall = 10_000_000;

    public static int Run(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 15;
        WaitStrategyKind[] strategies = [WaitStrategyKind.Yielding, WaitStrategyKind.SpinThenBlock, WaitStrategyKind.BusySpin];
        var rings = strategies.Select(wait => new RingThroughputBenchmarks { Wait = wait }).ToArray();
        var channel = new RingThroughputBenchmarks();
        var ringTimes = strategies.Select(_ => new List<double>()).ToArray();
        var ratios = strategies.Select(_ => new List<double>()).ToArray();
        var channelTimes = new List<double>();

        channel.SetupChannel();
        foreach (var ring in rings)
        {
            ring.SetupRing();
            ring.CleanupRing();
        }

        channel.Channel1P1C();
        for (var round = -1; round < rounds; round++)
        {
            var channelNs = Time(() => channel.Channel1P1C());
            for (var i = 0; i < rings.Length; i++)
            {
                // One consumer thread at a time: an idle spinning consumer would steal the core from the one measured.
                rings[i].SetupRing();
                rings[i].Ring1P1C();
                var ringNs = Time(() => rings[i].Ring1P1C());
                rings[i].CleanupRing();
                if (round >= 0)
                {
                    ringTimes[i].Add(ringNs);
                    ratios[i].Add(channelNs / ringNs);
                }
            }

            if (round >= 0)
            {
                channelTimes.Add(channelNs);
            }
        }

        channel.CleanupChannel();
        ResultsFile.Write("throughput-interleaved.md", Render(strategies, ringTimes, ratios, channelTimes, rounds));
        return 0;
    }

    private static double Time(Func<long> publishAll)
    {
        var started = Stopwatch.GetTimestamp();
        publishAll();
        return Stopwatch.GetElapsedTime(started).TotalNanoseconds / EventsPerCall;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static StringBuilder Render(WaitStrategyKind[] strategies, List<double>[] ringTimes, List<double>[] ratios, List<double> channelTimes, int rounds)
    {
        var text = ResultsFile.Begin(
            "1P1C throughput, ring and channel measured in alternation",
            $"throughput {rounds}",
            $"{rounds} rounds after one of warm-up; each round times {EventsPerCall:N0} events through the channel, then through the ring with each wait strategy (same event struct, same per-event publish, same consumer work).");
        text.AppendLine("| Transport | median ns/event | median M events/s | fastest round ns/event | median ratio vs channel (same round) |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: |");
        var channelMedian = Median(channelTimes);
        text.AppendLine(CultureInfo.InvariantCulture, $"| Channel<T> (bounded SPSC) | {channelMedian:F1} | {1_000 / channelMedian:F1} | {channelTimes.Min():F1} | 1.0 |");
        for (var i = 0; i < strategies.Length; i++)
        {
            var median = Median(ringTimes[i]);
            text.AppendLine(CultureInfo.InvariantCulture, $"| Ring, {strategies[i]} consumer | {median:F1} | {1_000 / median:F1} | {ringTimes[i].Min():F1} | {Median(ratios[i]):F1}× |");
        }

        text.AppendLine();
        text.AppendLine("Per-round ns/event (channel; ring by strategy):");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- channel: {string.Join(' ', channelTimes.Select(t => t.ToString("F0", CultureInfo.InvariantCulture)))}");
        for (var i = 0; i < strategies.Length; i++)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- {strategies[i]}: {string.Join(' ', ringTimes[i].Select(t => t.ToString("F0", CultureInfo.InvariantCulture)))}");
        }

        return text;
    }
}
