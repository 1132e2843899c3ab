using System.Runtime.InteropServices;
using Engine.Ring;

namespace Benchmarks.Ring;

/// <summary>The event the ring benchmarks move: one long, as in the Disruptor's own throughput tests.</summary>
public struct PerfEvent
{
    public long Value;
}

/// <summary>Consumer state shared with the benchmark thread: what was summed and how far it got.</summary>
/// <remarks>Padded: the consumer writes it on every event, so it must not share a line with the producer's state.</remarks>
[StructLayout(LayoutKind.Explicit, Size = 192)]
public sealed class Tally
{
    [FieldOffset(64)]
    private long _sum;

    [FieldOffset(72)]
    private long _count;

    public long Sum => Volatile.Read(ref _sum);

    public long Count => Volatile.Read(ref _count);

    public void Add(long value)
    {
        _sum += value;
        _count++;
    }

    public void Publish() => Volatile.Write(ref _count, _count);
}

/// <summary>Sums values; the cheapest stage that still touches every event.</summary>
public readonly struct SummingHandler(Tally tally) : IEventHandler<PerfEvent>
{
    public void OnEvent(ref PerfEvent data, long sequence, bool endOfBatch) => tally.Add(data.Value);
}

/// <summary>Passes events on untouched except for a running sum: a middle stage of a pipeline.</summary>
public readonly struct ForwardingHandler(Tally tally) : IEventHandler<PerfEvent>
{
    public void OnEvent(ref PerfEvent data, long sequence, bool endOfBatch)
    {
        data.Value += 1;
        tally.Add(data.Value);
    }
}

/// <summary>Drives a ring the way the channel baseline is driven, so both sides of a comparison do the same work.</summary>
public static class RingDriver
{
    /// <summary>The ring side of the same measurement: publish one event at a time, then wait for the last stage.</summary>
    public static long PublishAndWait(RingBuffer<PerfEvent> ring, Sequence last, Tally tally, int events)
    {
        long sequence = 0;
        for (long i = 0; i < events; i++)
        {
            sequence = ring.Next();
            ring[sequence].Value = i;
            ring.Publish(sequence);
        }

        var spin = default(SpinWait);
        while (last.Value < sequence)
        {
            spin.SpinOnce(-1);
        }

        return tally.Sum;
    }
}
