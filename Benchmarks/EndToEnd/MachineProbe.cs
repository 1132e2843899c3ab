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
