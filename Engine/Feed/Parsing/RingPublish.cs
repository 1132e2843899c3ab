using System.Diagnostics;
using System.Runtime.CompilerServices;
using Engine.Model;
using Engine.Ring;

namespace Engine.Feed.Parsing;

/// <summary>
/// Copies a fully parsed event into the ring: sources parse into a scratch event and claim a slot only for a real
/// event, so a frame that turns out to be garbage never holds (or wastes) a slot.
/// </summary>
public static class RingPublish
{
    // The header and payload lines; the decision line is the brain's to write.
    private const int CopiedBytes = 128;

    /// <summary>
    /// Claims the next slot (waiting while the ring is full: back-pressure, never overwrite), copies the header and
    /// payload of <paramref name="evt"/>, stamps <see cref="StagePoint.Published"/> and publishes. Safe from several
    /// producer threads on a multi-producer ring.
    /// </summary>
    public static void Publish(RingBuffer<MarketEvent> ring, in MarketEvent evt)
    {
        ArgumentNullException.ThrowIfNull(ring);
        var sequence = ring.Next();
        ref var slot = ref ring[sequence];
        Unsafe.CopyBlockUnaligned(
            ref Unsafe.As<MarketEvent, byte>(ref slot),
            ref Unsafe.As<MarketEvent, byte>(ref Unsafe.AsRef(in evt)),
            CopiedBytes);
        slot.Stamps[(int)StagePoint.Published] = Stopwatch.GetTimestamp();
        ring.Publish(sequence);
    }

    /// <summary>As <see cref="Publish"/>, but returns false at once, publishing nothing, when the ring is full.</summary>
    public static bool TryPublish(RingBuffer<MarketEvent> ring, in MarketEvent evt)
    {
        ArgumentNullException.ThrowIfNull(ring);
        if (!ring.TryNext(out var sequence))
        {
            return false;
        }

        ref var slot = ref ring[sequence];
        Unsafe.CopyBlockUnaligned(
            ref Unsafe.As<MarketEvent, byte>(ref slot),
            ref Unsafe.As<MarketEvent, byte>(ref Unsafe.AsRef(in evt)),
            CopiedBytes);
        slot.Stamps[(int)StagePoint.Published] = Stopwatch.GetTimestamp();
        ring.Publish(sequence);
        return true;
    }
}
