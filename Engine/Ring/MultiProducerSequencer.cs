using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Engine.Ring;

/// <summary>
/// Sequencer for several publishing threads: claims race on the cursor with compare-and-swap, and each slot
/// carries its own publication flag (the lap number of the sequence stored in it), so a consumer reads a
/// slot only once its producer has finished writing it, whatever order producers finish in.
/// </summary>
public sealed class MultiProducerSequencer : Sequencer
{
    private readonly Sequence _gatingSequenceCache = new();
    private readonly int[] _availableBuffer;
    private readonly int _indexMask;
    private readonly int _indexShift;

    public MultiProducerSequencer(int bufferSize, IWaitStrategy waitStrategy)
        : base(bufferSize, waitStrategy)
    {
        _availableBuffer = new int[bufferSize];
        _availableBuffer.AsSpan().Fill(-1);
        _indexMask = bufferSize - 1;
        _indexShift = BitOperations.Log2((uint)bufferSize);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override long Next() => Claim(1);

    public override long Next(int count)
    {
        ThrowIfBadCount(count);
        return Claim(count);
    }

    /// <summary>
    /// Claims with one atomic add, then waits for the capacity if the claim laps the slowest consumer: an add never
    /// fails, where a compare-and-swap retries every time the other producer got in first (with two producers on the
    /// cursor, most claims under load).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long Claim(int count)
    {
        var next = Cursor.AddAndGet(count);
        var current = next - count;
        var wrapPoint = next - BufferSize;
        var cachedGating = _gatingSequenceCache.Value;
        if (wrapPoint > cachedGating || cachedGating > current)
        {
            WaitForCapacity(current, wrapPoint);
        }

        return next;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WaitForCapacity(long current, long wrapPoint)
    {
        var spin = default(SpinWait);
        long gating;
        while (wrapPoint > (gating = Sequence.Minimum(GatingSequences, current)))
        {
            // Back-pressure: yield rather than sleep for a millisecond, so the consumer gets the core back at once.
            spin.SpinOnce(sleep1Threshold: -1);
        }

        _gatingSequenceCache.SetValue(gating);
    }

    public override bool TryNext(out long sequence) => TryNext(1, out sequence);

    public override bool TryNext(int count, out long highest)
    {
        ThrowIfBadCount(count);
        long current, next;
        do
        {
            current = Cursor.Value;
            next = current + count;
            if (!HasCapacity(count, current))
            {
                highest = Sequence.InitialValue;
                return false;
            }
        }
        while (!Cursor.CompareAndSet(current, next));

        highest = next;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override void Publish(long sequence)
    {
        SetAvailable(sequence);
        if (SignalsWaiters)
        {
            Cursor.WakeWaiters();
        }
    }

    public override void Publish(long low, long high)
    {
        for (var sequence = low; sequence <= high; sequence++)
        {
            SetAvailable(sequence);
        }

        if (SignalsWaiters)
        {
            Cursor.WakeWaiters();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsAvailable(long sequence)
    {
        ref var flag = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_availableBuffer), (nint)(sequence & _indexMask));
        return Volatile.Read(ref flag) == (int)(sequence >>> _indexShift);
    }

    /// <summary>
    /// The highest sequence from <paramref name="low"/> up to <paramref name="available"/> below which every slot is
    /// published; <c>low - 1</c> when <paramref name="low"/> itself is not yet.
    /// </summary>
    public long GetHighestPublishedSequence(long low, long available)
    {
        for (var sequence = low; sequence <= available; sequence++)
        {
            if (!IsAvailable(sequence))
            {
                return sequence - 1;
            }
        }

        return available;
    }

    private bool HasCapacity(int count, long cursorValue)
    {
        var wrapPoint = cursorValue + count - BufferSize;
        var cachedGating = _gatingSequenceCache.Value;
        if (wrapPoint > cachedGating || cachedGating > cursorValue)
        {
            var minimum = Sequence.Minimum(GatingSequences, cursorValue);
            _gatingSequenceCache.SetValue(minimum);
            if (wrapPoint > minimum)
            {
                return false;
            }
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetAvailable(long sequence)
    {
        ref var flag = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_availableBuffer), (nint)(sequence & _indexMask));
        Volatile.Write(ref flag, (int)(sequence >>> _indexShift));
    }
}
