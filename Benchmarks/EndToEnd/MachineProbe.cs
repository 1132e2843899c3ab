using System.Diagnostics;
using Benchmarks.Ring;
using Engine.Ring;

namespace Benchmarks.EndToEnd;

/// <summary>
/// What the machine is like right now: the round trip of one slot between two cores through the ring, busy-spinning.
/// This VM has periods where a cache line between its two cores costs several times more than at others, and every
/// hop of the pipeline moves slots between cores: a latency table means little without this number beside it.
/// </summary>
public static class MachineProbe
{
    /// <summary>
    /// The machine's hiccups on <paramref name="cpu"/>: a thread pinned there does nothing but read the clock for
    /// <paramref name="duration"/>, and every gap between two reads longer than 5 µs is time the CPU was taken from it
    /// (the hypervisor running something else, an interrupt, the kernel). No engine code runs: this is the floor under
    /// any latency a thread on that CPU can promise.
    /// </summary>
    public static Hiccups MeasureHiccups(int cpu, TimeSpan duration)
    {
        var result = default(Hiccups);
        var thread = new Thread(() =>
        {
            var pin = Engine.Native.ThreadAffinity.PinCurrentThread(cpu);
            long over5 = 0, over20 = 0, over100 = 0, stalledTicks = 0, maxTicks = 0;
            var t5 = Stopwatch.Frequency * 5 / 1_000_000;
            var t20 = Stopwatch.Frequency * 20 / 1_000_000;
            var t100 = Stopwatch.Frequency / 10_000;
            var start = Stopwatch.GetTimestamp();
            var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            var previous = start;
            long now;
            while ((now = Stopwatch.GetTimestamp()) < end)
            {
                var gap = now - previous;
                previous = now;
                if (gap > t5)
                {
                    over5++;
                    stalledTicks += gap;
                    over20 += gap > t20 ? 1 : 0;
                    over100 += gap > t100 ? 1 : 0;
                    maxTicks = Math.Max(maxTicks, gap);
                }
            }

            var seconds = (now - start) / (double)Stopwatch.Frequency;
            result = new Hiccups(cpu, pin.Outcome == Engine.Native.PinOutcome.Pinned, seconds, over5 / seconds, over20 / seconds, over100 / seconds,
                stalledTicks / (double)(now - start), maxTicks * 1e6 / Stopwatch.Frequency);
        })
        {
            IsBackground = true,
            Name = "hiccup probe",
        };
        thread.Start();
        thread.Join();
        return result;
    }

    public static string CrossCoreRoundTrip(int roundTrips = 200_000)
    {
        if (Environment.ProcessorCount < 2)
        {
            return "one CPU: no cross-core round trip";
        }

        var last = Environment.ProcessorCount - 1;
        var caller = Engine.Native.ThreadAffinity.PinCurrentThread(0);
        try
        {
            using var ring = new RingPingPong(WaitStrategyKind.BusySpin, last);
            for (var i = 0; i < 20_000; i++)
            {
                ring.RoundTrip(i);
            }

            var samples = new long[roundTrips];
            for (var i = 0; i < roundTrips; i++)
            {
                var start = Stopwatch.GetTimestamp();
                ring.RoundTrip(i);
                samples[i] = Stopwatch.GetTimestamp() - start;
            }

            Array.Sort(samples);
            static double Ns(long ticks) => ticks * 1e9 / Stopwatch.Frequency;
            return FormattableString.Invariant(
                $"cross-core ring round trip (CPU 0 ↔ CPU {last}, busy-spin, {roundTrips:N0} trips; {caller}): p50 {Ns(samples[roundTrips / 2]):N0} ns, p99 {Ns(samples[roundTrips * 99 / 100]):N0} ns");
        }
        finally
        {
            Engine.Native.ThreadAffinity.Unpin();
        }
    }
}

/// <summary>What <see cref="MachineProbe.MeasureHiccups"/> saw on one CPU.</summary>
public readonly record struct Hiccups(int Cpu, bool Pinned, double Seconds, double Over5PerSecond, double Over20PerSecond, double Over100PerSecond, double StalledFraction, double MaxMicroseconds)
{
    public override string ToString() => FormattableString.Invariant(
        $"CPU {Cpu}{(Pinned ? "" : " (not pinned)")}, {Seconds:0} s of a thread doing nothing but read the clock: {StalledFraction:P1} of the time taken from it; gaps over 5 µs {Over5PerSecond:N0}/s, over 20 µs {Over20PerSecond:N0}/s, over 100 µs {Over100PerSecond:N0}/s; longest {MaxMicroseconds:N0} µs");
}
