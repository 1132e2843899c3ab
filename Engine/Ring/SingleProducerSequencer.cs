using System.Runtime.CompilerServices;

namespace Engine.Ring;

/// <summary>
/// Sequencer for exactly one publishing thread: claims are plain field updates, publication is one release
/// store of the cursor. Calling it from two threads corrupts the ring; use <see cref="MultiProducerSequencer"/>.
/// </summary>
public sealed class SingleProducerSequencer : Sequencer
{
    // Producer-thread-only state: the last claimed sequence and the last seen minimum of the gating sequences.
    private long _nextValue = Sequence.InitialValue;
    private long _cachedGatingValue = Sequence.InitialValue;

    public SingleProducerSequencer(int bufferSize, IWaitStrategy waitStrategy)
        : base(bufferSize, waitStrategy)
    {
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override long Next()
    {
        var nextValue = _nextValue;
        var nextSequence = nextValue + 1;
        var wrapPoint = nextSequence - BufferSize;
        if (wrapPoint > _cachedGatingValue || _cachedGatingValue > nextValue)
        {
            WaitForCapacity(nextValue, wrapPoint);
        }

        _nextValue = nextSequence;
        return nextSequence;
    }

    public override long Next(int count)
    {
        ThrowIfBadCount(count);
        var nextValue = _nextValue;
        var nextSequence = nextValue + count;
        var wrapPoint = nextSequence - BufferSize;
        if (wrapPoint > _cachedGatingValue || _cachedGatingValue > nextValue)
        {
            WaitForCapacity(nextValue, wrapPoint);
        }

        _nextValue = nextSequence;
        return nextSequence;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override bool TryNext(out long sequence) => TryNext(1, out sequence);

    public override bool TryNext(int count, out long highest)
    {
        ThrowIfBadCount(count);
        var nextValue = _nextValue;
        var wrapPoint = nextValue + count - BufferSize;
        if (wrapPoint > _cachedGatingValue || _cachedGatingValue > nextValue)
        {
            Cursor.SetValueVolatile(nextValue);
            var minimum = Sequence.Minimum(GatingSequences, nextValue);
            _cachedGatingValue = minimum;
            if (wrapPoint > minimum)
            {
                highest = Sequence.InitialValue;
                return false;
            }
        }

        highest = _nextValue = nextValue + count;
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

    public override void Publish(long low, long high) => Publish(high);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override bool IsAvailable(long sequence)
    {
        var cursor = Cursor.Value;
        return sequence <= cursor && sequence > cursor - BufferSize;
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

        _cachedGatingValue = minimum;
    }
}
