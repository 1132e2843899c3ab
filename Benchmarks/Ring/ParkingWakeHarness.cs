using System.Diagnostics;
using System.Globalization;
using System.Text;
using Engine.Native;
using Engine.Ring;
using HdrHistogram;

namespace Benchmarks.Ring;

/// <summary>
/// How long a parked stage takes to run again after a writer wakes it, for each way the ring's parking lot can sleep
/// (a futex, the Linux default; a monitor, the other platforms'), in rounds A B B A so that both see the same machine.
/// Each wake-up follows a quiet gap, as a parked stage's does between bursts of market data: the writer sleeps, stamps,
/// publishes and wakes; the parked thread stamps when it returns. Usage:
/// <c>dotnet run -c Release --project Benchmarks -- parking [wakeUpsPerRound] [gapMicroseconds]</c>.
/// </summary>
public static class ParkingWakeHarness
{
    private const int LongParkMilliseconds = 10_000;

    public static int Run(string[] args)
    {
        var wakeUps = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2_000;
        var gap = TimeSpan.FromMicroseconds(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2_000);
        if (!Futex.IsSupported)
        {
            Console.Error.WriteLine("parking: futexes are not supported here; only the monitor could be measured");
            return 1;
        }

        var futex = new LongHistogram(TimeStamp.Seconds(10), 3);
        var monitor = new LongHistogram(TimeStamp.Seconds(10), 3);
        foreach (var useFutex in new[] { true, false, false, true, true, false, false, true })
        {
            Measure(useFutex, wakeUps / 4, gap, useFutex ? futex : monitor);
        }

        var text = ResultsFile.Begin(
            "Parking lot wake-up latency (HdrHistogram, every wake-up timed)",
            $"parking {wakeUps} {gap.TotalMicroseconds:0}",
            $"{wakeUps:N0} wake-ups per mechanism in rounds F M M F F M M F, each after a {gap.TotalMicroseconds:N0} µs quiet gap (the writer sleeps, then stamps, publishes and wakes; the parked thread stamps when it returns). Threads unpinned, as the default placement's.");
        text.AppendLine("| parking lot sleeps on | p50 (µs) | p90 (µs) | p99 (µs) | p99.9 (µs) | max (µs) |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        Row(text, "a futex (Linux: one system call to wake)", futex);
        Row(text, "a monitor (`Monitor.Wait` / `PulseAll`, the other platforms')", monitor);
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Monitor / futex: {monitor.GetValueAtPercentile(50) / (double)futex.GetValueAtPercentile(50):0.0}× at p50, {monitor.GetValueAtPercentile(99) / (double)futex.GetValueAtPercentile(99):0.0}× at p99.");
        ResultsFile.Write("parking-wake-latency.md", text);
        Console.WriteLine(text);
        return 0;
    }

    private static void Measure(bool useFutex, int wakeUps, TimeSpan gap, LongHistogram histogram)
    {
        var ring = RingBuffer.CreateSingleProducer<long>(64, new BlockingWaitStrategy());
        var barrier = ring.NewBarrier(new BlockingWaitStrategy());
        var lot = new ParkingLot(useFutex);
        var published = new long[wakeUps];
        var returned = new long[wakeUps];
        var parker = new Thread(() =>
        {
            for (long next = 0; next < wakeUps; next++)
            {
                while (barrier.GetAvailable(next) < next)
                {
                    lot.Park(next, barrier, LongParkMilliseconds);
                }

                returned[next] = Stopwatch.GetTimestamp();
            }
        }) { IsBackground = true, Name = "parked stage" };
        parker.Start();

        for (var i = 0; i < wakeUps; i++)
        {
            Thread.Sleep(gap);
            var sequence = ring.Next();
            published[i] = Stopwatch.GetTimestamp();
            ring.Publish(sequence);
            lot.WakeAll();
        }

        if (!parker.Join(TimeSpan.FromSeconds(30)))
        {
            throw new InvalidOperationException("the parked thread was never woken: a lost wake-up");
        }

        for (var i = 0; i < wakeUps; i++)
        {
            histogram.RecordValue(Math.Max(0, returned[i] - published[i]) * 1_000_000_000 / Stopwatch.Frequency);
        }
    }

    private static void Row(StringBuilder text, string name, LongHistogram h) =>
        text.AppendLine(CultureInfo.InvariantCulture,
            $"| {name} | {h.GetValueAtPercentile(50) / 1000.0:N1} | {h.GetValueAtPercentile(90) / 1000.0:N1} | {h.GetValueAtPercentile(99) / 1000.0:N1} | {h.GetValueAtPercentile(99.9) / 1000.0:N1} | {h.GetMaxValue() / 1000.0:N1} |");
}
