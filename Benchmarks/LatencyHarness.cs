using System.Diagnostics;
using System.Globalization;
using System.Text;
using Benchmarks.Ring;
using Engine.Ring;
using HdrHistogram;

namespace Benchmarks;

/// <summary>
/// Times every single round trip of the ping-pong with <see cref="Stopwatch.GetTimestamp"/> into an HdrHistogram,
/// which BenchmarkDotNet (averages over batches) cannot show: the tail. Writes a markdown table to
/// <c>Benchmarks/results/</c>. Usage: <c>dotnet run -c Release --project Benchmarks -- latency [roundTrips]</c>.
/// </summary>
public static class LatencyHarness
{
    private const int WarmUp = 200_000;

    public static int Run(string[] args)
    {
        var roundTrips = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2_000_000;
        var rows = new List<(string Name, LongHistogram Histogram, long Allocated)>();

        foreach (var wait in new[] { WaitStrategyKind.BusySpin, WaitStrategyKind.Yielding, WaitStrategyKind.SpinThenBlock })
        {
            using var ring = new RingPingPong(wait);
            rows.Add(($"Ring, {wait} echo", Measure(ring.RoundTrip, roundTrips, out var allocated), allocated));
        }

        // Two stages sharing one core, as brain and execution do in the low-latency placement on two cores: each hand-off
        // is a sched_yield and a context switch.
        if (Environment.ProcessorCount > 1)
        {
            var core = Environment.ProcessorCount - 1;
            var callerPin = Engine.Native.ThreadAffinity.PinCurrentThread(core);
            using (var ring = new RingPingPong(WaitStrategyKind.Yielding, core, TimeSpan.Zero, callerYields: true))
            {
                rows.Add(($"Ring, Yielding echo (no spin), caller and echo both on CPU {core} ({callerPin})", Measure(ring.RoundTrip, roundTrips, out var allocated), allocated));
            }

            Engine.Native.ThreadAffinity.Unpin();
        }

        using (var channel = new ChannelPingPong())
        {
            rows.Add(("Channel<T>, polling echo", Measure(channel.RoundTrip, roundTrips, out var allocated), allocated));
        }

        ResultsFile.Write("pingpong-latency.md", Render(rows, roundTrips));
        return 0;
    }

    private static LongHistogram Measure(Func<long, long> roundTrip, int roundTrips, out long allocatedBytes)
    {
        for (var i = 0; i < WarmUp; i++)
        {
            roundTrip(i);
        }

        var histogram = new LongHistogram(TimeStamp.Seconds(10), 3);
        // Pre-size the samples so that recording allocates nothing inside the timed loop.
        var samples = new long[roundTrips];
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < roundTrips; i++)
        {
            var start = Stopwatch.GetTimestamp();
            roundTrip(i);
            samples[i] = Stopwatch.GetTimestamp() - start;
        }

        allocatedBytes = GC.GetAllocatedBytesForCurrentThread() - before;
        foreach (var ticks in samples)
        {
            histogram.RecordValue(ticks * 1_000_000_000 / Stopwatch.Frequency);
        }

        return histogram;
    }

    private static StringBuilder Render(List<(string Name, LongHistogram Histogram, long Allocated)> rows, int roundTrips)
    {
        var text = ResultsFile.Begin(
            "Ping-pong round-trip latency (HdrHistogram, every round trip timed)",
            $"latency {roundTrips}",
            $"{roundTrips:N0} round trips per row after {WarmUp:N0} of warm-up; each includes two `Stopwatch.GetTimestamp()` calls (about 20-40 ns).");
        text.AppendLine("| Echo | p50 (ns) | p90 (ns) | p99 (ns) | p99.9 (ns) | p99.99 (ns) | max (ns) | allocated in timed loop |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (name, histogram, allocated) in rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {name} | {histogram.GetValueAtPercentile(50):N0} | {histogram.GetValueAtPercentile(90):N0} | {histogram.GetValueAtPercentile(99):N0} | {histogram.GetValueAtPercentile(99.9):N0} | {histogram.GetValueAtPercentile(99.99):N0} | {histogram.GetMaxValue():N0} | {allocated} B |");
        }

        return text;
    }
}
