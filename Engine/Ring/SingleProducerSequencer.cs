using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Engine.Ring;

/// <summary>
/// Sequencer for exactly one publishing thread: claims are plain field updates, publication is one release
/// store of the cursor. Calling it from two threads corrupts the ring; use <see cref="MultiProducerSequencer"/>.
/// </summary>
public sealed class SingleProducerSequencer : Sequencer
{
    // Producer-thread-only state, written on every claim: padded so that whatever the allocator put next to
    // this object (a consumer's counters, say) never shares its cache line.
    private ProducerState _producer = new() { NextValue = Sequence.InitialValue, CachedGatingValue = Sequence.InitialValue };

    public SingleProducerSequencer(int bufferSize, IWaitStrategy waitStrategy)
        : base(bufferSize, waitStrategy)
    {
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override long Next() => Claim(1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override long Next(int count)
    {
        if ((uint)(count - 1) >= (uint)BufferSize)
        {
            ThrowIfBadCount(count);
        }

        return Claim(count);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override bool TryNext(out long sequence) => TryNext(1, out sequence);

    public override bool TryNext(int count, out long highest)
    {
        ThrowIfBadCount(count);
        var nextValue = _producer.NextValue;
        var wrapPoint = nextValue + count - BufferSize;
        if (wrapPoint > _producer.CachedGatingValue || _producer.CachedGatingValue > nextValue)
        {
            Cursor.SetValueVolatile(nextValue);
            var minimum = Sequence.Minimum(GatingSequences, nextValue);
            _producer.CachedGatingValue = minimum;
            if (wrapPoint > minimum)
            {
                highest = Sequence.InitialValue;
                return false;
            }
        }

        highest = _producer.NextValue = nextValue + count;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override void Publish(long sequence)
    {
        Cursor.SetValue(sequence);
        if (SignalsWaiters)
        {
            Cursor.WakeWaiters();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override void Publish(long low, long high) => Publish(high);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long Claim(int count)
    {
        var nextValue = _producer.NextValue;
        var nextSequence = nextValue + count;
        var wrapPoint = nextSequence - BufferSize;
        if (wrapPoint > _producer.CachedGatingValue || _producer.CachedGatingValue > nextValue)
        {
            WaitForCapacity(nextValue, wrapPoint);
        }

        _producer.NextValue = nextSequence;
        return nextSequence;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WaitForCapacity(long nextValue, long wrapPoint)
    {
        // Make the cursor visible before reading the consumers' progress (store-load), as the consumers
        // may be parked waiting for exactly this value.
        Cursor.SetValueVolatile(nextValue);
        var spin = default(SpinWait);
        long minimum;
        while (wrapPoint > (minimum = Sequence.Minimum(GatingSequences, nextValue)))
        {
            // Back-pressure: the slowest consumer is a whole ring behind. Yield rather than sleep for a
            // millisecond, so the consumer gets the core back at once.
            spin.SpinOnce(sleep1Threshold: -1);
        }

        _producer.CachedGatingValue = minimum;
    }

    [StructLayout(LayoutKind.Explicit, Size = 128 + 16)]
    internal struct ProducerState
    {
        [FieldOffset(64)]
        public long NextValue;

        [FieldOffset(72)]
        public long CachedGatingValue;
    }
}
